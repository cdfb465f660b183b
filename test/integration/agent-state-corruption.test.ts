// Every odd state file or folder a stopped agent's state folder can hold — truncated, a folder
// where a file should be, a FIFO (reading it would block forever), a file where a folder should
// be — is set aside with a logged error, and the agent starts, connects, scans and delivers. One
// real agent per case against a real server, from a state folder a first run filled.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { agentJson, enrollAgent, runAgent, type AgentProcess, type AgentSetup } from '../helpers/agent.js';
import { spawnNamedSleeper, type NamedProcess } from '../helpers/processes.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
const agents: AgentProcess[] = [];
const sleepers: NamedProcess[] = [];
beforeAll(async () => {
  server = await startTestServer();
  await publishPolicy(server, { name: 'Trae ban', tools: ['trae'], reason: { en: 'Not approved.' }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai', action: 'report' } } });
});
afterAll(async () => {
  for (const s of sleepers) s.kill();
  for (const a of agents) await a.stop();
  await server?.close();
  cleanupTempDirs();
});

const folderAt = (f: string) => (dir: string) => {
  rmSync(path.join(dir, f), { recursive: true, force: true });
  mkdirSync(path.join(dir, f, 'inside'), { recursive: true });
};
const fileAt = (f: string) => (dir: string) => {
  rmSync(path.join(dir, f), { recursive: true, force: true });
  writeFileSync(path.join(dir, f), 'not a folder');
};
const truncated = (f: string) => (dir: string) => writeFileSync(path.join(dir, f), readFileSync(path.join(dir, f), 'utf8').slice(0, 10));
const fifoAt = (f: string) => (dir: string) => {
  rmSync(path.join(dir, f), { force: true });
  execFileSync('mkfifo', [path.join(dir, f)]);
};

/** (case, corruption, something that makes the agent touch the file when starting does not) */
const CASES: [string, (dir: string) => void, (() => Promise<unknown>)?][] = [
  ['detections.json truncated', truncated('detections.json')],
  ['detections.json is a folder', folderAt('detections.json')],
  ['status.json is a folder', folderAt('status.json')],
  ['clock.json is a FIFO', fifoAt('clock.json')],
  ['policy-policies.json is a folder', folderAt('policy-policies.json')],
  ['policy.json (where protocol 1 kept the policy) is a folder', folderAt('policy.json')],
  // Written only when a new policy arrives: one is published once the agent runs.
  ['policy-policies.prev.json is a folder', folderAt('policy-policies.prev.json'), () => publishPolicy(server, { name: 'Another ban', tools: ['cursor'], reason: { en: 'Not approved.' }, stages: { enforce: { at: '2099-07-10T00:00', timeZone: 'Asia/Shanghai' } } })],
  ['sent.jsonl is a folder', folderAt('sent.jsonl')],
  ['sent-device.jsonl is a folder', folderAt('sent-device.jsonl')],
  ['users is a file', fileAt('users')],
  ['requests is a file', fileAt('requests')],
  [
    'outbox/corrupt is a file, and a batch is a folder',
    (dir) => {
      writeFileSync(path.join(dir, 'outbox', 'corrupt'), 'not a folder');
      mkdirSync(path.join(dir, 'outbox', '000000000000001-000000-00000000-0000-4000-8000-000000000000.json'));
    },
  ],
];

// Every row has three cells (jest takes a shorter row's missing cell for a `done` callback).
test.each(CASES.map(([n, c, t]) => [n, c, t ?? null] as const))('%s: set aside with a logged error; the agent runs and delivers', async (_name, corrupt, trigger) => {
  const setup: AgentSetup = await enrollAgent(server.url, server.adminToken);
  // A first run with a finding fills every state file (detections.json is not just `{}`).
  const before = spawnNamedSleeper('trae');
  sleepers.push(before);
  const first = runAgent(setup);
  agents.push(first);
  await waitFor(async () => {
    const s = await agentJson(setup, 'status');
    return s.connection.state === 'connected' && s.detections.some((d: any) => d.path === before.exe) && s.outbox.pendingEvents === 0;
  }, 'a first run connected and delivered');
  await first.stop();

  corrupt(setup.stateDir);
  const agent = runAgent(setup);
  agents.push(agent);
  const claude = spawnNamedSleeper('trae');
  sleepers.push(claude);
  if (trigger) {
    await waitFor(async () => (await agentJson(setup, 'status')).connection.state === 'connected', 'connected');
    await trigger();
  }
  const s = await waitFor(async () => {
    const v = await agentJson(setup, 'status');
    return v.connection.state === 'connected' && v.outbox.pendingEvents === 0 && v.detections.some((d: any) => d.path === claude.exe) ? v : undefined;
  }, 'the agent connected, scanning and delivering', 30_000);
  expect(s.agent.running).toBe(true);
  expect(agent.child.exitCode).toBeNull();
  await waitFor(() => /moved aside|moved to outbox\/corrupt/.test(agent.output()), 'the set-aside logged');
  const aside = [...readdirSync(setup.stateDir), ...readdirSync(path.join(setup.stateDir, 'outbox')).map((f) => `outbox/${f}`)].filter((f) => f.includes('.corrupt-') || f === 'outbox/corrupt');
  expect(aside.length).toBeGreaterThan(0);
  await agent.stop();
  claude.kill();
  before.kill();
}, 90_000);
