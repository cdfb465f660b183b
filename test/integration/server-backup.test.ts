// `edict-server backup` while the server ingests a steady stream of reports: the copy passes
// `PRAGMA integrity_check` and holds every event acked before the backup began; `restore` puts it
// back in place of a newer database (kept beside it) and the server starts on it; restore refuses
// while the server runs, and refuses a file that is not an Edict database. Bad input: one line.
import { afterAll, expect, test } from '@jest/globals';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeEvents, SimAgent } from '../sim/sim-agent.js';
import { stopChild } from '../helpers/agent.js';
import { SERVER_CLI } from '../helpers/paths.js';
import { api, freePort, spawnServerProcess, type ServerProcess } from '../helpers/server.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
let server: ServerProcess | undefined;
afterAll(async () => {
  if (server) await stopChild(server.child);
  cleanupTempDirs();
});

const cli = (...args: string[]) =>
  run(process.execPath, [SERVER_CLI, ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

test('backup during ingest, restore, and the refusals', async () => {
  const dataDir = tempDir('edict-server-');
  const port = await freePort();
  server = await spawnServerProcess(dataDir, port);
  const admin = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const token = (await api(server.url, admin, 'POST', '/enrollment-tokens', { label: 'backup', maxUses: 4 })).body.token;
  const agents = await Promise.all([0, 1, 2, 3].map(async (i) => {
    const a = new SimAgent(server!.url, `backup-${i}`);
    await a.enroll(token);
    await a.connect();
    return a;
  }));
  const acked: { id: string; at: number }[] = [];
  let streaming = true;
  const streams = agents.map(async (a) => {
    while (streaming) {
      const events = makeEvents({ count: 50, kind: 'running', pathPrefix: randomUUID() }) as { eventId: string }[];
      await a.sendReport({ type: 'report', batchId: randomUUID(), events });
      const at = Date.now();
      for (const e of events) acked.push({ id: e.eventId, at });
    }
  });
  await waitFor(() => acked.length >= 2000, 'a stream of acked events');

  const backupFile = path.join(tempDir('edict-backup-'), 'edict-backup.db');
  const began = Date.now();
  const b = await cli('backup', '--to', backupFile, '--data', dataDir);
  expect([b.code, b.stdout]).toEqual([0, expect.stringMatching(/integrity_check ok/)]);
  const ackedBefore = acked.filter((e) => e.at < began).map((e) => e.id);
  await waitFor(() => acked.some((e) => e.at > Date.now() - 50 && e.at > began), 'ingest to go on after the backup');
  streaming = false;
  await Promise.all(streams);
  for (const a of agents) a.close();

  const copy = new Database(backupFile, { readonly: true });
  try {
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    const stored = new Set(copy.prepare('SELECT event_id FROM detection_events').pluck().all() as string[]);
    expect(ackedBefore.length).toBeGreaterThan(1000);
    expect(ackedBefore.filter((id) => !stored.has(id))).toEqual([]);
  } finally {
    copy.close();
  }
  // A backup never overwrites.
  const again = await cli('backup', '--to', backupFile, '--data', dataDir);
  expect([again.code, again.stderr]).toEqual([1, expect.stringMatching(/exists; choose a new file/)]);

  // Restore refuses while the server runs.
  const busy = await cli('restore', '--from', backupFile, '--data', dataDir);
  expect([busy.code, busy.stderr.trim().split('\n').length, busy.stderr]).toEqual([1, 1, expect.stringMatching(/server is running .* stop it first/)]);
  await stopChild(server.child);
  server = undefined;
  // A file that is not a database is refused, and nothing changes.
  const junk = path.join(tempDir(), 'junk.db');
  writeFileSync(junk, 'not a database at all '.repeat(100));
  const bad = await cli('restore', '--from', junk, '--data', dataDir);
  expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/not an Edict database|does not pass integrity_check/)]);
  // Restore: the newer database is kept beside it, and the server starts on the backup.
  const r = await cli('restore', '--from', backupFile, '--data', dataDir);
  expect([r.code, r.stdout]).toEqual([0, expect.stringMatching(/restored .* the previous database is kept as/)]);
  expect(readdirSync(dataDir).some((f) => f.startsWith('edict.db.before-restore-'))).toBe(true);
  server = await spawnServerProcess(dataDir, port);
  const health = await api(server.url, undefined, 'GET', '/health');
  expect(health.body.ok).toBe(true);
  const events = (await api(server.url, admin, 'GET', '/detections?limit=1')).body.items;
  expect(events.length).toBe(1);
  expect(existsSync(path.join(dataDir, 'server.pid'))).toBe(true);
}, 120_000);
