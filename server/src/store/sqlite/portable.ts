// Reads an embedded SQLite database in the portable form (store/portable-format.ts) for
// `edict-server export`: every row of every table, in insertion order (rowid), values as stored.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { EdictError } from '../../../../shared/src/errors.js';
import type { PortableRow, PortableTable, StoreDump } from '../portable-format.js';

export function dumpSqlite(dataDir: string): StoreDump {
  const file = path.join(dataDir, 'edict.db');
  if (!existsSync(file)) throw new EdictError('EDICT_ERR_CONFIG', `no database at ${file}`);
  const db = new Database(file, { readonly: true });
  db.pragma('busy_timeout = 5000');
  // One read transaction: the dump is one consistent picture even if a server is still writing.
  db.exec('BEGIN');
  const migrations = db.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all() as string[];
  return {
    source: 'sqlite',
    migrations,
    async *rows(table: PortableTable): AsyncIterable<PortableRow> {
      const cols = table.columns.map(([c]) => c).join(', ');
      for (const row of db.prepare(`SELECT ${cols} FROM ${table.name} ORDER BY rowid`).iterate() as IterableIterator<PortableRow>) yield row;
    },
    async close() {
      db.exec('COMMIT');
      db.close();
    },
  };
}
