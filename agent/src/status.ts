// `edict-agent status`: everything the agent knows and has sent, read from its state folder, so
// the employee can check it without trusting the running process. Never prints the credential.
// Stages are evaluated on the same server-anchored clock the agent uses.
import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { evaluateTool, localized } from '../../shared/src/policy/evaluate.js';
import { EDICT_VERSION_LINE } from '../../shared/src/version.js';
import { AgentClock } from './clock.js';
import type { Logger } from './log.js';
import type { StatePaths } from './paths.js';
import { KnownDetection, loadClock, loadKnown, loadStatus, loadVerifiedPolicy, type PolicyRefusal } from './state/agent-state.js';
import { readJsonFile } from './state/json-file.js';
import { readJsonLines, viewPaths } from './state/user-views.js';
import { loadEnrollment } from './state/enrollment.js';
import { Outbox } from './state/outbox.js';
import { SentLog } from './state/sent-log.js';

export interface StatusView {
  /** The installed agent's version and build commit. */
  version: string;
  stateDir: string;
  enrolled: boolean;
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
  outbox: { pendingBatches: number; pendingEvents: number };
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

/** Pending batches, or none visible: the outbox is the agent's own folder (an employee cannot list it). */
function readOutbox(dir: string, log?: Logger) {
  if (!existsSync(dir)) return [];
  try {
    return new Outbox(dir, log).all();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') return [];
    throw err;
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
  const enrollment = loadEnrollment(paths.enrollment, log);
  const status = loadStatus(paths.status, log);
  // An employee (not the agent's user) sees the device-level messages and their own share.
  const me = os.userInfo().username;
  const full = !existsSync(paths.sentLog) || canRead(paths.sentLog);
  const running = !!status && alive(status.pid);
  const clock = new AgentClock(loadClock(paths.clock, log));
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
    ? loadKnown(paths.detections, log)
    : Object.fromEntries((readJsonFile(viewPaths(paths.dir, me).detections!, z.array(KnownDetection), log, false) ?? []).map((k, i) => [String(i), k]));
  const outbox = readOutbox(paths.outbox, log);
  return {
    version: EDICT_VERSION_LINE,
    stateDir: paths.dir,
    enrolled: !!enrollment || !!status?.deviceId,
    deviceId: enrollment?.deviceId ?? status?.deviceId ?? null,
    serverUrl: enrollment?.serverUrl ?? status?.serverUrl ?? null,
    view: full ? 'full' : `user ${me}`,
    agent: { running, pid: running ? status!.pid : null, startedAt: status?.startedAt ?? null, lastScanAt: status?.lastScanAt ?? null },
    connection: running ? { state: status!.connection, since: status!.since, lastError: status!.lastError } : { state: 'not running', since: null, lastError: status?.lastError ?? null },
    clock: { serverNow: new Date(now).toISOString(), offsetMs: loadClock(paths.clock)?.offsetMs ?? null, anchored: clock.anchored },
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
    outbox: { pendingBatches: outbox.length, pendingEvents: outbox.reduce((n, b) => n + b.events.length, 0) },
    lastSent: full
      ? new SentLog(paths.sentLog).last(lastN)
      : [...readJsonLines(viewPaths(paths.dir).deviceLog), ...readJsonLines(viewPaths(paths.dir, me).sent)].sort((a, b) => (a.at < b.at ? -1 : 1)).slice(-lastN),
  };
}

export function renderStatus(v: StatusView): string {
  const lines: string[] = [];
  lines.push(`Edict agent ${v.version} — state in ${v.stateDir}`);
  lines.push(
    v.enrolled
      ? `Enrolled as ${v.deviceId} with ${v.serverUrl}`
      : 'Not enrolled (run: edict-agent enroll --server URL --token TOKEN; the packaged service enrolls by itself from EDICT_SERVER and EDICT_ENROLL_TOKEN in /etc/edict/agent.env)',
  );
  lines.push(`Agent: ${v.agent.running ? `running (pid ${v.agent.pid})` : 'not running'}; connection: ${v.connection.state}${v.connection.since ? ` since ${v.connection.since}` : ''}${v.connection.lastError ? ` (last error: ${v.connection.lastError})` : ''}`);
  lines.push(`Last scan: ${v.agent.lastScanAt ?? 'never'}; server time: ${v.clock.serverNow}${v.clock.anchored ? '' : ' (not yet verified against the server since boot)'}`);
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
  lines.push(`Waiting to be sent: ${v.outbox.pendingEvents} events in ${v.outbox.pendingBatches} batches`);
  lines.push(`Last ${v.lastSent.length} messages sent to the server, verbatim${v.view === 'full' ? '' : ` (device-level ones and those about ${v.view.slice(5)})`}:`);
  for (const s of v.lastSent) lines.push(`  ${s.at} ${JSON.stringify(s.message)}`);
  return lines.join('\n') + '\n';
}
