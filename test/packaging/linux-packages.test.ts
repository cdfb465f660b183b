// The Linux packages for real, as root on this Debian machine: `npm run package` twice (the two
// builds must hold the same files, byte for byte), the .rpm read back with rpm -qp, and the .debs
// installed with dpkg. systemd is not PID 1 here, so the services are started the way systemd
// would: the installed unit's ExecStart with the variables of its EnvironmentFile (the server as
// its User=), with a PATH that holds no `node` at all. The agent reaches the packaged server over
// https/wss through a TLS terminator signed by a throw-away company CA, enrolls by itself from
// the settings given at install time and reports a running `claude`; then upgrade, remove and
// purge. Run by `npm run test:packaging` (.ci/run), never by `npm test`: it changes the machine.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { stopChild } from '../helpers/agent.js';
import { ROOT } from '../helpers/paths.js';
import { spawnNamedSleeper, type NamedProcess } from '../helpers/processes.js';
import { api, freePort } from '../helpers/server.js';
import { makeTestCa, startTlsTerminator, type TlsTerminator } from '../helpers/tls.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const VERSION = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
const AGENT_DEB = `edict-agent_${VERSION}_amd64.deb`;
const AGENT_RPM = `edict-agent-${VERSION}.x86_64.rpm`;
const SERVER_DEB = `edict-server_${VERSION}_amd64.deb`;
const SERVER_RPM = `edict-server-${VERSION}.x86_64.rpm`;
const AGENT_UNIT = '/lib/systemd/system/edict-agent.service';
const SERVER_UNIT = '/lib/systemd/system/edict-server.service';
const STATE = '/var/lib/edict-agent';

