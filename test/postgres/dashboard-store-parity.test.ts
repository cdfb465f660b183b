// The dashboard's repository methods give the same answers on both databases: the same writes go
// through the repository interfaces of a SQLite store and a PostgreSQL store (a database whose
// default collation is a locale's), then every device filter and page, hostnames, timeline pages,
// audit search and sliced verification, sessions, and every rollup count, slice and series are
// compared (values the stores make up themselves, such as creation instants and hashes, left out).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import Database from 'better-sqlite3';
import path from 'node:path';
import postgres from 'postgres';
import { detectionKey, type DetectionEvent } from '../../shared/src/protocol/index.js';
import { AUDIT_GENESIS } from '../../server/src/audit-chain.js';
import { openStore, type DeviceFilter, type Store } from '../../server/src/store/index.js';
import { closeAdmin, createTestDatabase } from '../helpers/store.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

let lite: Store;
let pg: Store;
const both = () => [lite, pg] as const;
const tokenIds = new Map<Store, string>();
const T = (day: number, h = 0) => new Date(Date.UTC(2026, 6, day, h)).toISOString();
const NOW = Date.now();
const ago = (days: number) => new Date(NOW - days * 86400_000).toISOString();

// Hostnames whose byte order differs from a locale's, and letters outside ASCII (SQLite's lower() changes ASCII only).
const DEVICES: { id: string; hostname: string; tags: string[]; platform: string; seen: string | null }[] = [
  { id: 'dev_01', hostname: 'Zeta-01', tags: ['eng'], platform: 'linux', seen: ago(0.1) },
  { id: 'dev_02', hostname: 'alpha-02', tags: ['eng', 'shanghai'], platform: 'darwin', seen: ago(10) },
  { id: 'dev_03', hostname: '_build', tags: [], platform: 'linux', seen: null },
  { id: 'dev_04', hostname: 'Éclair-03', tags: ['sales'], platform: 'win32', seen: ago(3) },
  { id: 'dev_05', hostname: 'éclair-04', tags: ['sales', 'eng'], platform: 'linux', seen: ago(0.5) },
  { id: 'dev_06', hostname: 'beta-05', tags: ['eng'], platform: 'darwin', seen: ago(20) },
  { id: 'dev_07', hostname: 'BETA-06', tags: ['ops'], platform: 'linux', seen: ago(1) },
  { id: 'dev_08', hostname: 'gamma-07', tags: ['eng'], platform: 'linux', seen: ago(2) },
];

function event(toolId: string, kind: string, user: string, state: 'present' | 'absent', observedAt: string, path: string): DetectionEvent {
  return {
    eventId: `${toolId}-${kind}-${user}-${path}-${observedAt}`,
    type: 'detection',
    state,
    observedAt,
    stage: 'none',
    detection: { toolId, kind, user, evidence: { source: 'npm-global', signature: 'npm:x', path }, confidence: 0.9 },
  } as unknown as DetectionEvent;
}

