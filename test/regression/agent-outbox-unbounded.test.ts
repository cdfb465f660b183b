// Regression: the outbox was unbounded while the server was down (~230 bytes per event, forever).
// Now it is bounded by size (agent.json `outbox.maxBytes`, default 16 MiB; 64 KiB here): over the
// bound, events that only restate a finding are collapsed, then the oldest events whose loss keeps
// every finding's last state are dropped, and the drop is recorded as a `gap` event (how many,
// which period, which tools) that reaches the server's timeline after it comes back. Real agent,
// real server process killed and restarted, real processes starting and ending while it is down
// (copies of /bin/sleep named `trae`: a tool no other test watches, so hundreds of them disturb no
// other test's agent on this machine).
import { afterAll, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { agentJson, enrollAgent, runAgent, stopChild, type AgentProcess, type AgentSetup } from '../helpers/agent.js';
import { spawnNamedSleeper, type NamedProcess } from '../helpers/processes.js';
import { api, freePort, publishPolicy, spawnServerProcess, type ServerProcess } from '../helpers/server.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const MAX_BYTES = 64 * 1024;
let server: ServerProcess | undefined;
let agent: AgentProcess | undefined;
const sleepers: NamedProcess[] = [];
afterAll(async () => {
  for (const s of sleepers) s.kill();
  await agent?.stop();
  if (server) await stopChild(server.child);
  cleanupTempDirs();
});

function outboxBytes(setup: AgentSetup): number {
  const dir = path.join(setup.stateDir, 'outbox');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
}

test('over its bound the outbox drops the oldest spare events, records a gap, and the gap reaches the server timeline', async () => {
  const dataDir = tempDir('edict-server-');
  const port = await freePort();
  server = await spawnServerProcess(dataDir, port);
  const adminToken = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const srv = { api: (m: string, p: string, b?: unknown) => api(server!.url, adminToken, m, p, b) };
  await publishPolicy(srv, { name: 'Trae ban', tools: ['trae'], reason: { en: 'Not approved.' }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai', action: 'report' } } });
  const setup = await enrollAgent(server.url, adminToken, {}, { outbox: { maxBytes: MAX_BYTES } });
  agent = runAgent(setup);
  await waitFor(async () => (await agentJson(setup, 'status')).connection.state === 'connected', 'agent connected');

  await stopChild(server.child, 'SIGKILL');
  server = undefined;
  // One copy that keeps running through the outage: its finding must survive any drop.
  const steady = spawnNamedSleeper('trae');
  sleepers.push(steady);
  // Copies that start and end while the server is down, round after round, until the bound bites.
  let status: any;
  for (let round = 0; round < 12; round++) {
    const batch = Array.from({ length: 40 }, () => spawnNamedSleeper('trae'));
    sleepers.push(...batch);
    const exes = new Set(batch.map((b) => b.exe));
    await waitFor(async () => (await agentJson(setup, 'status')).detections.filter((d: any) => exes.has(d.path)).length === 40, `round ${round}: 40 copies seen`, 30_000);
    for (const b of batch) b.kill();
    status = await waitFor(async () => {
      const s = await agentJson(setup, 'status');
      return s.detections.some((d: any) => exes.has(d.path)) ? undefined : s;
    }, `round ${round}: copies seen gone`, 30_000);
    expect(outboxBytes(setup)).toBeLessThanOrEqual(MAX_BYTES);
    if (status.outbox.lastGap) break;
  }
  expect(status.outbox.lastGap).toMatchObject({ dropped: expect.any(Number) });
  const pending = status.outbox.pendingEvents;
  expect(pending).toBeGreaterThan(0);

  // The server comes back: the queue drains, the gap is in the timeline, the steady copy is present.
  server = await spawnServerProcess(dataDir, port);
  await waitFor(async () => {
    const s = await agentJson(setup, 'status');
    return s.connection.state === 'connected' && s.outbox.pendingEvents === 0;
  }, 'outbox drained after restart', 60_000);
  const sent = readFileSync(path.join(setup.stateDir, 'sent.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).message);
  const gaps = sent.filter((m) => m.type === 'report').flatMap((m) => m.events).filter((e: any) => e.type === 'gap');
  expect(gaps.length).toBeGreaterThan(0);
  // (Other tests' processes on this machine — real tools — may be in the dropped events too.)
  for (const g of gaps) expect(g).toMatchObject({ reason: 'outbox-full', tools: expect.arrayContaining(['trae']), byType: { detection: g.dropped } });
  const timeline = (await srv.api('GET', `/devices/${setup.deviceId}/timeline?toolId=trae`)).body.items as any[];
  const recorded = timeline.filter((t) => t.kind === 'report-gap');
  expect(recorded.map((t) => t.detail.dropped).sort()).toEqual(gaps.map((g: any) => g.dropped).sort());
  expect(recorded[0].cause).toMatch(/agent events from .* were dropped/);
  const compliance = (await srv.api('GET', '/compliance?toolId=trae')).body.items.find((i: any) => i.deviceId === setup.deviceId);
  expect(compliance.state).toBe('violating'); // the steady copy still runs: never a false "remediated"
  const steadyEvents = sent.filter((m) => m.type === 'report').flatMap((m) => m.events).filter((e: any) => e.type === 'detection' && e.detection.evidence.pid === steady.child.pid);
  expect(steadyEvents.map((e: any) => e.state)).toContain('present');
}, 240_000);
