// `edict-agent status`: everything the agent knows and has sent, read from its state folder, so
// the employee can check it without trusting the running process. Never prints the credential.
import { existsSync } from 'node:fs';
import { evaluateTool } from '../../shared/src/policy/evaluate.js';
import type { Logger } from './log.js';
import type { StatePaths } from './paths.js';
import { loadClock, loadKnown, loadPolicy, loadStatus } from './state/agent-state.js';
import { loadEnrollment } from './state/enrollment.js';
import { Outbox } from './state/outbox.js';
import { SentLog } from './state/sent-log.js';

export interface StatusView {
  stateDir: string;
  enrolled: boolean;
  deviceId: string | null;
  serverUrl: string | null;
  agent: { running: boolean; pid: number | null; startedAt: string | null; lastScanAt: string | null };
  connection: { state: 'connected' | 'connecting' | 'disconnected' | 'not running'; since: string | null; lastError: string | null };
  clockOffsetMs: number | null;
  policy: {
    version: number;
    bans: { policyId: string; name: string; tools: string[]; effective: string; effectiveInstant: string; stage: string; replacements: string[] }[];
  } | null;
  detections: { toolId: string; kind: string; user: string; path: string | null; version: string | null; confidence: number; stage: string; firstSeen: string; lastSeen: string }[];
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

export function readStatus(paths: StatePaths, lastN: number, log?: Logger): StatusView {
  const enrollment = loadEnrollment(paths.enrollment, log);
  const status = loadStatus(paths.status, log);
  const running = !!status && alive(status.pid);
  const clock = loadClock(paths.clock, log);
  const bundle = loadPolicy(paths.policy, log);
  const now = Date.now() + (clock?.offsetMs ?? 0);
  const known = loadKnown(paths.detections, log);
  const outbox = existsSync(paths.outbox) ? new Outbox(paths.outbox, log).all() : [];
  return {
    stateDir: paths.dir,
    enrolled: !!enrollment,
    deviceId: enrollment?.deviceId ?? null,
    serverUrl: enrollment?.serverUrl ?? null,
    agent: { running, pid: running ? status!.pid : null, startedAt: status?.startedAt ?? null, lastScanAt: status?.lastScanAt ?? null },
    connection: running ? { state: status!.connection, since: status!.since, lastError: status!.lastError } : { state: 'not running', since: null, lastError: status?.lastError ?? null },
    clockOffsetMs: clock?.offsetMs ?? null,
    policy: bundle
      ? {
          version: bundle.version,
          bans: bundle.policies.map((p) => ({
            policyId: p.id,
            name: p.name,
            tools: p.tools,
            effective: `${p.effective.at} ${p.effective.timeZone}`,
            effectiveInstant: p.effectiveInstant,
            stage: evaluateTool([p], p.tools[0], now).stage,
            replacements: p.replacements.map((r) => r.toolId),
          })),
        }
      : null,
    detections: Object.values(known).map((k) => ({
      toolId: k.detection.toolId,
      kind: k.detection.kind,
      user: k.detection.user,
      path: k.detection.evidence.path ?? null,
      version: k.detection.evidence.version ?? null,
      confidence: k.detection.confidence,
      stage: evaluateTool(bundle?.policies ?? [], k.detection.toolId, now).stage,
      firstSeen: k.firstSeen,
      lastSeen: k.lastSeen,
    })),
    outbox: { pendingBatches: outbox.length, pendingEvents: outbox.reduce((n, b) => n + b.events.length, 0) },
    lastSent: new SentLog(paths.sentLog).last(lastN),
  };
}

export function renderStatus(v: StatusView): string {
  const lines: string[] = [];
  lines.push(`Edict agent — state in ${v.stateDir}`);
  lines.push(v.enrolled ? `Enrolled as ${v.deviceId} with ${v.serverUrl}` : 'Not enrolled (run: edict-agent enroll --server URL --token TOKEN)');
  lines.push(`Agent: ${v.agent.running ? `running (pid ${v.agent.pid})` : 'not running'}; connection: ${v.connection.state}${v.connection.since ? ` since ${v.connection.since}` : ''}${v.connection.lastError ? ` (last error: ${v.connection.lastError})` : ''}`);
  lines.push(`Last scan: ${v.agent.lastScanAt ?? 'never'}`);
  lines.push('');
  if (v.policy) {
    lines.push(`Policy in force (bundle version ${v.policy.version}):`);
    if (!v.policy.bans.length) lines.push('  no bans');
    for (const b of v.policy.bans) {
      lines.push(`  ${b.name}: ${b.tools.join(', ')} — effective ${b.effective} (${b.effectiveInstant}) — now: ${b.stage}${b.replacements.length ? ` — use instead: ${b.replacements.join(', ')}` : ''}`);
    }
  } else lines.push('Policy in force: none received yet');
  lines.push('');
  lines.push(`What this agent found (${v.detections.length}):`);
  for (const d of v.detections) {
    lines.push(`  ${d.toolId} ${d.kind} by ${d.user}${d.version ? ` v${d.version}` : ''} at ${d.path ?? '-'} [confidence ${d.confidence}, stage ${d.stage}]`);
  }
  lines.push('');
  lines.push(`Waiting to be sent: ${v.outbox.pendingEvents} events in ${v.outbox.pendingBatches} batches`);
  lines.push(`Last ${v.lastSent.length} messages sent to the server, verbatim:`);
  for (const s of v.lastSent) lines.push(`  ${s.at} ${JSON.stringify(s.message)}`);
  return lines.join('\n') + '\n';
}
