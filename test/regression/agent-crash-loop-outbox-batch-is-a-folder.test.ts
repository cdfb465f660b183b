// Regression: a folder where an outbox batch file should be (`outbox/<time>-<seq>-<id>.json/`, as a
// confused user or a bad restore leaves it) made the agent exit 1 on every start (EISDIR while
// reading the queue), which the shipped systemd unit restarts forever. Now it is moved to
// outbox/corrupt/ with a logged error, and the agent keeps running and delivering.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { agentJson, enrollAgent, runAgent, type AgentProcess } from '../helpers/agent.js';
import { spawnNamedSleeper, type NamedProcess } from '../helpers/processes.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
const agents: AgentProcess[] = [];
const sleepers: NamedProcess[] = [];
beforeAll(async () => {
  server = await startTestServer();
  // A ban in force, so a finding becomes a state change in the device's timeline on the server.
  await publishPolicy(server, { name: 'Trae ban', tools: ['trae'], reason: { en: 'Not approved.' }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai', action: 'report' } } });
});
afterAll(async () => {
  for (const s of sleepers) s.kill();
  for (const a of agents) await a.stop();
  await server?.close();
  cleanupTempDirs();
});

test('a folder named like an outbox batch is set aside; the agent keeps running and delivers', async () => {
  const setup = await enrollAgent(server.url, server.adminToken);
  const first = runAgent(setup);
  agents.push(first);
  await waitFor(async () => (await agentJson(setup, 'status')).connection.state === 'connected', 'first run connected');
  await first.stop();

  const outbox = path.join(setup.stateDir, 'outbox');
  const odd = path.join(outbox, '000000000000001-000000-00000000-0000-4000-8000-000000000000.json');
  mkdirSync(odd);
  writeFileSync(path.join(odd, 'note'), 'not a batch');
  const agent = runAgent(setup);
  agents.push(agent);
  const claude = spawnNamedSleeper('trae');
  sleepers.push(claude);
  // Delivered: a new finding reaches the server through the outbox.
  await waitFor(async () => {
    const events = (await server.api('GET', `/devices/${setup.deviceId}/timeline?toolId=trae`)).body.items as any[];
    const s = await agentJson(setup, 'status');
    return s.connection.state === 'connected' && s.outbox.pendingEvents === 0 && s.detections.some((d: any) => d.path === claude.exe) && events.length > 0;
  }, 'the agent delivering after start', 30_000);
  expect(agent.child.exitCode).toBeNull();
  expect(readdirSync(outbox).some((f) => f.startsWith('000000000000001-'))).toBe(false);
  expect(readdirSync(path.join(outbox, 'corrupt')).some((f) => f.startsWith('000000000000001-'))).toBe(true);
  expect(agent.output()).toMatch(/odd entry in the outbox; moved to outbox\/corrupt/);
}, 90_000);
