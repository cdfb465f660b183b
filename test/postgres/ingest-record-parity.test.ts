// Ingest's write (DetectionRepo.record: the events of a slice and the findings they move) leaves the
// same rows on both databases: each finding at its newest event (ties on observedAt go to the later
// arrival), an older event arriving late stored but moving nothing, a replay adding nothing, usage
// never a finding, an id twice in one slice stored once, and a finding whose newest event repeats
// its own state and instant keeping its event id.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import Database from 'better-sqlite3';
import path from 'node:path';
import postgres from 'postgres';
import type { DetectionEvent } from '../../shared/src/protocol/index.js';
import { openStore, type NewDetection, type Store } from '../../server/src/store/index.js';
import { closeAdmin, createTestDatabase } from '../helpers/store.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

let lite: Store;
let pg: Store;
let liteDir: string;
let pgUrl: string;
const T = (min: number) => new Date(Date.UTC(2026, 6, 1, 9, min)).toISOString();

function ev(id: string, deviceId: string, kind: string, user: string, state: 'present' | 'absent', min: number, p: string): NewDetection {
  const event = {
    eventId: id,
    type: 'detection',
    state,
    observedAt: T(min),
    stage: 'none',
    detection: { toolId: 'claude-code', kind, user, evidence: { source: 'npm-global', signature: 'npm:x', path: p }, confidence: 0.9 },
  } as unknown as DetectionEvent;
  return { deviceId, batchId: `batch-${id}`, c: { event, observedAt: T(min), stage: 'none', policyId: null } };
}

// Two devices, several findings each.
const SLICE_1 = [
  ev('e01', 'dev_b', 'installed', 'bob', 'present', 1, '/a'),
  ev('e02', 'dev_b', 'installed', 'bob', 'absent', 1, '/a'), // same instant: the later arrival wins
  ev('e03', 'dev_a', 'installed', 'ann', 'present', 2, '/B'),
  ev('e04', 'dev_a', 'running', 'ann', 'present', 3, '/B'),
  ev('e05', 'dev_a', 'usage', 'ann', 'present', 3, '/cfg'), // a config folder: an event, never a finding
  ev('e06', 'dev_a', 'installed', 'ann', 'absent', 5, '/a'),
  ev('e07', 'dev_a', 'installed', 'ann', 'present', 4, '/a'), // older than e06 within the slice
  ev('e03', 'dev_a', 'installed', 'ann', 'present', 2, '/B'), // the same id twice in one slice
];
const SLICE_2 = [
  ev('e04', 'dev_a', 'running', 'ann', 'present', 3, '/B'), // a replay
  ev('e08', 'dev_b', 'installed', 'bob', 'present', 0, '/a'), // late and older: stored, moves nothing
  ev('e09', 'dev_a', 'installed', 'ann', 'absent', 9, '/B'), // newer: moves the finding
  ev('e10', 'dev_a', 'installed', 'ann', 'present', 5, '/a'), // same instant as the finding's event: moves it
];
// The finding of dev_b /a is (absent at 1, e02). Within one slice, at that instant: present, then
// absent again. The newest is e12, with the finding's state and instant: it keeps e02. And one id
// sent twice with different content: the first copy is what is stored, and what moves the finding.
const SLICE_3 = [
  ev('e11', 'dev_b', 'installed', 'bob', 'present', 1, '/a'),
  ev('e12', 'dev_b', 'installed', 'bob', 'absent', 1, '/a'),
  ev('e13', 'dev_b', 'installed', 'bob', 'present', 7, '/z'),
  ev('e13', 'dev_b', 'installed', 'bob', 'absent', 8, '/z'),
];

beforeAll(async () => {
  liteDir = tempDir('edict-record-');
  pgUrl = await createTestDatabase();
  lite = await openStore({ kind: 'sqlite', dataDir: liteDir });
  pg = await openStore({ kind: 'postgres', dataDir: tempDir('edict-record-'), databaseUrl: pgUrl, poolSize: 2, nodeId: 'record' });
  for (const s of [lite, pg]) {
    const enr = await s.tokens.createEnrollmentToken('record', 1, 10);
    for (const id of ['dev_a', 'dev_b']) await s.devices.create(id, id, `cred-${id}-${s.kind}`, enr.id, []);
  }
});

afterAll(async () => {
  await lite?.close();
  await pg?.close();
  await closeAdmin();
  cleanupTempDirs();
});

const FINDINGS = 'SELECT device_id, detection_key, kind, os_user, state, event_id FROM findings ORDER BY device_id, detection_key';
const EVENTS = 'SELECT event_id, device_id, detection_key, state FROM detection_events ORDER BY event_id';

async function rows(s: Store, q: string): Promise<unknown[]> {
  if (s === lite) {
    const db = new Database(path.join(liteDir, 'edict.db'), { readonly: true });
    try {
      return db.prepare(q).all();
    } finally {
      db.close();
    }
  }
  const sql = postgres(pgUrl, { max: 1, onnotice: () => undefined });
  try {
    return [...(await sql.unsafe(q))].map((r) => ({ ...r }));
  } finally {
    await sql.end({ timeout: 1 });
  }
}

test('record stores each event once and leaves every finding at its newest event, the same on SQLite and PostgreSQL', async () => {
  for (const s of [lite, pg]) {
    const first = await s.tx(() => s.detections.record(SLICE_1));
    expect([...first].sort()).toEqual(['e01', 'e02', 'e03', 'e04', 'e05', 'e06', 'e07']);
  }
  const afterFirst = [
    { device_id: 'dev_a', detection_key: 'claude-code|installed|ann|/B', kind: 'installed', os_user: 'ann', state: 'present', event_id: 'e03' },
    { device_id: 'dev_a', detection_key: 'claude-code|installed|ann|/a', kind: 'installed', os_user: 'ann', state: 'absent', event_id: 'e06' },
    { device_id: 'dev_a', detection_key: 'claude-code|running|ann|/B', kind: 'running', os_user: 'ann', state: 'present', event_id: 'e04' },
    { device_id: 'dev_b', detection_key: 'claude-code|installed|bob|/a', kind: 'installed', os_user: 'bob', state: 'absent', event_id: 'e02' },
  ];
  for (const s of [lite, pg]) expect(await rows(s, FINDINGS)).toEqual(afterFirst);

  for (const s of [lite, pg]) {
    const second = await s.tx(() => s.detections.record(SLICE_2));
    expect([...second].sort()).toEqual(['e08', 'e09', 'e10']);
  }
  const afterSecond = [
    { ...afterFirst[0], state: 'absent', event_id: 'e09' },
    { ...afterFirst[1], state: 'present', event_id: 'e10' },
    afterFirst[2],
    afterFirst[3],
  ];
  for (const s of [lite, pg]) expect(await rows(s, FINDINGS)).toEqual(afterSecond);

  for (const s of [lite, pg]) expect([...(await s.tx(() => s.detections.record(SLICE_3)))].sort()).toEqual(['e11', 'e12', 'e13']);
  const z = { device_id: 'dev_b', detection_key: 'claude-code|installed|bob|/z', kind: 'installed', os_user: 'bob', state: 'present', event_id: 'e13' };
  for (const s of [lite, pg]) expect(await rows(s, FINDINGS)).toEqual([...afterSecond, z]);
  expect(await rows(pg, EVENTS)).toEqual(await rows(lite, EVENTS));
  expect((await rows(pg, EVENTS)).length).toBe(13);
  // An empty slice writes nothing.
  for (const s of [lite, pg]) expect((await s.detections.record([])).size).toBe(0);
});
