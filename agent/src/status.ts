// `edict-agent status`: everything the agent knows and has sent, read from its state folder, so
// the employee can check it without trusting the running process. Never prints the credential.
// Stages are evaluated on the same server-anchored clock the agent uses. It opens with a summary an
// employee understands in ten seconds (what is banned here, since or from when, what to use instead,
// what to do), then the notices they were shown, then the detail; `--json` carries all of it.
import { accessSync, constants as fsConstants, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { CollectorError } from '../../shared/src/protocol/index.js';
import type { Policy } from '../../shared/src/policy/schema.js';
import { evaluateTool, localized, type ExceptionLike } from '../../shared/src/policy/evaluate.js';
import { EDICT_VERSION_LINE } from '../../shared/src/version.js';
import { AgentClock } from './clock.js';
import { effectiveTag, localeOfTag } from './notices/locale.js';
import type { Logger } from './log.js';
import type { StatePaths } from './paths.js';
import { KnownDetection, loadClock, loadKnown, loadStatus, loadVerifiedPolicy, type PolicyRefusal } from './state/agent-state.js';
import { readJsonFile } from './state/json-file.js';
import { readJsonLines, ShownNotice, viewPaths } from './state/user-views.js';
import { enrollmentState } from './state/enrollment.js';
import { readPendingBatches } from './state/outbox.js';
import { SentLog } from './state/sent-log.js';

/** One ban as the employee needs it: the ten-second summary. */
export interface BanSummary {
  toolId: string;
  toolName: string;
  /** `notice`: announced, not yet enforced; `enforce` / `hard`: in force. */
  stage: string;
  action: string;
  /** When it is (or was) enforced: the policy's wall time and zone, and the instant. */
  enforcedFrom: string;
  enforcedFromInstant: string;
  reason: string;
  replacements: { toolId: string; name: string; installUrl?: string; note?: string }[];
  /** What the agent found of this tool (for this user, in the per-user view). */
  found: string[];
  exceptionUntil: string | null;
  whatToDo: string[];
}

export interface StatusView {
  /** The installed agent's version and build commit. */
  version: string;
  stateDir: string;
  /** `ok`, or `denied` when this user cannot read the agent's state folder at all. */
  access: 'ok' | 'denied';
  enrolled: boolean;
  /** Set while the agent waits for an enrollment; `lost` when its credential was lost. */
  needsEnrollment: { since: string | null; reason: string; lost: boolean } | null;
  summary: { user: string | null; bans: BanSummary[] };
  /** Notices shown (to this user, or to everyone in the full view), newest last. */
  notices: (ShownNotice & { user: string })[];
  /** `full` for the agent's own user; `user NAME` for an employee, who sees device-level messages and their own. */
  view: string;
  deviceId: string | null;
  serverUrl: string | null;
  agent: { running: boolean; pid: number | null; startedAt: string | null; lastScanAt: string | null };
  connection: { state: 'connected' | 'connecting' | 'disconnected' | 'not running'; since: string | null; lastError: string | null };
  clock: { serverNow: string; offsetMs: number | null; anchored: boolean };
  policy: {
    version: number;
    issuedAt: string;
    bans: {
      policyId: string;
      version: number;
      name: string;
      tools: string[];
      reason: string;
      stage: string;
      action: string;
      stages: { stage: string; from: string; instant: string; action: string }[];
      effective: string;
      effectiveInstant: string;
      replacements: string[];
    }[];
    exceptions: { id: string; toolId: string; user: string | null; expiresAt: string }[];
  } | null;
  policyRefusals: PolicyRefusal[];
  detections: { toolId: string; kind: string; user: string; path: string | null; version: string | null; confidence: number; stage: string; exempt: boolean; firstSeen: string; lastSeen: string }[];
  outbox: { pendingBatches: number; pendingEvents: number; lastGap: { at: string; dropped: number } | null };
  /** Collectors whose last run did not complete: their findings are kept, never reported absent. */
  collectorErrors: CollectorError[];
  lastSent: { at: string; message: unknown }[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/** Whether this user can reach files inside the state folder at all (o+x lets employees in). */
function canEnter(dir: string): boolean {
  try {
    accessSync(dir, fsConstants.X_OK);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true; // nothing there: "not enrolled" is then the truth
    return false;
  }
}

/** Whether the caller may read the agent's full records (the agent's own user, i.e. root for the service). */
function canRead(file: string): boolean {
  try {
    accessSync(file, fsConstants.R_OK);
    return true;
  } catch {
    return false; // absent or not ours: the caller gets the per-user view
  }
}

export function readStatus(paths: StatePaths, lastN: number, log?: Logger): StatusView {
  const me = safeUserName();
  if (!canEnter(paths.dir)) return deniedView(paths.dir, me);
  const enrollState = enrollmentState(paths.enrollment, log, true);
  const enrollment = enrollState.enrollment;
  const status = loadStatus(paths.status, log, false);
  // An employee (not the agent's user) sees the device-level messages and their own share.
  const full = !existsSync(paths.sentLog) || canRead(paths.sentLog);
  const running = !!status && alive(status.pid);
  const clock = new AgentClock(loadClock(paths.clock, log, false));
  const refusals: PolicyRefusal[] = [...(status?.policyRefusals ?? [])];
  const loaded = loadVerifiedPolicy(
    paths,
    enrollment?.serverPublicKey ?? status?.serverPublicKey,
    (source, reason) => refusals.push({ at: new Date().toISOString(), source, reason }),
    log,
    enrollment?.deviceId ?? status?.deviceId,
  );
  const bundle = loaded?.bundle;
  const now = clock.now();
  const deviceId = enrollment?.deviceId ?? status?.deviceId ?? '';
  const known: Record<string, KnownDetection> = full
    ? loadKnown(paths.detections, log, false)
    : Object.fromEntries((readJsonFile(viewPaths(paths.dir, me).detections!, z.array(KnownDetection), log, false) ?? []).map((k, i) => [String(i), k]));
  const outbox = full ? readPendingBatches(paths.outbox) : [];
  const needsEnrollment = running && status?.needsEnrollment
    ? { since: status.needsEnrollment.since, reason: status.needsEnrollment.reason, lost: status.needsEnrollment.lost }
    : !enrollment && enrollState.problem === 'needs-re-enrollment'
      ? { since: null, reason: `needs re-enrollment: ${enrollState.detail}`, lost: true }
      : null;
  return {
    version: EDICT_VERSION_LINE,
    stateDir: paths.dir,
    access: 'ok',
    enrolled: !!enrollment || (!!status?.deviceId && !status.needsEnrollment),
    needsEnrollment,
    summary: { user: full ? null : me, bans: bundle ? summarise(bundle.policies, bundle.catalog, bundle.exceptions, Object.values(known), { deviceId, tags: bundle.device.tags, user: full ? undefined : me }, now, readerLocale()) : [] },
    notices: full ? allNotices(paths.dir, log) : (readJsonFile(viewPaths(paths.dir, me).notices!, z.array(ShownNotice), log, false) ?? []).map((n) => ({ ...n, user: me })),
    deviceId: enrollment?.deviceId ?? status?.deviceId ?? null,
    serverUrl: enrollment?.serverUrl ?? status?.serverUrl ?? null,
    view: full ? 'full' : `user ${me}`,
    agent: { running, pid: running ? status!.pid : null, startedAt: status?.startedAt ?? null, lastScanAt: status?.lastScanAt ?? null },
    connection: running ? { state: status!.connection, since: status!.since, lastError: status!.lastError } : { state: 'not running', since: null, lastError: status?.lastError ?? null },
    clock: { serverNow: new Date(now).toISOString(), offsetMs: loadClock(paths.clock, undefined, false)?.offsetMs ?? null, anchored: clock.anchored },
    policy: bundle
      ? {
          version: bundle.version,
          issuedAt: bundle.issuedAt,
          bans: bundle.policies.map((p) => {
            const v = evaluateTool([p], { toolId: p.tools[0], deviceId, tags: bundle.device.tags }, now);
            const stages = (['notice', 'enforce', 'hard'] as const)
              .filter((s) => s === 'notice' || p.stages[s])
              .map((s) => ({
                stage: s,
                from: p.stages[s] ? `${p.stages[s]!.at} ${p.stages[s]!.timeZone}` : 'publish',
                instant: p.instants[s]!,
                action: s === 'notice' ? (p.stages.notice?.action ?? 'notify') : p.stages[s]!.action,
              }));
            return {
              policyId: p.id,
              version: p.version,
              name: p.name,
              tools: p.tools,
              reason: localized(p.reason, p.defaultLocale),
              stage: v.stage,
              action: v.action,
              stages,
              effective: `${p.stages.enforce.at} ${p.stages.enforce.timeZone}`,
              effectiveInstant: p.instants.enforce,
              replacements: p.replacements.map((r) => r.toolId),
            };
          }),
          exceptions: bundle.exceptions.map((e) => ({ id: e.id, toolId: e.toolId, user: e.user ?? null, expiresAt: e.expiresAt })),
        }
      : null,
    policyRefusals: refusals,
    detections: Object.values(known).map((k) => {
      const v = bundle
        ? evaluateTool(bundle.policies, { toolId: k.detection.toolId, user: k.detection.user, deviceId, tags: bundle.device.tags }, now, bundle.exceptions)
        : { stage: 'none', exception: undefined };
      return {
        toolId: k.detection.toolId,
        kind: k.detection.kind,
        user: k.detection.user,
        path: k.detection.evidence.path ?? null,
        version: k.detection.evidence.version ?? null,
        confidence: k.detection.confidence,
        stage: v.stage,
        exempt: !!v.exception,
        firstSeen: k.firstSeen,
        lastSeen: k.lastSeen,
      };
    }),
    outbox: { pendingBatches: outbox.length, pendingEvents: outbox.reduce((n, b) => n + b.events.length, 0), lastGap: status?.lastOutboxGap ?? null },
    collectorErrors: running ? (status?.collectorErrors ?? []) : [],
    lastSent: full
      ? new SentLog(paths.sentLog).last(lastN)
      : [...readJsonLines(viewPaths(paths.dir).deviceLog), ...readJsonLines(viewPaths(paths.dir, me).sent)].sort((a, b) => (a.at < b.at ? -1 : 1)).slice(-lastN),
  };
}

/** What `status` says to a user who cannot even enter the state folder. */
function deniedView(dir: string, me: string): StatusView {
  return {
    version: EDICT_VERSION_LINE,
    stateDir: dir,
    access: 'denied',
    enrolled: false,
    needsEnrollment: null,
    summary: { user: me, bans: [] },
    notices: [],
    view: `user ${me}`,
    deviceId: null,
    serverUrl: null,
    agent: { running: false, pid: null, startedAt: null, lastScanAt: null },
    connection: { state: 'not running', since: null, lastError: null },
    clock: { serverNow: new Date().toISOString(), offsetMs: null, anchored: false },
    policy: null,
    policyRefusals: [],
    detections: [],
    outbox: { pendingBatches: 0, pendingEvents: 0, lastGap: null },
    collectorErrors: [],
    lastSent: [],
  };
}

/** The reader's own language for texts the policy has in several (the screen itself is English). */
function readerLocale(): string {
  return localeOfTag(effectiveTag(process.env)) ?? 'en';
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? '?'}`; // a uid without a passwd entry (containers)
  }
}

/** Every user's shown notices (the agent's own user can list the views folder). */
function allNotices(stateDir: string, log?: Logger): (ShownNotice & { user: string })[] {
  const dir = viewPaths(stateDir).dir;
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.notices.json'));
  } catch {
    return []; // no notices shown yet (or not listable by this user)
  }
  return names
    .flatMap((f) => (readJsonFile(path.join(dir, f), z.array(ShownNotice), log, false) ?? []).map((n) => ({ ...n, user: f.slice(0, -'.notices.json'.length) })))
    .sort((a, b) => (a.at < b.at ? -1 : 1));
}

/**
 * The bans an employee must know about: every tool in a notice, enforce or hard stage for this
 * user (monitor is silent by policy), with dates, replacements, what was found and what to do.
 * In the full view (user undefined) a ban scoped to some users counts as applying.
 */
export function summarise(
  policies: readonly Policy[],
  catalog: readonly { id: string; displayName: string }[],
  exceptions: readonly ExceptionLike[],
  known: readonly KnownDetection[],
  subject: { deviceId: string; tags: string[]; user?: string },
  nowMs: number,
  locale = 'en',
): BanSummary[] {
  const name = (id: string) => catalog.find((t) => t.id === id)?.displayName ?? id;
  const out: BanSummary[] = [];
  for (const toolId of [...new Set(policies.flatMap((p) => p.tools))].sort()) {
    const scoped = subject.user === undefined ? policies.map((p) => ({ ...p, scope: { ...p.scope, users: [] } })) : policies;
    const v = evaluateTool(scoped, { toolId, deviceId: subject.deviceId, tags: subject.tags, user: subject.user }, nowMs, exceptions);
    if (!v.policy || (v.stage !== 'notice' && v.stage !== 'enforce' && v.stage !== 'hard')) continue;
    const p = v.policy;
    const enforce = p.stages.enforce;
    const found = known
      .filter((k) => k.detection.toolId === toolId && k.detection.kind !== 'usage')
      .map((k) => {
        const d = k.detection;
        const who = subject.user === undefined ? ` by ${d.user}` : '';
        return d.kind === 'running' ? `running${who} (pid ${d.evidence.pid ?? '?'})` : `installed${who} at ${d.evidence.path ?? '?'}`;
      });
    const replacements = p.replacements.map((r) => ({ toolId: r.toolId, name: name(r.toolId), ...(r.installUrl ? { installUrl: r.installUrl } : {}), ...(r.note ? { note: localized(r.note, locale) } : {}) }));
    const insteadNames = replacements.map((r) => r.name).join(' or ');
    const instead = replacements.length ? `, and use ${insteadNames} instead` : '';
    const whatToDo: string[] = [];
    if (v.exception) {
      whatToDo.push(`You have an exception until ${v.exception.expiresAt}: you may keep using ${name(toolId)} until then.`);
    } else if (v.stage === 'notice') {
      whatToDo.push(`Before ${enforce.at.replace('T', ' ')} (${enforce.timeZone}): stop using ${name(toolId)}${found.length ? ', uninstall it' : ''}${instead}.`);
      whatToDo.push(`To confirm you have read this: edict-agent ack ${toolId}`);
    } else {
      if (found.length) whatToDo.push(`Close ${name(toolId)}, uninstall it${instead}.${v.action === 'stop' ? ' Running copies are closed after a countdown (nothing on your disk is deleted).' : ''}`);
      else whatToDo.push(`Nothing to do while ${name(toolId)} is not installed or running${replacements.length ? `; use ${insteadNames}` : ''}.`);
      if (v.action === 'warn' && found.length) whatToDo.push(`To confirm you have read this: edict-agent ack ${toolId}`);
    }
    if (!v.exception && (found.length || v.stage === 'notice')) whatToDo.push(`If you need it for your work, ask for an exception: edict-agent request-exception ${toolId} --reason "…"`);
    out.push({
      toolId,
      toolName: name(toolId),
      stage: v.stage,
      action: v.action,
      enforcedFrom: `${enforce.at.replace('T', ' ')} (${enforce.timeZone})`,
      enforcedFromInstant: p.instants.enforce,
      reason: localized(p.reason, locale),
      replacements,
      found,
      exceptionUntil: v.exception?.expiresAt ?? null,
      whatToDo,
    });
  }
  return out;
}

function replacementLine(r: BanSummary['replacements'][number]): string {
  return `${r.name}${r.installUrl ? ` — ${r.installUrl}` : ''}${r.note ? ` — ${r.note}` : ''}`;
}

/** "in 3 days" / "2 hours ago", for dates an employee reads at a glance. */
function relative(iso: string, nowMs: number): string {
  const d = Date.parse(iso) - nowMs;
  const abs = Math.abs(d);
  const [n, unit] = abs >= 2 * 86_400_000 ? [Math.round(abs / 86_400_000), 'days'] : abs >= 2 * 3_600_000 ? [Math.round(abs / 3_600_000), 'hours'] : [Math.max(1, Math.round(abs / 60_000)), 'minutes'];
  return d >= 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}

export function renderStatus(v: StatusView): string {
  const lines: string[] = [];
  if (v.access === 'denied') {
    lines.push(`You cannot read the Edict agent's state folder ${v.stateDir} (permission denied).`);
    lines.push('This says nothing about whether this computer is enrolled: ask your IT department, or run this command as the agent\'s user (root).');
    return lines.join('\n') + '\n';
  }
  const nowMs = Date.parse(v.clock.serverNow);
  // 1. The ten-second summary.
  lines.push(v.summary.user ? `What Edict means for you (${v.summary.user}) on this computer` : 'What Edict means on this computer');
  if (v.needsEnrollment) {
    lines.push(`  ${v.needsEnrollment.lost ? 'This device needs re-enrollment' : 'This device is not enrolled yet'}: ${v.needsEnrollment.reason.replace(/^(needs re-enrollment|not enrolled): /, '')}.`);
    lines.push('  IT must run: edict-agent enroll --server URL --token TOKEN (the agent picks it up by itself).');
  }
  if (!v.policy) lines.push(v.enrolled ? '  No policy received from the server yet: nothing is banned here for now.' : '  No policy in force.');
  else if (!v.summary.bans.length) lines.push('  Nothing is banned for you here: no ban is announced or in force.');
  for (const b of v.summary.bans) {
    const when =
      b.stage === 'notice'
        ? `will be banned by company policy from ${b.enforcedFrom}, ${relative(b.enforcedFromInstant, nowMs)}`
        : `is banned by company policy since ${b.enforcedFrom}${b.action === 'stop' ? '; running copies are closed after a countdown' : ''}`;
    lines.push(`  ${b.toolName} ${when}.`);
    lines.push(`    Why: ${b.reason}`);
    if (b.found.length) lines.push(`    Found here: ${b.found.join('; ')}`);
    if (b.replacements.length === 1) lines.push(`    Use instead: ${replacementLine(b.replacements[0]!)}`);
    else if (b.replacements.length) {
      lines.push('    Use instead:');
      for (const r of b.replacements) lines.push(`      ${replacementLine(r)}`);
    }
    b.whatToDo.forEach((w, i) => lines.push(`    ${i === 0 ? 'What to do: ' : ''}${w}`));
  }
  lines.push('');
  // 2. The notices shown.
  const shown = v.notices.slice(-10);
  lines.push(shown.length ? `Notices shown${v.summary.user ? ' to you' : ''} (last ${shown.length}):` : `Notices shown${v.summary.user ? ' to you' : ''}: none`);
  for (const n of shown) lines.push(`  ${n.at}${v.summary.user ? '' : ` to ${n.user}`}: ${n.summary}`);
  lines.push('');
  // 3. The detail.
  lines.push(`Details — Edict agent ${v.version}, state in ${v.stateDir}`);
  lines.push(v.enrolled ? `Enrolled as ${v.deviceId} with ${v.serverUrl}` : v.needsEnrollment ? `Needs enrollment${v.deviceId ? ` (was ${v.deviceId} with ${v.serverUrl})` : ''}` : 'Not enrolled (run: edict-agent enroll --server URL --token TOKEN; the packaged service enrolls by itself from EDICT_SERVER and EDICT_ENROLL_TOKEN in /etc/edict/agent.env)');
  lines.push(`Agent: ${v.agent.running ? `running (pid ${v.agent.pid})` : 'not running'}; connection: ${v.connection.state}${v.connection.since ? ` since ${v.connection.since}` : ''}${v.connection.lastError ? ` (last error: ${v.connection.lastError})` : ''}`);
  lines.push(`Last scan: ${v.agent.lastScanAt ?? 'never'}; server time: ${v.clock.serverNow}${v.clock.anchored ? '' : ' (not yet verified against the server since boot)'}`);
  for (const e of v.collectorErrors) lines.push(`  check ${e.collector} cannot complete since ${e.since} (${e.code}: ${e.message}); what it found before is kept, nothing reported removed`);
  lines.push('');
  if (v.policy) {
    lines.push(`Policy in force (bundle version ${v.policy.version}, signed by the server):`);
    if (!v.policy.bans.length) lines.push('  no bans');
    for (const b of v.policy.bans) {
      lines.push(`  ${b.name} (v${b.version}): ${b.tools.join(', ')} — now: ${b.stage} (${b.action})${b.replacements.length ? ` — use instead: ${b.replacements.join(', ')}` : ''}`);
      for (const s of b.stages) lines.push(`    ${s.stage.padEnd(7)} from ${s.from} (${s.instant}), action ${s.action}`);
      lines.push(`    why: ${b.reason}`);
    }
    for (const e of v.policy.exceptions) lines.push(`  exception ${e.id}: ${e.toolId}${e.user ? ` for ${e.user}` : ' for this device'} until ${e.expiresAt}`);
  } else lines.push('Policy in force: none received yet');
  for (const r of v.policyRefusals) lines.push(`  REFUSED ${r.at} ${r.source}: ${r.reason}`);
  lines.push('');
  lines.push(`What this agent found (${v.detections.length}):`);
  for (const d of v.detections) {
    lines.push(`  ${d.toolId} ${d.kind} by ${d.user}${d.version ? ` v${d.version}` : ''} at ${d.path ?? '-'} [confidence ${d.confidence}, stage ${d.stage}${d.exempt ? ', exempt' : ''}]`);
  }
  lines.push('');
  lines.push(`Waiting to be sent: ${v.outbox.pendingEvents} events in ${v.outbox.pendingBatches} batches${v.outbox.lastGap ? `; outbox full at ${v.outbox.lastGap.at}: ${v.outbox.lastGap.dropped} events dropped (reported to the server as a gap)` : ''}`);
  lines.push(`Last ${v.lastSent.length} messages sent to the server, verbatim${v.view === 'full' ? '' : ` (device-level ones and those about ${v.view.slice(5)})`}:`);
  for (const s of v.lastSent) lines.push(`  ${s.at} ${JSON.stringify(s.message)}`);
  return lines.join('\n') + '\n';
}
