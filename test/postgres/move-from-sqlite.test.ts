// Moving an embedded deployment onto PostgreSQL: a real SQLite server gets devices, detections,
// a published ban whose notice date passed, an exception, tags, a custom tool and their audit
// entries; `edict-server export` writes it, `edict-server import` loads it into a fresh
// PostgreSQL database; every row of every table is equal field by field, the audit chain has the
// same head and verifies, and the server on PostgreSQL answers the same bytes for the reports
// and lists (compliance as of a date, detections, timeline, audit, devices, exceptions) with the
// old admin token and the old signing key. A truncated file, a file from a newer server, or a
// database already in use are refused with one line and nothing imported.
import { afterAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer, type RunningServer } from '../../server/src/app.js';
import { loadServerConfig } from '../../server/src/config.js';
import { dumpStore, PORTABLE_TABLES, sameValue, type PortableRow } from '../../server/src/store/index.js';
import { connectRaw, enrollDevice, hello, report } from '../helpers/raw-agent.js';
import { api } from '../helpers/server.js';
import { SERVER_CLI } from '../helpers/paths.js';
import { closeAdmin, createTestDatabase } from '../helpers/store.js';
import { zoned } from '../helpers/time.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const running: RunningServer[] = [];
afterAll(async () => {
  for (const s of running) await s.close();
  await closeAdmin();
  cleanupTempDirs();
});

