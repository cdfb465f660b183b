// The durable outbox: events wait here, on disk, until the server acknowledges them. One file per
// batch (`<time>-<seq>-<batchId>.json`, written atomically), sent in name order; a batch keeps its
// id across resends, and the server stores each event id once, so delivery is exactly once even
// when an ack is lost or the server dies mid-batch. A corrupt batch file is moved to
// `outbox/corrupt/` with a logged error instead of blocking the queue forever.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { MAX_EVENTS_PER_REPORT, MAX_FRAME_BYTES } from '../../../shared/src/constants.js';
import { ReportEvent } from '../../../shared/src/protocol/index.js';
import { PRIVATE_DIR_MODE } from '../constants.js';
import type { Logger } from '../log.js';
import { readJsonFile, writeJsonAtomic } from './json-file.js';

const BatchFile = z.strictObject({ batchId: z.uuid(), events: z.array(ReportEvent).min(1).max(MAX_EVENTS_PER_REPORT) });
export type OutboxBatch = z.infer<typeof BatchFile>;

/** Room for the report envelope around the events, well under the server's frame limit. */
const BATCH_MAX_BYTES = MAX_FRAME_BYTES - 64 * 1024;

export class Outbox {
  private seq = 0;

  constructor(
    private readonly dir: string,
    private readonly log?: Logger,
  ) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  }

  /**
   * Persists events before returning, split into batches that fit one report: at most
   * MAX_EVENTS_PER_REPORT events and BATCH_MAX_BYTES of JSON (a frame over the server's limit
   * would be refused forever).
   */
  enqueue(events: readonly ReportEvent[]): void {
    let batch: ReportEvent[] = [];
    let bytes = 0;
    const write = () => {
      if (!batch.length) return;
      const b: OutboxBatch = { batchId: randomUUID(), events: batch };
      const name = `${String(Date.now()).padStart(15, '0')}-${String(this.seq++).padStart(6, '0')}-${b.batchId}.json`;
      writeJsonAtomic(path.join(this.dir, name), b);
      batch = [];
      bytes = 0;
    };
    for (const e of events) {
      const size = Buffer.byteLength(JSON.stringify(e)) + 1;
      if (batch.length >= MAX_EVENTS_PER_REPORT || (batch.length && bytes + size > BATCH_MAX_BYTES)) write();
      batch.push(e);
      bytes += size;
    }
    write();
  }

  /** Moves a batch the server can never accept out of the queue (kept in outbox/corrupt/ for inspection). */
  reject(batchId: string, why: string): void {
    const f = this.files().find((name) => name.endsWith(`-${batchId}.json`));
    if (!f) return;
    this.log?.error({ batchId, why }, 'outbox batch cannot be delivered; moved to outbox/corrupt');
    this.quarantine(path.join(this.dir, f));
  }

  private files(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .sort();
  }

  /** The oldest valid batch, or undefined when the outbox is empty. */
  peek(): OutboxBatch | undefined {
    for (const f of this.files()) {
      const file = path.join(this.dir, f);
      const batch = readJsonFile(file, BatchFile, this.log);
      if (batch) return batch;
      // readJsonFile moved it aside next to the outbox; keep it out of the queue for good.
      this.quarantine(file);
    }
    return undefined;
  }

  /** Every pending batch, oldest first (for status and tests). */
  all(): OutboxBatch[] {
    const out: OutboxBatch[] = [];
    for (const f of this.files()) {
      const b = readJsonFile(path.join(this.dir, f), BatchFile, this.log);
      if (b) out.push(b);
    }
    return out;
  }

  /** Drops an acknowledged batch. Unknown ids are ignored (an ack can arrive twice). */
  remove(batchId: string): boolean {
    const f = this.files().find((name) => name.endsWith(`-${batchId}.json`));
    if (!f) return false;
    // No fsync: if the removal is lost in a power cut, the batch is sent again and the server,
    // which stores each event id once, answers with duplicates.
    unlinkSync(path.join(this.dir, f));
    return true;
  }

  pendingEvents(): number {
    return this.all().reduce((n, b) => n + b.events.length, 0);
  }

  private quarantine(file: string): void {
    const corruptDir = path.join(this.dir, 'corrupt');
    mkdirSync(corruptDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    for (const f of readdirSync(this.dir)) {
      if (f.startsWith(path.basename(file) + '.corrupt-')) renameSync(path.join(this.dir, f), path.join(corruptDir, f));
    }
    if (existsSync(file)) renameSync(file, path.join(corruptDir, path.basename(file)));
  }
}
