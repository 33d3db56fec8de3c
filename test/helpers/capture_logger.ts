import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/audit/logger';

/** The gateway's real logger writing into memory: parsed lines and the raw text, for leak checks. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[]; raw: () => string } {
  const lines: Record<string, unknown>[] = [];
  let raw = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw += chunk.toString();
      for (const line of chunk
        .toString()
        .split('\n')
        .filter((l) => l !== '')) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger('info', sink), lines, raw: () => raw };
}
