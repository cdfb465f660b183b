// The durable outbox: events wait here, on disk, until the server acknowledges them. One file per
// batch (`<time>-<seq>-<batchId>.json`, written atomically), sent in name order; a batch keeps its
// id across resends, and the server stores each event id once, so delivery is exactly once even
// when an ack is lost or the server dies mid-batch. Anything odd in the folder (a corrupt batch, a
// folder or link where a batch file should be) is moved to `outbox/corrupt/` with a logged error;
// a file where the outbox folder should be is moved aside. The outbox is bounded by size
// (`maxBytes`): over it, events are collapsed and then dropped by the rules in outbox-bound.ts,
// and every drop is recorded as a `gap` event that goes to the server like any other.
import { randomUUID } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, renameSync, unlinkSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { MAX_EVENTS_PER_REPORT, MAX_FRAME_BYTES } from '../../../shared/src/constants.js';
import { ReportEvent } from '../../../shared/src/protocol/index.js';
import { DEFAULT_OUTBOX_MAX_BYTES, OUTBOX_LOW_WATER, PRIVATE_DIR_MODE } from '../constants.js';
import type { Logger } from '../log.js';
import { ensureDir, fsyncDir, readJsonFile, writeFileAtomic } from './json-file.js';
import { gapEvent, planBound, type QueuedEvent } from './outbox-bound.js';
import { eventId } from '../../../shared/src/event-id.js';

const BatchFile = z.strictObject({ batchId: z.uuid(), events: z.array(ReportEvent).min(1).max(MAX_EVENTS_PER_REPORT) });
export type OutboxBatch = z.infer<typeof BatchFile>;

/** Room for the report envelope around the events, well under the server's frame limit. */
const BATCH_MAX_BYTES = MAX_FRAME_BYTES - 64 * 1024;

/** What enforcing the bound did (for the caller's log and restatement). */
export interface BoundResult {
  /** Events removed because they only restated a finding already queued. */
  collapsed: number;
  /** Events dropped and counted in a gap event. */
  dropped: number;
  /** Detection keys whose last queued event was dropped: the caller restates what it still sees. */
  lostFinalState: Set<string>;
  gap?: z.infer<typeof ReportEvent>;
}

export class Outbox {
  private seq = 0;
  private bytes = 0;
  private events = 0;
  /** Events in each queued batch file, so an ack or a rejection needs no read of the file. */
  private readonly counts = new Map<string, number>();
  /** The batch sent and awaiting its ack: never rewritten by the bound. */
  inFlight: string | undefined;

  constructor(
    private readonly dir: string,
    private readonly log?: Logger,
    readonly maxBytes = DEFAULT_OUTBOX_MAX_BYTES,
  ) {
    ensureDir(dir, PRIVATE_DIR_MODE, log);
    for (const f of this.files()) {
      const b = this.read(f);
      if (!b) continue;
      this.bytes += this.size(f);
      this.events += b.events.length;
      this.counts.set(f, b.events.length);
    }
  }

  /** Bytes of queued batch files. */
  get pendingBytes(): number {
    return this.bytes;
  }

  /**
   * Persists events before returning, split into batches that fit one report: at most
   * MAX_EVENTS_PER_REPORT events and BATCH_MAX_BYTES of JSON (a frame over the server's limit
   * would be refused forever). Then keeps the outbox within `maxBytes`; returns what that took.
   */
  enqueue(events: readonly ReportEvent[]): BoundResult | undefined {
    this.write(events);
    return this.bytes > this.maxBytes ? this.enforceBound() : undefined;
  }

