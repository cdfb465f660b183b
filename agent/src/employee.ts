// The employee's side of the agent: notices through the OS's own channel (at a stage change, then
// at the policy's reminder cadence, in the user's language), acknowledgements and exception
// requests from `edict-agent ack` / `request-exception` (the request spool), exception decisions
// coming back, and the `stop` action's visible countdown. Every step is queued as a report event.
import { randomUUID } from 'node:crypto';
import type { Tool } from '../../shared/src/catalog/schema.js';
import type { ToolVerdict } from '../../shared/src/policy/evaluate.js';
import type { PolicyBundle } from '../../shared/src/policy/schema.js';
import type { ExceptionDecision, ReportEvent, Stage } from '../../shared/src/protocol/index.js';
import { stopProcesses, type StopTarget } from './enforce/stopper.js';
import { stoppable } from './enforce/strong-identity.js';
import type { Logger } from './log.js';
import { decideNotice, ledgerKey, NoticeLedger, recordAcknowledged, recordShown } from './notices/cadence.js';
import { chooseLocale, userLocaleEnv } from './notices/locale.js';
import { renderApart } from './notices/render-apart.js';
import type { NoticeInput, NoticeKind, NoticeStage } from './notices/render.js';
import type { Notifier, NoticeTarget } from './notifier/index.js';
import type { Platform } from './platform/index.js';
import { ensureSpool, removeRequest, takeRequests } from './requests/spool.js';
import type { KnownDetection } from './state/agent-state.js';
import { readJsonFile, writeJsonAtomic } from './state/json-file.js';
import type { RequestResult, UserViews } from './state/user-views.js';
import { RequestLimiter } from './requests/rate-limit.js';
import { ThrottledLog } from './throttled-log.js';
import path from 'node:path';
import { eventId } from '../../shared/src/event-id.js';

/** What this module needs from the run loop. */
export interface AgentView {
  bundle(): PolicyBundle | undefined;
  known(): readonly KnownDetection[];
  verdict(toolId: string, user: string, atMs: number): ToolVerdict;
  now(): number;
  queue(events: ReportEvent[]): void;
}

export interface EmployeeOptions {
  stateDir: string;
  ledgerFile: string;
  /** The per-user request rate ledger (the agent's only). */
  requestLedgerFile?: string;
  /** Tells the user what became of their request, and which notices they were shown. */
  views?: Pick<UserViews, 'recordRequestResult' | 'recordNotice'>;
  notifier: Notifier;
  platform: Platform;
  log: Logger;
  /** Time zone dates are shown in (the machine's, unless the user's session says otherwise). */
  timeZone?: string;
}

const NOTICE_STAGES = new Set<Stage>(['notice', 'enforce', 'hard']);
/** Wait this long before trying again to show a notice that could not be delivered. */
const NOTICE_RETRY_MS = 5 * 60_000;

export class EmployeeExperience {
  private ledger: NoticeLedger;
  private readonly stops = new Map<number, AbortController>();
  /** Pids a `stop` ban names but whose identity is too weak to close them (logged once each). */
  private readonly notStopped = new Set<number>();
  /** When delivery to (tool, user) last failed. */
  private readonly failedAt = new Map<string, number>();
  private busy = false;
  private readonly limiter: RequestLimiter;
  /** Spool problems repeat every pass while they last: logged once per period. */
  private readonly spoolLog: ThrottledLog;

  constructor(
    private readonly agent: AgentView,
    private readonly o: EmployeeOptions,
  ) {
    this.ledger = readJsonFile(o.ledgerFile, NoticeLedger, o.log) ?? {};
    this.limiter = new RequestLimiter(o.requestLedgerFile ?? path.join(o.stateDir, 'request-limits.json'), o.log);
    this.spoolLog = new ThrottledLog(o.log);
    try {
      const spool = ensureSpool(o.stateDir, o.log);
      if (!spool.reachableByUsers) o.log.warn({ dir: spool.dir }, 'employees cannot reach the request folder (state folder not o+x)');
    } catch (err) {
      o.log.error({ err: (err as Error).message }, 'request spool unavailable; ack and request-exception will not work');
    }
  }

