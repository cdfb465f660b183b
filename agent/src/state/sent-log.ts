// The sent-message log: every message the agent sends to the server, verbatim, one JSON line
// each, so the employee can see exactly what left the machine (`edict-agent status`). Rotates
// to sent.jsonl.1 past SENT_LOG_MAX_BYTES. Readable by the agent's user only (it holds every user's
// findings and requests); each employee reads their own share through the per-user views.
import { appendFileSync, existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { PRIVATE_FILE_MODE, SENT_LOG_MAX_BYTES } from '../constants.js';
import type { UserViews } from './user-views.js';

export interface SentEntry {
  at: string;
  message: unknown;
}

export class SentLog {
  constructor(
    private readonly file: string,
    private readonly views?: UserViews,
  ) {}

  append(message: unknown, at = new Date()): void {
    this.views?.recordSent(message as { type: string }, at);
    if (existsSync(this.file) && statSync(this.file).size > SENT_LOG_MAX_BYTES) renameSync(this.file, `${this.file}.1`);
    appendFileSync(this.file, JSON.stringify({ at: at.toISOString(), message }) + '\n', { mode: PRIVATE_FILE_MODE });
  }

  /** The last `n` entries, oldest first. A torn last line (crash mid-append) is skipped. */
  last(n: number): SentEntry[] {
    const lines: string[] = [];
    for (const f of [this.file, `${this.file}.1`]) {
      if (lines.length >= n || !existsSync(f)) continue;
      const chunk = readFileSync(f, 'utf8').split('\n').filter(Boolean);
      lines.unshift(...chunk.slice(-(n - lines.length)));
    }
    const out: SentEntry[] = [];
    for (const line of lines) {
      try {
        out.push(JSON.parse(line) as SentEntry);
      } catch {
        continue; // a line torn by a crash carries nothing the employee could read
      }
    }
    return out;
  }
}
