// Which database the suite runs against: EDICT_TEST_STORE=postgres runs every server a test starts
// on PostgreSQL (the throw-away cluster test/pg-global-setup.js starts, or EDICT_TEST_DATABASE_URL),
// each test server on its own fresh database; otherwise on SQLite in the server's data folder.
// `testDb()` gives a test a plain connection to its server's database for looking at rows directly
// (queries use ? placeholders and SQL both databases read).
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import postgres from 'postgres';

export const TEST_STORE: 'sqlite' | 'postgres' = process.env.EDICT_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
export const onPostgres = TEST_STORE === 'postgres';

/** The cluster's maintenance database (superuser), set by the global setup. */
export function adminUrl(): string {
  const url = process.env.EDICT_TEST_DATABASE_URL;
  if (!url) throw new Error('EDICT_TEST_STORE=postgres needs EDICT_TEST_DATABASE_URL (jest global setup starts a cluster and sets it)');
  return url;
}

export function databaseUrl(name: string): string {
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

let admin: postgres.Sql | undefined;
function adminSql(): postgres.Sql {
  admin ??= postgres(adminUrl(), { max: 1, onnotice: () => undefined, idle_timeout: 5 });
  return admin;
}

/**
 * A fresh, empty database; its default collation is ICU en-US where the server has ICU (so
 * byte-order sorting must come from the schema, not from the database's locale).
 */
export async function createTestDatabase(prefix = 'edict_t'): Promise<string> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    await adminSql().unsafe(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
  } catch {
    await adminSql().unsafe(`CREATE DATABASE ${name}`);
  }
  return databaseUrl(name);
}

export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await adminSql().unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
}

/** Closes this test file's admin connection (afterAll of files that made databases). */
export async function closeAdmin(): Promise<void> {
  await admin?.end({ timeout: 1 });
  admin = undefined;
}

const byDataDir = new Map<string, string>();

/** The database of a server data folder: one per folder, so a server restarted on the same folder finds its data. */
export async function databaseFor(dataDir: string): Promise<string> {
  let url = byDataDir.get(dataDir);
  if (!url) byDataDir.set(dataDir, (url = await createTestDatabase()));
  return url;
}

/** Puts the server of `dataDir` on an existing database (several nodes sharing one). */
export function useDatabase(dataDir: string, url: string): void {
  byDataDir.set(dataDir, url);
}

/** Config flags (or environment) that put a test server on the suite's database. */
export async function storeFlags(dataDir: string): Promise<{ store?: 'postgres'; databaseUrl?: string }> {
  return onPostgres ? { store: 'postgres', databaseUrl: await databaseFor(dataDir) } : {};
}

export async function storeEnv(dataDir: string): Promise<Record<string, string>> {
  return onPostgres ? { EDICT_SERVER_STORE: 'postgres', EDICT_SERVER_DATABASE_URL: await databaseFor(dataDir) } : {};
}

export interface TestDb {
  all<T = any>(sql: string, ...args: unknown[]): Promise<T[]>;
  get<T = any>(sql: string, ...args: unknown[]): Promise<T | undefined>;
  /** The first column of the first row (counts come back as numbers on both databases). */
  value<T = any>(sql: string, ...args: unknown[]): Promise<T>;
  run(sql: string, ...args: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** A plain connection to the database of the server whose data folder is `dataDir`. */
export function testDb(dataDir: string): TestDb {
  if (!onPostgres) {
    const db = new Database(path.join(dataDir, 'edict.db'));
    db.pragma('busy_timeout = 5000');
    return {
      all: async (sql, ...args) => db.prepare(sql).all(...args) as never[],
      get: async (sql, ...args) => db.prepare(sql).get(...args) as never,
      value: async (sql, ...args) => db.prepare(sql).pluck().get(...args) as never,
      run: async (sql, ...args) => void db.prepare(sql).run(...args),
      close: async () => void db.close(),
    };
  }
  const url = byDataDir.get(dataDir);
  if (!url) throw new Error(`no test database for ${dataDir}`);
  const sql = postgres(url, { max: 2, onnotice: () => undefined, types: { bigint: { to: 20, from: [20], serialize: String, parse: Number } } as never });
  const pg = (q: string) => {
    let n = 0;
    return q.replace(/\?/g, () => `$${++n}`);
  };
  const all = async (q: string, ...args: unknown[]) => (await sql.unsafe(pg(q), args as never[])) as unknown as never[];
  return {
    all,
    get: async (q, ...args) => (await all(q, ...args))[0],
    value: async (q, ...args) => {
      const row = (await all(q, ...args))[0] as Record<string, unknown> | undefined;
      return (row ? Object.values(row)[0] : undefined) as never;
    },
    run: async (q, ...args) => void (await all(q, ...args)),
    close: () => sql.end({ timeout: 1 }),
  };
}
