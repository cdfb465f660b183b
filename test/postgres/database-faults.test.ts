// Bad database configuration exits 78 with one clear line (no password in it): an unreachable
// server, a wrong password, a database migrated by a newer edict-server. `edict-server migrate`
// applies what is pending and says so. A node whose database becomes unreachable while it runs
// reports not-ready (GET /api/v1/ready and /health answer 503), refuses agents' reports with the
// retryable EDICT_ERR_UNAVAILABLE without acknowledging or storing any of it, refuses new agent
// connections, and is ready again once the database is back, when the agent's resent report is
// stored once.
import { afterAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { SimAgent } from '../sim/sim-agent.js';
import { stopChild } from '../helpers/agent.js';
import { SERVER_CLI } from '../helpers/paths.js';
import { api, freePort, spawnServerProcess, type ServerProcess } from '../helpers/server.js';
import { adminUrl, closeAdmin, createTestDatabase, testDb, useDatabase } from '../helpers/store.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const run = promisify(execFile);
let node: ServerProcess | undefined;
let proxy: TcpProxy | undefined;
const sims: SimAgent[] = [];
afterAll(async () => {
  for (const s of sims) s.close();
  if (node) await stopChild(node.child);
  await proxy?.close();
  await closeAdmin();
  cleanupTempDirs();
});

async function server(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [SERVER_CLI, ...args, '--data', tempDir('edict-bad-'), '--port', '0'], { env: { ...process.env, ...env }, timeout: 60_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

function oneLine(r: { code: number; stderr: string }, pattern: RegExp, secret: string): void {
  expect(r.code).toBe(78);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^edict-server: EDICT_ERR_CONFIG: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).not.toContain(secret);
}

test('unreachable database, wrong password, newer database: exit 78 with one line', async () => {
  const url = new URL(await createTestDatabase());
  const password = decodeURIComponent(url.password);
  const env = (u: URL | string) => ({ EDICT_SERVER_STORE: 'postgres', EDICT_SERVER_DATABASE_URL: u.toString() });

  const nobody = new URL(url);
  nobody.port = String(await freePort());
  oneLine(await server([], env(nobody)), /unreachable: connection refused/, password);

  const wrong = new URL(url);
  wrong.password = 'not-the-password';
  oneLine(await server([], env(wrong)), /password authentication failed/, 'not-the-password');

  const migrated = await run(process.execPath, [SERVER_CLI, 'migrate'], { env: { ...process.env, ...env(url) } });
  const ran = /^postgres database migrated: applied (\S+(?:, \S+)*) \((\d+) migrations in all\)\n$/.exec(migrated.stdout);
  expect(ran?.[1].split(', ')[0]).toBe('20261201T0900-initial');
  expect(ran?.[1].split(', ').length).toBe(Number(ran?.[2]));
  expect((await run(process.execPath, [SERVER_CLI, 'migrate'], { env: { ...process.env, ...env(url) } })).stdout).toMatch(/nothing to apply/);
  const dir = tempDir('edict-newer-');
  useDatabase(dir, url.toString());
  const db = testDb(dir);
  await db.run("INSERT INTO schema_migrations(id, applied_at) VALUES ('29991231T0000-future', now())");
  await db.close();
  oneLine(await server([], env(url)), /migrations this server does not know \(29991231T0000-future\); it was written by a newer edict-server/, password);
}, 120_000);

test('the database lost while running: not ready, reports refused (retryable, nothing stored), ready again when it is back', async () => {
  const target = new URL(adminUrl());
  proxy = await startTcpProxy(Number(target.port));
  const direct = await createTestDatabase();
  const viaProxy = new URL(direct);
  viaProxy.port = String(proxy.port);
  const dir = tempDir('edict-node-');
  useDatabase(dir, viaProxy.toString());
  node = await spawnServerProcess(dir, await freePort());
  const admin = readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
  const ready = async () => (await fetch(`${node!.url}/api/v1/ready`)).status;
  expect(await ready()).toBe(200);

  const token = (await api(node.url, admin, 'POST', '/enrollment-tokens', { maxUses: 5 })).body.token;
  const agent = new SimAgent(node.url, 'laptop');
  sims.push(agent);
  const enrollment = await agent.enroll(token);
  await agent.connect();
  expect((await agent.report({ count: 5 })).accepted).toBe(5);

  proxy.cut();
  await waitFor(async () => (await ready()) === 503, 'the node to report not-ready', 15_000);
  const ready503 = await (await fetch(`${node.url}/api/v1/ready`)).json();
  expect(ready503).toMatchObject({ ready: false, reasons: [expect.stringMatching(/^database unreachable/)] });
  expect((await fetch(`${node.url}/api/v1/health`)).status).toBe(503);

  // A report now: refused with the retryable error, the connection closed (the agent goes elsewhere or retries).
  const batchId = randomUUID();
  const events = (await import('../sim/sim-agent.js')).makeEvents({ count: 7, pathPrefix: 'outage' });
  await expect(agent.sendReport({ type: 'report', batchId, events })).rejects.toThrow();
  await waitFor(() => agent.closed, 'the connection to close').catch((e) => { throw new Error(e.message + JSON.stringify(agent.errors) + node!.output().slice(-3000)); });
  // Nothing of it was stored (looked at directly, past the cut).
  const checkDir = tempDir('edict-check-');
  useDatabase(checkDir, direct);
  const check = testDb(checkDir);
  expect(await check.value('SELECT count(*) FROM detection_events')).toBe(5);
  expect(agent.errors.map((e) => e.code)).toContain('EDICT_ERR_UNAVAILABLE');
  expect(agent.closed!.code).toBe(1013);
  // New agent connections are refused while not ready.
  const second = new SimAgent(node.url, 'laptop');
  second.use(enrollment);
  sims.push(second);
  await expect(second.connect(10_000)).rejects.toThrow(/upgrade refused 503/);

  proxy.restore();
  await waitFor(async () => (await ready()) === 200, 'the node to be ready again', 20_000);
  const again = new SimAgent(node.url, 'laptop');
  again.use(enrollment);
  sims.push(again);
  await again.connect();
  expect(await again.sendReport({ type: 'report', batchId, events })).toMatchObject({ accepted: 7, duplicates: 0 });

  const stored = await check.all<{ id: string; n: number }>('SELECT event_id AS id, count(*) AS n FROM detection_events GROUP BY event_id');
  expect(stored).toHaveLength(12);
  expect(stored.every((r) => r.n === 1)).toBe(true);
  await check.close();
}, 120_000);
