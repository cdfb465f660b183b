// Regression: 200 folders an employee left in the request spool (which the agent cannot delete: it
// never deletes a folder's contents, and they are not empty) made the agent log ~3,200 lines every
// 30 s, forever. Now a persistent condition is logged once per period (an hour), not once per file
// per pass, and empty folders are simply removed. A real agent as root and a real second OS user;
// several passes of the agent are proven by `edict-agent ack` commands that each wait for it.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { agentJson, enrollAgent, runAgent, type AgentProcess } from '../helpers/agent.js';
import { ensureTestUser, isRoot, type TestUser } from '../helpers/dbus.js';
import { readableAgentCli } from '../helpers/readable-copy.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const run = isRoot() ? test : test.skip;
if (!isRoot()) console.warn('agent-spool-undeletable-folders-log-flood: skipped — needs root (a second OS user)');

let server: TestServer;
let agent: AgentProcess | undefined;
let u: TestUser;
beforeAll(async () => {
  server = await startTestServer();
  if (isRoot()) u = ensureTestUser('edict-test-spool');
});
afterAll(async () => {
  await agent?.stop();
  await server?.close();
  cleanupTempDirs();
});

run('200 undeletable folders in the spool are logged once, not once per folder per pass; empty ones are removed', async () => {
  await publishPolicy(server, {
    name: 'Claude Code ban',
    tools: ['claude-code'],
    reason: { en: 'Not approved.' },
    scope: { users: [u.user] },
    stages: { enforce: { at: '2099-07-10T00:00', timeZone: 'Asia/Shanghai', action: 'warn' } },
  });
  const setup = await enrollAgent(server.url, server.adminToken, { homes: [{ user: u.user, home: u.home }] });
  agent = runAgent(setup);
  await waitFor(async () => (await agentJson(setup, 'status')).policy?.bans.length === 1, 'agent holding the policy');
  const spool = path.join(setup.stateDir, 'requests');
  const made = spawnSync('/bin/sh', ['-c', `cd ${spool} && for i in $(seq 1 200); do mkdir full$i && : > full$i/x; done && for i in 1 2 3 4 5; do mkdir empty$i; done`], {
    uid: u.uid,
    gid: u.gid,
    env: { PATH: '/usr/bin:/bin' },
    encoding: 'utf8',
  });
  expect(made.status).toBe(0);

  // Three acknowledgements, one after the other: each command returns once the agent took it, so
  // the agent has looked at the 200 folders in at least three passes.
  const cli = readableAgentCli();
  for (let i = 0; i < 3; i++) {
    const r = await promisify(execFile)(process.execPath, [cli, '--state-dir', setup.stateDir, 'ack', 'claude-code'], { uid: u.uid, gid: u.gid, env: { PATH: '/usr/bin:/bin', HOME: u.home } });
    expect(r.stdout).toMatch(/^Acknowledged the notice about claude-code/);
  }
  const out = agent.output();
  expect(out.match(/refused an employee request file/g)).toHaveLength(1);
  expect(out.match(/could not remove a request file/g)).toHaveLength(1);
  // The empty folders are gone; the full ones (the employee's files) are left alone.
  await waitFor(() => ![1, 2, 3, 4, 5].some((i) => existsSync(path.join(spool, `empty${i}`))), 'empty folders removed');
  expect(readdirSync(spool).filter((f) => f.startsWith('full'))).toHaveLength(200);
}, 120_000);
