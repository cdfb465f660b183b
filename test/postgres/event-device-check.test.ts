// Detection events and findings name an enrolled device on PostgreSQL as on SQLite, now that a
// statement trigger checks them instead of a per-row foreign key (migration
// 20261201T0930-event-device-check): a slice naming an unknown device is refused whole with the
// foreign-key error and nothing of it is stored; a device cannot be deleted; and a database made by
// the earlier migrations, with events in it, upgrades with every row kept.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import postgres from 'postgres';
import type { DetectionEvent } from '../../shared/src/protocol/index.js';
import { createSql, migrate } from '../../server/src/store/postgres/connection.js';
import { MIGRATIONS } from '../../server/src/store/postgres/migrations/index.js';
import { openStore, type NewDetection, type Store } from '../../server/src/store/index.js';
import { closeAdmin, createTestDatabase } from '../helpers/store.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

const open: Store[] = [];
const sqls: postgres.Sql[] = [];
afterAll(async () => {
  for (const s of open) await s.close();
  for (const s of sqls) await s.end({ timeout: 1 });
  await closeAdmin();
  cleanupTempDirs();
});

function ev(id: string, deviceId: string, p: string): NewDetection {
  const event = {
    eventId: id,
    type: 'detection',
    state: 'present',
    observedAt: '2026-07-01T09:00:00.000Z',
    stage: 'none',
    detection: { toolId: 'claude-code', kind: 'installed', user: 'ann', evidence: { source: 'npm-global', signature: 'npm:x', path: p }, confidence: 0.9 },
  } as unknown as DetectionEvent;
  return { deviceId, batchId: 'b', c: { event, observedAt: event.observedAt, stage: 'none', policyId: null } };
}

async function storeWithDevice(kind: 'sqlite' | 'postgres'): Promise<{ store: Store; url?: string }> {
  const url = kind === 'postgres' ? await createTestDatabase() : undefined;
  const store = await openStore({ kind, dataDir: tempDir('edict-devcheck-'), databaseUrl: url, poolSize: 2, nodeId: 'devcheck' });
  open.push(store);
  const enr = await store.tokens.createEnrollmentToken('devcheck', 1, 10);
  await store.devices.create('dev_known', 'known', `cred-${kind}`, enr.id, []);
  return { store, url };
}

let pg: { store: Store; url?: string };
beforeAll(async () => {
  pg = await storeWithDevice('postgres');
});

test.each(['sqlite', 'postgres'] as const)('%s: a slice naming a device that is not enrolled is refused whole, nothing of it stored', async (kind) => {
  const { store } = kind === 'postgres' ? pg : await storeWithDevice('sqlite');
  const slice = [ev('ok-1', 'dev_known', '/a'), ev('bad-1', 'dev_nobody', '/b'), ev('ok-2', 'dev_known', '/c')];
  const err = await store.tx(() => store.detections.record(slice)).then(
    () => undefined,
    (e: { code?: string; message?: string }) => e,
  );
  expect(err).toBeDefined();
  expect(err!.code).toBe(kind === 'postgres' ? '23503' : 'SQLITE_CONSTRAINT_FOREIGNKEY');
  if (kind === 'postgres') expect(err!.message).toMatch(/dev_nobody.*not enrolled/);
  expect(await store.detections.count()).toBe(0);
  expect(await store.detections.present()).toEqual([]);
  // The same slice without the stranger is stored, findings and all.
  const added = await store.tx(() => store.detections.record(slice.filter((e) => e.deviceId === 'dev_known')));
  expect([...added].sort()).toEqual(['ok-1', 'ok-2']);
  expect(await store.detections.present()).toHaveLength(2);
});

