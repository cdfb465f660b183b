// Presence without an fsync per heartbeat: last seen, hello facts, health and the part versions
// each agent confirmed are kept in memory and written in one transaction every PRESENCE_FLUSH_MS
// (and at shutdown). None of this is something the protocol promises to keep (reports are, and
// they are committed before their ack); a crash loses at most the last few seconds of "last seen".
// Readers see the newest values: views overlay what is not flushed yet.
import type { PartVersions } from '../../../shared/src/policy/schema.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { PRESENCE_FLUSH_MS, PRESENCE_FLUSH_SLICE } from '../constants.js';
import type { Logger } from '../log.js';
import type { DeviceRow, HelloFacts, PresenceUpdate, Store } from '../store/index.js';

export class Presence {
  private dirty = new Map<string, PresenceUpdate>();
  /** Latest confirmed part versions of devices seen since start (connected or not). */
  private readonly applied = new Map<string, PartVersions>();
  private readonly timer: NodeJS.Timeout;
  private flushing?: Promise<void>;
  readonly stats = { flushes: 0, rowsWritten: 0 };

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    flushEveryMs = PRESENCE_FLUSH_MS,
  ) {
    this.timer = setInterval(() => void this.flush(), flushEveryMs);
    this.timer.unref();
  }

  private update(id: string, patch: Omit<PresenceUpdate, 'id' | 'lastSeenAt'>): void {
    const now = new Date().toISOString();
    const u = this.dirty.get(id) ?? { id, lastSeenAt: now };
    this.dirty.set(id, { ...u, ...patch, lastSeenAt: now });
  }

  hello(id: string, facts: HelloFacts, held: PartVersions): void {
    this.applied.set(id, held);
    this.update(id, { hello: facts, applied: held, appliedAt: new Date().toISOString() });
  }

  heartbeat(id: string, health: unknown): void {
    this.update(id, { lastHealth: health });
  }

  confirmed(id: string, held: PartVersions): void {
    this.applied.set(id, held);
    this.update(id, { applied: held, appliedAt: new Date().toISOString() });
  }

  /** The part versions a device confirmed, if it did since this server started. */
  appliedOf(id: string): PartVersions | undefined {
    return this.applied.get(id);
  }

  /** A device row with what is known but not flushed yet. */
  overlay(d: DeviceRow): DeviceRow {
    const u = this.dirty.get(d.id);
    if (!u) return d;
    return {
      ...d,
      lastSeenAt: u.lastSeenAt,
      ...(u.hello ?? {}),
      ...(u.lastHealth !== undefined ? { lastHealth: u.lastHealth } : {}),
      ...(u.applied ? { applied: u.applied, appliedAt: u.appliedAt ?? d.appliedAt } : {}),
    };
  }

  /** Writes everything pending in one transaction. */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.dirty.size) {
          // A slice per transaction, the event loop free in between (20,000 agents say hello at once).
          const batch = [...this.dirty.values()].slice(0, PRESENCE_FLUSH_SLICE);
          for (const u of batch) this.dirty.delete(u.id);
          try {
            await this.store.tx((r) => r.devices.recordPresence(batch));
            this.stats.flushes++;
            this.stats.rowsWritten += batch.length;
          } catch (err) {
            // Keep the newer values if the device was seen again meanwhile; retry next time.
            for (const u of batch) if (!this.dirty.has(u.id)) this.dirty.set(u.id, u);
            if ((err as { code?: string }).code === 'EDICT_ERR_UNAVAILABLE') this.log.warn({ rows: batch.length }, 'presence flush waits for the database');
            else this.log.error({ err, rows: batch.length }, 'presence flush failed; retrying');
            return;
          }
          await yieldToLoop();
        }
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
