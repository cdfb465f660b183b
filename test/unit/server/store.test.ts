// The SQLite store on real files: pragmas, append-only migrations (a database of the previous
// schema upgrades), refusal of a newer database, a corrupt database file, the audit hash chain,
// transactions through the async boundary (all or nothing; concurrent callers never interleave),
// and the writes that must stay right with concurrent writers.
import { afterAll, describe, expect, test } from '@jest/globals';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { EdictError } from '../../../shared/src/errors.js';
import { migrate, openConnection } from '../../../server/src/store/sqlite/connection.js';
import { MIGRATIONS } from '../../../server/src/store/sqlite/migrations/index.js';
import { SqliteStore } from '../../../server/src/store/sqlite/store.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';
import { waitFor } from '../../helpers/wait.js';

afterAll(cleanupTempDirs);

describe('openConnection', () => {
  test('WAL journal, synchronous=FULL while migrating, foreign keys on, every migration applied once', () => {
    const c = openConnection(path.join(tempDir(), 'e.db'));
    const db = c.db;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.prepare('SELECT id FROM schema_migrations').pluck().all()).toEqual(MIGRATIONS.map((m) => m.id));
    expect(migrate(db, MIGRATIONS)).toEqual([]); // re-running changes nothing
    c.close();
  });

  test('a database made by the first schema upgrades, and its findings are backfilled from its events', () => {
    const file = path.join(tempDir(), 'e.db');
    const old = new Database(file);
    migrate(old, MIGRATIONS.slice(0, 1));
    const now = new Date().toISOString();
    old.prepare("INSERT INTO enrollment_tokens(id, token_hash, label, created_at, expires_at, max_uses) VALUES ('enr_1', 'h', 'l', ?, ?, 1)").run(now, now);
    old.prepare("INSERT INTO devices(id, hostname, credential_hash, enrollment_token_id, enrolled_at) VALUES ('dev_1', 'h', 'c', 'enr_1', ?)").run(now);
    const ins = old.prepare(
      `INSERT INTO detection_events(event_id, device_id, batch_id, tool_id, detection_key, kind, os_user, state, evidence, confidence, observed_at, received_at, agent_stage, stage)
       VALUES (?, 'dev_1', 'b', 'claude-code', 'k1', 'installed', 'u', ?, '{}', 1, ?, ?, 'none', 'none')`,
    );
    ins.run('e1', 'present', '2026-01-01T00:00:00.000Z', now);
    ins.run('e2', 'absent', '2026-01-02T00:00:00.000Z', now);
    ins.run('e0', 'present', '2025-12-01T00:00:00.000Z', now); // arrived late, older
    old.close();
    const c = openConnection(file);
    expect(c.db.prepare('SELECT state, event_id FROM findings').all()).toEqual([{ state: 'absent', event_id: 'e2' }]);
    c.close();
  });

  test('a database written by a newer server is refused, not guessed at', () => {
    const file = path.join(tempDir(), 'e.db');
    const c = openConnection(file);
    c.db.prepare('INSERT INTO schema_migrations(id, applied_at) VALUES (?, ?)').run('29991231T0000-future', new Date().toISOString());
    c.close();
    expect(() => openConnection(file)).toThrow(/written by a newer edict-server/);
  });

  test('a corrupt database file is a clear config error', () => {
    const file = path.join(tempDir(), 'e.db');
    writeFileSync(file, 'this is not a database, just text '.repeat(200));
    let err: unknown;
    try {
      openConnection(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EdictError);
    expect((err as EdictError).code).toBe('EDICT_ERR_CONFIG');
    expect((err as EdictError).message).toMatch(/cannot be opened|not a database/);
  });

  test('a failing migration leaves nothing half-applied', () => {
    const c = openConnection(path.join(tempDir(), 'e.db'));
    const bad = [...MIGRATIONS, { id: '29990101T0000-broken', sql: 'CREATE TABLE half_done (x INTEGER); THIS IS NOT SQL;' }];
    expect(() => migrate(c.db, bad)).toThrow();
    expect(c.db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
    expect(c.db.prepare('SELECT count(*) FROM schema_migrations WHERE id = ?').pluck().get('29990101T0000-broken')).toBe(0);
    c.close();
  });
});

describe('audit log', () => {
  test('verifies an intact chain and finds the first edited entry', async () => {
    const store = SqliteStore.open(tempDir());
    await store.audit.append('admin:a', 'policy.create', 'pol_1', { name: 'x' });
    await store.audit.append('admin:a', 'device.revoke', 'dev_1');
    await store.audit.append('admin:b', 'policy.create', 'pol_2');
    expect(await store.audit.verify()).toMatchObject({ ok: true, entries: 3 });
    store.conn.db.prepare("UPDATE audit_log SET actor = 'admin:mallory' WHERE seq = 2").run();
    expect(await store.audit.verify()).toMatchObject({ ok: false, entries: 2, brokenAt: 2 });
    await store.close();
  });
  test('walked a slice at a time (as the server does), the chain gives the same verdict', async () => {
    const store = SqliteStore.open(tempDir());
    for (let i = 0; i < 7; i++) await store.audit.append('system', 'x', String(i));
    const walk = async (limit: number) => {
      let head: { seq: number; hash: string } | null = null;
      let entries = 0;
      for (;;) {
        const r = await store.audit.verify({ afterSeq: head?.seq ?? 0, prevHash: head?.hash ?? '0'.repeat(64), limit });
        entries += r.entries;
        if (!r.ok) return { ok: false, brokenAt: r.brokenAt, entries };
        if (r.entries < limit) return { ok: true, entries, head: r.head ?? head };
        head = r.head;
      }
    };
    const whole = await store.audit.verify();
    expect(await walk(3)).toEqual({ ok: true, entries: 7, head: whole.head });
    store.conn.db.prepare("UPDATE audit_log SET subject = 'edited' WHERE seq = 5").run();
    expect(await walk(2)).toMatchObject({ ok: false, brokenAt: 5 });
    expect(await walk(4)).toMatchObject({ ok: false, brokenAt: 5 });
    await store.close();
  });
  test('deleting an entry breaks the chain at the next one', async () => {
    const store = SqliteStore.open(tempDir());
    for (let i = 0; i < 4; i++) await store.audit.append('system', 'x', String(i));
    store.conn.db.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    expect(await store.audit.verify()).toMatchObject({ ok: false, brokenAt: 3 });
    await store.close();
  });
  test('many concurrent appends from two connections form one unbroken chain; a fork is refused', async () => {
    const dir = tempDir();
    const a = SqliteStore.open(dir);
    const b = SqliteStore.open(dir); // a second writer on the same file, as a second process would be
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).audit.append('system', 'x', String(i))));
    expect(await a.audit.verify()).toMatchObject({ ok: true, entries: 40 });
    const head = a.conn.db.prepare('SELECT prev_hash FROM audit_log ORDER BY seq DESC LIMIT 1').pluck().get();
    expect(() =>
      a.conn.db.prepare("INSERT INTO audit_log(at, actor, action, subject, detail, prev_hash, hash) VALUES ('t', 'x', 'x', 'x', '{}', ?, 'h')").run(head),
    ).toThrow(/UNIQUE/);
    await a.close();
    await b.close();
  });
});

