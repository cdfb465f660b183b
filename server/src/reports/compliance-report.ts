// The compliance report: one row per in-scope device × banned tool "as of" an instant, as the
// server knew it at another ("known at", default now: a laptop that reported late changes what is
// known later, not what was known then). The population is the devices enrolled at the as-of
// instant and in the scope of the ban version in force then (tags as recorded in the device's tag
// history); compliant devices are rows too, a device enrolled later is not (the summary counts it).
// State, stage, evidence and exceptions all come from the recorded compliance state, the events
// and the exceptions as known then, so the same parameters always give the same rows.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { EdictError } from '../../../shared/src/errors.js';
import { ComplianceState } from '../../../shared/src/policy/compliance.js';
import { evaluateTool, inScope, stricter } from '../../../shared/src/policy/evaluate.js';
import type { Policy, StageName } from '../../../shared/src/policy/schema.js';
import type { PolicyService } from '../policy/service.js';
import type { ExceptionRow, Store, TagChange } from '../store/index.js';

/** Devices read per query: keeps each read short on a 50,000-device fleet. */
const CHUNK = 500;
/** Most findings listed per row (the most recent); the count says when there were more. */
const MAX_FINDINGS_PER_ROW = 20;

export interface ReportParameters {
  asOf: string;
  knownAt: string;
  /** The as-of and known-at text as given (e.g. with its zone), for the reader. */
  asOfGiven: string;
  knownAtGiven: string | null;
  policy: string | null;
  tool: string | null;
  tag: string | null;
}

export interface EvidenceItem {
  kind: string;
  user: string;
  path: string | null;
  version: string | null;
  /** Present or gone, as of the report instant. */
  state: 'present' | 'absent';
  firstSeen: string;
  lastSeen: string;
  events: number;
  firstEventId: string;
  lastEventId: string;
}

export interface ReportRow {
  deviceId: string;
  hostname: string;
  toolId: string;
  state: ComplianceState;
  since: string | null;
  stage: StageName;
  policyId: string | null;
  policyVersion: number | null;
  tags: string[];
  /** `history`: the device's recorded tags at the instant; `baseline`: history began later, its first recorded tags were used. */
  tagsSource: 'history' | 'baseline';
  users: string[];
  evidence: EvidenceItem[];
  evidenceTruncated: number;
  exception: { id: string; holder: string; approvedBy: string | null; reason: string; note: string | null; grantedAt: string | null; expiresAt: string } | null;
  lastReportAt: string | null;
  enrolledAt: string;
}

export interface ComplianceReport {
  parameters: ReportParameters;
  policies: { id: string; name: string; version: number; publishedAt: string; tools: string[]; scope: Policy['scope']; reason: Policy['reason']; stages: Policy['stages']; instants: Policy['instants']; replacements: Policy['replacements'] }[];
  summary: {
    rows: number;
    devices: number;
    /** Devices enrolled after the as-of instant (known by known-at): not in the population. */
    notYetEnrolled: number;
    byState: Record<ComplianceState, number>;
    byStage: Record<string, number>;
    byTag: Record<string, Record<ComplianceState, number>>;
    tagsFromBaseline: number;
    exceptionsInForce: number;
  };
  rows: ReportRow[];
}

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

const emptyStates = (): Record<ComplianceState, number> => Object.fromEntries(ComplianceState.options.map((s) => [s, 0])) as Record<ComplianceState, number>;

/** Tags at an instant from a device's history: the last change at or before it, else the first recorded (baseline). */
function tagsAt(history: TagChange[], atIso: string): { tags: string[]; source: 'history' | 'baseline' } {
  let at: TagChange | undefined;
  for (const h of history) if (h.at <= atIso) at = h;
  if (at) return { tags: at.tags, source: at.cause === 'baseline' ? 'baseline' : 'history' };
  return { tags: history[0]?.tags ?? [], source: 'baseline' };
}