async function seed(s: Store): Promise<void> {
  const enr = await s.tokens.createEnrollmentToken('parity', 1, 100);
  tokenIds.set(s, (await s.tokens.createApiToken('admin', 'parity')).id);
  for (const d of DEVICES) await s.devices.create(d.id, d.hostname, `cred-${d.id}-${s.kind}`, enr.id, d.tags);
  await s.devices.recordPresence(
    DEVICES.filter((d) => d.seen).map((d) => ({ id: d.id, lastSeenAt: d.seen!, hello: { hostname: d.hostname, platform: d.platform, osRelease: 'test', arch: 'x64', agentVersion: '0.1.0' } })),
  );
  await s.devices.revoke('dev_08');
  await s.devices.setTags('dev_06', ['eng', 'ops'], 'admin:parity');
  // Findings: installs and running copies, a config folder (usage), an install that went away.
  const findings: [string, string, string, string, 'present' | 'absent', string][] = [
    ['dev_01', 'claude-code', 'installed', 'bob', 'present', '/a'],
    ['dev_01', 'claude-code', 'running', 'alice', 'present', '/b'],
    ['dev_01', 'claude-code', 'installed', 'alice', 'present', '/c'],
    ['dev_02', 'claude-code', 'usage', 'carol', 'present', '/d'],
    ['dev_04', 'cursor', 'installed', 'Ödön', 'present', '/e'],
    ['dev_05', 'claude-code', 'installed', 'dan', 'absent', '/f'],
    ['dev_05', 'cursor', 'running', 'dan', 'present', '/g'],
    ['dev_06', 'claude-code', 'installed', 'erin', 'present', '/h'],
    ['dev_08', 'claude-code', 'installed', 'fay', 'present', '/i'],
  ];
  for (const [deviceId, tool, kind, user, state, path] of findings) {
    const e = event(tool, kind, user, state, T(5), path);
    const c = { event: e, observedAt: e.observedAt, stage: 'enforce' as const, policyId: null };
    await s.detections.insert(deviceId, 'batch', c);
    await s.detections.applyToFinding(deviceId, detectionKey(e.detection), c);
  }
  // Compliance now, and a timeline with ties on `at`, facts and a superseded change.
  const states: [string, string, string][] = [
    ['dev_01', 'claude-code', 'violating'],
    ['dev_01', 'cursor', 'noticed'],
    ['dev_02', 'claude-code', 'acknowledged'],
    ['dev_04', 'cursor', 'exempt'],
    ['dev_05', 'claude-code', 'remediated'],
    ['dev_05', 'cursor', 'violating'],
    ['dev_06', 'claude-code', 'noticed'],
    ['dev_08', 'claude-code', 'violating'],
  ];
  for (const [d, t, st] of states) await s.compliance.setCurrent(d, t, st as never, T(6));
  const rows: [string, string, string, string, string][] = [
    ['dev_01', 'claude-code', T(3), 'clear', 'noticed'],
    ['dev_01', 'claude-code', T(6), 'noticed', 'violating'],
    ['dev_01', 'cursor', T(6), 'clear', 'noticed'],
    ['dev_01', 'claude-code', T(6), 'violating', 'noticed'],
    ['dev_02', 'claude-code', T(4), 'clear', 'acknowledged'],
    ['dev_05', 'claude-code', T(2), 'clear', 'violating'],
    ['dev_05', 'claude-code', T(7), 'violating', 'remediated'],
    ['dev_05', 'cursor', T(8), 'clear', 'violating'],
    ['dev_06', 'claude-code', T(1), 'clear', 'noticed'],
  ];
  for (const [deviceId, toolId, at, from, to] of rows) await s.compliance.addStateRow({ deviceId, toolId, at, from: from as never, to: to as never, cause: 'test', detail: { to } });
  await s.compliance.fact('dev_01', 'claude-code', T(6), 'notice-shown', 'agent', { n: 1 }, 'evt-fact-1');
  await s.compliance.fact('dev_01', 'claude-code', T(6, 1), 'stopped', 'agent', {}, null);
  const later = (await s.compliance.stateRowsFrom('dev_01', 'claude-code', T(6))).at(-1)!;
  await s.compliance.supersede([later.seq], T(9));
  await s.compliance.addAcknowledgement('ack-1', 'dev_02', 'claude-code', 'carol', 'notice', T(4));
  await s.compliance.addAcknowledgement('ack-2', 'dev_01', 'claude-code', 'bob', 'notice', T(4));
  await s.compliance.addAcknowledgement('ack-3', 'dev_01', 'cursor', 'bob', 'notice', T(2));
  for (const [i, st] of (['requested', 'requested', 'granted', 'denied'] as const).entries()) {
    await s.exceptions.insert({ id: `exc_${i}`, toolId: 'claude-code', deviceId: DEVICES[i].id, user: 'bob', reason: 'r', status: st, requestedBy: 'employee:bob', requestedAt: T(3 + i), requestEvent: `req-${i}`, expiresAt: null });
  }
  const audit: [string, string, string][] = [
    ['admin:a', 'policy.draft.create', 'pol_1'],
    ['admin:b', 'policy.publish', 'pol_1'],
    ['helpdesk:c', 'exception.granted', 'exc_1'],
    ['admin:a', 'policy.retire', 'pol_2'],
    ['admin:a', 'policyx', 'pol_3'],
    ['admin:b', 'exception.denied', 'exc_2'],
    ['admin:a', 'device.tags', 'dev_01'],
    ['admin:a', 'polícy.odd', 'pol_4'],
  ];
  for (const [actor, action, subject] of audit) await s.audit.append(actor, action, subject, { action });
}

