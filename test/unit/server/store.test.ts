// The SQLite store on real files: pragmas, append-only migrations, refusal of a newer database,
// a corrupt database file, and the audit hash chain.
import { afterAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { EdictError } from '../../../shared/src/errors.js';
import { migrate, openDatabase } from '../../../server/src/store/db.js';
import { MIGRATIONS } from '../../../server/src/store/migrations/index.js';
import { Store } from '../../../server/src/store/index.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);

describe('openDatabase', () => {
  test('WAL journal, synchronous=FULL, foreign keys on, every migration applied once', () => {
    const db = openDatabase(path.join(tempDir(), 'e.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.prepare('SELECT id FROM schema_migrations').pluck().all()).toEqual(MIGRATIONS.map((m) => m.id));
    expect(migrate(db, MIGRATIONS)).toEqual([]); // re-running changes nothing
    db.close();
  });

  test('a database written by a newer server is refused, not guessed at', () => {
    const file = path.join(tempDir(), 'e.db');
    const db = openDatabase(file);
    db.prepare('INSERT INTO schema_migrations(id, applied_at) VALUES (?, ?)').run('29991231T0000-future', new Date().toISOString());
    db.close();
    expect(() => openDatabase(file)).toThrow(/written by a newer edict-server/);
  });

  test('a corrupt database file is a clear config error', () => {
    const file = path.join(tempDir(), 'e.db');
    writeFileSync(file, 'this is not a database, just text '.repeat(200));
    let err: unknown;
    try {
      openDatabase(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EdictError);
    expect((err as EdictError).code).toBe('EDICT_ERR_CONFIG');
    expect((err as EdictError).message).toMatch(/cannot be opened|not a database/);
  });

  test('a failing migration leaves nothing half-applied', () => {
    const db = openDatabase(path.join(tempDir(), 'e.db'));
    const bad = [...MIGRATIONS, { id: '29990101T0000-broken', sql: 'CREATE TABLE half_done (x INTEGER); THIS IS NOT SQL;' }];
    expect(() => migrate(db, bad)).toThrow();
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM schema_migrations WHERE id = ?').pluck().get('29990101T0000-broken')).toBe(0);
    db.close();
  });
});

describe('audit log', () => {
  test('verifies an intact chain and finds the first edited entry', () => {
    const store = Store.open(tempDir());
    store.audit.append('admin:a', 'policy.create', 'pol_1', { name: 'x' });
    store.audit.append('admin:a', 'device.revoke', 'dev_1');
    store.audit.append('admin:b', 'policy.create', 'pol_2');
    expect(store.audit.verify()).toEqual({ ok: true, entries: 3 });
    store.db.prepare("UPDATE audit_log SET actor = 'admin:mallory' WHERE seq = 2").run();
    expect(store.audit.verify()).toEqual({ ok: false, entries: 2, brokenAt: 2 });
    store.close();
  });
  test('deleting an entry breaks the chain at the next one', () => {
    const store = Store.open(tempDir());
    for (let i = 0; i < 4; i++) store.audit.append('system', 'x', String(i));
    store.db.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    expect(store.audit.verify()).toMatchObject({ ok: false, brokenAt: 3 });
    store.close();
  });
});
