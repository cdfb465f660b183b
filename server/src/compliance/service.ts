// Compliance engine: the state of each device × banned tool, derived with the shared pure function
// from the facts at each instant (installs / running copies present and whose they are, the ban's
// stage for them under the policy versions in force then, exceptions in force then, acknowledgements
// since the notice began), recorded as state changes with their cause and instant.
//
// `reconcile(device, tool, from)` re-derives the state changes from `from` to now. It reads only the
// facts at and after `from` (the presence just before it comes from the findings table), never the
// device's whole history, so its cost follows what changed, not how much was recorded. An event that
// arrives late (a laptop offline across the effective date) is placed at its observedAt: changes it
// alters are superseded (kept, marked) and re-derived, so "as of D" comes out as if the events had
// arrived in order. Bulk recomputes (publish, retire, stage boundaries) are durable jobs run in
// short transactions off the request path, so no single one stalls the server.
import { EventEmitter } from 'node:events';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { complianceState, type ComplianceState } from '../../../shared/src/policy/compliance.js';
import { evaluateTool, stricter, type ExceptionLike, type ToolVerdict } from '../../../shared/src/policy/evaluate.js';
import type { Policy } from '../../../shared/src/policy/schema.js';
import { JOB_SLICE_MS } from '../constants.js';
import type { Logger } from '../log.js';
import type { PolicyService } from '../policy/service.js';
import type { ExceptionRow, Store } from '../store/index.js';

export interface DeviceToolFacts {
  present: boolean;
  users: string[];
  verdict: ToolVerdict;
  exempt: boolean;
  acknowledged: boolean;
}

interface Point {
  at: string;
  causes: string[];
}