  /** One pass: employee requests, due notices, stop actions. Never overlaps itself. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.takeRequests();
      await this.notices();
      this.enforce();
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, 'employee tick failed');
    } finally {
      this.busy = false;
    }
  }

  private tool(id: string): Tool | undefined {
    return this.agent.bundle()?.catalog.find((t) => t.id === id);
  }

  /**
   * Employee requests from the spool. Refused (and never sent): a tool no policy in force names,
   * and a user over MAX_REQUESTS_PER_USER_PER_HOUR. Every outcome goes to the user's own request
   * list, where their command reads it.
   */
  private takeRequests(): void {
    // Files stay in the spool until their events are in the outbox; the request id is the event id,
    // so a request read twice (a crash in between) is stored once by the server.
    const taken = takeRequests(this.o.stateDir, { log: this.spoolLog, userName: (uid) => this.o.platform.userName(uid), keepValid: true });
    if (!taken.length) return;
    const now = this.agent.now();
    const at = new Date(now).toISOString();
    const events: ReportEvent[] = [];
    const results: { user: string; result: RequestResult }[] = [];
    const acceptedUids: number[] = [];
    const named = new Set(this.agent.bundle()?.policies.flatMap((p) => p.tools) ?? []);
    for (const t of taken) {
      const r = t.request;
      const requestId = r.requestId ?? randomUUID();
      const result = (accepted: boolean, reason?: string): RequestResult => ({ requestId, kind: r.kind, toolId: r.toolId, at, accepted, ...(reason ? { reason } : {}) });
      const limit = this.limiter.check(t.uid, Date.now(), acceptedUids.filter((u) => u === t.uid).length);
      let refusal: string | undefined;
      if (!named.has(r.toolId)) {
        refusal = this.agent.bundle() ? `no policy in force on this device names "${r.toolId}"` : 'this device has no policy from the server yet';
      } else if (!limit.ok) {
        refusal = `more than ${this.limiter.limit} requests in one hour from ${t.user}; the next one is taken after ${new Date(limit.retryAt).toISOString()}`;
      }
      if (refusal) {
        this.spoolLog.warn({ kind: r.kind, toolId: r.toolId, user: t.user, uid: t.uid, why: refusal.replace(/after .*$/, 'after …') }, 'employee request refused');
        results.push({ user: t.user, result: result(false, refusal) });
        continue;
      }
      acceptedUids.push(t.uid);
      if (r.kind === 'ack') {
        const stage = this.agent.verdict(r.toolId, t.user, now).stage;
        events.push({ eventId: requestId, type: 'acknowledgement', observedAt: at, toolId: r.toolId, user: t.user, stage });
        if (stage !== 'none') this.ledger[ledgerKey(r.toolId, t.user)] = recordAcknowledged(this.ledger[ledgerKey(r.toolId, t.user)], stage, new Date(now));
      } else {
        events.push({ eventId: r.requestId, type: 'exception-request', observedAt: at, toolId: r.toolId, user: t.user, reason: r.reason });
      }
      results.push({ user: t.user, result: result(true) });
      this.o.log.info({ kind: r.kind, toolId: r.toolId, user: t.user }, 'employee request received');
    }
    this.saveLedger();
    this.agent.queue(events);
    this.limiter.record(acceptedUids, Date.now());
    for (const t of taken) removeRequest(t.file, this.spoolLog);
    for (const { user, result } of results) this.o.views?.recordRequestResult(user, result);
  }

  /** Notices due for (tool, user) pairs with a present install or running copy. */
  private async notices(): Promise<void> {
    const bundle = this.agent.bundle();
    if (!bundle) return;
    const now = this.agent.now();
    const pairs = new Map<string, { toolId: string; user: string }>();
    for (const k of this.agent.known()) if (k.detection.kind !== 'usage') pairs.set(ledgerKey(k.detection.toolId, k.detection.user), { toolId: k.detection.toolId, user: k.detection.user });
    if (!pairs.size) return;
    let sessions: NoticeTarget[] | undefined;
    for (const [key, { toolId, user }] of pairs) {
      const v = this.agent.verdict(toolId, user, now);
      if (!v.policy || v.exception || !NOTICE_STAGES.has(v.stage)) continue;
      const decision = decideNotice({
        state: this.ledger[key],
        now: new Date(now),
        stage: v.stage as 'notice' | 'enforce' | 'hard',
        action: v.action,
        effectiveInstant: v.policy.instants.enforce,
        cadence: { reminderEveryMs: v.policy.reminders.everyHours * 3_600_000, finalEveryMs: v.policy.reminders.lastDaysEveryHours * 3_600_000 },
      });
      if (!decision.due) continue;
      // A delivery that failed (a session bus without a notification daemon) is not retried every tick.
      if (now - (this.failedAt.get(key) ?? -Infinity) < NOTICE_RETRY_MS) continue;
      sessions ??= await this.o.notifier.loggedInUsers();
      const target = sessions.find((s) => s.user === user);
      if (!target) continue; // not at a desktop now: the notice waits for the next session
      const delivered = await this.show(target, toolId, v, decision.kind ?? 'reminder', {});
      if (delivered) {
        this.failedAt.delete(key);
        this.ledger[key] = recordShown(this.ledger[key], v.stage as NoticeStage, new Date(now));
        this.saveLedger();
      } else this.failedAt.set(key, now);
    }
  }

