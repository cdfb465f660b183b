// Regression: a file where the outbox folder should be made the agent exit 1 on every start
// (EEXIST from mkdir), which the shipped systemd unit restarts forever. Now the file is set aside
// (`outbox.corrupt-<time>`) with a logged error, the folder is made afresh, and the agent keeps
// running and delivering.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

test('a file in place of the outbox folder is set aside; the agent keeps running and delivers', async () => {
  const setup = await enrollAgent(server.url, server.adminToken);
  const first = runAgent(setup);
  agents.push(first);
  await waitFor(async () => (await agentJson(setup, 'status')).connection.state === 'connected', 'first run connected');
  await first.stop();

  const outbox = path.join(setup.stateDir, 'outbox');
  rmSync(outbox, { recursive: true });
  writeFileSync(outbox, 'not a folder');
  const agent = runAgent(setup);
  agents.push(agent);
  const claude = spawnNamedSleeper('trae');
  sleepers.push(claude);
  await waitFor(async () => {
    const s = await agentJson(setup, 'status');
    return s.connection.state === 'connected' && s.outbox.pendingEvents === 0 && s.detections.some((d: any) => d.path === claude.exe);
  }, 'the agent delivering after start', 30_000);
  await waitFor(async () => ((await server.api('GET', `/devices/${setup.deviceId}/timeline?toolId=trae`)).body.items as any[]).length > 0, 'the finding on the server');
  expect(agent.child.exitCode).toBeNull();
  expect(statSync(outbox).isDirectory()).toBe(true);
  expect(readdirSync(setup.stateDir).filter((f) => f.startsWith('outbox.corrupt-'))).toHaveLength(1);
  expect(agent.output()).toMatch(/odd state file or folder moved aside/);
}, 90_000);