test('postgres: a finding naming a device that is not enrolled is refused on its own too, with any search_path', async () => {
  const sql = postgres(pg.url!, { max: 1, onnotice: () => undefined });
  sqls.push(sql);
  const now = new Date().toISOString();
  await expect(
    sql`INSERT INTO findings(device_id, detection_key, tool_id, kind, os_user, state, observed_at, event_id) VALUES ('dev_ghost', 'k', 'claude-code', 'installed', 'u', 'present', ${now}, 'e-ghost')`,
  ).rejects.toMatchObject({ code: '23503', message: expect.stringMatching(/findings.*dev_ghost/) });
  // pg_dump's output runs with an empty search_path: the check still finds devices.
  await sql.begin(async (t) => {
    await t`SELECT set_config('search_path', '', true)`;
    await t`INSERT INTO public.findings(device_id, detection_key, tool_id, kind, os_user, state, observed_at, event_id) VALUES ('dev_known', 'k-path', 'claude-code', 'installed', 'u', 'present', ${now}, 'e-path')`;
  });
  expect((await sql`SELECT count(*)::int AS n FROM findings WHERE detection_key = 'k-path'`)[0].n).toBe(1);
});

test('postgres: a device cannot be deleted, so no event loses its device', async () => {
  const sql = postgres(pg.url!, { max: 1, onnotice: () => undefined });
  sqls.push(sql);
  await expect(sql`DELETE FROM devices WHERE id = 'dev_known'`).rejects.toMatchObject({ code: '23001', message: expect.stringMatching(/revoke it instead/) });
  expect((await sql`SELECT count(*)::int AS n FROM devices`)[0].n).toBe(1);
});

test('postgres: a database made by the earlier migrations, with events and findings, upgrades and keeps every row', async () => {
  const url = await createTestDatabase();
  const raw = createSql({ url, poolSize: 1, applicationName: 'edict test' });
  sqls.push(raw as unknown as postgres.Sql);
  const before = MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.id === '20261201T0930-event-device-check'));
  expect(await migrate(raw, before)).toEqual(before.map((m) => m.id));
  const now = new Date().toISOString();
  await raw.unsafe(`INSERT INTO enrollment_tokens(id, token_hash, label, created_at, expires_at, max_uses) VALUES ('enr_1', 'h', 'l', $1, $1, 1)`, [now]);
  await raw.unsafe(`INSERT INTO devices(id, hostname, credential_hash, enrollment_token_id, enrolled_at) VALUES ('dev_1', 'h', 'c', 'enr_1', $1)`, [now]);
  await raw.unsafe(
    `INSERT INTO detection_events(event_id, device_id, batch_id, tool_id, detection_key, kind, os_user, state, evidence, confidence, observed_at, received_at, agent_stage, stage)
     VALUES ('e1', 'dev_1', 'b', 'claude-code', 'k1', 'installed', 'u', 'present', '{}', 1, $1, $1, 'none', 'none')`,
    [now],
  );
  await raw.unsafe(`INSERT INTO findings(device_id, detection_key, tool_id, kind, os_user, state, observed_at, event_id) VALUES ('dev_1', 'k1', 'claude-code', 'installed', 'u', 'present', $1, 'e1')`, [now]);

  const store = await openStore({ kind: 'postgres', dataDir: tempDir('edict-devcheck-'), databaseUrl: url, poolSize: 2, nodeId: 'upgrade' });
  open.push(store);
  expect(await store.detections.count()).toBe(1);
  expect(await store.detections.present()).toEqual([{ deviceId: 'dev_1', toolId: 'claude-code', user: 'u', kind: 'installed' }]);
  const keys = await raw.unsafe(`SELECT conname FROM pg_constraint WHERE conrelid IN ('detection_events'::regclass, 'findings'::regclass) AND contype = 'f'`);
  expect(keys).toHaveLength(0);
  const triggers = await raw.unsafe(`SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname`);
  expect(triggers.map((t) => t.tgname)).toEqual(['detection_events_device', 'devices_kept', 'findings_device']);
  // Checked from now on: an event for a device the database does not hold is refused.
  await expect(store.tx(() => store.detections.record([ev('e2', 'dev_2', '/x')]))).rejects.toMatchObject({ code: '23503' });
});