function exceptionAt(rows: ExceptionRow[], asOf: string, knownAt: string): ExceptionRow | undefined {
  return rows.find((e) => e.decidedAt! <= asOf && e.expiresAt !== null && asOf < e.expiresAt && (e.endedAt === null || e.endedAt > asOf || e.endedAt > knownAt));
}

export async function buildComplianceReport(store: Store, policies: PolicyService, p: ReportParameters): Promise<ComplianceReport> {
  const asOfMs = Date.parse(p.asOf);
  if (p.asOf > p.knownAt) throw new EdictError('EDICT_ERR_VALIDATION', `asOf: ${p.asOf} is after knownAt ${p.knownAt}; nothing can be known about it then`);
  // The ban versions in force at the instant, as known then (published by both instants, not retired by then).
  let inForce = policies.policiesAt(Math.min(asOfMs, Date.parse(p.knownAt)));
  if (p.policy) {
    if (!(await store.policies.get(p.policy))) throw new EdictError('EDICT_ERR_NOT_FOUND', `policy ${p.policy}`);
    inForce = inForce.filter((x) => x.id === p.policy);
    if (!inForce.length) throw new EdictError('EDICT_ERR_NOT_FOUND', `policy ${p.policy} had no published version in force at ${p.asOf}`);
  }
  if (p.tool && !policies.catalog().some((t) => t.id === p.tool)) throw new EdictError('EDICT_ERR_NOT_FOUND', `tool ${p.tool} is not in the catalog`);
  const tools = [...new Set(inForce.flatMap((x) => x.tools))].filter((t) => !p.tool || t === p.tool).sort();

  const population = await store.reports.population(p.asOf, p.knownAt);
  const rows: ReportRow[] = [];
  let tagSeen = !p.tag;
  for (const chunk of chunks(population, CHUNK)) {
    // Store reads resolve without giving the event loop a turn (SQLite answers synchronously): give
    // it one per chunk, or a fleet-wide report would hold every agent and request until it is done.
    await yieldToLoop();
    const ids = chunk.map((d) => d.id);
    const [history, states, events, exceptions, last] = await Promise.all([
      store.reports.tagHistory(ids, p.knownAt),
      tools.length ? store.reports.statesAt(ids, tools, p.asOf, p.knownAt) : [],
      tools.length ? store.reports.events(ids, tools, p.asOf, p.knownAt) : [],
      tools.length ? store.reports.exceptions(ids, tools, p.asOf, p.knownAt) : [],
      store.reports.lastReports(ids, p.knownAt),
    ]);
    const by = <T extends { deviceId: string }>(xs: T[]) => {
      const m = new Map<string, T[]>();
      for (const x of xs) m.set(x.deviceId, [...(m.get(x.deviceId) ?? []), x]);
      return m;
    };
    const historyOf = by(history);
    const stateOf = new Map(states.map((s) => [`${s.deviceId}|${s.toolId}`, s]));
    const eventsOf = by(events);
    const exceptionsOf = by(exceptions);
    const lastOf = new Map(last.map((l) => [l.deviceId, l.at]));
    for (const d of chunk) {
      const { tags, source } = tagsAt(historyOf.get(d.id) ?? [], p.asOf);
      if (p.tag && tags.includes(p.tag)) tagSeen = true;
      if (p.tag && !tags.includes(p.tag)) continue;
      for (const toolId of tools) {
        const subject = { toolId, deviceId: d.id, tags };
        // Device-level scope (devices and tags); a ban scoped to OS users is settled per user in the state.
        const scoped = inForce.map((x) => ({ ...x, scope: { ...x.scope, users: [] } })).filter((x) => inScope(x, subject));
        if (!scoped.length) continue;
        const strictest = scoped.map((x) => evaluateTool([x], subject, asOfMs)).reduce((a, b) => (stricter(b, a) ? b : a));
        const st = stateOf.get(`${d.id}|${toolId}`);
        const findings = new Map<string, EvidenceItem>();
        for (const e of (eventsOf.get(d.id) ?? []).filter((x) => x.toolId === toolId)) {
          const ev = e.evidence as { path?: string; version?: string };
          const f = findings.get(e.detectionKey);
          if (!f) {
            findings.set(e.detectionKey, { kind: e.kind, user: e.user, path: ev.path ?? null, version: ev.version ?? null, state: e.state, firstSeen: e.observedAt, lastSeen: e.observedAt, events: 1, firstEventId: e.eventId, lastEventId: e.eventId });
          } else {
            f.state = e.state;
            f.lastSeen = e.observedAt;
            f.events++;
            f.lastEventId = e.eventId;
            f.version = ev.version ?? f.version;
          }
        }
        const evidence = [...findings.values()].sort((a, b) => (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : a.firstEventId < b.firstEventId ? -1 : 1));
        const ex = exceptionAt((exceptionsOf.get(d.id) ?? []).filter((x) => x.toolId === toolId), p.asOf, p.knownAt);
        rows.push({
          deviceId: d.id,
          hostname: d.hostname,
          toolId,
          state: st?.state ?? 'clear',
          since: st?.since ?? null,
          stage: strictest.stage,
          policyId: strictest.policy?.id ?? null,
          policyVersion: strictest.policy?.version ?? null,
          tags,
          tagsSource: source,
          users: [...new Set(evidence.filter((e) => e.state === 'present').map((e) => e.user))].sort(),
          evidence: evidence.slice(0, MAX_FINDINGS_PER_ROW),
          evidenceTruncated: Math.max(0, evidence.length - MAX_FINDINGS_PER_ROW),
          exception: ex
            ? { id: ex.id, holder: ex.user ? `user ${ex.user}` : 'device', approvedBy: ex.decidedBy, reason: ex.reason, note: ex.decisionNote, grantedAt: ex.decidedAt, expiresAt: ex.expiresAt! }
            : null,
          lastReportAt: lastOf.get(d.id) ?? null,
          enrolledAt: d.enrolledAt,
        });
      }
    }
  }
  if (p.tag && !tagSeen) {
    const known = await store.reports.tagHistory(population.map((d) => d.id), p.knownAt);
    if (!known.some((h) => h.tags.includes(p.tag!))) throw new EdictError('EDICT_ERR_NOT_FOUND', `tag ${p.tag}: no device had it`);
  }
  // Byte order, whatever the locale: the same report sorts the same everywhere.
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  rows.sort((a, b) => cmp(a.hostname, b.hostname) || cmp(a.deviceId, b.deviceId) || cmp(a.toolId, b.toolId));

  const byState = emptyStates();
  const byStage: Record<string, number> = {};
  const byTag: Record<string, Record<ComplianceState, number>> = {};
  for (const r of rows) {
    byState[r.state]++;
    byStage[r.stage] = (byStage[r.stage] ?? 0) + 1;
    for (const t of r.tags) (byTag[t] ??= emptyStates())[r.state]++;
  }
  return {
    parameters: p,
    policies: inForce.map((x) => ({ id: x.id, name: x.name, version: x.version, publishedAt: x.publishedAt, tools: x.tools, scope: x.scope, reason: x.reason, stages: x.stages, instants: x.instants, replacements: x.replacements })),
    summary: {
      rows: rows.length,
      devices: new Set(rows.map((r) => r.deviceId)).size,
      notYetEnrolled: await store.reports.countEnrolledAfter(p.asOf, p.knownAt),
      byState,
      byStage: Object.fromEntries(Object.entries(byStage).sort()),
      byTag: Object.fromEntries(Object.entries(byTag).sort()),
      tagsFromBaseline: rows.filter((r) => r.tagsSource === 'baseline').length,
      exceptionsInForce: rows.filter((r) => r.exception).length,
    },
    rows,
  };
}
