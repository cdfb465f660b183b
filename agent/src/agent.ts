// The agent's run loop. Scans on node-cron schedules, turns changes into detection events in the
// durable outbox (a tool found, gone, or moved to another ban stage), and drains the outbox to the
// server one batch at a time, dropping a batch only when its ack arrives. Policy comes from the
// server, is cached on disk and evaluated locally on server-corrected time, so stages flip on time
// while offline. Everything it knows is in readable files in its state folder.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import si from 'systeminformation';
import { BUILTIN_CATALOG } from '../../shared/src/catalog/builtin.js';
import { evaluateTool, nextBoundary, type ToolVerdict } from '../../shared/src/policy/evaluate.js';
import type { PolicyBundle } from '../../shared/src/policy/schema.js';
import { verifyPart } from '../../shared/src/policy/signing.js';
import {
  detectionKey,
  PROTOCOL_VERSION,
  type Detection,
  type DetectionEvent,
  type ExceptionDecision,
  type Hello,
  type PolicyMessage,
  type ReportEvent,
  type ServerMessage,
  type Stage,
} from '../../shared/src/protocol/index.js';
import { EDICT_VERSION } from '../../shared/src/version.js';
import { BoundaryTimer } from './boundary-timer.js';
import { AgentClock } from './clock.js';
import type { AgentConfig } from './config.js';
import { ACK_TIMEOUT_MS, EMPLOYEE_TICK_MS, KNOWN_SAVE_INTERVAL_MS, STATE_DIR_MODE, STATUS_WRITE_INTERVAL_MS } from './constants.js';
import { EmployeeExperience } from './employee.js';
import { pickNotifier, type Notifier } from './notifier/index.js';
import { currentPlatform } from './platform/index.js';
import { AgentClient, agentSocketUrl } from './connection/client.js';
import type { Trust } from './connection/trust.js';
import type { Logger } from './log.js';
import type { StatePaths } from './paths.js';
import { buildScanContext, scan } from './scanner.js';
import { COLLECTORS, type Collector } from './collectors/index.js';
import { MAX_COLLECTOR_ERROR_CHARS, MAX_COLLECTOR_ERRORS } from '../../shared/src/protocol/messages/heartbeat.js';
import {
  loadClock,
  loadKnown,
  combineParts,
  heldVersions,
  loadVerifiedPolicy,
  saveClock,
  saveKnown,
  savePart,
  saveStatus,
  type AgentStatus,
  type HeldParts,
  type KnownDetection,
} from './state/agent-state.js';
import type { Enrollment } from './state/enrollment.js';
import { Outbox } from './state/outbox.js';
import { SentLog } from './state/sent-log.js';
import { UserViews } from './state/user-views.js';

/** Which phase each collector runs in (a scan of one phase replaces that phase's failures). */
const COLLECTOR_PHASE = new Map<string, Collector['phase']>(COLLECTORS.map((c) => [c.id, c.phase]));

const PHASE_KINDS: Record<Collector['phase'], Detection['kind'][]> = { inventory: ['installed', 'usage'], process: ['running'] };

export interface AgentOptions {
  paths: StatePaths;
  config: AgentConfig;
  enrollment: Enrollment;
  log: Logger;
  /** Local clock (tests inject a moved clock). */
  localNow?: () => number;
  /** The OS notification channel (default: this platform's). */
  notifier?: Notifier;
  /** CAs trusted for wss:// (the config's caFile added to the public roots). */
  trust?: Trust;
}

export class EdictAgent {
  private readonly outbox: Outbox;
  private readonly sentLog: SentLog;
  private readonly views: UserViews;
  private readonly client: AgentClient;
  private readonly clock: AgentClock;
  private bundle?: PolicyBundle;
  private parts: HeldParts = {};
  private known: Record<string, KnownDetection>;
  private status: AgentStatus;
  private tasks: ScheduledTask[] = [];
  private readonly boundaryTimer: BoundaryTimer;
  private inFlight?: { batchId: string; timer: NodeJS.Timeout };
  private scanning = Promise.resolve();
  private readonly startedAt = Date.now();
  private readonly employee: EmployeeExperience;
  private employeeTimer?: NodeJS.Timeout;

