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
  /** When delivery to (tool, user) last failed. */
  private readonly failedAt = new Map<string, number>();
  private busy = false;

  constructor(
    private readonly agent: AgentView,
    private readonly o: EmployeeOptions,
  ) {
    this.ledger = readJsonFile(o.ledgerFile, NoticeLedger, o.log) ?? {};
    try {
      const spool = ensureSpool(o.stateDir);
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

  private takeRequests(): void {
    // Files stay in the spool until their events are in the outbox; the request id is the event id,
    // so a request read twice (a crash in between) is stored once by the server.
    const taken = takeRequests(this.o.stateDir, { log: this.o.log, userName: (uid) => this.o.platform.userName(uid), keepValid: true });
    if (!taken.length) return;
    const now = this.agent.now();
    const at = new Date(now).toISOString();
    const events: ReportEvent[] = [];
    for (const t of taken) {
      const r = t.request;
      if (r.kind === 'ack') {
        const stage = this.agent.verdict(r.toolId, t.user, now).stage;
        events.push({ eventId: r.requestId ?? randomUUID(), type: 'acknowledgement', observedAt: at, toolId: r.toolId, user: t.user, stage });
        if (stage !== 'none') this.ledger[ledgerKey(r.toolId, t.user)] = recordAcknowledged(this.ledger[ledgerKey(r.toolId, t.user)], stage, new Date(now));
      } else {
        events.push({ eventId: r.requestId, type: 'exception-request', observedAt: at, toolId: r.toolId, user: t.user, reason: r.reason });
      }
      this.o.log.info({ kind: r.kind, toolId: r.toolId, user: t.user }, 'employee request received');
    }
    this.saveLedger();
    this.agent.queue(events);
    for (const t of taken) removeRequest(t.file, this.o.log);
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
      this.agent.queue([
        { eventId: randomUUID(), type: 'notice', observedAt: new Date(now).toISOString(), toolId, user: target.user, stage: v.stage, reason: kind, locale, channel: result.channel, delivered: true },
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
      if (v.action === 'stop' && !v.exception && v.policy) wanted.set(d.evidence.pid, { target: { pid: d.evidence.pid, exe: d.evidence.path, toolId: d.toolId, user: d.user }, v });
    }
    // Cancel only where the ban no longer says stop (an exception, a retired policy) for a process
    // still running; one that ended is left to the stopper, which reports it as exited.
    for (const [pid, ctl] of this.stops) if (running.has(pid) && !wanted.has(pid)) ctl.abort();
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
        report: (step) =>
          this.agent.queue([
            {
              eventId: randomUUID(),
              type: 'enforcement',
              observedAt: new Date(this.agent.now()).toISOString(),
              toolId: step.toolId,
              user: step.user,
              pid: step.pid,
              step: step.step,
              ...(step.secondsLeft !== undefined ? { secondsLeft: step.secondsLeft } : {}),
            },
          ]),
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
