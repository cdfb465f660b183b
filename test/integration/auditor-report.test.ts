// SPEC's case, for the auditor. The server runs on a clock set (libfaketime) to a few seconds
// before the Claude Code ban takes effect, 2026-07-10 00:00 Asia/Shanghai. Four devices are tagged
// into the ban's scope before then: laptop-a runs Claude Code (a real agent and a real process),
// laptop-b is clean, laptop-c has it installed under an exception a helpdesk granted, laptop-f has
// it installed but reports only after the instant (it was offline). laptop-d is enrolled after the
// instant. The auditor's token makes the report as of the instant: exactly those rows, compliant
// and exempt devices included, the late enrollment counted apart, the late report placed at its
// observation and visible only to a report that knows it; and the auditor may not write anything.
// The evidence pack round-trips through `edictctl report verify`, a flipped byte in any file or a
// pack signed by another key fails it, and two packs with the same parameters are byte-identical.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync, zipSync } from 'fflate';
import { agentJson, enrollAgent, runAgent, stopChild, type AgentProcess } from '../helpers/agent.js';
import { fakeClockEnv } from '../helpers/fake-clock.js';
import { CTL_CLI } from '../helpers/paths.js';
import { spawnNamedSleeper, type NamedProcess } from '../helpers/processes.js';
import { connectRaw, hello, type RawPeer } from '../helpers/raw-agent.js';
import { api, freePort, spawnServerProcess, type ServerProcess } from '../helpers/server.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const EFFECTIVE = '2026-07-10T00:00 Asia/Shanghai';
const EFFECTIVE_MS = Date.parse('2026-07-09T16:00:00Z');
let server: ServerProcess;
let agent: AgentProcess | undefined;
let sleeper: NamedProcess | undefined;
let admin: string;
let auditor: string;
let helpdesk: string;
let dir: string;
let offsetMs = 0; // server clock − real clock
const serverNow = () => Date.now() + offsetMs;
const peers: RawPeer[] = [];
const ids: Record<string, string> = {};

const call = (token: string | undefined, m: string, p: string, b?: unknown) => api(server.url, token, m, p, b);
async function ctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const tokenFile = path.join(dir, 'auditor-token');
  writeFileSync(tokenFile, auditor, { mode: 0o600 });
  return run(process.execPath, [CTL_CLI, '--server', server.url, '--token-file', tokenFile, ...args], { encoding: 'buffer' as never, maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: String(r.stdout), stderr: String(r.stderr) }),
    (e: { code: number; stdout: unknown; stderr: unknown }) => ({ code: e.code, stdout: String(e.stdout), stderr: String(e.stderr) }),
  );
}

async function rawDevice(name: string, enrollToken: string): Promise<RawPeer> {
  const r = await call(undefined, 'POST', '/enroll', { token: enrollToken, hostname: name });
  ids[name] = r.body.deviceId;
  const peer = await connectRaw(server.url, r.body.credential);
  peers.push(peer);
  peer.send(hello({ device: { hostname: name, platform: 'linux', osRelease: 'test', arch: 'x64' } }));
  const w = await peer.next('welcome');
  offsetMs = Date.parse(w.serverTime) - Date.now();
  return peer;
}

function claudeInstalled(observedAtMs: number, eventId = crypto.randomUUID()) {
  return {
    eventId,
    type: 'detection',
    state: 'present',
    observedAt: new Date(observedAtMs).toISOString(),
    stage: 'notice',
    detection: { toolId: 'claude-code', kind: 'installed', user: 'dev', evidence: { source: 'npm-global', signature: 'npm:@anthropic-ai/claude-code', path: '/home/dev/.npm-global/lib/node_modules/@anthropic-ai/claude-code', version: '2.1.197' }, confidence: 0.95 },
  };
}

async function send(peer: RawPeer, events: unknown[]): Promise<void> {
  const n = peer.received.length;
  const batchId = crypto.randomUUID();
  peer.send({ type: 'report', batchId, events });
  expect(await peer.next('ack', n)).toMatchObject({ batchId, accepted: events.length });
}