async function start(flags: Record<string, unknown>): Promise<RunningServer> {
  const s = await startServer(loadServerConfig({ flags: { port: 0, host: '127.0.0.1', logLevel: 'silent', ...flags } }));
  running.push(s);
  return s;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [SERVER_CLI, ...args], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

/** The bytes of the answers an auditor or admin reads. */
async function answers(url: string, token: string, deviceIds: string[], asOf: string): Promise<Record<string, string>> {
  const paths = [
    `/compliance?asOf=${encodeURIComponent(asOf)}`,
    `/compliance?asOf=${encodeURIComponent(asOf)}&state=noticed&limit=1`,
    '/detections?limit=1000',
    '/violations',
    '/audit?limit=1000',
    '/audit/verify',
    '/devices',
    '/exceptions',
    '/policies',
    '/tools',
    ...deviceIds.map((id) => `/devices/${id}/timeline`),
  ];
  const out: Record<string, string> = {};
  for (const p of paths) {
    const r = await fetch(`${url}/api/v1${p}`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    out[p] = await r.text();
  }
  return out;
}

async function rows(config: Parameters<typeof dumpStore>[0]): Promise<Record<string, PortableRow[]>> {
  const dump = await dumpStore(config);
  const out: Record<string, PortableRow[]> = {};
  try {
    for (const t of PORTABLE_TABLES) {
      out[t.name] = [];
      for await (const r of dump.rows(t)) out[t.name].push(r);
      out[t.name].sort((a, b) => (t.key.map((k) => String(a[k]).padStart(20)).join('|') < t.key.map((k) => String(b[k]).padStart(20)).join('|') ? -1 : 1));
    }
  } finally {
    await dump.close();
  }
  return out;
}

test('export from SQLite, import into PostgreSQL: every row, the audit head and the report bytes are the same', async () => {
  const dir = tempDir('edict-sqlite-');
  const s1 = await start({ dataDir: dir, store: 'sqlite' });
  const token = readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
  const call = (m: string, p: string, b?: unknown) => api(s1.url, token, m, p, b);
  // Hostnames whose byte order differs from a locale's order: paging and lists must agree.
  const hosts = ['Zeta-01', 'alpha-02', '_build', 'Éclair-03', 'beta-04'];
  const devices: { deviceId: string; credential: string }[] = [];
  for (const h of hosts) devices.push(await enrollDevice(s1.url, token, h));
  for (const [i, d] of devices.entries()) {
    const peer = await connectRaw(s1.url, d.credential);
    peer.send(hello({ device: { hostname: hosts[i], platform: 'linux', osRelease: 'test', arch: 'x64' } }));
    await peer.next('welcome');
    if (i % 2 === 0) {
      const r = report(3);
      peer.send(r);
      await peer.next('ack');
    }
    peer.ws.close();
  }
  await call('PUT', `/devices/${devices[1].deviceId}/tags`, { tags: ['eng', 'shanghai'] });
  const tool = { displayName: 'Acme Coder', vendor: 'Acme', category: ['cli-agent'], signatures: { npmPackages: ['@acme/coder'] } };
  expect((await call('PUT', '/tools/acme-coder', tool)).status).toBeLessThan(300);
  const draft = await call('POST', '/policies', {
    name: 'Claude Code ban',
    tools: ['claude-code'],
    reason: { en: 'Covert collection' },
    replacements: [{ toolId: 'qoder' }],
    stages: { notice: zoned(Date.now() - 60_000), enforce: { at: '2099-01-01T00:00', timeZone: 'UTC' } },
  });
  expect((await call('POST', `/policies/${draft.body.id}/publish`)).status).toBe(200);
  await s1.compliance.idle();
  expect((await call('POST', '/exceptions', { toolId: 'claude-code', deviceId: devices[2].deviceId, reason: 'pilot', expiresAt: new Date(Date.now() + 86400_000).toISOString() })).status).toBe(201);
  const asOf = new Date().toISOString();
  await waitFor(async () => (await call('GET', '/compliance?state=noticed')).body.items.length >= 2, 'devices noticed');
  await s1.close();

  // The SQLite server's answers, with no agent connected (as the PostgreSQL one will be).
  const s1b = await start({ dataDir: dir, store: 'sqlite' });
  const before = await answers(s1b.url, token, devices.map((d) => d.deviceId), asOf);
  await s1b.close();
  const sqliteRows = await rows({ kind: 'sqlite', dataDir: dir });

  const file = path.join(tempDir('edict-move-'), 'edict-export.jsonl');
  const exp = await cli(['export', '--data', dir, '--out', file]);
  expect(exp).toMatchObject({ code: 0 });
  expect(exp.stdout).toMatch(/^exported \d+ rows from the sqlite database to .*edict-export\.jsonl \(audit head [0-9a-f]{64}\)\n$/);

  const url = await createTestDatabase('edict_move');
  const pgEnv = { EDICT_SERVER_STORE: 'postgres', EDICT_SERVER_DATABASE_URL: url };
  const imp = await cli(['import', '--in', file, '--data', tempDir('edict-import-')], pgEnv);
  expect(imp).toMatchObject({ code: 0 });
  const head = /audit head ([0-9a-f]{64})/.exec(exp.stdout)![1];
  expect(imp.stdout).toContain(`audit chain verified, head ${head}`);

  // Every row of every table, field by field.
  const pgRows = await rows({ kind: 'postgres', dataDir: dir, databaseUrl: url });
  for (const t of PORTABLE_TABLES) {
    expect({ table: t.name, n: pgRows[t.name].length }).toEqual({ table: t.name, n: sqliteRows[t.name].length });
    sqliteRows[t.name].forEach((r, i) => {
      for (const [col, kind] of t.columns) {
        if (!sameValue(kind, r[col], pgRows[t.name][i][col])) throw new Error(`${t.name} row ${JSON.stringify(r)} column ${col}: ${JSON.stringify(r[col])} ≠ ${JSON.stringify(pgRows[t.name][i][col])}`);
      }
    });
  }
  expect(sqliteRows.devices.length).toBe(hosts.length);
  expect(sqliteRows.audit_log.at(-1)!.hash).toBe(head);

  // A node on PostgreSQL with the old signing key answers the same bytes to the old admin token.
  const s2 = await start({ dataDir: tempDir('edict-pg-node-'), store: 'postgres', databaseUrl: url, signingKeyFile: path.join(dir, 'signing-key.pem') });
  const after = await answers(s2.url, token, devices.map((d) => d.deviceId), asOf);
  for (const p of Object.keys(before)) expect({ p, body: after[p] }).toEqual({ p, body: before[p] });
  // Listed in byte order on both, whatever the database's locale.
  expect(JSON.parse(after['/devices']).items.map((d: { hostname: string }) => d.hostname)).toEqual([...hosts].sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b)))));
  // Agents enrolled on SQLite carry on: the same credential, a part signed by the pinned key.
  const peer = await connectRaw(s2.url, devices[0].credential);
  peer.send(hello());
  await peer.next('welcome');
  peer.ws.close();
  await s2.close();

  // Into a database already in use: refused, one line, nothing changed.
  const again = await cli(['import', '--in', file, '--data', tempDir('edict-import-')], pgEnv);
  expect(again.code).toBe(78);
  expect(again.stderr.trim().split('\n')).toHaveLength(1);
  expect(again.stderr).toMatch(/EDICT_ERR_CONFIG: .*database is not empty/);

  // A truncated file or one from a newer server: refused, the fresh database left empty.
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const truncated = path.join(path.dirname(file), 'truncated.jsonl');
  writeFileSync(truncated, lines.slice(0, -5).join('\n') + '\n');
  const newer = path.join(path.dirname(file), 'newer.jsonl');
  const header = JSON.parse(lines[0]);
  writeFileSync(newer, [JSON.stringify({ ...header, tables: [...header.tables, 'holograms'] }), ...lines.slice(1)].join('\n') + '\n');
  const fresh = await createTestDatabase('edict_move');
  for (const [f, why] of [
    [truncated, /no end line \(truncated\?\): nothing imported/],
    [newer, /tables this server does not know \(holograms\)/],
  ] as const) {
    const r = await cli(['import', '--in', f, '--data', tempDir('edict-import-')], { ...pgEnv, EDICT_SERVER_DATABASE_URL: fresh });
    expect(r.code).toBe(78);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(why);
  }
  const empty = await rows({ kind: 'postgres', dataDir: dir, databaseUrl: fresh });
  for (const t of PORTABLE_TABLES) if (t.name !== 'meta') expect({ t: t.name, n: empty[t.name].length }).toEqual({ t: t.name, n: 0 });
}, 180_000);
