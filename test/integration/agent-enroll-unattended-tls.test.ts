// Unattended enrollment and a company CA, with a real server behind a real TLS terminator (a
// throw-away CA made by openssl): the agent reaches https:// and wss:// only when its config names
// that CA; `run` enrolls by itself from EDICT_SERVER / EDICT_ENROLL_TOKEN, keeps retrying while
// the server is unreachable, waits (saying so) without them, and never logs the token.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLEAN_PATH, stopChild } from '../helpers/agent.js';
import { AGENT_CLI } from '../helpers/paths.js';
import { api, freePort, spawnServerProcess, startTestServer, type TestServer } from '../helpers/server.js';
import { makeTestCa, startTlsTerminator, type TestCa, type TlsTerminator } from '../helpers/tls.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);

function agentCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return run(process.execPath, [AGENT_CLI, ...args], { env: { ...process.env, PATH: CLEAN_PATH, ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

/** An agent state folder with a config limited to an empty temporary home (fast, deterministic scans). */
function agentDir(extra: Record<string, unknown> = {}): { dir: string; config: string } {
  const dir = tempDir('edict-agent-');
  const config = path.join(dir, 'agent.json');
  writeFileSync(config, JSON.stringify({ logLevel: 'info', scan: { homes: [{ user: 'nobody-test', home: tempDir('edict-home-') }], processIntervalMs: 2000 }, ...extra }));
  return { dir, config };
}

function startRun(dir: string, config: string, env: NodeJS.ProcessEnv, extraArgs: string[] = []) {
  const child = spawn(process.execPath, [AGENT_CLI, '--state-dir', dir, '--config', config, 'run', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: CLEAN_PATH, ...env },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

async function newToken(server: TestServer): Promise<string> {
  return (await server.api('POST', '/enrollment-tokens', { label: 'unattended test' })).body.token as string;
}

describe('agent behind a TLS terminator signed by a company CA', () => {
  let server: TestServer;
  let ca: TestCa;
  let proxy: TlsTerminator;

  beforeAll(async () => {
    server = await startTestServer();
    ca = makeTestCa(tempDir('edict-ca-'));
    proxy = await startTlsTerminator(ca, { host: '127.0.0.1', port: server.port });
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
    cleanupTempDirs();
  });

  test('without the CA, enroll fails with one clear line and stores nothing', async () => {
    const { dir, config } = agentDir();
    const token = await newToken(server);
    const r = await agentCli(['--state-dir', dir, '--config', config, 'enroll', '--server', proxy.url, '--token', token]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/EDICT_ERR_SERVER_UNREACHABLE: .*TLS certificate not trusted .*caFile/);
    expect(r.stderr).not.toContain(token);
    expect(existsSync(path.join(dir, 'enrollment.json'))).toBe(false);
  });

  test('with a CA that did not sign the certificate, it still refuses and says which file it used', async () => {
    const other = makeTestCa(tempDir('edict-ca-other-'), 'Some Other CA');
    const { dir, config } = agentDir({ caFile: other.caFile });
    const r = await agentCli(['--state-dir', dir, '--config', config, 'enroll', '--server', proxy.url, '--token', await newToken(server)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`even with caFile ${other.caFile}`);
  });

  test('a caFile that is missing or not PEM is a config error (exit 78) naming it', async () => {
    const notPem = path.join(tempDir(), 'ca.pem');
    writeFileSync(notPem, 'this is not a certificate\n');
    for (const caFile of [notPem, '/nonexistent/edict-ca.pem']) {
      const { dir, config } = agentDir({ caFile });
      const r = await agentCli(['--state-dir', dir, '--config', config, 'enroll', '--server', proxy.url, '--token', 'edict_enr_x']);
      expect(r.code).toBe(78);
      expect(r.stderr).toMatch(new RegExp(`EDICT_ERR_CONFIG: .*caFile ${caFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
    }
  });

  test('with the CA in its config, `run` enrolls by itself over https and connects over wss; the token is in no log', async () => {
    const { dir, config } = agentDir({ caFile: ca.caFile });
    const token = await newToken(server);
    const agent = startRun(dir, config, { EDICT_SERVER: proxy.url, EDICT_ENROLL_TOKEN: token });
    try {
      const enrollment = await waitFor(() => existsSync(path.join(dir, 'enrollment.json')) && JSON.parse(readFileSync(path.join(dir, 'enrollment.json'), 'utf8')), 'enrollment.json');
      expect(enrollment.serverUrl).toBe(proxy.url);
      const device = await waitFor(async () => {
        const d = await server.api('GET', `/devices/${enrollment.deviceId}`);
        return d.body.connected && d.body;
      }, 'the device connected through the TLS terminator', 30_000);
      expect(device.id).toBe(enrollment.deviceId);
      const status = JSON.parse((await agentCli(['--state-dir', dir, 'status', '--json'])).stdout);
      expect(status.version).toMatch(/^\d+\.\d+\.\d+.* \(commit .+\)$/);
      expect(status.enrolled).toBe(true);
      expect(agent.output()).toContain('enrolled');
    } finally {
      await stopChild(agent.child);
    }
    expect(agent.output()).not.toContain(token);
    for (const f of ['enrollment.json', 'status.json', 'sent.jsonl']) {
      if (existsSync(path.join(dir, f))) expect(readFileSync(path.join(dir, f), 'utf8')).not.toContain(token);
    }
  });

  test('the same CA given as EDICT_CA_FILE (the packaged service environment) works too', async () => {
    const { dir, config } = agentDir();
    const r = await agentCli(['--state-dir', dir, '--config', config, 'enroll', '--server', proxy.url, '--token', await newToken(server)], { EDICT_CA_FILE: ca.caFile });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^enrolled as \S+ with https:\/\/127\.0\.0\.1:\d+/);
  });
});

describe('unattended enrollment at service start', () => {
  afterAll(() => cleanupTempDirs());

  test('an unreachable server is retried (the agent keeps running), and enrollment succeeds when it comes up', async () => {
    const port = await freePort();
    const dataDir = tempDir('edict-server-');
    let srv = await spawnServerProcess(dataDir, port);
    const adminToken = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const token = (await api(srv.url, adminToken, 'POST', '/enrollment-tokens', { label: 'unattended test' })).body.token as string;
    await stopChild(srv.child);

    const { dir, config } = agentDir();
    const agent = startRun(dir, config, { EDICT_SERVER: srv.url, EDICT_ENROLL_TOKEN: token }, ['--wait-for-enrollment']);
    try {
      await waitFor(() => /enrollment failed; will retry/.test(agent.output()) && /EDICT_ERR_SERVER_UNREACHABLE/.test(agent.output()), 'a logged retry', 20_000);
      expect(agent.child.exitCode).toBeNull();
      expect(existsSync(path.join(dir, 'enrollment.json'))).toBe(false);
      srv = await spawnServerProcess(dataDir, port);
      await waitFor(() => existsSync(path.join(dir, 'enrollment.json')), 'enrollment once the server is back', 30_000);
    } finally {
      await stopChild(agent.child);
      await stopChild(srv.child);
    }
    expect(agent.output()).not.toContain(token);
  });

  test('a refused token is retried with its code logged, and a later good start enrolls', async () => {
    const server = await startTestServer();
    const { dir, config } = agentDir();
    try {
      const bad = 'edict_enr_not_a_real_token_0000000000';
      const a1 = startRun(dir, config, { EDICT_SERVER: server.url, EDICT_ENROLL_TOKEN: bad });
      await waitFor(() => /EDICT_ERR_ENROLLMENT_TOKEN_INVALID/.test(a1.output()), 'the refusal in the log');
      expect(a1.child.exitCode).toBeNull();
      await stopChild(a1.child);
      expect(a1.output()).not.toContain(bad);
      expect(existsSync(path.join(dir, 'enrollment.json'))).toBe(false);
      const a2 = startRun(dir, config, { EDICT_SERVER: server.url, EDICT_ENROLL_TOKEN: await newToken(server) });
      try {
        await waitFor(() => existsSync(path.join(dir, 'enrollment.json')), 'enrollment');
      } finally {
        await stopChild(a2.child);
      }
    } finally {
      await server.close();
    }
  });

  test('without settings, --wait-for-enrollment waits and says what to do; without the flag it exits', async () => {
    const { dir, config } = agentDir();
    const waiting = startRun(dir, config, { EDICT_SERVER: '', EDICT_ENROLL_TOKEN: '' }, ['--wait-for-enrollment']);
    try {
      await waitFor(() => /not enrolled and no enrollment settings: waiting/.test(waiting.output()), 'the waiting message');
      expect(waiting.output()).toContain('/etc/edict/agent.env');
      expect(waiting.child.exitCode).toBeNull();
    } finally {
      await stopChild(waiting.child);
    }
    expect(waiting.child.exitCode).toBe(0);
    const r = await agentCli(['--state-dir', dir, '--config', config, 'run'], { EDICT_SERVER: '', EDICT_ENROLL_TOKEN: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EDICT_ERR_NOT_ENROLLED/);
  });

  test('bad settings are a config error (exit 78): one variable without the other, a server that is not a URL', async () => {
    const { dir, config } = agentDir();
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ EDICT_SERVER: 'https://edict.example.com', EDICT_ENROLL_TOKEN: '' }, /EDICT_ENROLL_TOKEN is empty or missing while EDICT_SERVER is set/],
      [{ EDICT_SERVER: '', EDICT_ENROLL_TOKEN: 'edict_enr_secret_value' }, /EDICT_SERVER is empty or missing while EDICT_ENROLL_TOKEN is set/],
      [{ EDICT_SERVER: 'not a url', EDICT_ENROLL_TOKEN: 'edict_enr_secret_value' }, /server "not a url" is not a URL/],
      [{ EDICT_SERVER: 'ftp://edict.example.com', EDICT_ENROLL_TOKEN: 'edict_enr_secret_value' }, /use an https:\/\/ \(or http:\/\/\) URL/],
    ];
    for (const [env, message] of cases) {
      const r = await agentCli(['--state-dir', dir, '--config', config, 'run', '--wait-for-enrollment'], env);
      expect(r.code).toBe(78);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain('edict_enr_secret_value');
    }
  });
});
