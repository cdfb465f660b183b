// Fan-out of policy parts to connected agents, off the request path. A change marks every target
// device as needing a part; a pump sends in short slices (FANOUT_SLICE_MS) and gives the event loop
// back between them, so the API and other agents keep being served. The catalog and policies parts
// are one pre-encoded frame shared by every send (no per-device copy); a device part is signed for
// that device. A socket whose send buffer is above FANOUT_HIGH_WATER_BYTES is skipped and retried
// later (back-pressure), so one slow agent never holds memory for everyone.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { PartName } from '../../../shared/src/policy/schema.js';
import { FANOUT_HIGH_WATER_BYTES, FANOUT_RETRY_MS, FANOUT_SLICE_MS } from '../constants.js';
import type { Logger } from '../log.js';
import type { PolicyService } from '../policy/service.js';
import type { DeviceRow } from '../store/index.js';
import type { AgentConnection } from './connection.js';
import type { ConnectionRegistry } from './registry.js';

export class FanOut {
  /** device id → parts it still needs, in first-marked order. */
  private readonly needs = new Map<string, Set<PartName>>();
  private pumping = false;
  private retry?: NodeJS.Timeout;
  /** Slow readers skipped by a pass, tried again after FANOUT_RETRY_MS. */
  private readonly deferred = new Map<string, Set<PartName>>();
  readonly stats = { sent: { catalog: 0, policies: 0, device: 0 }, deferred: 0 };

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly policies: PolicyService,
    private readonly log: Logger,
  ) {}

  /** Marks targets (default: every connected device) as needing `part`, and starts sending. */
  mark(part: PartName, deviceIds?: readonly string[]): void {
    const ids = deviceIds ?? [...this.registry.all()].map((c) => c.deviceId);
    for (const id of ids) {
      const set = this.needs.get(id) ?? new Set<PartName>();
      set.add(part);
      this.needs.set(id, set);
    }
    this.pump();
  }

  /** Devices still waiting for a part (for rollout progress and tests). */
  get pending(): number {
    return this.needs.size;
  }

  /** Sends the parts a freshly greeted connection lacks, right away (hello). */
  async sendNow(conn: AgentConnection, parts: readonly PartName[], device?: DeviceRow): Promise<void> {
    for (const part of parts) await this.sendPart(conn, part, device);
  }

  /** `device`: the device's row when the caller just read it (hello), so it is not read again. */
  private async sendPart(conn: AgentConnection, part: PartName, device?: DeviceRow): Promise<void> {
    const signed = part === 'catalog' ? this.policies.catalogPart() : part === 'policies' ? this.policies.policiesPart() : await this.policies.devicePart(conn.deviceId, device);
    conn.sendFrame(signed.frame);
    this.stats.sent[part]++;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.run().finally(() => (this.pumping = false));
  }

  private async run(): Promise<void> {
    while (this.needs.size) {
      const start = performance.now();
      for (const [id, parts] of this.needs) {
        if (performance.now() - start > FANOUT_SLICE_MS) break;
        this.needs.delete(id);
        const conn = this.registry.get(id);
        if (!conn || conn.closing) continue; // it gets what it lacks at its next hello
        if (conn.ws.bufferedAmount > FANOUT_HIGH_WATER_BYTES) {
          const d = this.deferred.get(id) ?? new Set<PartName>();
          for (const p of parts) d.add(p);
          this.deferred.set(id, d);
          this.stats.deferred++;
          continue;
        }
        for (const part of parts) {
          try {
            await this.sendPart(conn, part);
          } catch (err) {
            this.log.error({ err, deviceId: id, part }, 'policy part could not be sent');
          }
        }
      }
      await yieldToLoop();
    }
    if (this.deferred.size && !this.retry) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        const again = [...this.deferred];
        this.deferred.clear();
        for (const [id, parts] of again) for (const p of parts) this.mark(p, [id]);
      }, FANOUT_RETRY_MS);
      this.retry.unref();
    }
  }

  stop(): void {
    clearTimeout(this.retry);
    this.needs.clear();
    this.deferred.clear();
  }
}
