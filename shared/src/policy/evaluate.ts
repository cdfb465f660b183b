// Policy evaluation as pure functions, used unchanged by the agent (offline, on its cached signed
// bundle, on server-corrected time) and by the server (on receipt of reports, at stage boundaries,
// for previews), so both ends always agree on a tool's stage for a device and user.
import type { Action, Policy, PolicySpec, StageInstants, StageName, ZonedTime } from './schema.js';
import { zonedToInstant } from './zoned-time.js';

export { zonedToInstant };

/** Resolves a spec's stage dates to instants; monitor starts at publish, notice at publish when it has no date. */
export function resolveInstants(spec: PolicySpec, publishedAt: Date): StageInstants {
  const iso = (z: ZonedTime) => zonedToInstant(z).toISOString();
  const monitor = publishedAt.toISOString();
  return {
    monitor,
    notice: spec.stages.notice ? iso(spec.stages.notice) : monitor,
    enforce: iso(spec.stages.enforce),
    ...(spec.stages.hard ? { hard: iso(spec.stages.hard) } : {}),
  };
}

export interface Subject {
  toolId: string;
  deviceId: string;
  tags: readonly string[];
  /** OS user of the detection; undefined when judging the device as a whole. */
  user?: string;
}

/** Whether a policy applies to a device and user. Empty scope lists mean "everyone". */
export function inScope(policy: Pick<Policy, 'tools' | 'scope'>, s: Subject): boolean {
  if (!policy.tools.includes(s.toolId)) return false;
  const { devices, tags, users } = policy.scope;
  if (devices.length && !devices.includes(s.deviceId)) return false;
  if (tags.length && !tags.some((t) => s.tags.includes(t))) return false;
  if (users.length && (s.user === undefined || !users.includes(s.user))) return false;
  return true;
}

const RANK: Record<StageName, number> = { none: 0, monitor: 1, notice: 2, enforce: 3, hard: 4 };
const ACTION_RANK: Record<Action, number> = { report: 0, notify: 1, warn: 2, stop: 3 };

/** Whether verdict a is stricter than b: a later stage, or the same stage with a stronger action. */
export function stricter(a: Pick<ToolVerdict, 'stage' | 'action'>, b: Pick<ToolVerdict, 'stage' | 'action'>): boolean {
  return RANK[a.stage] > RANK[b.stage] || (RANK[a.stage] === RANK[b.stage] && ACTION_RANK[a.action] > ACTION_RANK[b.action]);
}


/** The stage a published policy is in at `atMs` (ms since the epoch, server-corrected). */
export function stageOf(policy: Pick<Policy, 'instants'>, atMs: number): StageName {
  const i = policy.instants;
  if (atMs < Date.parse(i.monitor)) return 'none';
  if (i.hard && atMs >= Date.parse(i.hard)) return 'hard';
  if (atMs >= Date.parse(i.enforce)) return 'enforce';
  if (atMs >= Date.parse(i.notice)) return 'notice';
  return 'monitor';
}

/** The action a policy takes in a stage. */
export function actionOf(policy: Pick<Policy, 'stages'>, stage: StageName): Action {
  switch (stage) {
    case 'none':
    case 'monitor':
      return 'report';
    case 'notice':
      return policy.stages.notice?.action ?? 'notify';
    case 'enforce':
      return policy.stages.enforce.action;
    case 'hard':
      return policy.stages.hard?.action ?? 'stop';
  }
}

export interface ExceptionLike {
  id: string;
  toolId: string;
  user?: string;
  expiresAt: string;
}

/** The exception, if any, that suspends bans of `s.toolId` for this subject at `atMs`. */
export function activeException<E extends ExceptionLike>(exceptions: readonly E[], s: Pick<Subject, 'toolId' | 'user'>, atMs: number): E | undefined {
  return exceptions.find((e) => e.toolId === s.toolId && (e.user === undefined || e.user === s.user) && atMs < Date.parse(e.expiresAt));
}

export interface ToolVerdict {
  stage: StageName;
  action: Action;
  /** The policy that decided the stage (the strictest one in scope), if any. */
  policy?: Policy;
  /** Set when an exception suspends the ban for this subject; stage still says where the ban is. */
  exception?: ExceptionLike;
}

/** The strictest stage any in-scope policy puts the subject's tool in at `atMs`, and any exception. */
export function evaluateTool(policies: readonly Policy[], s: Subject, atMs: number, exceptions: readonly ExceptionLike[] = []): ToolVerdict {
  let best: ToolVerdict = { stage: 'none', action: 'report' };
  for (const policy of policies) {
    if (!inScope(policy, s)) continue;
    const stage = stageOf(policy, atMs);
    const candidate: ToolVerdict = { stage, action: actionOf(policy, stage), policy };
    if (stage !== 'none' && stricter(candidate, best)) best = candidate;
  }
  if (best.stage === 'none') return best;
  const exception = activeException(exceptions, s, atMs);
  return exception ? { ...best, exception } : best;
}

/** The next instant after `afterMs` at which any verdict can change: a stage date or an exception expiry. */
export function nextBoundary(policies: readonly Pick<Policy, 'instants'>[], afterMs: number, exceptions: readonly Pick<ExceptionLike, 'expiresAt'>[] = []): number | null {
  let next: number | null = null;
  const consider = (iso: string | undefined) => {
    if (!iso) return;
    const t = Date.parse(iso);
    if (t > afterMs && (next === null || t < next)) next = t;
  };
  for (const p of policies) for (const iso of Object.values(p.instants)) consider(iso);
  for (const e of exceptions) consider(e.expiresAt);
  return next;
}

/** Localised text for a locale, falling back to English. */
export function localized(text: { en: string; 'zh-CN'?: string }, locale: string): string {
  return locale === 'zh-CN' ? (text['zh-CN'] ?? text.en) : text.en;
}