describe('durability', () => {
  test('a write resolves only after a WAL fsync; reads never fsync; checkpoints run in the background', async () => {
    const store = SqliteStore.open(tempDir());
    expect(store.conn.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL: the fsync is ours, after COMMIT
    expect(store.conn.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const syncs = store.durability.walSyncs;
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.audit.append('system', 'x', String(i))));
    const afterWrites = store.durability.walSyncs;
    expect(afterWrites).toBeGreaterThan(syncs);
    expect(afterWrites - syncs).toBeLessThanOrEqual(20); // commits during one fsync share the next
    await store.audit.list(10);
    await store.audit.verify();
    expect(store.durability.walSyncs).toBe(afterWrites);
    await waitFor(() => store.durability.checkpoints > 0, 'a background checkpoint');
    expect(store.durability.lastCheckpointError).toBeNull();
    await store.close();
  });
});

describe('the async boundary', () => {
  test('a transaction is all or nothing, and calls made meanwhile wait for it', async () => {
    const store = SqliteStore.open(tempDir());
    const order: string[] = [];
    const failing = store.tx(async (r) => {
      await r.audit.append('system', 'inside', '1');
      order.push('tx wrote');
      await new Promise((res) => setImmediate(res)); // a real yield inside the transaction
      order.push('tx failing');
      throw new Error('boom');
    });
    const outside = store.audit.list(10).then((l) => order.push(`outside saw ${l.length}`));
    await expect(failing).rejects.toThrow('boom');
    await outside;
    expect(order).toEqual(['tx wrote', 'tx failing', 'outside saw 0']);
    expect(await store.audit.verify()).toMatchObject({ ok: true, entries: 0 });
    await store.close();
  });

  test('store calls inside a transaction join it; a nested tx joins the outer one', async () => {
    const store = SqliteStore.open(tempDir());
    await expect(
      store.tx(async () => {
        await store.audit.append('system', 'a', '1'); // through the store, not `r`
        await store.tx(async (r) => r.audit.append('system', 'b', '2'));
        throw new Error('undo both');
      }),
    ).rejects.toThrow('undo both');
    expect(await store.audit.list(10)).toEqual([]);
    await store.close();
  });

  test('an enrollment token with one use left is consumed once, however many ask at once', async () => {
    const dir = tempDir();
    const a = SqliteStore.open(dir);
    const b = SqliteStore.open(dir);
    const t = await a.tokens.createEnrollmentToken('race', 1, 3);
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).tokens.consumeEnrollmentToken(t.token)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(7);
    for (const r of refused) expect((r.reason as EdictError).code).toBe('EDICT_ERR_ENROLLMENT_TOKEN_INVALID');
    const expired = await a.tokens.createEnrollmentToken('old', 1, 3);
    await expect(a.tokens.consumeEnrollmentToken(expired.token, new Date(Date.now() + 2 * 3600_000))).rejects.toMatchObject({ code: 'EDICT_ERR_ENROLLMENT_TOKEN_EXPIRED' });
    await a.close();
    await b.close();
  });

  test('part versions handed out by concurrent writers are all different', async () => {
    const dir = tempDir();
    const a = SqliteStore.open(dir);
    const b = SqliteStore.open(dir);
    const start = await a.policies.partVersion('policies');
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).policies.bumpPartVersion('policies')));
    expect(new Set(got).size).toBe(20);
    expect(Math.max(...got)).toBe(start + 20);
    await a.close();
    await b.close();
  });
});

