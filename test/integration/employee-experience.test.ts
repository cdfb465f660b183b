// The employee's experience, end to end, with a real agent running as root, a real server, and a
// separate real OS user (edict-test-employee) logged in to a real session D-Bus with a notification
// server on it: notices in English and Chinese, `edict-agent ack` and `request-exception` run as
// that user and round-tripping through the server into the device timeline, the decision coming
// back as a notice, the `stop` action's countdown ending the banned process (and nothing else: not
// a lookalike, not a copy known by its name only), and every message the agent sent checked
// against docs/privacy.md. The employee's commands run from a readable copy of the program (the
// checkout itself may be in a folder other users cannot enter).
// Needs root and Debian's dbus + libglib2.0-bin (installed by .ci/run).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { agentJson, enrollAgent, runAgent, type AgentProcess, type AgentSetup } from '../helpers/agent.js';
import { ensureTestUser, isRoot, requireDbusTools, startNotificationServer, startSessionBus, startUserSessionProcess, type NotificationServer, type SessionBus, type TestUser } from '../helpers/dbus.js';
import { readableAgentCli } from '../helpers/readable-copy.js';
import { undocumentedFields } from '../helpers/privacy.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const suite = isRoot() ? describe : describe.skip;
if (!isRoot()) console.warn('employee-experience: skipped — needs root (agent as a service, a second OS user)');

