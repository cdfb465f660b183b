// Backup and restore of the embedded database. A backup is `VACUUM INTO` on a read-only connection
// of its own: a transactionally consistent copy as of one instant, taken while the server keeps
// ingesting (every report acked before the backup began is in it), then checked with
// `PRAGMA integrity_check`. Restore checks the copy the same way and refuses a database written by
// a newer server, keeps the database it replaces beside it, and runs only while the server is
// stopped (the caller checks).
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { EdictError } from '../../../../shared/src/errors.js';
import { migrate } from './connection.js';
import { MIGRATIONS } from './migrations/index.js';

export const DB_FILE = 'edict.db';

function integrity(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

export function backupDatabase(dataDir: string, to: string): { bytes: number; at: string } {
  const from = path.join(dataDir, DB_FILE);
  if (!existsSync(from)) throw new EdictError('EDICT_ERR_CONFIG', `no database at ${from}`);
  if (existsSync(to)) throw new EdictError('EDICT_ERR_VALIDATION', `${to} exists; choose a new file (a backup never overwrites)`);
  const at = new Date().toISOString();
  const db = new Database(from, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    db.prepare('VACUUM INTO ?').run(to);
  } catch (err) {
    rmSync(to, { force: true });
    throw new EdictError('EDICT_ERR_CONFIG', `backup of ${from} failed: ${(err as Error).message}`);
  } finally {
    db.close();
  }
  const check = integrity(to);
  if (check !== 'ok') {
    rmSync(to, { force: true });
    throw new EdictError('EDICT_ERR_CONFIG', `the backup did not pass integrity_check (${check}); nothing kept`);
  }
  return { bytes: statSync(to).size, at };
}

export function restoreDatabase(dataDir: string, from: string): { replaced: string | null } {
  if (!existsSync(from)) throw new EdictError('EDICT_ERR_VALIDATION', `${from} does not exist`);
  let check: string;
  try {
    check = integrity(from);
  } catch (err) {
    throw new EdictError('EDICT_ERR_VALIDATION', `${from} is not an Edict database: ${(err as Error).message}`);
  }
  if (check !== 'ok') throw new EdictError('EDICT_ERR_VALIDATION', `${from} does not pass integrity_check (${check})`);
  // Refuses a database from a newer server before anything is touched (applies nothing: a copy is checked).
  const probe = path.join(dataDir, `.restore-check-${process.pid}.db`);
  copyFileSync(from, probe);
  try {
    const db = new Database(probe);
    try {
      migrate(db, MIGRATIONS);
    } finally {
      db.close();
    }
  } finally {
    for (const f of [probe, `${probe}-wal`, `${probe}-shm`]) rmSync(f, { force: true });
  }
  const target = path.join(dataDir, DB_FILE);
  let replaced: string | null = null;
  if (existsSync(target)) {
    replaced = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(target, replaced);
    for (const ext of ['-wal', '-shm']) if (existsSync(target + ext)) renameSync(target + ext, replaced + ext);
  }
  copyFileSync(from, target);
  return { replaced };
}