  constructor(private readonly o: AgentOptions) {
    mkdirSync(o.paths.dir, { recursive: true, mode: STATE_DIR_MODE });
    // o+x (never o+r): employees reach the request spool and the readable files, cannot list the folder.
    chmodSync(o.paths.dir, STATE_DIR_MODE);
    this.outbox = new Outbox(o.paths.outbox, o.log);
    this.views = new UserViews(o.paths.dir, o.log);
    this.sentLog = new SentLog(o.paths.sentLog, this.views);
    this.clock = new AgentClock(loadClock(o.paths.clock, o.log), o.localNow);
    this.boundaryTimer = new BoundaryTimer(
      () => this.clock.now(),
      (now) => nextBoundary(this.bundle?.policies ?? [], now, this.bundle?.exceptions ?? []),
      () => this.reevaluate(),
    );
    const now = new Date().toISOString();
    this.status = {
      pid: process.pid,
      policyRefusals: [],
      deviceId: o.enrollment.deviceId,
      serverUrl: o.enrollment.serverUrl,
      serverPublicKey: o.enrollment.serverPublicKey,
      startedAt: now,
      connection: 'connecting',
      since: now,
      lastError: null,
      lastScanAt: null,
    };
    const held = loadVerifiedPolicy(o.paths, o.enrollment.serverPublicKey, (source, reason) => this.refusePolicy(source, reason), o.log, o.enrollment.deviceId);
    this.bundle = held?.bundle;
    this.parts = held?.parts ?? {};
    this.dropLegacyPolicy();
    this.known = loadKnown(o.paths.detections, o.log);
    this.client = new AgentClient(agentSocketUrl(o.enrollment.serverUrl), o.enrollment.credential, this.sentLog, o.log, o.trust);
    this.client.on('open', () => void this.onOpen());
    this.client.on('message', (m) => this.onMessage(m));
    this.client.on('close', ({ code, reason }) => this.onDisconnect(code === 1000 ? null : `closed ${code}${reason ? ' ' + reason : ''}`));
    this.client.on('refused', ({ status, code }) => this.onDisconnect(`refused ${status}${code ? ' ' + code : ''}`));
    this.employee = new EmployeeExperience(
      {
        bundle: () => this.bundle,
        known: () => Object.values(this.known),
        verdict: (toolId, user, atMs) => this.verdict(toolId, user, atMs),
        now: () => this.clock.now(),
        queue: (events) => this.queueEvents(events),
      },
      { stateDir: o.paths.dir, ledgerFile: o.paths.notices, notifier: o.notifier ?? pickNotifier(), platform: currentPlatform(), log: o.log },
    );
  }

  private get catalog() {
    return this.bundle?.catalog ?? BUILTIN_CATALOG;
  }

  /** A protocol-1 combined bundle left by an older agent is not read any more; the server resends the parts. */
  private dropLegacyPolicy(): void {
    for (const f of this.o.paths.legacyPolicy) {
      if (!existsSync(f)) continue;
      rmSync(f, { force: true });
      this.o.log.info({ file: f }, 'removed a policy file of the previous protocol; the server sends the policy again');
    }
  }

  /** Logs and records (for `status`) why a policy bundle was not accepted. The one in force stays. */
  private refusePolicy(source: string, reason: string): void {
    this.o.log.error({ source, reason, keeping: heldVersions(this.parts) }, 'policy part refused');
    this.status.policyRefusals = [...this.status.policyRefusals, { at: new Date().toISOString(), source, reason }].slice(-20);
  }

  async start(): Promise<void> {
    this.writeStatus();
    this.client.start();
    const { processSchedule, inventorySchedule } = this.o.config.scan;
    // Returning the promise lets node-cron's noOverlap skip a poll while the previous one still runs.
    this.tasks.push(cron.schedule(processSchedule, () => this.runScan(['process']), { noOverlap: true, name: 'process-poll' }));
    this.tasks.push(cron.schedule(inventorySchedule, () => this.runScan(['inventory']), { noOverlap: true, name: 'inventory' }));
    this.scheduleBoundary();
    this.employeeTimer = setInterval(() => void this.employee.tick(), EMPLOYEE_TICK_MS);
    this.employeeTimer.unref();
    await this.runScan(['inventory', 'process']);
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.stop();
    this.boundaryTimer.stop();
    clearInterval(this.employeeTimer);
    this.employee.stop();
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    await this.scanning;
    this.client.stop();
    this.status = { ...this.status, connection: 'disconnected', since: new Date().toISOString(), lastError: 'agent stopped' };
    this.writeStatus();
  }