suite('employee experience with a real agent, server, user session and D-Bus', () => {
  let u: TestUser;
  let server: TestServer;
  let bus: SessionBus;
  let notifications: NotificationServer;
  let session: ChildProcess | undefined;
  const agents: AgentProcess[] = [];
  const procs: ChildProcess[] = [];
  let runtimeDir: string;
  /** The first test's device, which the commands test reuses. */
  let noticeSetup: AgentSetup | undefined;

  /**
   * A node program inside a package named @anthropic-ai/claude-code, run as the test user: what an
   * npm-installed Claude Code looks like in the process table (identified by its package, strong
   * enough for `stop`). The program itself only waits.
   */
  function userPackageProcess(): ChildProcess {
    const dir = tempDir('edict-pkg-');
    const pkg = path.join(dir, 'lib/node_modules/@anthropic-ai/claude-code');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@anthropic-ai/claude-code', version: '2.1.197' }));
    writeFileSync(path.join(pkg, 'cli.js'), 'setInterval(() => {}, 60_000);\n');
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    const p = spawn(process.execPath, [path.join(pkg, 'cli.js')], { uid: u.uid, gid: u.gid, stdio: 'ignore', cwd: '/' });
    procs.push(p);
    return p;
  }

  /** A copy of /bin/sleep named `name`, run as the test user (so the detection is theirs). */
  function userProcess(name: string): ChildProcess {
    const dir = tempDir('edict-proc-');
    chmodSync(dir, 0o755);
    const exe = path.join(dir, name);
    copyFileSync('/bin/sleep', exe);
    chmodSync(exe, 0o755);
    const p = spawn(exe, ['600'], { uid: u.uid, gid: u.gid, stdio: 'ignore' });
    procs.push(p);
    return p;
  }

  function setSessionLocale(lang: string): void {
    session?.kill('SIGKILL');
    session = startUserSessionProcess(u, { LANG: lang, DBUS_SESSION_BUS_ADDRESS: bus.address });
  }

  async function newAgent(): Promise<{ setup: AgentSetup; agent: AgentProcess }> {
    const setup = await enrollAgent(server.url, server.adminToken, { homes: [{ user: u.user, home: u.home }] });
    const agent = runAgent(setup, { TZ: 'Asia/Shanghai' });
    agents.push(agent);
    await waitFor(async () => (await agentJson(setup, 'status')).connection.state === 'connected', 'agent connected');
    return { setup, agent };
  }

  const asUser = (...args: string[]) =>
    promisify(execFile)(process.execPath, [readableAgentCli(), ...args], { uid: u.uid, gid: u.gid, env: { PATH: '/usr/bin:/bin', HOME: u.home } });
  const timeline = async (deviceId: string) => (await server.api('GET', `/devices/${deviceId}/timeline?toolId=claude-code`)).body.items as any[];
  const sentMessages = (setup: AgentSetup) =>
    readFileSync(path.join(setup.stateDir, 'sent.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).message);

  beforeAll(async () => {
    requireDbusTools();
    // Its own account: notifications-dbus.test.ts runs in parallel with edict-test-user and its buses.
    u = ensureTestUser('edict-test-employee');
    // Like systemd-logind: /run/user/<uid> owned by the user, with the session bus socket in it.
    runtimeDir = path.join('/run/user', String(u.uid));
    rmSync(runtimeDir, { recursive: true, force: true });
    mkdirSync(runtimeDir, { recursive: true });
    chmodSync('/run/user', 0o755);
    (await import('node:fs')).chownSync(runtimeDir, u.uid, u.gid);
    chmodSync(runtimeDir, 0o700);
    const work = tempDir('edict-dbus-');
    chmodSync(work, 0o711);
    bus = await startSessionBus(u, path.join(runtimeDir, 'bus'), work);
    notifications = await startNotificationServer(u, bus.address);
    server = await startTestServer();
  }, 60_000);

  afterAll(async () => {
    for (const a of agents) await a.stop();
    for (const p of procs) p.kill('SIGKILL');
    session?.kill('SIGKILL');
    notifications?.stop();
    bus?.stop();
    await server?.close();
    rmSync(runtimeDir, { recursive: true, force: true });
    cleanupTempDirs();
  });

  test('notice stage: an English notice reaches the user; ack and an exception request round-trip; the decision comes back', async () => {
    setSessionLocale('en_US.UTF-8');
    await publishPolicy(server, {
      name: 'Claude Code ban',
      tools: ['claude-code'],
      reason: { en: 'It inspects the local environment and covertly marks prompts.', 'zh-CN': '该工具会检查本地环境并暗中标记提示词。' },
      defaultLocale: 'zh-CN',
      replacements: [{ toolId: 'qoder', installUrl: 'https://qoder.com/download' }],
      scope: { users: [u.user] },
      stages: { enforce: { at: '2099-07-10T00:00', timeZone: 'Asia/Shanghai', action: 'warn' } },
    });
    userProcess('claude');
    const { setup } = await newAgent();
    noticeSetup = setup;
    const deviceId = (await agentJson(setup, 'status')).deviceId;

    // Agents of other test files running at the same time may notify this user too (the product
    // working as meant); this test's agent runs in Asia/Shanghai, so its notice says GMT+8.
    const expected = 'Company policy: Claude Code will not be allowed from Fri, July 10, 2099 at 00:00 GMT+8';
    const call = await waitFor(() => notifications.calls.find((c) => c.summary === expected), 'English notice', 30_000);
    expect(call.body).toContain('It inspects the local environment and covertly marks prompts.');
    expect(call.body).toContain('Qoder');
    expect(call.body).toContain('edict-agent ack claude-code');
    // The server asks the bus for each caller's uid after recording the call.
    expect(await waitFor(() => notifications.senderUids[notifications.calls.indexOf(call)], 'sender uid')).toBe(u.uid);
    await waitFor(async () => (await timeline(deviceId)).some((t) => t.kind === 'notice-shown' && t.detail.user === u.user && t.detail.locale === 'en'), 'notice in the timeline');

    // The employee acknowledges, as themself, through the command the notice names.
    const ack = await asUser('--state-dir', setup.stateDir, 'ack', 'claude-code');
    expect(ack.stdout).toMatch(/Acknowledged/);
    await waitFor(async () => (await timeline(deviceId)).some((t) => t.kind === 'acknowledged' && t.detail.user === u.user), 'acknowledgement in the timeline');
    await waitFor(async () => (await server.api('GET', '/compliance?toolId=claude-code')).body.items.find((i: any) => i.deviceId === deviceId)?.state === 'acknowledged', 'state acknowledged');

    await asUser('--state-dir', setup.stateDir, 'request-exception', 'claude-code', '--reason', 'I maintain our Claude Code integration');
    const req = await waitFor(async () => (await server.api('GET', `/exceptions?deviceId=${deviceId}&status=requested`)).body.items[0], 'request on the server');
    expect(req).toMatchObject({ user: u.user, reason: 'I maintain our Claude Code integration' });
    const before = notifications.calls.length;
    await server.api('POST', `/exceptions/${req.id}/deny`, { note: 'Please use Qoder' });
    const decision = await waitFor(() => notifications.calls.slice(before).find((c) => c.summary === 'Exception request for Claude Code declined'), 'decision notice', 20_000);
    expect(decision.body).toContain('Please use Qoder');
    expect((await timeline(deviceId)).map((t) => t.kind)).toEqual(expect.arrayContaining(['exception-requested', 'exception-denied']));

    for (const m of sentMessages(setup)) expect({ type: m.type, undocumented: undocumentedFields(m) }).toEqual({ type: m.type, undocumented: [] });

    // The employee sees, without privileges, what was sent about them and the device — nobody else's.
    await expect(promisify(execFile)('cat', [path.join(setup.stateDir, 'sent.jsonl')], { uid: u.uid, gid: u.gid })).rejects.toThrow(/Permission denied/);
    const mine = JSON.parse((await asUser('--state-dir', setup.stateDir, 'status', '--json', '--last', '200')).stdout);
    expect(mine.view).toBe(`user ${u.user}`);
    expect(mine.deviceId).toBe(deviceId);
    expect(mine.policy.bans[0].name).toBe('Claude Code ban');
    expect(mine.detections.length).toBeGreaterThan(0);
    expect(mine.detections.every((d: any) => d.user === u.user)).toBe(true);
    const types = new Set(mine.lastSent.map((m: any) => m.message.type));
    expect([...types].sort()).toEqual(['heartbeat', 'hello', 'policy-applied', 'report']); // device-level messages and their own reports
    const events = mine.lastSent.filter((m: any) => m.message.type === 'report').flatMap((m: any) => m.message.events);
    expect(events.map((e: any) => e.type)).toEqual(expect.arrayContaining(['detection', 'notice', 'acknowledgement', 'exception-request']));
    expect(events.every((e: any) => (e.detection?.user ?? e.user) === u.user)).toBe(true);
  }, 90_000);

  test("the employee's commands: status opens with the summary and the notices shown; a tool no policy names and an unreadable state folder are said plainly", async () => {
    const setup = noticeSetup!;
    const text = (await asUser('--state-dir', setup.stateDir, 'status')).stdout;
    const lines = text.split('\n');
    expect(lines[0]).toBe(`What Edict means for you (${u.user}) on this computer`);
    expect(lines[1]).toMatch(/^  Claude Code will be banned by company policy from 2099-07-10 00:00 \(Asia\/Shanghai\), in \d+ days\.$/);
    expect(lines[2]).toBe('    Why: It inspects the local environment and covertly marks prompts.');
    expect(text).toMatch(/    Found here: running \(pid \d+\)/);
    expect(text).toContain('    Use instead: Qoder — https://qoder.com/download');
    expect(text).toMatch(/    What to do: Before 2099-07-10 00:00 \(Asia\/Shanghai\): stop using Claude Code, uninstall it, and use Qoder instead\./);
    expect(text).toContain('    To confirm you have read this: edict-agent ack claude-code');
    const notices = lines.findIndex((l) => l.startsWith('Notices shown to you'));
    const details = lines.findIndex((l) => l.startsWith('Details — Edict agent '));
    expect(notices).toBeGreaterThan(2);
    expect(details).toBeGreaterThan(notices);
    expect(lines[notices + 1]).toMatch(/^  \d{4}-.*: Company policy: Claude Code will not be allowed from/);
    const json = JSON.parse((await asUser('--state-dir', setup.stateDir, 'status', '--json')).stdout);
    expect(json.summary.bans[0]).toMatchObject({ toolId: 'claude-code', stage: 'notice', replacements: [{ toolId: 'qoder', installUrl: 'https://qoder.com/download' }] });
    expect(json.notices.length).toBeGreaterThan(0);

    const fails = (...args: string[]) => asUser(...args).then(() => ({ code: 0, stdout: '', stderr: '' }), (e: { code: number; stdout: string; stderr: string }) => e);
    for (const cmd of [['ack', 'cursor'], ['request-exception', 'cursor', '--reason', 'I need it']]) {
      const r = await fails('--state-dir', setup.stateDir, ...cmd);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe('edict-agent: EDICT_ERR_REQUEST_REFUSED: the request was refused: no policy in force on this device names "cursor" (the bans here name: claude-code)');
    }
    const closed = tempDir('edict-closed-state-'); // 0700, root's
    const denied = await fails('--state-dir', closed, 'status');
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/^You cannot read the Edict agent's state folder .* \(permission denied\)\./);
    expect(denied.stdout).not.toMatch(/not enrolled/i);
  }, 60_000);

  test('the same notice in Chinese for a user whose session is zh_CN', async () => {
    setSessionLocale('zh_CN.UTF-8');
    const before = notifications.calls.length;
    await newAgent(); // a second device: its own notice ledger
    const call = await waitFor(() => notifications.calls.slice(before).find((c) => c.summary.startsWith('公司政策') && c.summary.includes('2099') && c.summary.includes('GMT+8')), 'Chinese notice', 30_000);
    expect(call.summary).toContain('Claude Code');
    expect(call.summary).toContain('2099');
    expect(call.body).toContain('该工具会检查本地环境并暗中标记提示词。');
  }, 60_000);

  test('stop: the banned process is warned, then ended; a lookalike and a copy known only by its name survive; every step is on the server', async () => {
    setSessionLocale('en_US.UTF-8');
    for (const a of agents.splice(0)) await a.stop();
    for (const p of procs.splice(0)) p.kill('SIGKILL');
    await publishPolicy(server, {
      name: 'Claude Code stop',
      tools: ['claude-code'],
      reason: { en: 'Banned since July.' },
      scope: { users: [u.user] },
      stopCountdownSec: 10,
      stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai', action: 'stop' } },
    });
    const banned = userPackageProcess();
    const bystander = userProcess('claudette');
    const nameOnly = userProcess('claude'); // reported (by name), but too weak an identity to close
    const exited = new Promise<NodeJS.Signals | null>((r) => banned.once('exit', (_c, sig) => r(sig)));
    const before = notifications.calls.length;
    const { setup } = await newAgent();
    const deviceId = (await agentJson(setup, 'status')).deviceId;
    const warning = await waitFor(() => notifications.calls.slice(before).find((c) => /will be closed|closed in/i.test(c.summary + c.body)), 'stop warning', 30_000);
    expect(warning.body).toMatch(/Nothing on your disk will be deleted/);
    expect(await exited).toBe('SIGTERM');
    const steps = await waitFor(async () => {
      const s = (await timeline(deviceId)).filter((t) => t.kind === 'enforcement' && t.detail.pid === banned.pid).map((t) => t.detail.step);
      return s.includes('exited') ? s : undefined;
    }, 'enforcement steps on the server', 30_000);
    expect(steps).toEqual(expect.arrayContaining(['warned', 'terminated', 'exited']));
    expect(bystander.exitCode).toBeNull();
    expect(bystander.signalCode).toBeNull();
    expect(nameOnly.exitCode).toBeNull();
    expect(nameOnly.signalCode).toBeNull();
    const events = sentMessages(setup).filter((m) => m.type === 'report').flatMap((m) => m.events);
    expect(events.some((e: any) => e.type === 'detection' && e.detection.evidence.pid === nameOnly.pid && e.detection.evidence.signature === 'process-name:claude')).toBe(true);
    expect(events.some((e: any) => e.type === 'enforcement' && e.pid === nameOnly.pid)).toBe(false);
    for (const m of sentMessages(setup)) expect(undocumentedFields(m)).toEqual([]);
  }, 90_000);
});
