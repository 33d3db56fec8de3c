import pino, { Logger } from 'pino';
import type { LogLevel } from '../config/config';

export type { Logger };

/**
 * JSON logs. Credentials that could reach a log line through request objects are redacted at the source
 * so a careless `log.info({ req })` cannot leak them.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'psd2-gateway' },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        'password',
        '*.password',
        'code_verifier',
        '*.code_verifier',
        'refresh_token',
        '*.refresh_token',
        'access_token',
        '*.access_token',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