  /** Renders and delivers one notice, and queues the notice event. Returns whether it was shown. */
  private async show(target: NoticeTarget, toolId: string, v: ToolVerdict, kind: NoticeKind, extra: Partial<NoticeInput>): Promise<boolean> {
    const policy = v.policy!;
    const locale = chooseLocale(policy.defaultLocale, userLocaleEnv({ uid: target.uid, home: target.home }));
    const name = (id: string) => this.tool(id)?.displayName ?? id;
    const input: NoticeInput = {
      kind,
      toolId,
      toolName: name(toolId),
      stage: v.stage as NoticeInput['stage'],
      action: v.action,
      effectiveInstant: policy.instants.enforce,
      reason: policy.reason,
      replacements: policy.replacements.map((r) => ({ toolId: r.toolId, name: name(r.toolId), ...(r.installUrl ? { installUrl: r.installUrl } : {}), ...(r.note ? { note: r.note } : {}) })),
      ...extra,
    };
    const now = this.agent.now();
    const rendered = await renderApart(input, locale, new Date(now), this.o.timeZone, { log: this.o.log });
    const urgent = kind === 'stop-warning' || v.stage === 'enforce' || v.stage === 'hard';
    const result = await this.o.notifier.deliver(target, { ...rendered, urgency: urgent ? 'critical' : 'normal' });
    this.o.log.info({ toolId, user: target.user, kind, locale, delivered: result.delivered, detail: result.detail }, 'notice');
    if (result.delivered) {
      this.o.views?.recordNotice(target.user, { at: new Date(now).toISOString(), toolId, kind, stage: v.stage, summary: rendered.title });
      this.agent.queue([
        { eventId: eventId(now), type: 'notice', observedAt: new Date(now).toISOString(), toolId, user: target.user, stage: v.stage, reason: kind, locale, channel: result.channel, delivered: true },
      ]);
    }
    return result.delivered;
  }

  /** Tells the employee the answer to their exception request. */
  async decision(msg: ExceptionDecision): Promise<void> {
    const now = this.agent.now();
    const v = this.agent.verdict(msg.toolId, msg.user, now);
    if (!v.policy) return;
    const target = (await this.o.notifier.loggedInUsers()).find((s) => s.user === msg.user);
    if (!target) return;
    await this.show(target, msg.toolId, v, 'exception-decision', {
      decision: { granted: msg.granted, ...(msg.note ? { reason: msg.note } : {}), ...(msg.expiresAt ? { expiresAt: msg.expiresAt } : {}) },
    });
  }

  /** Starts the stop countdown for running copies whose ban says `stop`; cancels it if that no longer holds. */
  private enforce(): void {
    const now = this.agent.now();
    const wanted = new Map<number, { target: StopTarget; v: ToolVerdict }>();
    const running = new Set<number>();
    for (const k of this.agent.known()) {
      const d = k.detection;
      if (d.kind !== 'running' || !d.evidence.pid) continue;
      running.add(d.evidence.pid);
      const v = this.agent.verdict(d.toolId, d.user, now);
      if (v.action === 'stop' && !v.exception && v.policy && !stoppable(d)) {
        if (!this.notStopped.has(d.evidence.pid)) {
          this.notStopped.add(d.evidence.pid);
          this.o.log.warn({ pid: d.evidence.pid, toolId: d.toolId, signature: d.evidence.signature }, 'not stopping a process identified only by weak evidence (reported, left running)');
        }
        continue;
      }
      if (v.action === 'stop' && !v.exception && v.policy) wanted.set(d.evidence.pid, { target: { pid: d.evidence.pid, exe: d.evidence.path, toolId: d.toolId, user: d.user }, v });
    }
    // Cancel only where the ban no longer says stop (an exception, a retired policy) for a process
    // still running; one that ended is left to the stopper, which reports it as exited.
    for (const [pid, ctl] of this.stops) if (running.has(pid) && !wanted.has(pid)) ctl.abort();
    for (const pid of this.notStopped) if (!running.has(pid)) this.notStopped.delete(pid);
    for (const [pid, { target, v }] of wanted) {
      if (this.stops.has(pid)) continue;
      const ctl = new AbortController();
      this.stops.set(pid, ctl);
      const countdownMs = v.policy!.stopCountdownSec * 1000;
      void stopProcesses([target], {
        countdownMs,
        signal: ctl.signal,
        warn: async (secondsLeft) => {
          const session = (await this.o.notifier.loggedInUsers()).find((s) => s.user === target.user);
          if (session) await this.show(session, target.toolId, v, 'stop-warning', { stopInSeconds: secondsLeft });
        },
        report: (step) => {
          const at = this.agent.now();
          this.agent.queue([
            {
              eventId: eventId(at),
              type: 'enforcement',
              observedAt: new Date(at).toISOString(),
              toolId: step.toolId,
              user: step.user,
              pid: step.pid,
              step: step.step,
              ...(step.secondsLeft !== undefined ? { secondsLeft: step.secondsLeft } : {}),
            },
          ]);
        },
      })
        .then((outcome) => this.o.log.info({ pid, outcome: outcome.get(pid) }, 'stop action finished'))
        .catch((err) => this.o.log.error({ pid, err: (err as Error).message }, 'stop action failed'))
        .finally(() => {
          // Keep finished pids out of a new countdown while the detection still lingers.
          setTimeout(() => this.stops.delete(pid), 60_000).unref();
        });
    }
  }

  stop(): void {
    for (const ctl of this.stops.values()) ctl.abort();
  }

  private saveLedger(): void {
    writeJsonAtomic(this.o.ledgerFile, this.ledger);
  }
}
