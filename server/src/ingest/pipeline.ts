// Ingest as a pipeline: reports from every connection are queued and written in shared
// transactions (group commit), each transaction holding as many events as fit in INGEST_SLICE_MS
// of work, with the event loop given back between transactions. A report is acknowledged only after
// the commit that holds its last event; a report larger than one slice spans several commits, which
// is safe because every event id is stored once (a resend after a crash only adds what is missing).
// Compliance is reconciled once per device × tool touched in a transaction, from the earliest
// observedAt among its new events, in that same transaction.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { detectionKey, type Report, type ReportEvent } from '../../../shared/src/protocol/index.js';
import type { ExceptionService } from '../compliance/exceptions.js';
import type { ComplianceService } from '../compliance/service.js';
import { INGEST_SLICE_MS, MAX_FUTURE_SKEW_MS } from '../constants.js';
import type { Logger } from '../log.js';
import type { PolicyService } from '../policy/service.js';
import type { Repos, Store } from '../store/index.js';
import { recordGap } from './report-gap.js';

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

interface Item {
  deviceId: string;
  report: Report;
  next: number;
  accepted: number;
  resolve: (r: IngestResult) => void;
  reject: (err: Error) => void;
}

interface Touched {
  deviceId: string;
  toolId: string;
  from: string;
  cause: string;
  eventId: string;
}

export class IngestPipeline {
  private queue: Item[] = [];
  private draining = false;
  /** Commits made and events written, for health and the benchmark. */
  readonly stats = { commits: 0, events: 0 };

  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly compliance: ComplianceService,
    private readonly exceptions: ExceptionService,
    private readonly log: Logger,
  ) {}

  /** Queues a validated report; resolves after the commit that holds its last event. */
  submit(deviceId: string, report: Report): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ deviceId, report, next: 0, accepted: 0, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // Wait one turn so reports that arrived together share the first commit.
        setImmediate(() => void this.drain());
      }
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        await this.commitSlice();
        await yieldToLoop();
      }
    } finally {
      this.draining = false;
    }
  }

  private async commitSlice(): Promise<void> {
    const start = performance.now();
    const involved = new Set<Item>();
    const finished: Item[] = [];
    const touched = new Map<string, Touched>();
    const tags = new Map<string, readonly string[]>();
    let events = 0;
    try {
      await this.store.tx(async (r) => {
        const now = Date.now();
        while (this.queue.length && performance.now() - start < INGEST_SLICE_MS) {
          const item = this.queue[0];
          involved.add(item);
          const list = item.report.events;
          while (item.next < list.length && (events === 0 || performance.now() - start < INGEST_SLICE_MS)) {
            await this.one(r, item, list[item.next], now, touched, tags);
            item.next++;
            events++;
          }
          if (item.next < list.length) break;
          this.queue.shift();
          finished.push(item);
        }
        for (const t of touched.values()) await this.compliance.reconcile(t.deviceId, t.toolId, t.from, t.cause, { eventId: t.eventId });
      });
    } catch (err) {
      // Nothing of this transaction was stored: every report that had events in it is refused (the
      // agent keeps it in its outbox and sends it again).
      this.queue = this.queue.filter((i) => !involved.has(i));
      this.log.error({ err, reports: involved.size }, 'ingest commit failed');
      for (const i of involved) i.reject(err as Error);
      return;
    }
    this.stats.commits++;
    this.stats.events += events;
    for (const i of finished) i.resolve({ accepted: i.accepted, duplicates: i.report.events.length - i.accepted });
  }

  private async one(r: Repos, item: Item, event: ReportEvent, now: number, touched: Map<string, Touched>, tags: Map<string, readonly string[]>): Promise<void> {
    const deviceId = item.deviceId;
    // An agent's clock can be wrong; an observation cannot come from the future.
    const claimed = Date.parse(event.observedAt);
    const at = new Date(claimed > now + MAX_FUTURE_SKEW_MS ? now : claimed).toISOString();
    const touch = (toolId: string, cause: string) => {
      const k = `${deviceId}|${toolId}`;
      const t = touched.get(k);
      if (!t || at < t.from) touched.set(k, { deviceId, toolId, from: at, cause, eventId: event.eventId });
    };
    let isNew = false;
    switch (event.type) {
      case 'detection': {
        let deviceTags = tags.get(deviceId);
        if (!deviceTags) tags.set(deviceId, (deviceTags = (await r.devices.get(deviceId))?.tags ?? []));
        const d = event.detection;
        const v = this.policies.stageAt({ toolId: d.toolId, deviceId, tags: deviceTags, user: d.user }, Date.parse(at));
        const ce = { event, observedAt: at, stage: v.stage, policyId: v.policy?.id ?? null };
        isNew = await r.detections.insert(deviceId, item.report.batchId, ce);
        if (isNew && d.kind !== 'usage') {
          await r.detections.applyToFinding(deviceId, detectionKey(d), ce);
          touch(d.toolId, `detection-${event.state}`);
        }
        break;
      }
      case 'acknowledgement':
        isNew = await r.compliance.addAcknowledgement(event.eventId, deviceId, event.toolId, event.user, event.stage, at);
        if (isNew) {
          await r.compliance.fact(deviceId, event.toolId, at, 'acknowledged', `acknowledged by ${event.user}`, { user: event.user, stage: event.stage }, event.eventId);
          touch(event.toolId, 'acknowledged');
        }
        break;
      case 'exception-request':
        isNew = await this.exceptions.recordRequest(deviceId, { ...event, observedAt: at });
        break;
      case 'notice':
        isNew = await r.compliance.fact(
          deviceId,
          event.toolId,
          at,
          'notice-shown',
          `${event.reason} notice to ${event.user}`,
          { user: event.user, stage: event.stage, locale: event.locale, channel: event.channel, delivered: event.delivered },
          event.eventId,
        );
        break;
      case 'enforcement':
        isNew = await r.compliance.fact(
          deviceId,
          event.toolId,
          at,
          'enforcement',
          `${event.step} pid ${event.pid}`,
          { user: event.user, pid: event.pid, step: event.step, ...(event.secondsLeft !== undefined ? { secondsLeft: event.secondsLeft } : {}) },
          event.eventId,
        );
        break;
      case 'gap':
        isNew = await recordGap(r, deviceId, event, at);
        break;
    }
    if (isNew) item.accepted++;
  }
}