  /**
   * Runs one scan after any scan in progress (scans never overlap), then applies its result. A
   * failing scan is logged and the next one runs as usual: the chain itself never rejects.
   */
  runScan(phases: Collector['phase'][]): Promise<void> {
    this.scanning = this.scanning.then(async () => {
      try {
        const ctx = buildScanContext(this.catalog, this.o.config, this.o.log);
        const result = await scan(ctx, phases);
        this.status.lastScanAt = result.scannedAt;
        this.noteCollectorErrors(phases, result);
        const kinds = phases.flatMap((p) => PHASE_KINDS[p]);
        this.apply(result.detections, kinds);
        this.writeStatus(false);
        this.flush();
        await this.employee.tick();
      } catch (err) {
        this.o.log.error({ err: (err as Error).message, phases }, 'scan failed; the next one runs on schedule');
      }
    });
    return this.scanning;
  }

  /** Collectors that failed in the latest scan of their phase, for the heartbeat (the server shows them on the device's page). */
  private collectorErrors = new Map<string, { phase: Collector['phase']; collector: string; message: string; at: string }>();
  private noteCollectorErrors(phases: Collector['phase'][], result: { scannedAt: string; errors: { collector: string; message: string }[] }): void {
    for (const [k, e] of this.collectorErrors) if (phases.includes(e.phase)) this.collectorErrors.delete(k);
    for (const e of result.errors) {
      const phase = phases.length === 1 ? phases[0] : (COLLECTOR_PHASE.get(e.collector) ?? phases[0]);
      this.collectorErrors.set(e.collector, { phase, collector: e.collector, message: e.message.slice(0, MAX_COLLECTOR_ERROR_CHARS), at: result.scannedAt });
    }
  }

  /** Diffs a scan against what is known for `kinds`; queues present/absent/stage-change events. */
  private apply(detections: Detection[], kinds: Detection['kind'][]): void {
    const now = this.clock.now();
    const nowIso = new Date(now).toISOString();
    const events: DetectionEvent[] = [];
    const next: Record<string, KnownDetection> = { ...this.known };
    const seen = new Set<string>();
    for (const d of detections) {
      const key = detectionKey(d);
      seen.add(key);
      const stage = this.verdict(d.toolId, d.user, now).stage;
      const prev = next[key];
      if (!prev || prev.stage !== stage) events.push(this.event('present', d, stage, nowIso));
      next[key] = { detection: d, firstSeen: prev?.firstSeen ?? nowIso, lastSeen: nowIso, stage };
    }
    for (const [key, k] of Object.entries(next)) {
      if (!kinds.includes(k.detection.kind) || seen.has(key)) continue;
      events.push(this.event('absent', k.detection, this.verdict(k.detection.toolId, k.detection.user, now).stage, nowIso));
      delete next[key];
    }
    this.commit(events, next);
  }

  /** Re-evaluates every known detection (new policy, or a stage boundary passed). */
  private reevaluate(): void {
    const now = this.clock.now();
    const nowIso = new Date(now).toISOString();
    const events: DetectionEvent[] = [];
    const next: Record<string, KnownDetection> = {};
    for (const [key, k] of Object.entries(this.known)) {
      const stage = this.verdict(k.detection.toolId, k.detection.user, now).stage;
      next[key] = stage === k.stage ? k : { ...k, stage };
      if (stage !== k.stage) events.push(this.event('present', k.detection, stage, nowIso));
    }
    this.commit(events, next);
    this.flush();
    void this.employee.tick();
  }

  private lastKnownSave = 0;

  /**
   * Outbox first, then what is known (memory, then file). If the outbox write fails nothing moves,
   * so the change is found again by the next scan. A crash between the outbox and the known file
   * means the next scan reports the same finding again under a new event id: the server records a
   * second `present`, which changes no state (never a lost event).
   */
  private commit(events: ReportEvent[], next: Record<string, KnownDetection>): void {
    if (events.length) {
      this.outbox.enqueue(events);
      this.o.log.info({ events: events.length }, 'queued detection events');
    }
    this.known = next;
    // Only lastSeen moved: no need to fsync a file on every poll.
    if (events.length || Date.now() - this.lastKnownSave > KNOWN_SAVE_INTERVAL_MS) {
      saveKnown(this.o.paths.detections, this.known);
      this.views.writeFindings(Object.values(this.known));
      this.lastKnownSave = Date.now();
    }
  }