describe('pages of device × tool pairs (bulk recomputes read them a page at a time)', () => {
  test('compliance pairs and present pairs come back whole, in order, across pages, once each', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const tok = await store.tokens.createEnrollmentToken('pairs', 1, 3);
    for (const d of ['dev_a', 'dev_b', 'dev_c']) await store.devices.create(d, d, `cred-${d}`, tok.id);
    const since = '2026-07-10T00:00:00.000Z';
    for (const [d, t] of [['dev_a', 'claude-code'], ['dev_a', 'cursor'], ['dev_b', 'claude-code'], ['dev_c', 'codex-cli'], ['dev_c', 'claude-code']]) {
      await store.compliance.setCurrent(d, t, 'violating', since);
    }
    const db = new Database(path.join(dir, 'edict.db'));
    const put = db.prepare("INSERT INTO findings (device_id, detection_key, tool_id, kind, os_user, state, observed_at, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    // Two findings of one pair (two users), an absent one, a usage one, and another tool.
    put.run('dev_a', 'k1', 'claude-code', 'installed', 'ann', 'present', since, 'e1');
    put.run('dev_a', 'k2', 'claude-code', 'running', 'bob', 'present', since, 'e2');
    put.run('dev_b', 'k3', 'claude-code', 'installed', 'ann', 'absent', since, 'e3');
    put.run('dev_b', 'k4', 'claude-code', 'usage', 'ann', 'present', since, 'e4');
    put.run('dev_c', 'k5', 'claude-code', 'running', 'cy', 'present', since, 'e5');
    put.run('dev_c', 'k6', 'cursor', 'installed', 'cy', 'present', since, 'e6');
    db.close();
    const walk = async (read: (after?: [string, string]) => Promise<{ deviceId: string; toolId: string }[]>) => {
      const out: string[] = [];
      let after: [string, string] | undefined;
      for (;;) {
        const page = await read(after);
        out.push(...page.map((p) => `${p.deviceId}|${p.toolId}`));
        if (page.length < 2) return out;
        after = [page[1].deviceId, page[1].toolId];
      }
    };
    const tools = ['claude-code', 'codex-cli'];
    expect(await walk((after) => store.compliance.pairs(tools, { after, limit: 2 }))).toEqual(['dev_a|claude-code', 'dev_b|claude-code', 'dev_c|claude-code', 'dev_c|codex-cli']);
    expect(await walk((after) => store.detections.presentPairs(tools, { after, limit: 2 }))).toEqual(['dev_a|claude-code', 'dev_c|claude-code']);
    expect(await store.compliance.pairs([], { limit: 2 })).toEqual([]);
    await store.close();
  });
});
