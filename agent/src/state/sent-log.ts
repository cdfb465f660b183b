// The sent-message log: every message the agent sends to the server, verbatim, one JSON line
// each, so the employee can see exactly what left the machine (`edict-agent status`). Rotates
// to sent.jsonl.1 past SENT_LOG_MAX_BYTES. Readable by the agent's user only (it holds every user's
// findings and requests); each employee reads their own share through the per-user views.
import { appendFileSync, existsSync, lstatSync, readFileSync, renameSync } from 'node:fs';
import { PRIVATE_FILE_MODE, SENT_LOG_MAX_BYTES } from '../constants.js';
import type { Logger } from '../log.js';
import { setAside } from './json-file.js';
import type { UserViews } from './user-views.js';

export interface SentEntry {
  at: string;
  message: unknown;
}

export class SentLog {
  constructor(
    private readonly file: string,
    private readonly views?: UserViews,
    private readonly log?: Logger,
  ) {}

  append(message: unknown, at = new Date()): void {
    this.views?.recordSent(message as { type: string }, at);
    const st = lstatOrUndefined(this.file);
    // A folder or link where the log should be is set aside: the log is never written through a link.
    if (st && !st.isFile()) setAside(this.file, this.log, 'the sent-message log is not a regular file');
    else if (st && st.size > SENT_LOG_MAX_BYTES) renameSync(this.file, `${this.file}.1`);
    appendFileSync(this.file, JSON.stringify({ at: at.toISOString(), message }) + '\n', { mode: PRIVATE_FILE_MODE });
  }

  /** The last `n` entries, oldest first. A torn last line (crash mid-append) is skipped. */
  last(n: number): SentEntry[] {
    const lines: string[] = [];
    for (const f of [this.file, `${this.file}.1`]) {
      if (lines.length >= n || !existsSync(f) || !lstatOrUndefined(f)?.isFile()) continue;
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

function lstatOrUndefined(p: string) {
  try {
    return lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // not written yet
    throw err;
  }
}
