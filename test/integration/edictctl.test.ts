// edictctl against a real server: the admin's ban workflow end to end through the CLI — draft,
// preview, publish, exception, compliance as of a date, device timeline, audit verify — and clear
// one-line errors for a bad token, a bad spec file and an unreachable server.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CTL_CLI } from '../helpers/paths.js';
import { connectRaw, enrollDevice, hello, report } from '../helpers/raw-agent.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
let server: TestServer;
let tokenFile: string;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  dir = tempDir();
  tokenFile = path.join(server.dataDir, 'admin-token');
});
afterAll(async () => {
  await server?.close();
  cleanupTempDirs();
});

async function ctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [CTL_CLI, '--server', server.url, '--token-file', tokenFile, ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}
const json = async (...args: string[]) => JSON.parse((await ctl('--json', ...args)).stdout);

test('draft → preview → publish → exception → compliance and timeline, all through edictctl', async () => {
  const dev = await enrollDevice(server.url, server.adminToken, 'laptop-ctl');
  const peer = await connectRaw(server.url, dev.credential);
  peer.send(hello({ device: { hostname: 'laptop-ctl', platform: 'linux', osRelease: 'test', arch: 'x64' } }));
  await peer.next('welcome');
  const n = peer.received.length;
  peer.send(report(1));
  await peer.next('ack', n);

  const spec = path.join(dir, 'ban.json');
  writeFileSync(spec, JSON.stringify({ name: 'CLI ban', tools: ['claude-code'], reason: { en: 'policy' }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai' } } }));
  const draft = await json('policies', 'create', '--file', spec);
  expect(draft.status).toBe('draft');
  const preview = await ctl('policies', 'preview', draft.id);
  expect(preview.stdout).toMatch(/^now \(.*\): 1 violating/m);
  expect(preview.stdout).toContain('laptop-ctl');
  const published = await json('policies', 'publish', draft.id);
  expect(published.version).toBe(1);
  expect((await ctl('policies', 'list')).stdout).toMatch(/CLI ban\s+published\s+1/);

  expect((await json('compliance')).items).toEqual([expect.objectContaining({ deviceId: dev.deviceId, state: 'violating' })]);
  // Before the device enrolled it is not part of the fleet, so an as-of view lists nothing for it.
  expect((await json('compliance', '--as-of', '2000-01-01T00:00:00Z')).items).toEqual([]);

  const g = await json('exceptions', 'grant', '--device', dev.deviceId, '--tool', 'claude-code', '--reason', 'pilot', '--expires', new Date(Date.now() + 86400_000).toISOString());
  expect(g.status).toBe('granted');
  expect((await json('compliance')).items[0].state).toBe('exempt');
  const tl = await ctl('devices', 'timeline', dev.deviceId, '--tool', 'claude-code');
  expect(tl.stdout).toMatch(/state\s+clear\s+violating/);
  expect(tl.stdout).toMatch(/exception-granted/);
  expect((await ctl('audit', 'verify')).stdout).toMatch(/audit log intact: \d+ entries verified/);
  peer.ws.close();
});

test('bad token, bad spec file and an unreachable server each give one clear line and exit 1', async () => {
  const badTokenFile = path.join(dir, 'bad-token');
  writeFileSync(badTokenFile, 'edict_adm_wrong\n');
  const r1 = await run(process.execPath, [CTL_CLI, '--server', server.url, '--token-file', badTokenFile, 'devices', 'list']).catch((e) => e);
  expect(r1.code).toBe(1);
  expect(r1.stderr.trim()).toBe('edictctl: EDICT_ERR_BAD_CREDENTIAL: credential is not valid');

  const spec = path.join(dir, 'bad.json');
  writeFileSync(spec, JSON.stringify({ name: 'x', tools: ['no-such-tool'], reason: { en: 'r' }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Nowhere/City' } } }));
  const r2 = await ctl('policies', 'create', '--file', spec);
  expect(r2.code).toBe(1);
  expect(r2.stderr).toMatch(/^edictctl: EDICT_ERR_VALIDATION: .*stages\.enforce\.timeZone/);

  const r3 = await run(process.execPath, [CTL_CLI, '--server', 'http://127.0.0.1:9', '--token-file', tokenFile, 'devices', 'list']).catch((e) => e);
  expect(r3.code).toBe(1);
  expect(r3.stderr).toMatch(/^edictctl: EDICT_ERR_SERVER_UNREACHABLE/);
});
