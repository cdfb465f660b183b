// Ingest as a pipeline: reports from every connection are queued and written in shared
// transactions (group commit), each transaction holding up to INGEST_MAX_EVENTS events (the
// detections among them written by one batched insert), with the event loop given back between
// transactions. A report is acknowledged only after
// the commit that holds its last event; a report larger than one slice spans several commits, which
// is safe because every event id is stored once (a resend after a crash only adds what is missing).
// Compliance is reconciled once per device × tool touched in a transaction, from the earliest
// observedAt among its new events, in that same transaction.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Report, ReportEvent } from '../../../shared/src/protocol/index.js';
import type { ExceptionService } from '../compliance/exceptions.js';
import type { ComplianceService } from '../compliance/service.js';
import { INGEST_MAX_EVENTS, INGEST_SLICE_MS, MAX_FUTURE_SKEW_MS } from '../constants.js';
import type { Logger } from '../log.js';
import type { PolicyService } from '../policy/service.js';
import type { NewDetection, Repos, Store } from '../store/index.js';
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
    let events = 0;
    try {
      await this.store.tx(async (r) => {
        const now = Date.now();
        // Take up to INGEST_MAX_EVENTS queued events (a report may span transactions), then write
        // the detections among them and the findings they move in one step (DetectionRepo.record).
        const batch: { item: Item; event: ReportEvent }[] = [];
        while (this.queue.length && batch.length < INGEST_MAX_EVENTS && (batch.length === 0 || performance.now() - start < INGEST_SLICE_MS)) {
          const item = this.queue[0];
          involved.add(item);
          const list = item.report.events;
          while (item.next < list.length && batch.length < INGEST_MAX_EVENTS) batch.push({ item, event: list[item.next++] });
          if (item.next < list.length) break;
          this.queue.shift();
          finished.push(item);
        }
        events = batch.length;
        await this.write(r, batch, now, touched);
        // In (device, tool) order, as bulk jobs take them: no two transactions wait on each other in a circle.
        const pairs = [...touched.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : a.toolId < b.toolId ? -1 : a.toolId > b.toolId ? 1 : 0));
        for (const t of pairs) await this.compliance.reconcile(t.deviceId, t.toolId, t.from, t.cause, { eventId: t.eventId });
      });
    } catch (err) {
      // Nothing of this transaction was stored: every report that had events in it is refused (the
      // agent keeps it in its outbox and sends it again). A transaction that never started (the
      // database is unreachable) refuses every queued report: none of them can be stored now.
      if (!involved.size) for (const i of this.queue) involved.add(i);
      this.queue = this.queue.filter((i) => !involved.has(i));
      if ((err as { code?: string }).code === 'EDICT_ERR_UNAVAILABLE') this.log.warn({ reports: involved.size }, 'ingest refused: database unreachable');
      else this.log.error({ err, reports: involved.size }, 'ingest commit failed');
      for (const i of involved) i.reject(err as Error);
      return;
    }
    this.stats.commits++;
    this.stats.events += events;
    for (const i of finished) i.resolve({ accepted: i.accepted, duplicates: i.report.events.length - i.accepted });
  }

  /** Writes one slice of events inside the caller's transaction. */
  private async write(r: Repos, batch: { item: Item; event: ReportEvent }[], now: number, touched: Map<string, Touched>): Promise<void> {
    const touch = (deviceId: string, toolId: string, at: string, cause: string, eventId: string) => {
      const k = `${deviceId}|${toolId}`;
      const t = touched.get(k);
      if (!t || at < t.from) touched.set(k, { deviceId, toolId, from: at, cause, eventId });
    };
    // The tags of every device with detections in the slice, in one read (one round trip on PostgreSQL).
    const withDetections = new Set<string>();
    for (const { item, event } of batch) if (event.type === 'detection') withDetections.add(item.deviceId);
    const tags = await r.devices.tagsOf([...withDetections]);

    const detections: (NewDetection & { item: Item })[] = [];
    for (const { item, event } of batch) {
      if (event.type !== 'detection') continue;
      const at = observedAt(event, now);
      const d = event.detection;
      const v = this.policies.stageAt({ toolId: d.toolId, deviceId: item.deviceId, tags: tags.get(item.deviceId) ?? [], user: d.user }, Date.parse(at));
      detections.push({ item, deviceId: item.deviceId, batchId: item.report.batchId, c: { event, observedAt: at, stage: v.stage, policyId: v.policy?.id ?? null } });
    }
    // The events and the findings they move, in one write.
    const added = await r.detections.record(detections);
    for (const n of detections) {
      if (!added.has(n.c.event.eventId)) continue;
      n.item.accepted++;
      const d = n.c.event.detection;
      if (d.kind !== 'usage') touch(n.deviceId, d.toolId, n.c.observedAt, `detection-${n.c.event.state}`, n.c.event.eventId);
    }

    for (const { item, event } of batch) {
      if (event.type === 'detection') continue;
      if (await this.other(r, item.deviceId, event, observedAt(event, now), touch)) item.accepted++;
    }
  }

  /** An employee-side event (acknowledgement, exception request, notice, enforcement step); true if new. */
  private async other(
    r: Repos,
    deviceId: string,
    event: Exclude<ReportEvent, { type: 'detection' }>,
    at: string,
    touch: (deviceId: string, toolId: string, at: string, cause: string, eventId: string) => void,
  ): Promise<boolean> {
    let isNew = false;
    switch (event.type) {
      case 'acknowledgement':
        isNew = await r.compliance.addAcknowledgement(event.eventId, deviceId, event.toolId, event.user, event.stage, at);
        if (isNew) {
          await r.compliance.fact(deviceId, event.toolId, at, 'acknowledged', `acknowledged by ${event.user}`, { user: event.user, stage: event.stage }, event.eventId);
          touch(deviceId, event.toolId, at, 'acknowledged', event.eventId);
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
    return isNew;
  }
}

/** An agent's clock can be wrong; an observation cannot come from the future. */
function observedAt(event: ReportEvent, now: number): string {
  const claimed = Date.parse(event.observedAt);
  return new Date(claimed > now + MAX_FUTURE_SKEW_MS ? now : claimed).toISOString();
}
