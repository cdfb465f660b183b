// Keeps what this node delivers in step with changes made on other nodes of a cluster. Notices
// (ClusterLink) say which part changed, which device was revoked or had an exception decided; the
// node rebuilds what it sends from the database (a notice carries ids and versions, never content).
// Notices are at most once, so after its link reconnects, and every CLUSTER_RESYNC_MS anyway, the
// node compares the part versions in the database with what it holds and what its connected agents
// confirmed, and sends what is missing and cuts revoked devices: a missed notice delays, never loses.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { CLUSTER_RESYNC_MS } from '../constants.js';
import type { ComplianceService } from '../compliance/service.js';
import type { ExceptionService } from '../compliance/exceptions.js';
import type { AgentGateway } from '../gateway/agent-gateway.js';
import type { Logger } from '../log.js';
import type { PolicyService } from '../policy/service.js';
import type { ClusterNotice, Store } from '../store/index.js';

/** Connected devices whose part versions one catch-up read asks for. */
const CATCH_UP_SLICE = 2_000;

export class ClusterSync {
  private timer?: NodeJS.Timeout;
  private catching?: Promise<void>;
  readonly stats = { notices: 0, catchUps: 0, repaired: 0 };
  private readonly onNotice = (n: ClusterNotice) => void this.handle(n);
  private readonly onResync = () => {
    this.log.warn('cluster link re-established: catching up from versions');
    void this.catchUp();
  };

  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly compliance: ComplianceService,
    private readonly exceptions: ExceptionService,
    private readonly gateway: AgentGateway,
    private readonly log: Logger,
  ) {}

  start(everyMs = CLUSTER_RESYNC_MS): void {
    this.store.cluster.on('notice', this.onNotice);
    this.store.cluster.on('resync', this.onResync);
    this.timer = setInterval(() => void this.catchUp(), everyMs);
    this.timer.unref();
  }

  private async handle(n: ClusterNotice): Promise<void> {
    this.stats.notices++;
    try {
      switch (n.kind) {
        case 'part':
          await this.policies.refresh(n.part, n.deviceIds, true);
          return;
        case 'revoked':
          this.gateway.disconnect(n.deviceId, 'EDICT_ERR_DEVICE_REVOKED');
          return;
        case 'decision':
          if (this.gateway.registry.isConnected(n.deviceId)) await this.exceptions.deliverFromPeer(n.exceptionId);
          return;
        case 'jobs':
          if (this.store.cluster.isLeader) this.compliance.kick();
          return;
      }
    } catch (err) {
      this.log.error({ err, notice: n.kind }, 'cluster notice could not be applied; the next catch-up repairs it');
    }
  }

  /** Compares versions in the database with what this node holds and its agents confirmed; repairs the difference. */
  catchUp(): Promise<void> {
    this.catching ??= (async () => {
      try {
        this.stats.catchUps++;
        await this.policies.catchUp();
        const connected = [...this.gateway.registry.all()].map((c) => c.deviceId);
        if (!connected.length) return;
        const stale: string[] = [];
        // A slice of devices per read, the event loop free in between (one read of 19,000 held it).
        for (let i = 0; i < connected.length; i += CATCH_UP_SLICE) {
          if (i) await yieldToLoop();
          for (const d of await this.store.devices.partVersions(connected.slice(i, i + CATCH_UP_SLICE))) {
            if (d.revoked) {
              this.gateway.disconnect(d.id, 'EDICT_ERR_DEVICE_REVOKED');
              this.stats.repaired++;
            } else if ((this.gateway.presence.appliedOf(d.id)?.device ?? null) !== d.partVersion) stale.push(d.id);
          }
        }
        if (stale.length) {
          this.stats.repaired += stale.length;
          await this.policies.refresh('device', stale, true);
        }
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'cluster catch-up failed; retried later');
      } finally {
        this.catching = undefined;
      }
    })();
    return this.catching;
  }

  stop(): void {
    clearInterval(this.timer);
    this.store.cluster.off('notice', this.onNotice);
    this.store.cluster.off('resync', this.onResync);
  }
}
