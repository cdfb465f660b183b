// Agent logging (pino to stderr). The device credential never reaches a log line.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createAgentLogger(level = 'info'): Logger {
  return pino(
    { name: 'edict-agent', level, redact: { paths: ['credential', '*.credential', 'headers.Authorization'], censor: '[redacted]' } },
    pino.destination(2),
  );
}