  private write(events: readonly ReportEvent[]): void {
    let batch: ReportEvent[] = [];
    let bytes = 0;
    const flush = () => {
      if (!batch.length) return;
      const b: OutboxBatch = { batchId: randomUUID(), events: batch };
      const name = `${String(Date.now()).padStart(15, '0')}-${String(this.seq++).padStart(6, '0')}-${b.batchId}.json`;
      const text = JSON.stringify(b) + '\n';
      writeFileAtomic(path.join(this.dir, name), text);
      this.bytes += Buffer.byteLength(text);
      this.events += batch.length;
      this.counts.set(name, batch.length);
      batch = [];
      bytes = 0;
    };
    for (const e of events) {
      const size = Buffer.byteLength(JSON.stringify(e)) + 1;
      if (batch.length >= MAX_EVENTS_PER_REPORT || (batch.length && bytes + size > BATCH_MAX_BYTES)) flush();
      batch.push(e);
      bytes += size;
    }
    flush();
  }

  /**
   * Brings the outbox under OUTBOX_LOW_WATER × maxBytes (so the bound is not enforced again on the
   * next event): collapse, then drop by the rules of outbox-bound.ts, then queue a gap event
   * counting what was dropped. The batch in flight is left alone.
   */
  enforceBound(): BoundResult {
    const names = this.files();
    const queued: QueuedEvent[] = [];
    const where: { file: string; batch: OutboxBatch; index: number }[] = [];
    for (const f of names) {
      const batch = this.read(f);
      if (!batch || batch.batchId === this.inFlight) continue;
      const fileBytes = this.size(f);
      const total = batch.events.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)) + 1, 0);
      batch.events.forEach((e, index) => {
        // Each event's share of its file (the envelope is shared in proportion).
        queued.push({ event: e, bytes: Math.ceil(((Buffer.byteLength(JSON.stringify(e)) + 1) * fileBytes) / Math.max(1, total)) });
        where.push({ file: f, batch, index });
      });
    }
    const target = Math.floor(this.maxBytes * OUTBOX_LOW_WATER);
    const plan = planBound(queued, this.bytes - target);
    // Rewrite each touched batch without the removed events (same batch id), or delete it.
    const keep = new Map<string, { batch: OutboxBatch; events: ReportEvent[] }>();
    where.forEach((w, i) => {
      let entry = keep.get(w.file);
      if (!entry) keep.set(w.file, (entry = { batch: w.batch, events: [] }));
      if (!plan.remove.has(i)) entry.events.push(w.batch.events[w.index]!);
    });
    for (const [f, { batch, events }] of keep) {
      if (events.length === batch.events.length) continue;
      const file = path.join(this.dir, f);
      const before = this.size(f);
      this.events -= batch.events.length - events.length;
      if (events.length) {
        const text = JSON.stringify({ batchId: batch.batchId, events }) + '\n';
        writeFileAtomic(file, text);
        this.bytes += Buffer.byteLength(text) - before;
        this.counts.set(f, events.length);
      } else {
        unlinkSync(file);
        this.bytes -= before;
        this.counts.delete(f);
      }
    }
    fsyncDir(this.dir);
    const result: BoundResult = { collapsed: plan.remove.size - plan.counted.length, dropped: plan.counted.length, lostFinalState: plan.lostFinalState };
    if (plan.counted.length) {
      const at = Date.now();
      result.gap = gapEvent(plan.counted, eventId(at), new Date(at).toISOString());
      this.write([result.gap]);
    }
    this.log?.error(
      { maxBytes: this.maxBytes, collapsed: result.collapsed, dropped: result.dropped, pendingBytes: this.bytes, gap: result.gap ? { from: (result.gap as { from: string }).from, to: (result.gap as { to: string }).to } : undefined },
      result.dropped ? 'outbox full: events dropped and recorded as a gap for the server' : 'outbox full: events that only restated a finding were collapsed',
    );
    return result;
  }

  /** Moves a batch the server can never accept out of the queue (kept in outbox/corrupt/ for inspection). */
  reject(batchId: string, why: string): void {
    const f = this.files().find((name) => name.endsWith(`-${batchId}.json`));
    if (!f) return;
    this.log?.error({ batchId, why }, 'outbox batch cannot be delivered; moved to outbox/corrupt');
    this.forget(f);
    this.quarantine(path.join(this.dir, f));
  }

  /** Batch file names in send order; anything that is not a regular file is set aside first. */
  private files(): string[] {
    let entries: Dirent[];
    try {
      entries = readdirSync(this.dir, { withFileTypes: true });
    } catch (err) {
      // Replaced by a file or removed while running: make the folder again (setting aside what is there).
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTDIR' && code !== 'ENOENT') throw err;
      ensureDir(this.dir, PRIVATE_DIR_MODE, this.log);
      this.bytes = 0;
      this.events = 0;
      this.counts.clear();
      return [];
    }
    const out: string[] = [];
    for (const e of entries) {
      if (!e.name.endsWith('.json') || e.name.startsWith('.')) continue;
      if (e.isFile()) out.push(e.name);
      else {
        this.log?.error({ entry: e.name, kind: e.isDirectory() ? 'folder' : e.isSymbolicLink() ? 'symlink' : 'not a regular file' }, 'odd entry in the outbox; moved to outbox/corrupt');
        this.quarantine(path.join(this.dir, e.name));
      }
    }
    return out.sort();
  }

  private read(f: string): OutboxBatch | undefined {
    const file = path.join(this.dir, f);
    const batch = readJsonFile(file, BatchFile, this.log);
    if (batch) return batch;
    // readJsonFile moved it aside next to the outbox; keep it out of the queue for good.
    this.quarantine(file);
    return undefined;
  }

  private size(f: string): number {
    try {
      return lstatSync(path.join(this.dir, f)).size;
    } catch {
      return 0; // removed meanwhile: it holds nothing any more
    }
  }

  /** The oldest valid batch, or undefined when the outbox is empty. */
  peek(): OutboxBatch | undefined {
    for (const f of this.files()) {
      const batch = this.read(f);
      if (batch) return batch;
    }
    return undefined;
  }

  /** Every pending batch, oldest first (for status and tests). */
  all(): OutboxBatch[] {
    const out: OutboxBatch[] = [];
    for (const f of this.files()) {
      const b = this.read(f);
      if (b) out.push(b);
    }
    return out;
  }

  /** Drops an acknowledged batch. Unknown ids are ignored (an ack can arrive twice). */
  remove(batchId: string): boolean {
    if (this.inFlight === batchId) this.inFlight = undefined;
    const f = this.files().find((name) => name.endsWith(`-${batchId}.json`));
    if (!f) return false;
    this.forget(f);
    // No fsync: if the removal is lost in a power cut, the batch is sent again and the server,
    // which stores each event id once, answers with duplicates.
    unlinkSync(path.join(this.dir, f));
    return true;
  }

  private forget(f: string): void {
    this.bytes = Math.max(0, this.bytes - this.size(f));
    this.events = Math.max(0, this.events - (this.counts.get(f) ?? 0));
    this.counts.delete(f);
  }

  pendingEvents(): number {
    return this.events;
  }

  private quarantine(file: string): void {
    const corruptDir = path.join(this.dir, 'corrupt');
    ensureDir(corruptDir, PRIVATE_DIR_MODE, this.log);
    for (const f of readdirSync(this.dir)) {
      if (f.startsWith(path.basename(file) + '.corrupt-')) renameSync(path.join(this.dir, f), path.join(corruptDir, f));
    }
    if (existsSync(file) || isLink(file)) renameSync(file, path.join(corruptDir, `${path.basename(file)}.${Date.now()}`));
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false; // not there at all
  }
}

/** Pending batches for `status`, read without changing anything (an employee may not even list the folder). */
export function readPendingBatches(dir: string): OutboxBatch[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.json') && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR') return [];
    throw err;
  }
  const out: OutboxBatch[] = [];
  for (const f of names) {
    const b = readJsonFile(path.join(dir, f), BatchFile, undefined, false);
    if (b) out.push(b);
  }
  return out;
}