beforeAll(async () => {
  dir = tempDir('edict-auditor-');
  const dataDir = tempDir('edict-server-');
  // 40 s of server time before the ban takes effect: enough to set everything up on a busy machine.
  server = await spawnServerProcess(dataDir, await freePort(), fakeClockEnv('@2026-07-09 15:59:20'));
  admin = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  auditor = (await call(admin, 'POST', '/tokens', { role: 'auditor', name: 'external-auditor' })).body.token;
  helpdesk = (await call(admin, 'POST', '/tokens', { role: 'helpdesk', name: 'helpdesk-li' })).body.token;
  const enrollToken = (await call(admin, 'POST', '/enrollment-tokens', { label: 'eng wave', maxUses: 10, tags: ['eng'] })).body.token;
  const ban = (await call(admin, 'POST', '/policies', {
    name: 'Claude Code ban',
    tools: ['claude-code'],
    scope: { tags: ['eng'] },
    reason: { en: 'The tool inspects the local environment and marks prompts covertly.', 'zh-CN': '该工具会检查本地环境并隐蔽地标记提示。' },
    replacements: [{ toolId: 'qoder', installUrl: 'https://qoder.com' }, { toolId: 'tongyi-lingma' }],
    stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai', action: 'warn' } },
  })).body;
  expect((await call(admin, 'POST', `/policies/${ban.id}/publish`)).status).toBe(200);

  // laptop-a: a real agent, and Claude Code running as a real process.
  const setupA = await enrollAgent(server.url, admin);
  ids['laptop-a'] = setupA.deviceId;
  await call(admin, 'PUT', `/devices/${setupA.deviceId}/tags`, { tags: ['eng'] });
  sleeper = spawnNamedSleeper('claude');
  agent = runAgent(setupA);
  await waitFor(async () => (await agentJson(setupA, 'status')).detections.some((d: any) => d.path === sleeper!.exe), 'the agent on laptop-a to see Claude Code running', 30_000);

  await rawDevice('laptop-b', enrollToken); // clean
  const c = await rawDevice('laptop-c', enrollToken);
  await send(c, [claudeInstalled(serverNow())]);
  const grant = await call(helpdesk, 'POST', '/exceptions', { toolId: 'claude-code', deviceId: ids['laptop-c'], reason: 'Migrating the release pipeline to Qoder', expiresAt: '2026-08-01T00:00:00Z' });
  expect(grant.status).toBe(201);
  const f = await rawDevice('laptop-f', enrollToken);
  const fObservedAt = serverNow(); // installed now; reported only after the instant (offline)
  expect(serverNow()).toBeLessThan(EFFECTIVE_MS - 2000);

  await waitFor(async () => serverNow() > EFFECTIVE_MS + 1500, 'the effective instant to pass on the server clock', 60_000, 200);
  await waitFor(async () => {
    const items = (await call(admin, 'GET', '/compliance?toolId=claude-code&state=violating')).body.items;
    return items.some((i: any) => i.deviceId === ids['laptop-a']);
  }, 'laptop-a violating from the instant', 30_000);
  ids.knownBeforeLateReport = new Date(serverNow()).toISOString();
  await waitFor(async () => serverNow() > Date.parse(ids.knownBeforeLateReport) + 50, 'time to move on', 5000, 10);
  await send(f, [claudeInstalled(fObservedAt)]);
  await rawDevice('laptop-d', enrollToken); // enrolled after the instant
}, 180_000);

afterAll(async () => {
  for (const p of peers) p.ws.close();
  await agent?.stop();
  sleeper?.kill();
  if (server) await stopChild(server.child);
  cleanupTempDirs();
});

const row = (rows: any[], host: string) => rows.find((r) => r.hostname === host);