interface Cmd {
  code: number;
  stdout: string;
  stderr: string;
}
async function sh(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Cmd> {
  return run(file, args, { env, maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

function installed(pkg: string): boolean {
  try {
    return /install ok installed|deinstall ok config-files/.test(execFileSync('dpkg-query', ['-W', '-f', '${Status}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return false;
  }
}

/** A PATH with every command of /usr/bin and /usr/sbin except Node's: the packages must not need it. */
function nodelessPath(): string {
  const dir = tempDir('edict-nodeless-bin-');
  for (const src of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!existsSync(src)) continue;
    for (const name of readdirSync(src)) {
      if (/^(node|nodejs|npm|npx|corepack)$/.test(name) || existsSync(path.join(dir, name))) continue;
      symlinkSync(path.join(src, name), path.join(dir, name));
    }
  }
  return dir;
}

/** Every file and folder under `dir`: relative path, type, mode and the content's SHA-256. */
function treeDigest(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      const rel = path.relative(dir, p);
      if (st.isDirectory()) {
        out.push(`d ${(st.mode & 0o7777).toString(8)} ${rel}`);
        walk(p);
      } else out.push(`f ${(st.mode & 0o7777).toString(8)} ${rel} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out;
}

function unitValue(unit: string, key: string): string {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(unit, 'utf8'));
  if (!m) throw new Error(`${unit} has no ${key}=`);
  return m[1].trim();
}

/** The variables an EnvironmentFile= gives (KEY=VALUE lines; comments and blanks skipped). */
function envFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

interface Service {
  child: ChildProcess;
  output: () => string;
}
/** Starts a unit the way systemd would: ExecStart, EnvironmentFile's variables, User= if any. */
function startUnit(unit: string, PATH: string, override: Record<string, string> = {}): Service {
  const argv = unitValue(unit, 'ExecStart').split(/\s+/);
  const envPath = unitValue(unit, 'EnvironmentFile').replace(/^-/, '');
  const env = { PATH, LANG: 'C.UTF-8', ...(existsSync(envPath) ? envFile(envPath) : {}), ...override };
  const user = /^User=(.*)$/m.exec(readFileSync(unit, 'utf8'))?.[1];
  const [file, args] = user ? ['/usr/bin/setpriv', ['--reuid', user, '--regid', user, '--init-groups', '--', ...argv]] : [argv[0], argv.slice(1)];
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

let out1: string;
let out2: string;
let PATH_NO_NODE: string;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the packaging suite installs packages: run it as root');
  for (const pkg of ['edict-agent', 'edict-server']) if (installed(pkg)) execFileSync('dpkg', ['-P', pkg], { stdio: 'ignore' });
  PATH_NO_NODE = nodelessPath();
  out1 = tempDir('edict-packages-1-');
  out2 = tempDir('edict-packages-2-');
  for (const out of [out1, out2]) {
    const r = await sh(process.execPath, [path.join(ROOT, 'dist/scripts/package/index.js'), '--out', out]);
    if (r.code !== 0) throw new Error(`npm run package failed:\n${r.stdout}\n${r.stderr}`);
  }
}, 600_000);

afterAll(() => {
  for (const pkg of ['edict-agent', 'edict-server']) if (installed(pkg)) execFileSync('dpkg', ['-P', pkg], { stdio: 'ignore' });
  cleanupTempDirs();
});

describe('npm run package', () => {
  test('builds the single-file agent, both .debs and .rpms, the macOS and Windows layouts and their checksums', () => {
    for (const f of ['edict-agent', 'edict-agent.cjs', AGENT_DEB, AGENT_RPM, SERVER_DEB, SERVER_RPM, 'SHA256SUMS', 'BUILD-INFO.json']) expect(existsSync(path.join(out1, f))).toBe(true);
    for (const f of ['macos/root/Library/LaunchDaemons/com.edict.agent.plist', 'macos/scripts/postinstall', 'macos/README.md', 'windows/install-service.ps1', 'windows/EdictAgent.xml', 'windows/README.md']) {
      expect(existsSync(path.join(out1, f))).toBe(true);
    }
    expect(statSync(path.join(out1, 'macos/scripts/postinstall')).mode & 0o111).toBeTruthy();
    const sums = readFileSync(path.join(out1, 'SHA256SUMS'), 'utf8').trim().split('\n');
    for (const line of sums) {
      const [hash, name] = line.split(/\s+/);
      expect(createHash('sha256').update(readFileSync(path.join(out1, name))).digest('hex')).toBe(hash);
    }
    // A single executable can load nothing from disk: every module, lazily imported ones too
    // (`await import('./x.js')`), must be inside the bundle, with no relative load left.
    const bundle = readFileSync(path.join(out1, 'edict-agent.cjs'), 'utf8');
    expect(bundle.match(/\b(?:import|require)\(\s*[`'"]\.{1,2}\//g) ?? []).toEqual([]);
    expect(bundle).not.toMatch(/\bimport\(\s*[^`'")\s]/); // no import(variable) esbuild could not resolve
    const info = JSON.parse(readFileSync(path.join(out1, 'BUILD-INFO.json'), 'utf8'));
    expect(info.version).toBe(VERSION);
    expect(info.commit).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
  });

  test('two builds of the same commit hold the same files (mode and SHA-256 of every file, control data and scripts included)', async () => {
    for (const deb of [AGENT_DEB, SERVER_DEB]) {
      const a = tempDir('edict-deb-a-');
      const b = tempDir('edict-deb-b-');
      execFileSync('dpkg-deb', ['-R', path.join(out1, deb), a]);
      execFileSync('dpkg-deb', ['-R', path.join(out2, deb), b]);
      const da = treeDigest(a);
      expect(da.length).toBeGreaterThan(5);
      expect(treeDigest(b)).toEqual(da);
    }
    for (const rpm of [AGENT_RPM, SERVER_RPM]) {
      const dump = async (dir: string) => (await sh('rpm', ['-qp', '--dump', '--scripts', '--info', path.join(dir, rpm)])).stdout;
      expect(await dump(out2)).toBe(await dump(out1));
    }
    // The archives themselves, byte for byte: dpkg-deb and rpmbuild take every time from SOURCE_DATE_EPOCH.
    const digest = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    for (const f of ['edict-agent', 'edict-agent.cjs', AGENT_DEB, SERVER_DEB, AGENT_RPM, SERVER_RPM]) expect(digest(path.join(out2, f))).toBe(digest(path.join(out1, f)));
  });

  test('the .rpm: rpm -qpi names it, -qpl lists exactly its files, the scripts run the maintainer functions', async () => {
    const rpm = path.join(out1, AGENT_RPM);
    const info = (await sh('rpm', ['-qpi', rpm])).stdout;
    expect(info).toMatch(/^Name\s+: edict-agent$/m);
    expect(info).toMatch(new RegExp(`^Version\\s+: ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
    expect(info).toMatch(/^Architecture: x86_64$/m);
    expect(info).toMatch(/built from commit [0-9a-f]{12}/);
    const files = (await sh('rpm', ['-qpl', rpm])).stdout.trim().split('\n').sort();
    expect(files).toEqual(
      [
        '/etc/edict',
        '/etc/edict/agent.json',
        '/usr/bin/edict-agent',
        '/usr/lib/systemd/system/edict-agent.service',
        '/usr/share/doc/edict-agent',
        '/usr/share/doc/edict-agent/README.md',
        '/usr/share/doc/edict-agent/agent.env.example',
        '/usr/share/doc/edict-agent/privacy.md',
      ].sort(),
    );
    expect((await sh('rpm', ['-qpc', rpm])).stdout.trim()).toBe('/etc/edict/agent.json');
    const scripts = (await sh('rpm', ['-qp', '--scripts', rpm])).stdout;
    expect(scripts).toMatch(/postinstall scriptlet[\s\S]*\nedict_agent_configure\n/);
    expect(scripts).toMatch(/preuninstall scriptlet[\s\S]*if \[ "\$1" -eq 0 \]; then edict_agent_stop; fi/);
    expect(scripts).toMatch(/postuninstall scriptlet[\s\S]*if \[ "\$1" -eq 0 \]; then edict_agent_removed; fi/);
    expect((await sh('rpm', ['-qpR', rpm])).stdout).toMatch(/glibc >= 2\.28/);
    const server = (await sh('rpm', ['-qpl', path.join(out1, SERVER_RPM)])).stdout;
    for (const f of ['/usr/lib/edict-server/node', '/usr/lib/edict-server/node_modules/better-sqlite3/build/Release/better_sqlite3.node', '/usr/bin/edict-server', '/usr/bin/edictctl', '/etc/edict/server.env', '/usr/lib/edict-server/dashboard/index.html']) {
      expect(server).toContain(f + '\n');
    }
  });
});

describe('installed with dpkg', () => {
  let server: Service | undefined;
  let serverUrl: string;
  let adminToken: string;
  let proxy: TlsTerminator;
  let caFile: string;
  let agent: Service | undefined;
  let sleeper: NamedProcess | undefined;
  let deviceId: string;
  let enrollToken: string;

  afterAll(async () => {
    sleeper?.kill();
    if (agent) await stopChild(agent.child);
    await proxy?.close();
    if (server) await stopChild(server.child);
  });

  test('edict-server: dpkg -i installs its own Node runtime, user and data folder; its unit verifies and runs as user edict', async () => {
    const r = await sh('dpkg', ['-i', path.join(out1, SERVER_DEB)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('edict-server: systemd is not running here');
    expect(execFileSync('id', ['-u', 'edict'], { encoding: 'utf8' }).trim()).toMatch(/^\d+$/);
    expect((statSync('/var/lib/edict-server').mode & 0o777).toString(8)).toBe('700');
    const verify = await sh('systemd-analyze', ['verify', SERVER_UNIT]);
    expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: '' });
    expect((await sh('/usr/bin/edict-server', ['--version'], { PATH: PATH_NO_NODE })).stdout).toMatch(new RegExp(`^${VERSION.replace(/\./g, '\\.')} \\(commit [0-9a-f]{40}`));
    const port = await freePort();
    server = startUnit(SERVER_UNIT, PATH_NO_NODE, { EDICT_SERVER_PORT: String(port) });
    serverUrl = await waitFor(() => /listening on (http:\/\/\S+)/.exec(server!.output())?.[1], 'edict-server (packaged) to listen', 30_000);
    adminToken = readFileSync('/var/lib/edict-server/admin-token', 'utf8').trim();
    expect(statSync('/var/lib/edict-server/admin-token').uid).toBe(Number(execFileSync('id', ['-u', 'edict'], { encoding: 'utf8' })));
    // edictctl from the package, with the packaged Node too.
    const ctl = await sh('/usr/bin/edictctl', ['--server', serverUrl, '--token-file', '/var/lib/edict-server/admin-token', '--json', 'devices', 'list'], { PATH: PATH_NO_NODE });
    expect(ctl.code).toBe(0);
    // The dashboard ships in the package and is served by the packaged server.
    const page = await fetch(`${serverUrl}/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const asset = /src="(\/assets\/app-[^"]+\.js)"/.exec(await page.text())![1];
    expect((await fetch(`${serverUrl}${asset}`)).status).toBe(200);
    const ca = makeTestCa(tempDir('edict-ca-'));
    caFile = ca.caFile;
    proxy = await startTlsTerminator(ca, { host: '127.0.0.1', port });
  });

  test('edict-agent: dpkg -i with EDICT_SERVER, EDICT_ENROLL_TOKEN and EDICT_CA_FILE writes them 0600, never prints the token', async () => {
    enrollToken = (await api(serverUrl, adminToken, 'POST', '/enrollment-tokens', { label: 'package test' })).body.token;
    const r = await sh('dpkg', ['-i', path.join(out1, AGENT_DEB)], { ...process.env, EDICT_SERVER: proxy.url, EDICT_ENROLL_TOKEN: enrollToken, EDICT_CA_FILE: caFile });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(enrollToken);
    expect(r.stdout).toContain(`enrollment settings for ${proxy.url} written to /etc/edict/agent.env`);
    expect(r.stdout).toContain('the service enrolls with');
    const st = statSync('/etc/edict/agent.env');
    expect({ mode: (st.mode & 0o777).toString(8), uid: st.uid }).toEqual({ mode: '600', uid: 0 });
    expect(envFile('/etc/edict/agent.env')).toEqual({ EDICT_SERVER: proxy.url, EDICT_ENROLL_TOKEN: enrollToken, EDICT_CA_FILE: caFile });
    expect(existsSync(path.join(STATE, 'enrollment.json'))).toBe(false);
  });

  test('the binary runs from /usr/bin with no node on PATH; the unit passes systemd-analyze verify', async () => {
    expect((await sh('sh', ['-c', 'command -v node'], { PATH: PATH_NO_NODE })).code).not.toBe(0);
    const v = await sh('/usr/bin/edict-agent', ['--version'], { PATH: PATH_NO_NODE });
    expect(v.stdout.trim()).toMatch(new RegExp(`^${VERSION.replace(/\./g, '\\.')} \\(commit [0-9a-f]{40}(-dirty)?\\)$`));
    expect(v.stderr).toBe('');
    const scan = await sh('/usr/bin/edict-agent', ['--state-dir', tempDir(), 'scan', '--once', '--json'], { PATH: PATH_NO_NODE, HOME: tempDir() });
    expect(scan.stderr).toBe('');
    expect(Array.isArray(JSON.parse(scan.stdout).detections)).toBe(true);
    const verify = await sh('systemd-analyze', ['verify', AGENT_UNIT]);
    expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: '' });
    const unit = readFileSync(AGENT_UNIT, 'utf8');
    for (const line of ['Restart=always', 'RestartSec=10', 'StateDirectory=edict-agent', 'EnvironmentFile=-/etc/edict/agent.env', 'CPUQuota=20%', 'MemoryMax=512M']) expect(unit).toContain(`\n${line}\n`);
  });

  test("the unit's ExecStart with its EnvironmentFile enrolls over https through the company CA and reports a running claude", async () => {
    sleeper = spawnNamedSleeper('claude');
    agent = startUnit(AGENT_UNIT, PATH_NO_NODE);
    const enrollment = await waitFor(() => existsSync(path.join(STATE, 'enrollment.json')) && JSON.parse(readFileSync(path.join(STATE, 'enrollment.json'), 'utf8')), 'enrollment by the service', 60_000);
    deviceId = enrollment.deviceId;
    expect(enrollment.serverUrl).toBe(proxy.url);
    expect((statSync(path.join(STATE, 'enrollment.json')).mode & 0o777).toString(8)).toBe('600');
    await waitFor(async () => (await api(serverUrl, adminToken, 'GET', `/devices/${deviceId}`)).body.connected, 'the device connected over wss', 60_000);
    const rows = await waitFor(async () => {
      const r = await api(serverUrl, adminToken, 'GET', `/detections?deviceId=${deviceId}&toolId=claude-code`);
      return r.body.items.filter((d: any) => d.kind === 'running' && d.evidence.pid === sleeper!.child.pid);
    }, 'the running claude reported by the packaged agent', 90_000);
    expect(rows[0]).toMatchObject({ toolId: 'claude-code', state: 'present', evidence: { path: sleeper.exe } });
    const status = JSON.parse((await sh('/usr/bin/edict-agent', ['status', '--json'], { PATH: PATH_NO_NODE })).stdout);
    expect(status).toMatchObject({ stateDir: STATE, enrolled: true, deviceId, connection: { state: 'connected' } });
    expect(status.version).toMatch(new RegExp(`^${VERSION.replace(/\./g, '\\.')} \\(commit `));
    expect(agent.output()).not.toContain(enrollToken);
    expect(readFileSync(path.join(STATE, 'sent.jsonl'), 'utf8')).not.toContain(enrollToken);
    await stopChild(agent.child);
    expect(agent.child.exitCode).toBe(0);
    agent = undefined;
  });

  test('installing over the enrolled agent (an upgrade) keeps its device id, settings and state', async () => {
    const before = readFileSync(path.join(STATE, 'enrollment.json'), 'utf8');
    const r = await sh('dpkg', ['-i', path.join(out2, AGENT_DEB)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('already enrolled; enrollment and state in /var/lib/edict-agent kept');
    expect(readFileSync(path.join(STATE, 'enrollment.json'), 'utf8')).toBe(before);
    expect(envFile('/etc/edict/agent.env').EDICT_SERVER).toBe(proxy.url);
    agent = startUnit(AGENT_UNIT, PATH_NO_NODE);
    await waitFor(() => agent!.output().includes(`running (device ${deviceId}`), 'the agent back with the same device id', 60_000);
    await stopChild(agent.child);
    agent = undefined;
    const devices = (await api(serverUrl, adminToken, 'GET', '/devices')).body.items;
    expect(devices.map((d: any) => d.id)).toEqual([deviceId]);
  });

  test('dpkg -r removes the program and keeps enrollment and state; dpkg -P removes them', async () => {
    const r = await sh('dpkg', ['-r', 'edict-agent']);
    expect(r.code).toBe(0);
    expect(existsSync('/usr/bin/edict-agent')).toBe(false);
    expect(existsSync(AGENT_UNIT)).toBe(false);
    expect(JSON.parse(readFileSync(path.join(STATE, 'enrollment.json'), 'utf8')).deviceId).toBe(deviceId);
    expect(existsSync('/etc/edict/agent.env')).toBe(true);
    expect(existsSync('/etc/edict/agent.json')).toBe(true); // a conffile stays until purge
    const p = await sh('dpkg', ['-P', 'edict-agent']);
    expect(p.code).toBe(0);
    for (const f of [STATE, '/etc/edict/agent.env', '/etc/edict/agent.json']) expect(existsSync(f)).toBe(false);
    expect(installed('edict-agent')).toBe(false);
  });

  test('without settings it installs, says it is not enrolled, and its service waits saying so', async () => {
    const r = await sh('dpkg', ['-i', path.join(out1, AGENT_DEB)], { ...process.env, EDICT_SERVER: '', EDICT_ENROLL_TOKEN: '' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('installed but NOT enrolled: put EDICT_SERVER and EDICT_ENROLL_TOKEN in /etc/edict/agent.env');
    expect((statSync('/etc/edict/agent.env').mode & 0o777).toString(8)).toBe('600');
    agent = startUnit(AGENT_UNIT, PATH_NO_NODE);
    await waitFor(() => agent!.output().includes('not enrolled and no enrollment settings: waiting'), 'the waiting message', 30_000);
    expect(agent.child.exitCode).toBeNull();
    await stopChild(agent.child);
    agent = undefined;
    expect((await sh('dpkg', ['-P', 'edict-agent'])).code).toBe(0);
  });

  test('an unreachable server never fails the install, and the service keeps retrying', async () => {
    const port = await freePort();
    const token = 'edict_enr_unreachable_' + 'z'.repeat(20);
    const r = await sh('dpkg', ['-i', path.join(out1, AGENT_DEB)], { ...process.env, EDICT_SERVER: `http://127.0.0.1:${port}`, EDICT_ENROLL_TOKEN: token });
    expect(r.code).toBe(0);
    agent = startUnit(AGENT_UNIT, PATH_NO_NODE);
    await waitFor(() => /enrollment failed; will retry/.test(agent!.output()), 'a logged retry', 30_000);
    expect(agent.child.exitCode).toBeNull();
    expect(agent.output()).not.toContain(token);
    await stopChild(agent.child);
    agent = undefined;
    expect((await sh('dpkg', ['-P', 'edict-agent'])).code).toBe(0);
  });

  test('edict-server: dpkg -r keeps its data; dpkg -P removes it', async () => {
    if (server) await stopChild(server.child);
    server = undefined;
    expect((await sh('dpkg', ['-r', 'edict-server'])).code).toBe(0);
    expect(existsSync('/usr/lib/edict-server/node')).toBe(false);
    expect(existsSync('/var/lib/edict-server/admin-token')).toBe(true);
    expect((await sh('dpkg', ['-P', 'edict-server'])).code).toBe(0);
    expect(existsSync('/var/lib/edict-server')).toBe(false);
    expect(existsSync('/etc/edict/server.env')).toBe(false);
  });
});
