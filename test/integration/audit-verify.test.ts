// The audit log detects every edit: with a checkpoint kept outside the server
// (`edictctl audit checkpoint --out`), deleting the last entries, editing one, or forging the
// checkpoint each make `edictctl audit verify` fail with a message that says which; an untouched
// log passes and shows its head and newest checkpoint. The server's own stored checkpoints (made
// with every evidence pack) catch a truncation even without the file.
import { afterEach, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CTL_CLI } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  cleanupTempDirs();
});

async function ctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [CTL_CLI, '--server', server!.url, '--token-file', path.join(server!.dataDir, 'admin-token'), ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

/** A server with a few audit entries and a checkpoint of its head kept in a file. */
async function withCheckpoint(): Promise<{ file: string; seq: number }> {
  server = await startTestServer();
  for (let i = 0; i < 5; i++) await server.api('POST', '/tokens', { role: 'auditor', name: `auditor-${i}` });
  const file = path.join(tempDir(), 'checkpoint.json');
  const r = await ctl('audit', 'checkpoint', '--out', file);
  expect(r.code).toBe(0);
  const cp = JSON.parse(readFileSync(file, 'utf8'));
  const ok = await ctl('audit', 'verify', '--against', file);
  expect([ok.code, ok.stdout]).toEqual([0, expect.stringMatching(/audit log intact: \d+ entries verified, and the checkpoint/)]);
  expect(ok.stdout).toMatch(new RegExp(`head: entry ${cp.seq}`));
  return { file, seq: cp.seq };
}

test('deleting the last entries fails verify against a kept checkpoint, saying entries were removed', async () => {
  const { file, seq } = await withCheckpoint();
  await server!.sql.run('DELETE FROM audit_log WHERE seq > ?', seq - 2);
  // The chain alone still links up: only the checkpoint can tell.
  expect((await server!.api('GET', '/audit/verify')).body.problems).toEqual([]);
  const r = await ctl('audit', 'verify', '--against', file);
  expect(r.code).toBe(2);
  expect(r.stdout).toMatch(new RegExp(`entry ${seq} is missing — entries covered by the checkpoint were removed \\(the log now ends at ${seq - 2}\\)`));
});

test('editing an entry fails verify, naming the entry', async () => {
  const { file } = await withCheckpoint();
  await server!.sql.run("UPDATE audit_log SET actor = 'admin:mallory' WHERE seq = 3");
  const r = await ctl('audit', 'verify', '--against', file);
  expect(r.code).toBe(2);
  expect(r.stdout).toMatch(/entry 3 was edited or an entry before it was removed/);
});

test('a forged checkpoint fails verify: its signature does not verify', async () => {
  const { file, seq } = await withCheckpoint();
  const cp = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...cp, seq: seq + 5 }));
  const r = await ctl('audit', 'verify', '--against', file);
  expect(r.code).toBe(2);
  expect(r.stdout).toMatch(/signature does not verify \(forged or altered\)/);
});

test('the checkpoint stored with an evidence pack catches a truncation without any file', async () => {
  server = await startTestServer();
  for (let i = 0; i < 4; i++) await server.api('POST', '/tokens', { role: 'helpdesk', name: `h-${i}` });
  const pack = await fetch(`${server.url}/api/v1/reports/compliance?asOf=${new Date().toISOString()}&format=zip`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  expect(pack.status).toBe(200);
  const stored = (await server.api('GET', '/audit/checkpoints')).body.items;
  expect(stored.length).toBe(1);
  await server.sql.run('DELETE FROM audit_log WHERE seq >= ?', stored[0].seq);
  const r = await ctl('audit', 'verify');
  expect(r.code).toBe(2);
  expect(r.stdout).toMatch(new RegExp(`stored checkpoint of entry ${stored[0].seq}.*is missing`));
});

test('bad input: a checkpoint file that is not JSON, and no --out', async () => {
  server = await startTestServer();
  const bad = path.join(tempDir(), 'nope.json');
  writeFileSync(bad, 'not json');
  const r = await ctl('audit', 'verify', '--against', bad);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^edictctl: EDICT_ERR_VALIDATION: .*--against .*nope\.json/);
  const r2 = await ctl('audit', 'checkpoint');
  expect(r2.code).toBe(1);
  expect(r2.stderr).toMatch(/--out/);
});