test('the auditor’s report as of the effective instant has exactly the right rows', async () => {
  const r = await call(auditor, 'GET', `/reports/compliance?asOf=${encodeURIComponent(EFFECTIVE)}&format=json`);
  expect(r.status).toBe(200);
  const rep = r.body;
  expect(rep.parameters).toMatchObject({ asOf: '2026-07-09T16:00:00.000Z', asOfGiven: EFFECTIVE });
  const hosts = rep.rows.map((x: any) => x.hostname);
  expect(hosts).toEqual([...hosts].sort());
  expect(rep.rows.map((x: any) => x.toolId)).toEqual(['claude-code', 'claude-code', 'claude-code', 'claude-code']);
  const byId = Object.fromEntries(rep.rows.map((x: any) => [x.deviceId, x]));
  expect(Object.keys(byId).sort()).toEqual([ids['laptop-a'], ids['laptop-b'], ids['laptop-c'], ids['laptop-f']].sort());
  expect(byId[ids['laptop-a']]).toMatchObject({ state: 'violating', since: '2026-07-09T16:00:00.000Z', stage: 'enforce', tags: ['eng'] });
  expect(byId[ids['laptop-a']].users).toContain(userInfo().username);
  // (Other tests run programs named claude on this machine too: the agent reports each; ours is among them.)
  expect(byId[ids['laptop-a']].evidence).toContainEqual(expect.objectContaining({ kind: 'running', state: 'present', path: sleeper!.exe }));
  expect(byId[ids['laptop-b']]).toMatchObject({ state: 'clear', since: null, stage: 'enforce', evidence: [], exception: null });
  expect(byId[ids['laptop-c']]).toMatchObject({
    state: 'exempt',
    exception: { holder: 'device', approvedBy: 'helpdesk:helpdesk-li', reason: 'Migrating the release pipeline to Qoder', expiresAt: '2026-08-01T00:00:00.000Z' },
  });
  // The late report is placed at its observation: as known now, laptop-f was violating at the instant.
  expect(byId[ids['laptop-f']]).toMatchObject({ state: 'violating', evidence: [expect.objectContaining({ kind: 'installed', version: '2.1.197' })] });
  expect(rep.summary).toMatchObject({ rows: 4, devices: 4, notYetEnrolled: 1, byState: { violating: 2, clear: 1, exempt: 1 }, byStage: { enforce: 4 } });
  expect(rep.policies).toEqual([expect.objectContaining({ name: 'Claude Code ban', version: 1, instants: expect.objectContaining({ enforce: '2026-07-09T16:00:00.000Z' }) })]);

  // What the server knew just before laptop-f reported: laptop-f clean then.
  const before = (await call(auditor, 'GET', `/reports/compliance?asOf=${encodeURIComponent(EFFECTIVE)}&knownAt=${ids.knownBeforeLateReport}&format=json`)).body;
  expect(before.rows.find((x: any) => x.deviceId === ids['laptop-f'])).toMatchObject({ state: 'clear', evidence: [] });
  expect(before.rows.find((x: any) => x.deviceId === ids['laptop-a'])).toMatchObject({ state: 'violating' });
});

test('the CSV names its columns first and has one row per in-scope device × tool', async () => {
  const r = await ctl('report', '--as-of', EFFECTIVE, '--format', 'csv');
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\r\n');
  expect(lines[0].split(',').slice(0, 4)).toEqual(['deviceId', 'hostname', 'toolId', 'state']);
  const states = Object.fromEntries(lines.slice(1).map((l) => l.split(',')).map((c) => [c[0], `${c[2]} ${c[3]}`]));
  expect(states).toEqual({
    [ids['laptop-a']]: 'claude-code violating',
    [ids['laptop-b']]: 'claude-code clear',
    [ids['laptop-c']]: 'claude-code exempt',
    [ids['laptop-f']]: 'claude-code violating',
  });
});

test('the auditor may not write: every write route answers 403', async () => {
  const writes: [string, string, unknown?][] = [
    ['POST', '/policies', {}],
    ['POST', `/policies/x/publish`],
    ['POST', '/exceptions', {}],
    ['PUT', `/devices/${ids['laptop-b']}/tags`, { tags: [] }],
    ['POST', '/tokens', { role: 'admin', name: 'escalate' }],
    ['POST', '/enrollment-tokens', {}],
    ['PUT', '/tools/claude-code', {}],
  ];
  for (const [m, p, b] of writes) expect([m, p, (await call(auditor, m, p, b)).body.error?.code]).toEqual([m, p, 'EDICT_ERR_FORBIDDEN']);
});

