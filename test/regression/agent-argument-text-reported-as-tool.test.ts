// Regression: a process whose arguments merely contained a package-runner command line was reported
// as the tool, and under a `stop` ban it would have been closed: a tmux server started with
// `tmux new-session … npx @anthropic-ai/claude-code` (closing it ends the user's whole session), a
// grep for that text in a log. Now a runner is recognised only when the process is itself the
// runner, and `stop` acts only on a strong identity (executable path, package, content).
// Real processes, real agent, real server, a `stop` ban in force: the tmux server, the pane's
// command and two greps are neither reported nor stopped; a real-shaped npx process (node whose
// title npm set to `npm exec @anthropic-ai/claude-code`) is reported but left running (argument
// text is not an identity); a node program inside a package named @anthropic-ai/claude-code is
// stopped — which also proves the agent had time to act on everything else. All of them run as a
// dedicated OS user the ban is scoped to (other tests' processes on this machine are not ours to stop).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { agentJson, enrollAgent, runAgent, type AgentProcess } from '../helpers/agent.js';
import { ensureTestUser, isRoot, type TestUser } from '../helpers/dbus.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const linux = process.platform === 'linux';
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const suite = linux && hasTmux && isRoot() ? test : test.skip;
if (!hasTmux || !isRoot()) console.warn('agent-argument-text-reported-as-tool: skipped — needs root and tmux (installed by .ci/run)');

let server: TestServer;
let agent: AgentProcess | undefined;
const kids: ChildProcess[] = [];
let tmuxSocket: string | undefined;
let u: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  if (isRoot()) u = ensureTestUser('edict-test-argtext');
});
afterAll(async () => {
  await agent?.stop();
  for (const k of kids) k.kill('SIGKILL');
  if (tmuxSocket) spawnSync('tmux', ['-S', tmuxSocket, 'kill-server'], { uid: u.uid, gid: u.gid });
  await server?.close();
  cleanupTempDirs();
});

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').split('\0').join(' ');

suite('argument text is never the tool: tmux and grep are neither reported nor stopped', async () => {
  await publishPolicy(server, {
    name: 'Claude Code stop',
    tools: ['claude-code'],
    reason: { en: 'Banned since July.' },
    stopCountdownSec: 10,
    scope: { users: [u.user] },
    stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai', action: 'stop' } },
  });
  const work = tempDir('edict-argtext-');
  chownSync(work, u.uid, u.gid);
  chmodSync(work, 0o755);
  const asUser = { uid: u.uid, gid: u.gid, cwd: work };

  // 1. A tmux server whose arguments hold the runner command line. Its pane runs a harmless `npx`
  // (a shell script that sleeps), so nothing is downloaded and nothing real starts.
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'npx'), '#!/bin/sh\nexec sleep 600\n');
  chmodSync(path.join(bin, 'npx'), 0o755);
  chmodSync(bin, 0o755);
  tmuxSocket = path.join(work, 'tmux.sock');
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', tmuxSocket!, ...args], { ...asUser, env: { PATH: `${bin}:/usr/bin:/bin`, TERM: 'xterm', HOME: u.home } }).toString().trim();
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'edict', 'npx @anthropic-ai/claude-code');
  const tmuxPid = Number(tmux('display-message', '-p', '#{pid}'));
  const panePid = Number(tmux('display-message', '-p', '#{pane_pid}'));
  expect(cmdline(tmuxPid)).toContain('npx @anthropic-ai/claude-code');

  // 2. Two greps holding the text (the runner line, and the path of the tool's script).
  const grep1 = spawn('grep', ['-F', 'npx @anthropic-ai/claude-code'], { ...asUser, stdio: ['pipe', 'ignore', 'ignore'] });
  const grep2 = spawn('grep', ['-r', '@anthropic-ai/claude-code/cli.js', '-'], { ...asUser, stdio: ['pipe', 'ignore', 'ignore'] });
  kids.push(grep1, grep2);

  // 3. What a real `npx @anthropic-ai/claude-code` looks like: node, title set by npm (argument text only).
  const runner = spawn(process.execPath, ['-e', "process.title = 'npm exec @anthropic-ai/claude-code'; setInterval(() => {}, 60000); // keep the argv long enough for the title"], { ...asUser, stdio: 'ignore' });
  kids.push(runner);
  await waitFor(() => cmdline(runner.pid!) === 'npm exec @anthropic-ai/claude-code', 'npm-style title');

  // 4. The tool itself, as npm installs it: node running cli.js inside the package (strong identity).
  const pkg = path.join(work, 'lib/node_modules/@anthropic-ai/claude-code');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@anthropic-ai/claude-code', version: '2.1.197' }));
  writeFileSync(path.join(pkg, 'cli.js'), 'setInterval(() => {}, 60000);\n');
  execFileSync('chmod', ['-R', 'a+rX', work]);
  const tool = spawn(process.execPath, [path.join(pkg, 'cli.js')], { ...asUser, stdio: 'ignore' });
  kids.push(tool);
  const toolExit = new Promise<NodeJS.Signals | null>((r) => tool.once('exit', (_c, sig) => r(sig)));

  const setup = await enrollAgent(server.url, server.adminToken);
  agent = runAgent(setup);
  const status = await agentJson(setup, 'status');
  const timeline = async () => (await server.api('GET', `/devices/${status.deviceId}/timeline?toolId=claude-code`)).body.items as any[];

  // The tool is warned, terminated and gone: by then the agent has polled and decided on everything.
  expect(await toolExit).toBe('SIGTERM');
  await waitFor(async () => (await timeline()).some((t) => t.kind === 'enforcement' && t.detail.pid === tool.pid && t.detail.step === 'exited'), 'the tool stopped, on the server', 30_000);

  const sent = readFileSync(path.join(setup.stateDir, 'sent.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).message);
  const events = sent.filter((m) => m.type === 'report').flatMap((m) => m.events);
  const reportedPids = new Set(events.filter((e: any) => e.type === 'detection').map((e: any) => e.detection.evidence.pid));
  const byPid = (pid: number) => events.find((e: any) => e.type === 'detection' && e.detection.evidence.pid === pid)?.detection;

  expect(byPid(tool.pid!)).toMatchObject({ toolId: 'claude-code', evidence: { signature: 'npm-package:@anthropic-ai/claude-code' } });
  expect(byPid(runner.pid!)).toMatchObject({ toolId: 'claude-code', evidence: { signature: 'runner:npm @anthropic-ai/claude-code' } });
  for (const pid of [tmuxPid, panePid, grep1.pid!, grep2.pid!]) expect({ pid, reported: reportedPids.has(pid) }).toEqual({ pid, reported: false });

  // Nothing but the tool was signalled; everything else still runs.
  const stopped = new Set((await timeline()).filter((t) => t.kind === 'enforcement').map((t) => t.detail.pid));
  expect([...stopped]).toEqual([tool.pid]);
  expect(spawnSync('tmux', ['-S', tmuxSocket, 'has-session', '-t', 'edict']).status).toBe(0);
  for (const k of [grep1, grep2, runner]) expect({ pid: k.pid, exit: k.exitCode, signal: k.signalCode }).toEqual({ pid: k.pid, exit: null, signal: null });
  // The agent said why the runner was left running.
  expect(agent.output()).toMatch(/not stopping a process identified only by weak evidence/);
}, 90_000);