/** Instants the repositories take from the clock (enrollment, tag changes, revocation), moved into the scenario's past. */
const BACKDATE: [string, unknown[]][] = [
  ['UPDATE devices SET enrolled_at = ?', [T(1)]],
  ["UPDATE devices SET revoked_at = ? WHERE id = 'dev_08'", [T(7)]],
  ["UPDATE device_tags SET at = ? WHERE cause = 'enrolled'", [T(1)]],
  // dev_07's history begins later than its enrollment: before then, its first recorded tags count.
  ["UPDATE device_tags SET at = ? WHERE device_id = 'dev_07'", [T(5)]],
  ["UPDATE device_tags SET at = ? WHERE device_id = 'dev_06' AND cause <> 'enrolled'", [T(6, 6)]],
];

beforeAll(async () => {
  const dir = tempDir('edict-parity-');
  const url = await createTestDatabase();
  lite = await openStore({ kind: 'sqlite', dataDir: dir });
  pg = await openStore({ kind: 'postgres', dataDir: tempDir('edict-parity-'), databaseUrl: url, poolSize: 4, nodeId: 'parity' });
  for (const s of both()) await seed(s);
  const db = new Database(path.join(dir, 'edict.db'));
  db.pragma('busy_timeout = 5000');
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    for (const [q, args] of BACKDATE) {
      db.prepare(q).run(...args);
      let n = 0;
      await sql.unsafe(q.replace(/\?/g, () => `$${++n}`), args as never[]);
    }
  } finally {
    db.close();
    await sql.end({ timeout: 1 });
  }
});
afterAll(async () => {
  await lite?.close();
  await pg?.close();
  await closeAdmin();
  cleanupTempDirs();
});

/** Both stores' answers to one question, for comparing (the first is SQLite's). */
async function ask<T>(q: (s: Store) => Promise<T>): Promise<[T, T]> {
  return [await q(lite), await q(pg)];
}

async function same<T>(label: string, q: (s: Store) => Promise<T>): Promise<T> {
  const [a, b] = await ask(q);
  expect({ label, v: b }).toEqual({ label, v: a });
  return a;
}