test('bad report input: a bare date, an unknown zone, a future knownAt, unknown policy / tool / tag — one clear line each', async () => {
  const err = async (q: string) => (await call(auditor, 'GET', `/reports/compliance?${q}`)).body.error;
  expect(await err('asOf=2026-07-10')).toMatchObject({ code: 'EDICT_ERR_VALIDATION', message: expect.stringMatching(/bare date.*2026-07-10T00:00 Asia\/Shanghai/) });
  expect(await err(`asOf=${encodeURIComponent('2026-07-10T00:00 Mars/Olympus')}`)).toMatchObject({ code: 'EDICT_ERR_VALIDATION', message: expect.stringMatching(/unknown time zone/) });
  expect(await err(`asOf=${encodeURIComponent(EFFECTIVE)}&knownAt=2099-01-01T00:00:00Z`)).toMatchObject({ code: 'EDICT_ERR_VALIDATION', message: expect.stringMatching(/knownAt.*future/) });
  expect(await err(`asOf=${encodeURIComponent(EFFECTIVE)}&policy=pol_nope`)).toMatchObject({ code: 'EDICT_ERR_NOT_FOUND' });
  expect(await err(`asOf=${encodeURIComponent(EFFECTIVE)}&tool=no-such-tool`)).toMatchObject({ code: 'EDICT_ERR_NOT_FOUND' });
  expect(await err(`asOf=${encodeURIComponent(EFFECTIVE)}&tag=no-such-tag`)).toMatchObject({ code: 'EDICT_ERR_NOT_FOUND' });
  const cli = await ctl('report', '--as-of', '2026-07-10', '--format', 'csv');
  expect(cli.code).toBe(1);
  expect(cli.stderr.trim().split('\n')).toHaveLength(1);
  expect(cli.stderr).toMatch(/^edictctl: EDICT_ERR_VALIDATION: .*asOf: .*bare date/);
});

test('the evidence pack verifies offline, two packs are byte-identical, any change or another key fails', async () => {
  const keyFile = path.join(dir, 'server-key.pem');
  expect((await ctl('keys', '--out', keyFile)).code).toBe(0);
  const knownAt = new Date(serverNow()).toISOString();
  const packs = [path.join(dir, 'one.zip'), path.join(dir, 'two.zip')];
  for (const out of packs) expect((await ctl('report', '--as-of', EFFECTIVE, '--known-at', knownAt, '--format', 'zip', '--out', out)).code).toBe(0);
  const [a, b] = packs.map((f) => unzipSync(readFileSync(f)));
  for (const f of ['report.csv', 'report.json', 'report.html']) expect([f, Buffer.from(a[f]).equals(Buffer.from(b[f]))]).toEqual([f, true]);
  const ma = JSON.parse(Buffer.from(a['manifest.json']).toString());
  const mb = JSON.parse(Buffer.from(b['manifest.json']).toString());
  const strip = (m: any) => ({ ...m, generatedAt: undefined, auditHead: undefined, auditCheckpoint: undefined, signature: undefined });
  expect(strip(ma)).toEqual(strip(mb));
  expect(ma).toMatchObject({ counts: { rows: 4, notYetEnrolled: 1 }, files: expect.arrayContaining([expect.objectContaining({ name: 'report.csv' })]) });

  const ok = await ctl('report', 'verify', packs[0], '--key', keyFile);
  expect([ok.code, ok.stdout]).toEqual([0, expect.stringMatching(/evidence pack verified: 3 files, 4 rows/)]);

  // A flipped byte in any file fails the check.
  for (const name of ['report.csv', 'report.json', 'report.html', 'manifest.json']) {
    const files = Object.fromEntries(Object.entries(a).map(([k, v]) => [k, new Uint8Array(v)]));
    files[name][Math.floor(files[name].length / 2)] ^= 0x01;
    const bad = path.join(dir, `flipped-${name}.zip`);
    writeFileSync(bad, zipSync(files));
    const r = await ctl('report', 'verify', bad, '--key', keyFile);
    expect([name, r.code, r.stdout]).toEqual([name, 2, expect.stringMatching(/NOT verified/)]);
  }
  // A pack re-signed by another key fails, whatever key id it claims.
  const rogue = generateKeyPairSync('ed25519');
  const forgedManifest = { ...ma, signature: undefined };
  forgedManifest.signature = sign(null, Buffer.from(JSON.stringify(forgedManifest)), rogue.privateKey).toString('base64');
  const forged = path.join(dir, 'forged.zip');
  writeFileSync(forged, zipSync({ ...a, 'manifest.json': Buffer.from(JSON.stringify(forgedManifest)) }));
  const r = await ctl('report', 'verify', forged, '--key', keyFile);
  expect([r.code, r.stdout]).toEqual([2, expect.stringMatching(/signature does not verify/)]);
  // Verifying against the rogue key (as if the pack carried it) fails too: the key id is the server's.
  const rogueKey = path.join(dir, 'rogue.pem');
  writeFileSync(rogueKey, rogue.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  const r2 = await ctl('report', 'verify', forged, '--key', rogueKey);
  expect([r2.code, r2.stdout]).toEqual([2, expect.stringMatching(/not by the key given/)]);
});
