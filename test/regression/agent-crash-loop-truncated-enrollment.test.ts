// Regression: a truncated enrollment.json (a stopped agent's file cut short, as a full disk or a
// crash leaves it) made `edict-agent run` exit 1 on every start, which the shipped systemd unit
// restarts forever. Now the file is set aside with a logged error and the agent keeps running,
// saying plainly — in `status` and in its log — that the device needs re-enrollment (and which
// device it was); when an admin enrolls it again, the running agent picks that up and connects.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { agentJson, enrollAgent, runAgent, type AgentProcess } from '../helpers/agent.js';
import { AGENT_CLI } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
const agents: AgentProcess[] = [];
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const a of agents) await a.stop();
  await server?.close();
  cleanupTempDirs();
});

test('truncated enrollment.json: set aside, the agent keeps running and says "needs re-enrollment"; a new enrollment is picked up', async () => {
  const setup = await enrollAgent(server.url, server.adminToken);
  const first = runAgent(setup);
  agents.push(first);
  await waitFor(async () => (await agentJson(setup, 'status')).connection.state === 'connected', 'first run connected');
  await first.stop();

  const file = path.join(setup.stateDir, 'enrollment.json');
  writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40)); // cut short mid-value
  const agent = runAgent(setup);
  agents.push(agent);
  const status = await waitFor(async () => {
    const s = await agentJson(setup, 'status');
    return s.agent.running && s.needsEnrollment ? s : undefined;
  }, 'status of the waiting agent');
  expect(status.needsEnrollment).toMatchObject({ lost: true, reason: expect.stringContaining(`this was device ${setup.deviceId}`) });
  expect(status.needsEnrollment.reason).toMatch(/enrollment\.json was unreadable .* set aside as enrollment\.json\.corrupt-/);
  expect(status.enrolled).toBe(false);
  expect(readdirSync(setup.stateDir).filter((f) => f.startsWith('enrollment.json.corrupt-'))).toHaveLength(1);
  expect(agent.output()).toMatch(/state file was corrupt; moved aside and reset/);
  expect(agent.output()).toMatch(/this device needs re-enrollment/);
  const text = (await promisify(execFile)(process.execPath, [AGENT_CLI, '--state-dir', setup.stateDir, 'status'])).stdout;
  expect(text.split('\n').slice(0, 3).join('\n')).toMatch(/This device needs re-enrollment: .*credential is lost/);
  expect(agent.child.exitCode).toBeNull();

  // IT enrolls the device again: the running agent starts with the new credential.
  const token = (await server.api('POST', '/enrollment-tokens', { label: 're-enroll' })).body.token as string;
  const { stdout } = await promisify(execFile)(process.execPath, [AGENT_CLI, '--state-dir', setup.stateDir, 'enroll', '--server', server.url, '--token', token]);
  const newId = /enrolled as (\S+)/.exec(stdout)![1];
  const after = await waitFor(async () => {
    const s = await agentJson(setup, 'status');
    return s.connection.state === 'connected' && s.deviceId === newId ? s : undefined;
  }, 'agent connected with the new enrollment', 30_000);
  expect(after.needsEnrollment).toBeNull();
  expect(agent.child.exitCode).toBeNull();
}, 90_000);
