// Regression: one unprivileged user could push ~16,700 events an hour through the request spool
// (20 per pass, every few seconds), each sent to the server. Now requests are limited per user (20
// an hour, counted by the agent in a ledger the user cannot edit): the flood's excess is refused
// and never sent, and the employee's own command says that it was refused, why, and from when it
// will be taken again. A real agent as root, a real second OS user writing into the spool both
// directly (a script) and through `edict-agent ack` (run from a copy that user can read).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { agentJson, enrollAgent, runAgent, type AgentProcess, type AgentSetup } from '../helpers/agent.js';
import { ensureTestUser, isRoot, type TestUser } from '../helpers/dbus.js';
import { readableAgentCli } from '../helpers/readable-copy.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const run = isRoot() ? test : test.skip;
if (!isRoot()) console.warn('agent-request-spool-flood: skipped — needs root (a second OS user)');

let server: TestServer;
let agent: AgentProcess | undefined;
let u: TestUser;
beforeAll(async () => {
  server = await startTestServer();
  if (isRoot()) u = ensureTestUser('edict-test-flood');
});
afterAll(async () => {
  await agent?.stop();
  await server?.close();
  cleanupTempDirs();
});

/** Writes n ack requests straight into the spool as the user, the way a script would. */
function flood(setup: AgentSetup, n: number, tag: string): void {
  const dir = path.join(setup.stateDir, 'requests');
  const lines = Array.from({ length: n }, (_, i) => {
    const body = JSON.stringify({ kind: 'ack', requestId: crypto.randomUUID(), toolId: 'claude-code', at: new Date().toISOString() });
    return `printf '%s' '${body}' > ${dir}/.${tag}${i}.tmp && mv ${dir}/.${tag}${i}.tmp ${dir}/${tag}${i}.json`;
  });
  const r = spawnSync('/bin/sh', ['-c', `umask 077; ${lines.join(' && ')}`], { uid: u.uid, gid: u.gid, cwd: '/', env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
  expect(r.stderr).toBe('');
}

const spoolEmpty = (setup: AgentSetup) => () => readdirSync(path.join(setup.stateDir, 'requests')).filter((f) => !f.startsWith('.')).length === 0;

run('a flood is capped at 20 requests an hour per user; the excess is refused, never sent, and the command says why', async () => {
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

  flood(setup, 25, 'a');
  await waitFor(spoolEmpty(setup), 'the flood taken', 30_000);
  const acked = async () => ((await server.api('GET', `/devices/${setup.deviceId}/timeline?toolId=claude-code`)).body.items as any[]).filter((t) => t.kind === 'acknowledged').length;
  await waitFor(async () => (await acked()) === 20, '20 acknowledgements on the server', 30_000);

  // The employee's command: refused at once, with the reason and when it will work again.
  const cli = readableAgentCli();
  const asUser = (...args: string[]) =>
    promisify(execFile)(process.execPath, [cli, '--state-dir', setup.stateDir, ...args], { uid: u.uid, gid: u.gid, env: { PATH: '/usr/bin:/bin', HOME: u.home } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
  const refused = await asUser('ack', 'claude-code');
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/EDICT_ERR_REQUEST_REFUSED: .*you made 20 requests in the last hour \(at most 20\); try again after \d{4}-\d\d-\d\dT/);

  // A script that skips the command is refused by the agent itself, which tells the user's own list why.
  const results = () => JSON.parse(readFileSync(path.join(setup.stateDir, 'users', `${u.user}.requests.json`), 'utf8')) as any[];
  const refusedBefore = results().filter((r) => !r.accepted).length;
  flood(setup, 2, 'b');
  await waitFor(spoolEmpty(setup), 'the second flood taken', 30_000);
  // The outcome is written to the user's list right after the files are removed.
  await waitFor(() => results().filter((r) => !r.accepted).length >= refusedBefore + 2, 'the refusals in the user\'s list', 30_000);
  const mine = results();
  expect(mine.filter((r) => r.accepted)).toHaveLength(20);
  // (The flood's first 25 may span two passes: what one pass took beyond 20 is refused the same way.)
  const refusedByAgent = mine.filter((r) => !r.accepted);
  expect(refusedByAgent.length).toBeGreaterThanOrEqual(2);
  for (const r of refusedByAgent) expect(r.reason).toMatch(/^more than 20 requests in one hour from edict-test-flood; the next one is taken after \d{4}-/);
  const sent = readFileSync(path.join(setup.stateDir, 'sent.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).message);
  expect(sent.filter((m) => m.type === 'report').flatMap((m) => m.events).filter((e: any) => e.type === 'acknowledgement')).toHaveLength(20);
  expect(await acked()).toBe(20);
  // Refusals of the same kind are logged once per period, not once per file.
  expect(agent.output().match(/employee request refused/g)).toHaveLength(1);
}, 120_000);
