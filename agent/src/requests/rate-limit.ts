// How many requests (acknowledgements and exception requests) one OS user may make through the
// spool: at most MAX_REQUESTS_PER_USER_PER_HOUR in any hour, counted per uid (the request file's
// owner). The count lives in a ledger only the agent can write (an employee's own files could be
// edited to forget). A refused request is not sent; the employee's command says why and when the
// next one will be taken.
import { z } from 'zod';
import type { Logger } from '../log.js';
import { readJsonFile, writeJsonAtomic } from '../state/json-file.js';

/** A person acknowledges a notice or asks for an exception a few times a day; a script must not flood the server. */
export const MAX_REQUESTS_PER_USER_PER_HOUR = 20;
export const REQUEST_WINDOW_MS = 60 * 60_000;

const Ledger = z.record(z.string().regex(/^\d+$/), z.array(z.number()));

export class RequestLimiter {
  private ledger: Record<string, number[]>;

  constructor(
    private readonly file: string,
    log?: Logger,
    readonly limit = MAX_REQUESTS_PER_USER_PER_HOUR,
    readonly windowMs = REQUEST_WINDOW_MS,
  ) {
    this.ledger = readJsonFile(file, Ledger, log) ?? {};
  }

  /** Whether `uid` may make one more request at `nowMs` (`pending`: accepted in this pass, not recorded yet); if not, when it may. */
  check(uid: number, nowMs: number, pending = 0): { ok: true } | { ok: false; retryAt: number } {
    const recent = [...(this.ledger[uid] ?? []).filter((t) => nowMs - t < this.windowMs), ...Array<number>(pending).fill(nowMs)].sort((a, b) => a - b);
    if (recent.length < this.limit) return { ok: true };
    return { ok: false, retryAt: recent[recent.length - this.limit]! + this.windowMs };
  }

  /** Counts accepted requests (saved before the caller moves on). */
  record(uids: number[], nowMs: number): void {
    if (!uids.length) return;
    for (const uid of uids) this.ledger[uid] = [...(this.ledger[uid] ?? []).filter((t) => nowMs - t < this.windowMs), nowMs];
    for (const [uid, list] of Object.entries(this.ledger)) if (!list.some((t) => nowMs - t < this.windowMs)) delete this.ledger[uid];
    writeJsonAtomic(this.file, this.ledger);
  }
}