export class ComplianceService extends EventEmitter<{ 'job-done': [{ id: number; cause: string; at: string; pairs: number; changed: number }] }> {
  private jobsRunning = false;
  private jobsStopped = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly log: Logger,
  ) {
    super();
  }

  /** The state the facts give at one instant, given the users the tool is present for and the state before (previews call it in bulk). */
  evaluateAt(
    deviceTags: readonly string[],
    deviceId: string,
    toolId: string,
    atMs: number,
    users: string[],
    exceptions: readonly ExceptionRow[],
    acks: readonly string[],
    previous: ComplianceState,
    policySet?: readonly Policy[],
  ): { state: ComplianceState; facts: DeviceToolFacts } {
    const policies = policySet ?? this.policies.policiesAt(atMs);
    const atIso = new Date(atMs).toISOString();
    const inForce: ExceptionLike[] = exceptions
      .filter((e) => e.decidedAt !== null && e.decidedAt <= atIso && e.expiresAt !== null && atIso < e.expiresAt && (e.endedAt === null || atIso < e.endedAt))
      .map((e) => ({ id: e.id, toolId: e.toolId, ...(e.user ? { user: e.user } : {}), expiresAt: e.expiresAt! }));
    let verdict: ToolVerdict;
    let exempt = false;
    if (users.length) {
      const verdicts = users.map((user) => evaluateTool(policies, { toolId, deviceId, tags: deviceTags, user }, atMs, inForce));
      const strictest = (vs: ToolVerdict[]) => vs.reduce((a, b) => (stricter(b, a) ? b : a));
      const unexempted = verdicts.filter((v) => !v.exception);
      if (unexempted.length) verdict = strictest(unexempted);
      else {
        verdict = strictest(verdicts);
        exempt = true;
      }
    } else {
      verdict = evaluateTool(policies, { toolId, deviceId, tags: deviceTags }, atMs, inForce);
    }
    const noticeFrom = verdict.policy?.instants.notice;
    const acknowledged = !!noticeFrom && acks.some((a) => a >= noticeFrom && a <= atIso);
    const facts = { present: users.length > 0, users, verdict, exempt, acknowledged };
    return { state: complianceState({ present: facts.present, stage: verdict.stage, exempt, acknowledged, previous }), facts };
  }

  /**
   * The state a device × tool would have at `atMs` from what is present now (no recording): impact
   * previews of drafts use it with a candidate policy set, so a preview shows what publishing does.
   */
  async evaluateNow(deviceId: string, toolId: string, atMs: number, policySet?: readonly Policy[]): Promise<{ state: ComplianceState; facts: DeviceToolFacts }> {
    const [device, present, exceptions, acks, current] = await Promise.all([
      this.store.devices.get(deviceId),
      this.store.detections.present({ deviceId, toolIds: [toolId] }),
      this.store.exceptions.grantedEver(deviceId, toolId),
      this.store.compliance.acknowledgements(deviceId, toolId),
      this.store.compliance.current(deviceId, toolId),
    ]);
    const users = [...new Set(present.map((p) => p.user))].sort();
    return this.evaluateAt(device?.tags ?? [], deviceId, toolId, atMs, users, exceptions, acks, current?.state ?? 'clear', policySet);
  }

  /**
   * Re-derives the state changes of one device × tool from `fromIso` to now and records any
   * difference (call inside the transaction that stored the facts). Returns the state now.
   */
  async reconcile(
    deviceId: string,
    toolId: string,
    fromIso: string,
    cause: string,
    detail: Record<string, unknown> = {},
    /** The caller caught up with the stored policies just before (a bulk job): no read per pair. */
    caughtUp = false,
  ): Promise<ComplianceState> {
    return this.store.tx(async () => {
      const s = this.store;
      // A tool no published version ever named has no state to keep (states only come from bans).
      if (!this.policies.everBanned(toolId)) return 'clear';
      // Another node may be reconciling this pair right now: take turns (released at commit).
      await s.compliance.lockPair(deviceId, toolId);
      // Derived from this node's policy cache, which must hold what the database holds now: a
      // version published on another node whose notice has not arrived would otherwise overwrite
      // what that version's recompute of this pair derived. Read under the pair's lock: a recompute
      // by a newer version either committed before this read (so it is seen) or waits for this one.
      if (!caughtUp) await this.policies.catchUpInTx();
      const current = await s.compliance.current(deviceId, toolId);
      const nowIso = new Date().toISOString();
      const from = fromIso > nowIso ? nowIso : fromIso;

      const [tagHistory, before, window, exceptions, acks, priorRow, existing] = await Promise.all([
        s.devices.tagHistory(deviceId),
        s.detections.presentUsersBefore(deviceId, toolId, from),
        s.detections.presenceWindow(deviceId, toolId, from),
        s.exceptions.grantedEver(deviceId, toolId),
        s.compliance.acknowledgements(deviceId, toolId),
        s.compliance.stateBefore(deviceId, toolId, from),
        s.compliance.stateRowsFrom(deviceId, toolId, from),
      ]);
      // The device's tags at an instant (policy scope then): its last tag change at or before it.
      const tagsAt = (iso: string) => {
        let t = tagHistory[0]?.tags ?? [];
        for (const h of tagHistory) if (h.at <= iso) t = h.tags;
        return t;
      };

      // Presence just before `from`, as present findings per user: those whose newest event is older
      // (counted in the database), plus, for findings with events in the window, their last state before it.
      const count = new Map<string, number>(before.map((b) => [b.user, b.findings]));
      const bump = (user: string, by: number) => count.set(user, (count.get(user) ?? 0) + by);
      const keyState = new Map<string, boolean>();
      for (const e of window) {
        if (keyState.has(e.detectionKey)) continue;
        const was = (await s.detections.findingStateBefore(deviceId, e.detectionKey, from)) === 'present';
        keyState.set(e.detectionKey, was);
        if (was) bump(e.user, 1);
      }

      // Every instant in [from, now] at which a fact changes.
      const points = new Map<string, Point>();
      const add = (at: string | null | undefined, c: string) => {
        if (!at || at < from || at > nowIso) return;
        const p = points.get(at) ?? { at, causes: [] };
        if (!p.causes.includes(c)) p.causes.push(c);
        points.set(at, p);
      };
      add(from, cause);
      for (const e of window) add(e.observedAt, `detection-${e.state}`);
      for (const p of this.policies.changePoints(toolId, from, nowIso)) add(p.at, p.cause);
      for (const e of exceptions) {
        add(e.decidedAt, 'exception-granted');
        add(e.expiresAt, 'exception-expired');
        add(e.endedAt, e.status === 'revoked' ? 'exception-revoked' : 'exception-expired');
      }
      for (const a of acks) add(a, 'acknowledged');
      for (const h of tagHistory) add(h.at, 'device-tags');

      let prev: ComplianceState = priorRow?.state ?? 'clear';
      const derived: { at: string; from: ComplianceState; to: ComplianceState; cause: string; detail: Record<string, unknown> }[] = [];
      let w = 0;
      for (const p of [...points.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))) {
        while (w < window.length && window[w].observedAt <= p.at) {
          const e = window[w++];
          const now = e.state === 'present';
          if (keyState.get(e.detectionKey) !== now) bump(e.user, now ? 1 : -1);
          keyState.set(e.detectionKey, now);
        }
        const users = [...count.entries()].filter(([, n]) => n > 0).map(([u]) => u).sort();
        const { state, facts } = this.evaluateAt(tagsAt(p.at), deviceId, toolId, Date.parse(p.at), users, exceptions, acks, prev);
        if (state !== prev) {
          derived.push({
            at: p.at,
            from: prev,
            to: state,
            cause: p.at === from ? cause : p.causes[0],
            detail: {
              ...(p.at === from ? detail : {}),
              stage: facts.verdict.stage,
              policyId: facts.verdict.policy?.id ?? null,
              users: facts.users,
              ...(facts.verdict.exception ? { exceptionId: facts.verdict.exception.id } : {}),
            },
          });
          prev = state;
        }
      }

      const same = existing.length === derived.length && existing.every((x, i) => x.at === derived[i].at && x.toState === derived[i].to);
      if (!same) {
        if (existing.length) {
          await s.compliance.supersede(existing.map((x) => x.seq), nowIso);
          for (const d of derived) d.detail = { ...d.detail, rederived: true };
        }
        for (const d of derived) await s.compliance.addStateRow({ deviceId, toolId, at: d.at, from: d.from, to: d.to, cause: d.cause, detail: d.detail });
      }
      const since = derived.length ? derived[derived.length - 1].at : (priorRow?.at ?? (current ? from : undefined));
      if (since && (current?.state !== prev || current.since !== since)) await s.compliance.setCurrent(deviceId, toolId, prev, since);
      return prev;
    });
  }

  /** Reconciles every banned tool with a state or a present finding on one device (call inside a transaction). */
  async reconcileDevice(deviceId: string, atIso: string, cause: string): Promise<void> {
    const banned = this.policies.bannedToolsEver();
    const tools = new Set([
      ...(await this.store.compliance.all({ deviceId })).map((c) => c.toolId),
      ...(await this.store.detections.present({ deviceId, toolIds: banned })).map((p) => p.toolId),
    ]);
    for (const toolId of [...tools].sort()) await this.reconcile(deviceId, toolId, atIso, cause);
  }

  /** Queues a bulk recompute (durably, in the caller's transaction) of every pair of `tools` from `atIso`. */
  async addJob(atIso: string, cause: string, tools: readonly string[] | null): Promise<void> {
    await this.store.compliance.addJob({ at: atIso, cause, tools });
  }

  /**
   * Starts working through queued jobs (after the transaction that queued them committed). Jobs run
   * on one node of a cluster, the leader: another node tells it there is work.
   */
  kick(): void {
    if (this.jobsStopped) return;
    if (!this.store.cluster.isLeader) {
      this.store.cluster.notify({ kind: 'jobs' }).catch((err) => this.log.warn({ err: (err as Error).message }, 'could not tell the leader about new compliance jobs'));
      return;
    }
    if (this.jobsRunning) return;
    this.jobsRunning = true;
    void this.runJobs().finally(() => (this.jobsRunning = false));
  }

  stop(): void {
    this.jobsStopped = true;
    clearTimeout(this.retryTimer);
  }

  /** Whether a bulk recompute (publish, retire, boundary) is queued or running (GET /health). */
  async recomputing(): Promise<boolean> {
    return this.jobsRunning || !!(await this.store.compliance.nextJob());
  }

  /** Resolves when no job is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.jobsRunning || (await this.store.compliance.nextJob())) {
      if (this.store.cluster.isLeader) this.kick(); // a follower waits for the leader to run them
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async runJobs(): Promise<void> {
    try {
      for (;;) {
        if (this.jobsStopped || !this.store.cluster.isLeader) return;
        const job = await this.store.compliance.nextJob();
        if (!job) return;
        // The job was queued with the change that caused it: derive with that change known here.
        await this.policies.catchUp();
        const tools = job.tools ?? this.policies.bannedToolsEver();
        // The pairs to re-derive, read a page at a time (one read of a 50,000-device fleet would hold
        // the event loop for most of a second).
        const pairs = new Map<string, { deviceId: string; toolId: string }>();
        for (const read of [(after?: [string, string]) => this.store.compliance.pairs(tools, { after, limit: PAIR_PAGE }), (after?: [string, string]) => this.store.detections.presentPairs(tools, { after, limit: PAIR_PAGE })]) {
          let after: [string, string] | undefined;
          for (;;) {
            const page = await read(after);
            for (const p of page) pairs.set(`${p.deviceId}|${p.toolId}`, p);
            if (page.length < PAIR_PAGE) break;
            after = [page[page.length - 1].deviceId, page[page.length - 1].toolId];
            await yieldToLoop();
          }
        }
        // In (device, tool) order, as ingest takes them: two transactions never wait on each other in a circle.
        const todo = [...pairs.values()].sort((a, b) => cmp(a.deviceId, b.deviceId) || cmp(a.toolId, b.toolId));
        let changed = 0;
        // Short transactions with the event loop free in between: agents and the API keep being served.
        for (let i = 0; i < todo.length; ) {
          const sliceStart = performance.now();
          await this.store.tx(async () => {
            do {
              const { deviceId, toolId } = todo[i++];
              const before = (await this.store.compliance.current(deviceId, toolId))?.state ?? 'clear';
              // The job caught up at its start; a version published since queues its own job.
              if ((await this.reconcile(deviceId, toolId, job.at, job.cause, {}, true)) !== before) changed++;
            } while (i < todo.length && performance.now() - sliceStart < JOB_SLICE_MS);
          });
          await yieldToLoop();
        }
        await this.store.compliance.deleteJob(job.id);
        this.log.info({ job: job.id, cause: job.cause, at: job.at, pairs: todo.length, changed }, 'compliance recomputed');
        this.emit('job-done', { id: job.id, cause: job.cause, at: job.at, pairs: todo.length, changed });
      }
    } catch (err) {
      if (this.jobsStopped) return;
      this.log.error({ err }, 'compliance job failed; retrying in 1 s');
      this.retryTimer = setTimeout(() => this.kick(), 1000);
      this.retryTimer.unref();
    }
  }
}

/** Device × tool pairs read per store call when a bulk recompute gathers its work. */
const PAIR_PAGE = 2_000;

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
