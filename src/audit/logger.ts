import pino, { Logger } from 'pino';
import type { LogLevel } from '../config/config';

export type { Logger };

export interface CreateLoggerOptions {
  /** Fields merged into every line, e.g. the request id and TPP of the request being handled. */
  context?: () => Record<string, unknown> | undefined;
}

/**
 * JSON logs with ISO timestamps and the worker's pid. Credentials that could reach a log line through
 * request objects are redacted at the source so a careless `log.info({ req })` cannot leak them.
 */
export function createLogger(
  level: LogLevel,
  destination?: pino.DestinationStream,
  options: CreateLoggerOptions = {},
): Logger {
  const { context } = options;
  const pinoOptions: pino.LoggerOptions = {
    level,
    base: { service: 'psd2-gateway', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(context !== undefined ? { mixin: () => context() ?? {} } : {}),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        'authorization',
        '*.authorization',
        'password',
        '*.password',
        'code_verifier',
        '*.code_verifier',
        'refresh_token',
        '*.refresh_token',
        'access_token',
        '*.access_token',
        'token',
        '*.token',
        'client_secret',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(pinoOptions, destination) : pino(pinoOptions);
}