test('device lists: every filter, alone and together, page by page', async () => {
  const filters: DeviceFilter[] = [
    {},
    { search: 'ECLAIR' },
    { search: 'éclair' },
    { search: 'Éclair' },
    { search: 'beta' },
    { search: 'a-0' },
    { tag: 'eng' },
    { platform: 'linux' },
    { seenBefore: ago(5) },
    { seenSince: ago(5) },
    { activeOnly: true },
    { toolIds: ['claude-code'] },
    { toolIds: ['cursor', 'claude-code'] },
    { state: 'violating' },
    { state: 'clear' },
    { state: 'noticed', toolIds: ['claude-code'] },
    { state: 'clear', toolIds: ['cursor'] },
    { scope: { devices: [], tags: ['eng'] } },
    { scope: { devices: ['dev_03', 'dev_04'], tags: [] } },
    { scope: { devices: ['dev_01', 'dev_04'], tags: ['sales'] }, activeOnly: true, state: 'exempt', toolIds: ['cursor'] },
    { tag: 'eng', platform: 'darwin', seenBefore: ago(15) },
  ];
  for (const f of filters) {
    const whole = await same(JSON.stringify(f), async (s) => (await s.devices.list({ ...f, limit: 100 })).map((d) => [d.id, d.hostname, d.platform, d.lastSeenAt, d.tags, d.revokedAt !== null]));
    // Paged two at a time from the last (hostname, id): the same rows in the same order.
    const paged = await same(`${JSON.stringify(f)} paged`, async (s) => {
      const out: string[] = [];
      let after: [string, string] | undefined;
      for (;;) {
        const p = await s.devices.list({ ...f, limit: 2, after });
        out.push(...p.map((d) => d.id));
        if (p.length < 2) return out;
        after = [p[1].hostname, p[1].id];
      }
    });
    expect(paged).toEqual(whole.map((d) => d[0]));
  }
  expect((await lite.devices.list({ limit: 100 })).map((d) => d.hostname)).toEqual(DEVICES.map((d) => d.hostname).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  await same('hostnames', (s) => s.devices.hostnames(['dev_02', 'dev_02', 'dev_04', 'dev_nope']));
  await same('hostnames of none', (s) => s.devices.hostnames([]));
  await same('tags of devices', async (s) => [...(await s.devices.tagsOf(['dev_02', 'dev_02', 'dev_04', 'dev_nope']))].sort());
  await same('tags of none', async (s) => [...(await s.devices.tagsOf([]))]);
});

test('timeline pages by (at, seq), ties on `at` included', async () => {
  for (const tool of [undefined, 'claude-code', 'cursor']) {
    const strip = (rows: Awaited<ReturnType<Store['compliance']['timeline']>>) => rows.map(({ recordedAt: _r, supersededAt, ...r }) => ({ ...r, superseded: supersededAt !== null }));
    const whole = await same(`timeline ${tool}`, async (s) => strip(await s.compliance.timeline('dev_01', tool)));
    for (const limit of [1, 2, 3]) {
      const paged = await same(`timeline ${tool} by ${limit}`, async (s) => {
        const out: number[] = [];
        let after: [string, number] | undefined;
        for (;;) {
          const p = await s.compliance.timeline('dev_01', tool, { after, limit });
          out.push(...p.map((r) => r.seq));
          if (p.length < limit) return out;
          after = [p[p.length - 1].at, p[p.length - 1].seq];
        }
      });
      expect(paged).toEqual(whole.map((r) => r.seq));
    }
  }
});

test('audit search newest first, by actor, action prefix, subject, time and page; verification whole and in slices', async () => {
  const strip = (rows: Awaited<ReturnType<Store['audit']['search']>>) => rows.map((e) => [e.seq, e.actor, e.action, e.subject, e.detail]);
  const last = (await pg.audit.head())!.seq;
  const queries = [
    { limit: 100 },
    { limit: 3 },
    { limit: 100, action: 'policy.' },
    { limit: 100, action: 'policy' },
    { limit: 100, action: 'pol' },
    { limit: 100, action: 'exception.' },
    { limit: 100, actor: 'admin:a' },
    { limit: 100, subject: 'pol_1' },
    { limit: 100, actor: 'admin:a', action: 'policy.', beforeSeq: last },
    { limit: 2, beforeSeq: 5 },
    { limit: 100, from: ago(1), to: new Date(NOW + 86400_000).toISOString() },
    { limit: 100, to: ago(1) },
  ];
  for (const q of queries) await same(`search ${JSON.stringify(q)}`, async (s) => strip(await s.audit.search(q)));
  const whole = await same('verify', async (s) => {
    const v = await s.audit.verify();
    return { ok: v.ok, entries: v.entries, brokenAt: v.brokenAt, head: v.head?.seq };
  });
  expect(whole).toMatchObject({ ok: true, entries: 8, head: 8 });
  for (const limit of [1, 3, 100]) {
    await same(`verify by ${limit}`, async (s) => {
      const out: unknown[] = [];
      let afterSeq = 0;
      let prevHash = AUDIT_GENESIS;
      for (;;) {
        const v = await s.audit.verify({ afterSeq, prevHash, limit });
        out.push([v.ok, v.entries, v.head?.seq ?? null]);
        if (!v.head || v.entries < limit) return out;
        afterSeq = v.head.seq;
        prevHash = v.head.hash;
      }
    });
  }
  // A slice chained from a wrong hash breaks at its first entry on both.
  await same('verify from a wrong hash', async (s) => {
    const v = await s.audit.verify({ afterSeq: 2, prevHash: 'f'.repeat(64), limit: 10 });
    return [v.ok, v.entries, v.brokenAt, v.head];
  });
});

test('sessions: found, ended once, ended for a token, purged', async () => {
  const made = new Map<Store, { secret: string; csrf: string }[]>();
  for (const s of both()) {
    const id = tokenIds.get(s)!;
    made.set(s, [await s.sessions.create(id, ago(-1)), await s.sessions.create(id, ago(-1)), await s.sessions.create(id, ago(2))]);
  }
  const sessions = (s: Store) => made.get(s)!;
  await same('find', async (s) => {
    const r = await s.sessions.find(sessions(s)[0].secret);
    return r && { csrf: r.csrf === sessions(s)[0].csrf, tokenId: r.tokenId === tokenIds.get(s), expiresAt: r.expiresAt, endedAt: r.endedAt };
  });
  await same('find nothing', (s) => s.sessions.find('edict_ses_nope'));
  await same('end', async (s) => [await s.sessions.end(sessions(s)[0].secret, ago(0)), await s.sessions.end(sessions(s)[0].secret, ago(0)), await s.sessions.end('edict_ses_nope', ago(0))]);
  await same('ended', async (s) => (await s.sessions.find(sessions(s)[0].secret))?.endedAt);
  await same('end for token', async (s) => [await s.sessions.endForToken(tokenIds.get(s)!, ago(0)), await s.sessions.endForToken(tokenIds.get(s)!, ago(0))]);
  await same('purge', async (s) => [await s.sessions.purge(ago(3)), await s.sessions.purge(ago(-2)), await s.sessions.find(sessions(s)[1].secret)]);
});

test('rollups: counts now and as of instants in slices, presence slices, acknowledgements, series, watermark', async () => {
  const scopes = [
    { toolIds: ['claude-code'], devices: [], tags: [] },
    { toolIds: ['claude-code', 'cursor'], devices: [], tags: ['eng'] },
    { toolIds: ['cursor'], devices: ['dev_04', 'dev_05', 'dev_08'], tags: [] },
    { toolIds: ['cursor'], devices: ['dev_04', 'dev_05'], tags: ['sales'] },
    { toolIds: [], devices: [], tags: [] },
  ];
  for (const scope of scopes) {
    for (const limit of [1, 3, 100]) {
      await same(`countNow ${JSON.stringify(scope)} by ${limit}`, async (s) => {
        const out: unknown[] = [];
        let afterId: string | undefined;
        for (;;) {
          const r = await s.rollups.countNow(scope, ago(5), { afterId, limit });
          out.push(r);
          if (!r.lastId) return out;
          afterId = r.lastId;
        }
      });
      for (const at of [T(0), T(1), T(2), T(4), T(5), T(6), T(6, 12), T(8), new Date(NOW + 3600_000).toISOString()]) {
        await same(`countAsOf ${JSON.stringify(scope)} ${at} by ${limit}`, async (s) => {
          const out: unknown[] = [];
          let afterId: string | undefined;
          for (;;) {
            const r = await s.rollups.countAsOf(scope, at, { afterId, limit });
            out.push(r);
            if (!r.lastId) return out;
            afterId = r.lastId;
          }
        });
      }
    }
  }
  for (const tools of [['claude-code'], ['claude-code', 'cursor'], []]) {
    for (const limit of [1, 2, 100]) {
      await same(`presenceSlice ${tools} by ${limit}`, async (s) => {
        const out: unknown[] = [];
        let afterId: string | undefined;
        for (;;) {
          const r = await s.rollups.presenceSlice(tools, { afterId, limit });
          out.push(r);
          if (!r.lastId) return out;
          afterId = r.lastId;
        }
      });
    }
  }
  await same('acknowledgementsOf', (s) => s.rollups.acknowledgementsOf(['dev_01', 'dev_02', 'dev_03'], ['claude-code', 'cursor']));
  await same('acknowledgementsOf none', (s) => s.rollups.acknowledgementsOf([], ['claude-code']));
  await same('requestedExceptions', (s) => s.rollups.requestedExceptions());
  await same('changes recorded since ever', async (s) => (await s.rollups.changesRecordedSince('')).earliestAt);
  await same('changes recorded since now', (s) => s.rollups.changesRecordedSince(new Date(NOW + 3600_000).toISOString()));
  const between = await same('changes recorded between ever and now', (s) => s.rollups.changesRecordedBetween('2000-01-01T00:00:00.000Z', new Date(NOW + 3600_000).toISOString()));
  expect((between as { count: number }).count).toBeGreaterThan(0);
  await same('changes recorded between, none', (s) => s.rollups.changesRecordedBetween(new Date(NOW + 3600_000).toISOString(), new Date(NOW + 7200_000).toISOString()));
  for (const s of both()) {
    await s.rollups.put({ policyId: 'pol_b', day: '2026-07-02', inScope: 3, counts: { clear: 1, noticed: 0, acknowledged: 0, violating: 2, remediated: 0, exempt: 0 }, computedAt: T(3), final: true });
    await s.rollups.put({ policyId: 'pol_b', day: '2026-07-01', inScope: 2, counts: { clear: 2, noticed: 0, acknowledged: 0, violating: 0, remediated: 0, exempt: 0 }, computedAt: T(2), final: false });
    await s.rollups.put({ policyId: 'pol_b', day: '2026-07-01', inScope: 4, counts: { clear: 1, noticed: 1, acknowledged: 1, violating: 0, remediated: 1, exempt: 0 }, computedAt: T(3), final: true });
    await s.rollups.put({ policyId: 'pol_c', day: '2026-07-01', inScope: 1, counts: { clear: 1, noticed: 0, acknowledged: 0, violating: 0, remediated: 0, exempt: 0 }, computedAt: T(3), final: false });
  }
  await same('series', (s) => s.rollups.series('pol_b'));
  await same('no series', (s) => s.rollups.series('pol_nope'));
  // The watermark is each store's own text; it moves on a timeline row, a device, a tag change, an audit entry and an exception request.
  for (const s of both()) {
    const marks = [await s.rollups.watermark()];
    const step = async () => marks.push(await s.rollups.watermark());
    await step();
    await s.compliance.fact('dev_02', 'claude-code', T(9), 'x', 'test', {}, null);
    await step();
    await s.devices.create('dev_09', 'new', `cred-9-${s.kind}`, (await s.tokens.listEnrollmentTokens())[0].id, []);
    await step();
    await s.devices.setTags('dev_09', ['x'], 'admin:parity');
    await step();
    await s.audit.append('admin:a', 'test', 'x');
    await step();
    await s.exceptions.insert({ id: 'exc_new', toolId: 'cursor', deviceId: 'dev_09', user: null, reason: 'r', status: 'requested', requestedBy: 'employee:x', requestedAt: T(9), requestEvent: null, expiresAt: null });
    await step();
    expect({ kind: s.kind, same: marks[0] === marks[1], distinct: new Set(marks.slice(1)).size }).toEqual({ kind: s.kind, same: true, distinct: 6 });
  }
});
