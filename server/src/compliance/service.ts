// Compliance service: computes the state of each device x banned tool from the facts (present
// installs / running copies, the ban's stage for the users they belong to, exceptions in force,
// acknowledgements) with the shared pure function, and records every change with its cause and
// instant. Also answers impact previews for drafts with the very same computation.
import { complianceState, type ComplianceState } from '../../../shared/src/policy/compliance.js';
import { evaluateTool, stricter, type ExceptionLike, type ToolVerdict } from '../../../shared/src/policy/evaluate.js';
import type { Policy } from '../../../shared/src/policy/schema.js';
import type { PolicyService } from '../policy/service.js';
import type { Store } from '../store/index.js';

export interface DeviceToolFacts {
  present: boolean;
  users: string[];
  verdict: ToolVerdict;
  exempt: boolean;
  acknowledged: boolean;
}

export class ComplianceService {
  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
  ) {}

  /** The facts for one device x tool at an instant, under the given policies (default: those in force). */
  facts(deviceId: string, toolId: string, atMs: number, policies: readonly Policy[] = this.policies.active()): DeviceToolFacts {
    const device = this.store.devices.get(deviceId);
    const tags = device?.tags ?? [];
    const atIso = new Date(atMs).toISOString();
    const exceptions: ExceptionLike[] = this.store.exceptions
      .inForce(deviceId, atIso)
      .map((e) => ({ id: e.id, toolId: e.toolId, ...(e.user ? { user: e.user } : {}), expiresAt: e.expiresAt! }));
    const users = [...new Set(this.store.detections.present({ deviceId, toolIds: [toolId] }).map((p) => p.user))].sort();
    let verdict: ToolVerdict;
    let exempt = false;
    if (users.length) {
      const verdicts = users.map((user) => evaluateTool(policies, { toolId, deviceId, tags, user }, atMs, exceptions));
      const strictest = (vs: ToolVerdict[]) => vs.reduce((a, b) => (stricter(b, a) ? b : a));
      const unexempted = verdicts.filter((v) => !v.exception);
      if (unexempted.length) verdict = strictest(unexempted);
      else {
        verdict = strictest(verdicts);
        exempt = true;
      }
    } else {
      verdict = evaluateTool(policies, { toolId, deviceId, tags }, atMs, exceptions);
    }
    const noticeFrom = verdict.policy?.instants.notice;
    const acknowledged = !!noticeFrom && this.store.compliance.acknowledgedSince(deviceId, toolId, noticeFrom);
    return { present: users.length > 0, users, verdict, exempt, acknowledged };
  }

  /** The state the facts give, without recording anything. */
  evaluate(deviceId: string, toolId: string, atMs: number, policies?: readonly Policy[]): { state: ComplianceState; facts: DeviceToolFacts } {
    const previous = this.store.compliance.current(deviceId, toolId)?.state ?? 'clear';
    const facts = this.facts(deviceId, toolId, atMs, policies);
    const state = complianceState({ present: facts.present, stage: facts.verdict.stage, exempt: facts.exempt, acknowledged: facts.acknowledged, previous });
    return { state, facts };
  }

  /**
   * Recomputes and, if the state changed, records the transition at `atIso` with its cause. A
   * transition is never dated before the current state began (a late event from an agent that was
   * offline): the timeline stays in order, so "as of" answers always agree with the current state.
   */
  recompute(deviceId: string, toolId: string, atIso: string, cause: string, detail: Record<string, unknown> = {}): ComplianceState {
    const current = this.store.compliance.current(deviceId, toolId);
    const previous = current?.state ?? 'clear';
    const at = current && current.since > atIso ? current.since : atIso;
    const { state, facts } = this.evaluate(deviceId, toolId, Date.parse(at));
    if (state !== previous) {
      this.store.compliance.transition(deviceId, toolId, previous, state, at, cause, {
        ...(at !== atIso ? { observedAt: atIso } : {}),
        ...detail,
        stage: facts.verdict.stage,
        policyId: facts.verdict.policy?.id ?? null,
        users: facts.users,
        ...(facts.verdict.exception ? { exceptionId: facts.verdict.exception.id } : {}),
      });
    }
    return state;
  }

  /** Recomputes every tool with a state or a present detection on one device. */
  recomputeDevice(deviceId: string, atIso: string, cause: string): void {
    const banned = [...new Set(this.policies.active().flatMap((p) => p.tools))];
    const tools = new Set([
      ...this.store.compliance.all().filter((c) => c.deviceId === deviceId).map((c) => c.toolId),
      ...this.store.detections.present({ deviceId, toolIds: banned }).map((p) => p.toolId),
    ]);
    this.store.tx(() => {
      for (const toolId of tools) this.recompute(deviceId, toolId, atIso, cause);
    });
  }

  /** Recomputes every device x tool that has a state or a present detection of a banned tool. */
  recomputeAll(atIso: string, cause: string): number {
    const banned = [...new Set(this.policies.active().flatMap((p) => p.tools))];
    const pairs = new Map<string, { deviceId: string; toolId: string }>();
    for (const c of this.store.compliance.all()) pairs.set(`${c.deviceId}|${c.toolId}`, c);
    for (const p of this.store.detections.present({ toolIds: banned })) pairs.set(`${p.deviceId}|${p.toolId}`, p);
    let changed = 0;
    this.store.tx(() => {
      for (const { deviceId, toolId } of pairs.values()) {
        const before = this.store.compliance.current(deviceId, toolId)?.state ?? 'clear';
        if (this.recompute(deviceId, toolId, atIso, cause) !== before) changed++;
      }
    });
    return changed;
  }
}
