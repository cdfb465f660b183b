// The agent's run loop. Watches processes (process-watcher.ts) and scans the inventory, each on a
// plain timer, turns changes into detection events in the durable outbox (a tool found, gone, or
// moved to another ban stage), and drains the outbox to the server one batch at a time, dropping a
// batch only when its ack arrives. Policy comes from the server, is cached on disk and evaluated
// locally on server-corrected time, so stages flip on time while offline. Only a collector that
// completed its look may declare a finding absent; the ones that could not are listed in every
// heartbeat and in `status`. Everything it knows is in readable files in its state folder.
import { chmodSync, existsSync, lstatSync, rmSync } from 'node:fs';
import os from 'node:os';
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
  type CollectorError,
  type Stage,
} from '../../shared/src/protocol/index.js';
import { MAX_COLLECTOR_ERRORS } from '../../shared/src/protocol/messages/heartbeat.js';
import { EDICT_VERSION } from '../../shared/src/version.js';
import { BoundaryTimer } from './boundary-timer.js';
import { AgentClock } from './clock.js';
import type { AgentConfig } from './config.js';
import { ACK_TIMEOUT_MS, EMPLOYEE_TICK_MS, FINGERPRINT_SAVE_INTERVAL_MS, KNOWN_SAVE_INTERVAL_MS, STATE_DIR_MODE, STATUS_WRITE_INTERVAL_MS } from './constants.js';
import { EmployeeExperience } from './employee.js';
import { pickNotifier, type Notifier } from './notifier/index.js';
import { currentPlatform } from './platform/index.js';
import { osName } from './platform/os-name.js';
import { AgentClient, agentSocketUrl } from './connection/client.js';
import type { Trust } from './connection/trust.js';
import type { Logger } from './log.js';
import type { StatePaths } from './paths.js';
import { ProcessWatcher } from './process-watcher.js';
import { buildScanContext, scan, type ScanResult } from './scanner.js';
import type { Collector } from './collectors/index.js';
import { attachFingerprintFile, contentReads, saveFingerprints } from './collectors/content-identity.js';
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
import { ensureDir, setAside, setStateLogger } from './state/json-file.js';
import { Outbox, type BoundResult } from './state/outbox.js';
import { SentLog } from './state/sent-log.js';
import { UserViews } from './state/user-views.js';
import { eventId } from '../../shared/src/event-id.js';

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
  /** A policy-applied confirmation is queued for this turn (one per burst of parts). */
  private confirmQueued = false;
  private known: Record<string, KnownDetection>;
  private status: AgentStatus;
  private inventoryTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly watcher: ProcessWatcher;
  private lastFingerprintSave = 0;
  private readonly boundaryTimer: BoundaryTimer;
  private inFlight?: { batchId: string; timer: NodeJS.Timeout };
  private scanning = Promise.resolve();
  private readonly startedAt = Date.now();
  private readonly employee: EmployeeExperience;
  private employeeTimer?: NodeJS.Timeout;
  /** Collectors whose last run did not complete, with when they started failing. */
  private collectorErrors = new Map<string, CollectorError>();

  constructor(private readonly o: AgentOptions) {
    setStateLogger(o.log);
    ensureDir(o.paths.dir, STATE_DIR_MODE, o.log);
    // o+x (never o+r): employees reach the request spool and the readable files, cannot list the folder.
    chmodSync(o.paths.dir, STATE_DIR_MODE);
    this.outbox = new Outbox(o.paths.outbox, o.log, o.config.outbox.maxBytes);
    this.views = new UserViews(o.paths.dir, o.log);
    this.sentLog = new SentLog(o.paths.sentLog, this.views, o.log);
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
      collectorErrors: [],
    };
    const held = loadVerifiedPolicy(o.paths, o.enrollment.serverPublicKey, (source, reason) => this.refusePolicy(source, reason), o.log, o.enrollment.deviceId);
    this.bundle = held?.bundle;
    this.parts = held?.parts ?? {};
    this.dropLegacyPolicy();
    this.known = loadKnown(o.paths.detections, o.log);
    // The enrolled server first, then every other server URL known (several nodes): failover in turn.
    const servers = [o.enrollment.serverUrl, ...(o.enrollment.serverUrls ?? []), ...(o.config.servers ?? [])];
    this.client = new AgentClient(servers.map(agentSocketUrl), o.enrollment.credential, this.sentLog, o.log, o.trust);
    this.client.on('open', () => void this.onOpen());
    this.client.on('message', (m) => this.onMessage(m));
    this.client.on('close', ({ code, reason }) => this.onDisconnect(code === 1000 ? null : `closed ${code}${reason ? ' ' + reason : ''}`));
    this.client.on('refused', ({ status, code }) => this.onDisconnect(`refused ${status}${code ? ' ' + code : ''}`));
    this.watcher = new ProcessWatcher({
      intervalMs: o.config.scan.processIntervalMs,
      context: () => buildScanContext(this.catalog, this.o.config, this.o.log),
      onChange: (running) => this.onProcesses(running),
      log: o.log,
    });
    this.employee = new EmployeeExperience(
      {
        bundle: () => this.bundle,
        known: () => Object.values(this.known),
        verdict: (toolId, user, atMs) => this.verdict(toolId, user, atMs),
        now: () => this.clock.now(),
        queue: (events) => this.queueEvents(events),
      },
      { stateDir: o.paths.dir, ledgerFile: o.paths.notices, views: this.views, notifier: o.notifier ?? pickNotifier(), platform: currentPlatform(), log: o.log },
    );
  }

  private get catalog() {
    return this.bundle?.catalog ?? BUILTIN_CATALOG;
  }

  /** A protocol-1 combined bundle left by an older agent is not read any more; the server resends the parts. */
  private dropLegacyPolicy(): void {
    for (const f of this.o.paths.legacyPolicy) {
      if (!existsSync(f)) continue;
      // Whatever odd thing stands there (a folder) is set aside rather than failing the start.
      if (!lstatSync(f).isFile()) {
        setAside(f, this.o.log, 'not a file where a protocol-1 policy file was');
        continue;
      }
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
    // Fingerprints of executables computed before a restart are not computed again.
    attachFingerprintFile(this.o.paths.fingerprints, this.o.log);
    this.scheduleBoundary();
    this.employeeTimer = setInterval(() => void this.employee.tick(), EMPLOYEE_TICK_MS);
    this.employeeTimer.unref();
    this.watcher.start();
    await this.runScan(['inventory']);
    this.scheduleInventory();
  }

  /**
   * The next inventory scan, scan.inventoryIntervalMs after the last one ended. A plain timer, not
   * a cron schedule: agents started at different moments then scan at different moments (no fleet-
   * wide disk burst on the half hour), and node-cron's scheduling would load the ICU time-zone
   * data (~8 MB resident) for a job that needs no wall-clock time (docs/benchmarks.md).
   */
  private scheduleInventory(): void {
    if (this.stopped) return;
    this.inventoryTimer = setTimeout(() => void this.runScan(['inventory']).then(() => this.scheduleInventory()), this.o.config.scan.inventoryIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.inventoryTimer);
    await this.watcher.stop();
    saveFingerprints();
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
        const started = performance.now();
        const cpu = process.cpuUsage();
        const reads = contentReads();
        const ctx = buildScanContext(this.catalog, this.o.config, this.o.log);
        const result = await scan(ctx, phases);
        const firstScan = this.status.lastScanAt === null;
        this.status.lastScanAt = result.scannedAt;
        const kinds = phases.flatMap((p) => PHASE_KINDS[p]);
        const healthChanged = this.recordCollectorHealth(result);
        this.apply(result.detections, kinds, new Set(result.failedSources));
        // The first scan of a run and any change of collector health are written at once.
        this.writeStatus(healthChanged || firstScan);
        if (healthChanged) this.sendHeartbeat();
        this.flush();
        saveFingerprints();
        this.lastFingerprintSave = Date.now();
        const used = process.cpuUsage(cpu);
        this.o.log.info(
          {
            phases,
            durationMs: Math.round(performance.now() - started),
            // CPU of the whole process meanwhile (the process watcher's polls included).
            cpuMs: Math.round((used.user + used.system) / 1000),
            detections: result.detections.length,
            fingerprintsComputed: contentReads() - reads,
          },
          `${phases.join(' and ')} scan finished`,
        );
        await this.employee.tick();
      } catch (err) {
        this.o.log.error({ err: (err as Error).message, phases }, 'scan failed; the next one runs on schedule');
      }
    });
    return this.scanning;
  }

  /** The process watcher's findings (on a change, on a change of its collectors' health, and every minute). */
  private onProcesses(result: ScanResult): void {
    this.status.lastScanAt = result.scannedAt;
    const healthChanged = this.recordCollectorHealth(result);
    const queued = this.apply(result.detections, ['running'], new Set(result.failedSources));
    this.writeStatus(healthChanged);
    if (healthChanged) this.sendHeartbeat();
    if (Date.now() - this.lastFingerprintSave > FINGERPRINT_SAVE_INTERVAL_MS) {
      saveFingerprints();
      this.lastFingerprintSave = Date.now();
    }
    if (!queued) return;
    this.flush();
    void this.employee.tick();
  }

  /**
   * Remembers which collectors could not complete (since when) and which recovered; logs each
   * change once. Returns whether anything changed (status and a heartbeat then go out at once).
   */
  private recordCollectorHealth(result: ScanResult): boolean {
    let changed = false;
    const failed = new Map(result.errors.map((e) => [e.collector, e]));
    for (const id of result.ran) {
      const now = failed.get(id);
      const before = this.collectorErrors.get(id);
      if (now) {
        const entry: CollectorError = { collector: id, code: now.code, message: now.message, count: now.count, since: before?.since ?? result.scannedAt };
        if (!before || before.code !== entry.code || before.message !== entry.message) {
          changed = true;
          this.o.log.error({ collector: id, code: now.code, problem: now.message, problems: now.count }, 'collector could not complete its look; nothing it found before is reported absent until it does');
        } else if (before.count !== entry.count) changed = true;
        this.collectorErrors.set(id, entry);
      } else if (before) {
        changed = true;
        this.collectorErrors.delete(id);
        this.o.log.info({ collector: id, failingSince: before.since }, 'collector completes its look again');
      }
    }
    if (changed) this.status.collectorErrors = [...this.collectorErrors.values()];
    return changed;
  }

  /**
   * Diffs a scan against what is known for `kinds`; queues present/absent/stage-change events and
   * returns how many. A finding is declared absent only when the collector that reports its kind
   * of evidence completed its look this time (`failedSources` lists those that did not).
   */
  private apply(detections: Detection[], kinds: Detection['kind'][], failedSources: ReadonlySet<string> = new Set()): number {
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
      if (!kinds.includes(k.detection.kind) || seen.has(key) || failedSources.has(k.detection.evidence.source)) continue;
      events.push(this.event('absent', k.detection, this.verdict(k.detection.toolId, k.detection.user, now).stage, nowIso));
      delete next[key];
    }
    this.commit(events, next);
    return events.length;
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
   * second `present`, which changes no state (never a lost event). For the same reason the known
   * file is not fsynced (see saveKnown).
   */
  private commit(events: ReportEvent[], next: Record<string, KnownDetection>): void {
    if (events.length) {
      this.enqueue(events, next);
      this.o.log.info({ events: events.length }, 'queued detection events');
    }
    this.known = next;
    // Only lastSeen moved: no need to write a file on every poll.
    if (events.length || Date.now() - this.lastKnownSave > KNOWN_SAVE_INTERVAL_MS) {
      try {
        saveKnown(this.o.paths.detections, this.known);
        this.views.writeFindings(Object.values(this.known));
      } catch (err) {
        this.o.log.error({ err: (err as Error).message }, 'could not save the findings; retrying with the next change');
      }
      this.lastKnownSave = Date.now();
    }
  }

  private event(state: 'present' | 'absent', detection: Detection, stage: Stage, observedAt: string): DetectionEvent {
    // The id's time is the event's own (server-corrected) observedAt: it tells the server nothing new.
    return { eventId: eventId(Date.parse(observedAt)), type: 'detection', state, observedAt, stage, detection };
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
    const osRelease = await osName();
    const platform = (['linux', 'darwin', 'win32'] as const).find((p) => p === process.platform) ?? 'other';
    const hello: Hello = {
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: EDICT_VERSION,
      device: {
        hostname: os.hostname(),
        platform,
        osRelease,
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
    // A new catalog can find tools the old one did not know: rescan the inventory (the process
    // watcher sees the new catalog on its next poll and looks at every process again).
    if (part.part === 'catalog') void this.runScan(['inventory']);
  }

  /**
   * Tells the server which part versions this agent now enforces (rollout progress). Parts that
   * arrive together (a hello's catalog, policies and device part) are confirmed by one message,
   * sent once the frames at hand are handled.
   */
  private confirmPolicy(): void {
    if (this.confirmQueued) return;
    this.confirmQueued = true;
    setImmediate(() => {
      this.confirmQueued = false;
      this.client.send({ type: 'policy-applied', held: heldVersions(this.parts), appliedAt: new Date(this.clock.now()).toISOString() });
    });
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
    this.enqueue(events);
    this.flush();
  }

  /**
   * Into the outbox; when its bound dropped the last event about a finding still known, that
   * finding is restated (a `present` now), so the server never keeps a stale "gone" for it.
   */
  private enqueue(events: ReportEvent[], known: Record<string, KnownDetection> = this.known): void {
    const bound: BoundResult | undefined = this.outbox.enqueue(events);
    if (!bound) return;
    if (bound.gap) this.status.lastOutboxGap = { at: bound.gap.observedAt, dropped: (bound.gap as { dropped: number }).dropped };
    if (!bound.lostFinalState.size) return;
    const now = this.clock.now();
    const nowIso = new Date(now).toISOString();
    const restate = Object.entries(known)
      .filter(([key]) => bound.lostFinalState.has(key))
      .map(([, k]) => this.event('present', k.detection, this.verdict(k.detection.toolId, k.detection.user, now).stage, nowIso));
    if (restate.length) this.outbox.enqueue(restate);
  }

  private heartbeatTimer?: NodeJS.Timeout;
  /** Heartbeats on the server's cadence, and one at once: the server learns the agent's health on connection. */
  private startHeartbeat(intervalMs: number): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => {
      if (!this.client.connected) return clearInterval(this.heartbeatTimer);
      this.sendHeartbeat();
    }, intervalMs);
    this.heartbeatTimer.unref();
    this.sendHeartbeat();
  }

  /** One heartbeat now, if connected (also when a collector starts or stops failing). */
  private sendHeartbeat(): void {
    if (this.status.connection !== 'connected' || !this.client.connected) return;
    this.client.send({
      type: 'heartbeat',
      sentAt: new Date().toISOString(),
      health: {
        outboxPending: this.outbox.pendingEvents(),
        lastScanAt: this.status.lastScanAt,
        uptimeSec: Math.floor((Date.now() - this.startedAt) / 1000),
        collectorErrors: [...this.collectorErrors.values()].slice(0, MAX_COLLECTOR_ERRORS),
      },
    });
  }

  /** Sends the oldest queued batch if connected and nothing is in flight. */
  private flush(): void {
    if (this.inFlight || this.status.connection !== 'connected' || !this.client.connected) return;
    const batch = this.outbox.peek();
    if (!batch) return;
    const timer = setTimeout(() => {
      this.o.log.warn({ batchId: batch.batchId }, 'no ack in time; reconnecting to resend');
      this.inFlight = undefined;
      this.outbox.inFlight = undefined;
      this.client.recycle();
    }, ACK_TIMEOUT_MS);
    this.inFlight = { batchId: batch.batchId, timer };
    this.outbox.inFlight = batch.batchId;
    let sent: boolean;
    try {
      sent = this.client.send({ type: 'report', batchId: batch.batchId, events: batch.events });
    } catch (err) {
      // The batch itself is invalid (e.g. written by an older agent): it would be refused forever.
      clearTimeout(timer);
      this.inFlight = undefined;
      this.outbox.inFlight = undefined;
      this.outbox.reject(batch.batchId, (err as Error).message);
      return this.flush();
    }
    if (!sent) {
      clearTimeout(timer);
      this.inFlight = undefined;
      this.outbox.inFlight = undefined;
    }
  }

  private onDisconnect(reason: string | null): void {
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = undefined;
    this.outbox.inFlight = undefined;
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
