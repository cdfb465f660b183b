// A second, plain SQLite connection to a test server's database file, for tests that must look at
// (or tamper with) rows directly. The server's own store is reached only through its interfaces.
import Database from 'better-sqlite3';
import path from 'node:path';

export function openTestDb(dataDir: string): Database.Database {
  const db = new Database(path.join(dataDir, 'edict.db'));
  db.pragma('busy_timeout = 5000');
  return db;
}
