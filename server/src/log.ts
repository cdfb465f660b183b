// Structured logging (pino). Secrets never reach a log line: bearer headers, tokens and
// credentials are redacted by path. Logs are operational; the audit log is a separate table.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'token',
  'credential',
  '*.token',
  '*.credential',
];

export function createLogger(level: string, name = 'edict-server'): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}
