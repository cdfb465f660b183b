// How a collector tells "not there" from "could not look". Only a missing path (ENOENT, ENOTDIR,
// or a link loop, which points nowhere) means "not installed here"; any other error (permission
// denied, too many open files, an I/O error, a timeout) is a problem: the collector keeps going,
// the scanner records the problem, and the agent then declares nothing of that collector absent,
// so a failed look never reads as "removed" on the server. Problems travel in the heartbeat.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CollectorProblem {
  /** Error code (EACCES, EMFILE, ETIMEDOUT…) or `error`. */
  code: string;
  /** What could not be read. */
  place: string;
  message: string;
}

/** Errors that mean the thing is simply not there. */
const NOT_FOUND = new Set(['ENOENT', 'ENOTDIR', 'ELOOP']);

/** Problems kept per collector run (the count goes on beyond it). */
const MAX_KEPT = 20;

interface Sink {
  problems: CollectorProblem[];
  count: number;
}

const current = new AsyncLocalStorage<Sink>();

export function isNotFound(err: unknown): boolean {
  return NOT_FOUND.has((err as NodeJS.ErrnoException)?.code ?? '');
}

/**
 * Called from a collector's catch: a not-found error is swallowed (nothing there); any other error
 * is recorded as a problem of the running collector. Outside a scan (no collector running) it is
 * rethrown, so a caller that is not a collector never mistakes a failure for absence.
 */
export function tolerate(err: unknown, place: string): void {
  if (isNotFound(err)) return;
  const sink = current.getStore();
  if (!sink) throw err;
  recordProblem(sink, err, place);
}

/** Records a problem that is not an exception (e.g. a child process that timed out). */
export function reportProblem(code: string, place: string, message: string): void {
  const sink = current.getStore();
  if (!sink) throw new Error(`${code}: ${message} (${place})`);
  sink.count++;
  if (sink.problems.length < MAX_KEPT) sink.problems.push({ code, place, message });
}

function recordProblem(sink: Sink, err: unknown, place: string): void {
  const e = err as NodeJS.ErrnoException;
  sink.count++;
  if (sink.problems.length < MAX_KEPT) sink.problems.push({ code: e?.code ?? 'error', place, message: (e?.message ?? String(err)).slice(0, 300) });
}

/** Runs one collector, collecting the problems it tolerated. */
export async function withProblems<T>(fn: () => Promise<T>): Promise<{ value: T; problems: CollectorProblem[]; count: number }> {
  const sink: Sink = { problems: [], count: 0 };
  const value = await current.run(sink, fn);
  return { value, problems: sink.problems, count: sink.count };
}
