// Which findings the `stop` action may act on. Closing a program is the one thing the agent does to
// an employee's work, so it needs the program's own identity: its executable path, the npm package
// it runs, or its content (hash or embedded markers). Argument text (a command-line pattern, a
// package runner's argument), a child's environment marker, a runtime file or a name alone are
// reported but never stopped: a terminal multiplexer or a grep can carry the same text.
import type { Detection } from '../../../shared/src/protocol/index.js';

/** Evidence signatures (by prefix) that identify the running program itself. */
export const STRONG_PROCESS_SIGNATURES = ['exe-path:', 'npm-package:', 'sha256:', 'content-markers:'] as const;

export function stoppable(d: Detection): boolean {
  return d.kind === 'running' && d.evidence.source === 'process' && d.evidence.pid !== undefined && STRONG_PROCESS_SIGNATURES.some((p) => d.evidence.signature.startsWith(p));
}
