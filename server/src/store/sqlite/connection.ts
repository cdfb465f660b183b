// Opens the server's SQLite database: WAL journal, synchronous=NORMAL with the WAL fsynced after
// each commit off the main thread before anyone is told (durability.ts: an acknowledged report
// survives power loss), checkpoints by a worker thread (wal_autocheckpoint off), foreign keys on,
// then applies pending migrations, each in its own transaction. A database written by a newer
// server (unknown migration ids) is refused rather than guessed at.
// Statements are prepared once per connection and reused (`prep` caches them by their SQL text).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { EdictError } from '../../../../shared/src/errors.js';
import { WAL_SIZE_LIMIT_BYTES } from '../../constants.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

export class SqliteConnection {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  /** The prepared statement for this SQL text, prepared on first use. */
  prep(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }
}

export function openConnection(file: string, migrations: readonly Migration[] = MIGRATIONS): SqliteConnection {
  mkdirSync(path.dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
  } catch (err) {
    throw new EdictError('EDICT_ERR_CONFIG', `database ${file} cannot be opened: ${(err as Error).message}`);
  }
  // Migrations below run with FULL (they are rare and must be durable before the server starts).
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  db.pragma('busy_timeout = 5000');
  try {
    migrate(db, migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteConnection(db);
}

/** From here on commits are made durable by WalSync (fsync of the WAL after COMMIT, off the main thread). */
export function useAsyncDurability(c: SqliteConnection): void {
  c.db.pragma('synchronous = NORMAL');
  c.db.pragma('wal_autocheckpoint = 0');
}

export function migrate(db: Database.Database, migrations: readonly Migration[]): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set(db.prepare('SELECT id FROM schema_migrations').pluck().all() as string[]);
  const known = new Set(migrations.map((m) => m.id));
  const unknown = [...applied].filter((id) => !known.has(id));
  if (unknown.length) {
    throw new EdictError('EDICT_ERR_CONFIG', `database has migrations this server does not know (${unknown.join(', ')}); it was written by a newer edict-server`);
  }
  const ran: string[] = [];
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations(id, applied_at) VALUES (?, ?)').run(m.id, new Date().toISOString());
    })();
    ran.push(m.id);
  }
  return ran;
}
