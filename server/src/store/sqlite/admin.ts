// `edict-server migrate` for the embedded store: applies pending migrations to dataDir/edict.db
// and says which ran now.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openConnection } from './connection.js';

function appliedIds(db: Database.Database): string[] {
  const has = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").pluck().get() as number;
  return has ? (db.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all() as string[]) : [];
}

export function migrateSqlite(dataDir: string): { ran: string[]; applied: string[] } {
  const file = path.join(dataDir, 'edict.db');
  let before: string[] = [];
  if (existsSync(file)) {
    const ro = new Database(file, { readonly: true });
    try {
      before = appliedIds(ro);
    } finally {
      ro.close();
    }
  }
  const c = openConnection(file);
  try {
    const applied = appliedIds(c.db);
    return { ran: applied.filter((id) => !before.includes(id)), applied };
  } finally {
    c.close();
  }
}