  private event(state: 'present' | 'absent', detection: Detection, stage: Stage, observedAt: string): DetectionEvent {
    return { eventId: randomUUID(), type: 'detection', state, observedAt, stage, detection };
  }

  /** Stage, action and exception for a tool and user on this device, from the verified bundle. */
  verdict(toolId: string, user: string, atMs: number): ToolVerdict {
    const b = this.bundle;
    if (!b) return { stage: 'none', action: 'report' };
    return evaluateTool(b.policies, { toolId, user, deviceId: this.o.enrollment.deviceId, tags: b.device.tags }, atMs, b.exceptions);
  }

  private scheduleBoundary(): void {
    this.boundaryTimer.arm();
  }

  private async onOpen(): Promise<void> {
    // OS name is a nicety for the hello; without it the kernel release is sent instead.
    const osInfo = await si.osInfo().catch((err: Error) => this.o.log.debug({ err: err.message }, 'os info unavailable'));
    const platform = (['linux', 'darwin', 'win32'] as const).find((p) => p === process.platform) ?? 'other';
    const hello: Hello = {
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: EDICT_VERSION,
      device: {
        hostname: os.hostname(),
        platform,
        osRelease: (osInfo ? `${osInfo.distro} ${osInfo.release}`.trim() : os.release()).slice(0, 200) || os.release(),
        arch: os.arch(),
      },
      held: heldVersions(this.parts),
      sentAt: new Date().toISOString(),
    };
    this.client.send(hello);
  }

