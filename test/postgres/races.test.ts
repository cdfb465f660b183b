// The races one SQLite writer hid, on one PostgreSQL database written by two nodes (two stores,
// two connection pools) at once: audit appends never fork the chain, an enrollment token's last
// uses are handed out once, part versions are never handed out twice, two reconciles of one
// device × tool take turns, and exactly one node leads (another takes over when it stops).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { openStore, type Store } from '../../server/src/store/index.js';
import { closeAdmin, createTestDatabase } from '../helpers/store.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let a: Store;
let b: Store;
beforeAll(async () => {
  const url = await createTestDatabase();
  a = await openStore({ kind: 'postgres', dataDir: tempDir(), databaseUrl: url, poolSize: 6, nodeId: 'node-a' });
  b = await openStore({ kind: 'postgres', dataDir: tempDir(), databaseUrl: url, poolSize: 6, nodeId: 'node-b' });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await closeAdmin();
  cleanupTempDirs();
});

test('audit appends from two nodes at once chain one after another', async () => {
  await Promise.all(
    Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).tx(async (r) => r.audit.append(`actor-${i}`, 'race.test', `s-${i}`, { i }))),
  );
  const v = await a.audit.verify();
  expect(v).toMatchObject({ ok: true, entries: 60 });
  expect(new Set((await b.audit.list(100)).map((e) => e.prevHash)).size).toBe(60);
});

test("an enrollment token's last uses go to exactly as many enrollments as it allows", async () => {
  const t = await a.tokens.createEnrollmentToken('race', 1, 5);
  const results = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).tokens.consumeEnrollmentToken(t.token)));
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
  expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'EDICT_ERR_ENROLLMENT_TOKEN_INVALID')).toBe(true);
  expect((await b.tokens.listEnrollmentTokens()).find((x) => x.id === t.id)?.uses).toBe(5);
});

test('part versions raised from two nodes at once are all different', async () => {
  const start = await a.policies.partVersion('policies');
  const got = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).tx((r) => r.policies.bumpPartVersion('policies'))));
  expect(new Set(got).size).toBe(40);
  expect(Math.max(...got)).toBe(start + 40);
  expect(await b.policies.partVersion('policies')).toBe(start + 40);
});

test('two reconciles of one device × tool on two nodes take turns (the second sees what the first committed)', async () => {
  const order: string[] = [];
  let releaseFirst!: () => void;
  const firstHolds = new Promise<void>((r) => (releaseFirst = r));
  let firstLocked!: () => void;
  const locked = new Promise<void>((r) => (firstLocked = r));
  const first = a.tx(async (r) => {
    await r.compliance.lockPair('dev_1', 'claude-code');
    firstLocked();
    order.push('first in');
    await firstHolds;
    order.push('first out');
  });
  await locked;
  const second = b.tx(async (r) => {
    await r.compliance.lockPair('dev_1', 'claude-code');
    order.push('second in');
  });
  // Another pair is not held up meanwhile.
  await b.tx((r) => r.compliance.lockPair('dev_2', 'claude-code'));
  await new Promise((r) => setTimeout(r, 300));
  expect(order).toEqual(['first in']);
  releaseFirst();
  await Promise.all([first, second]);
  expect(order).toEqual(['first in', 'first out', 'second in']);
});

test('exactly one of two nodes leads; when it stops the other takes over', async () => {
  await a.cluster.start();
  await b.cluster.start();
  await waitFor(() => a.cluster.isLeader !== b.cluster.isLeader, 'one leader', 10_000);
  const [leader, other] = a.cluster.isLeader ? [a, b] : [b, a];
  const t0 = Date.now();
  await leader.cluster.stop();
  await waitFor(() => other.cluster.isLeader, 'the other node to take over', 10_000, 50);
  expect(Date.now() - t0).toBeLessThan(10_000);
});