  private onMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case 'welcome':
        saveClock(this.o.paths.clock, this.clock.sync(msg.serverTime));
        this.status = { ...this.status, connection: 'connected', since: new Date().toISOString(), lastError: null };
        this.writeStatus();
        this.startHeartbeat(msg.heartbeatIntervalMs);
        // The corrected clock may have moved past a boundary: re-evaluate (it also flushes), then re-arm.
        this.reevaluate();
        this.scheduleBoundary();
        return;
      case 'policy':
        return this.onPolicy(msg);
      case 'exception-decision':
        return this.onDecision(msg);
      case 'ack':
        if (this.inFlight?.batchId === msg.batchId) {
          clearTimeout(this.inFlight.timer);
          this.inFlight = undefined;
        }
        this.outbox.remove(msg.batchId);
        this.o.log.info({ batchId: msg.batchId, accepted: msg.accepted, duplicates: msg.duplicates }, 'report acknowledged');
        return this.flush();
      case 'error':
        this.o.log.warn({ code: msg.code, message: msg.message, ref: msg.ref }, 'server reported an error');
        if (msg.ref && msg.ref === this.inFlight?.batchId && (msg.code === 'EDICT_ERR_INVALID_MESSAGE' || msg.code === 'EDICT_ERR_UNKNOWN_MESSAGE_TYPE')) {
          // The server will refuse this batch every time: set it aside instead of blocking the queue.
          clearTimeout(this.inFlight.timer);
          this.inFlight = undefined;
          this.outbox.reject(msg.ref, `${msg.code}: ${msg.message}`);
          this.flush();
        }
        this.status.lastError = `${msg.code}: ${msg.message}`;
        this.writeStatus();
        return;
    }
  }

  /**
   * Accepts a policy part only if it is signed by the pinned key, is the part the message says,
   * (device part) names this device, and is not older than the one held; then enforces it and
   * confirms to the server which versions are now in force.
   */
  private onPolicy(msg: PolicyMessage): void {
    const source = `${msg.part} part from the server`;
    const v = verifyPart(msg.signed, this.o.enrollment.serverPublicKey);
    if (!v.ok) return this.refuseAndSave(source, v.reason);
    const part = v.part;
    if (part.part !== msg.part) return this.refuseAndSave(source, `the signed text holds the ${part.part} part`);
    if (part.part === 'device' && part.device.id !== this.o.enrollment.deviceId) return this.refuseAndSave(source, `part was made for device ${part.device.id}`);
    const held = this.parts[part.part];
    if (held && part.version < held.part.version) {
      return this.refuseAndSave(source, `version ${part.version} is older than the held version ${held.part.version} (replayed?)`);
    }
    if (held && part.version === held.part.version && part.issuedAt === held.part.issuedAt) return this.confirmPolicy();
    savePart(this.o.paths, part.part, msg.signed);
    this.parts = { ...this.parts, [part.part]: { part, signed: msg.signed } };
    this.bundle = combineParts(this.parts);
    this.o.log.info({ part: part.part, version: part.version, held: heldVersions(this.parts) }, 'policy part applied');
    this.confirmPolicy();
    this.scheduleBoundary();
    this.reevaluate();
    // A new catalog can find tools the old one did not know: rescan.
    if (part.part === 'catalog') void this.runScan(['inventory', 'process']);
  }

  /** Tells the server which part versions this agent now enforces (rollout progress). */
  private confirmPolicy(): void {
    this.client.send({ type: 'policy-applied', held: heldVersions(this.parts), appliedAt: new Date(this.clock.now()).toISOString() });
  }

  private refuseAndSave(source: string, reason: string): void {
    this.refusePolicy(source, reason);
    this.writeStatus();
  }

  /** The server's answer to an exception request; a granted one also arrives in the next bundle. */
  private onDecision(msg: ExceptionDecision): void {
    this.o.log.info({ requestId: msg.requestId, toolId: msg.toolId, granted: msg.granted }, 'exception request decided');
    this.employee.decision(msg).catch((err) => this.o.log.error({ err: (err as Error).message }, 'could not show the decision notice'));
  }

  /** Queues employee-originated events (acknowledgements, exception requests, notices, enforcement steps). */
  queueEvents(events: ReportEvent[]): void {
    if (!events.length) return;
    this.outbox.enqueue(events);
    this.flush();
  }

  private heartbeatTimer?: NodeJS.Timeout;
  private startHeartbeat(intervalMs: number): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => {
      if (!this.client.connected) return clearInterval(this.heartbeatTimer);
      this.client.send({
        type: 'heartbeat',
        sentAt: new Date().toISOString(),
        health: {
          outboxPending: this.outbox.pendingEvents(),
          lastScanAt: this.status.lastScanAt,
          uptimeSec: Math.floor((Date.now() - this.startedAt) / 1000),
          ...(this.collectorErrors.size
            ? { collectorErrors: [...this.collectorErrors.values()].slice(0, MAX_COLLECTOR_ERRORS).map(({ collector, message, at }) => ({ collector, message, at })) }
            : {}),
        },
      });
    }, intervalMs);
    this.heartbeatTimer.unref();
  }

  /** Sends the oldest queued batch if connected and nothing is in flight. */
  private flush(): void {
    if (this.inFlight || this.status.connection !== 'connected' || !this.client.connected) return;
    const batch = this.outbox.peek();
    if (!batch) return;
    const timer = setTimeout(() => {
      this.o.log.warn({ batchId: batch.batchId }, 'no ack in time; reconnecting to resend');
      this.inFlight = undefined;
      this.client.recycle();
    }, ACK_TIMEOUT_MS);
    this.inFlight = { batchId: batch.batchId, timer };
    let sent: boolean;
    try {
      sent = this.client.send({ type: 'report', batchId: batch.batchId, events: batch.events });
    } catch (err) {
      // The batch itself is invalid (e.g. written by an older agent): it would be refused forever.
      clearTimeout(timer);
      this.inFlight = undefined;
      this.outbox.reject(batch.batchId, (err as Error).message);
      return this.flush();
    }
    if (!sent) {
      clearTimeout(timer);
      this.inFlight = undefined;
    }
  }

  private onDisconnect(reason: string | null): void {
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = undefined;
    clearInterval(this.heartbeatTimer);
    this.status = { ...this.status, connection: 'disconnected', since: new Date().toISOString(), lastError: reason ?? this.status.lastError };
    this.writeStatus();
  }

  private lastStatusWrite = 0;

  /** Writes status.json; a routine update (only lastScanAt moved) at most every STATUS_WRITE_INTERVAL_MS. */
  private writeStatus(force = true): void {
    if (!force && Date.now() - this.lastStatusWrite < STATUS_WRITE_INTERVAL_MS) return;
    saveStatus(this.o.paths.status, this.status);
    this.lastStatusWrite = Date.now();
  }
}
