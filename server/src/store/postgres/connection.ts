// Connects the server to PostgreSQL (postgres.js): a pool of `poolSize` connections, every session
// in UTC, instants parsed back to the ISO text the server wrote (timestamptz → "…Z" with
// milliseconds) and 64-bit integers to numbers. Applies pending migrations under an advisory lock,
// so nodes starting together never run one twice; a database migrated by a newer server is refused.
// Connection-level failures become EDICT_ERR_UNAVAILABLE (retryable); a bad URL, an unreachable
// server or a refused password at start-up become one EDICT_ERR_CONFIG line with the password hidden.
import postgres from 'postgres';
import { EdictError } from '../../../../shared/src/errors.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

export type Sql = postgres.Sql<Record<string, never>>;
export type TxSql = postgres.TransactionSql<Record<string, never>>;
export type AnySql = Sql | TxSql;

/** Advisory lock keys (two-int form: namespace 0x45444354 = "EDCT", then the lock). */
export const LOCK_NS = 0x45444354;
export const LOCKS = { migrate: 1, audit: 2, leader: 3, boundary: 4 } as const;

/** timestamptz text in a UTC session ("2026-07-10 00:00:00.123+00") → "2026-07-10T00:00:00.123Z". */
export function parseInstant(text: string): string {
  const iso = text.replace(' ', 'T').replace(/\+00(:00)?$/, 'Z');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? text : new Date(ms).toISOString();
}

export interface PgOptions {
  url: string;
  poolSize: number;
  /** Seconds to wait for a connection (start-up and later). */
  connectTimeoutSec?: number;
  applicationName?: string;
}

export function createSql(o: PgOptions, extra: { max?: number } = {}): Sql {
  return postgres(o.url, {
    max: extra.max ?? o.poolSize,
    connect_timeout: o.connectTimeoutSec ?? 10,
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    prepare: true,
    onnotice: () => undefined,
    // Reconnect attempts at most 2 s apart (postgres.js waits up to 20 s by default): a node is
    // ready again soon after its database is back.
    backoff: (retries: number) => Math.min(0.1 * 2 ** retries, 2),
    connection: { application_name: o.applicationName ?? 'edict-server', TimeZone: 'UTC' },
    types: {
      instant: { to: 1184, from: [1184, 1114], serialize: (x: unknown) => (x instanceof Date ? x.toISOString() : String(x)), parse: parseInstant },
      int8: { to: 20, from: [20], serialize: (x: unknown) => String(x), parse: (x: string) => Number(x) },
    },
  }) as unknown as Sql;
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(a database URL that cannot be parsed)';
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED']);

/** Whether an error means the database could not be reached (as opposed to a query being wrong). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  if (CONNECTION_CODES.has(code)) return true;
  // SQLSTATE: 08 connection exception, 57P0x shutdown / cannot connect now, 53300 too many connections.
  return code.startsWith('08') || /^57P0[1-4]$/.test(code) || code === '53300';
}

/** A start-up failure as one clear line (never with the password). */
export function describeConnectError(url: string, err: unknown): string {
  const e = err as { code?: string; message?: string };
  const where = redactUrl(url);
  switch (e.code) {
    case '28P01':
    case '28000':
      return `database ${where}: ${e.message} (check the user and password in databaseUrl)`;
    case '3D000':
      return `database ${where}: ${e.message} (create it first: createdb)`;
    case 'ECONNREFUSED':
      return `database ${where} is unreachable: connection refused (is PostgreSQL running and listening there?)`;
    case 'CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `database ${where} is unreachable: no answer in time`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `database ${where} is unreachable: host name not found`;
    default:
      return `database ${where}: ${e.message ?? String(err)}`;
  }
}

/** Checks the server can be reached and logged into; throws EDICT_ERR_CONFIG with one line. */
export async function checkConnection(sql: Sql, url: string): Promise<void> {
  try {
    await sql.unsafe('SELECT 1');
  } catch (err) {
    throw new EdictError('EDICT_ERR_CONFIG', describeConnectError(url, err));
  }
}

/** Migration ids applied to this database (empty when it has none yet). */
export async function appliedMigrations(sql: AnySql): Promise<string[]> {
  const exists = await sql.unsafe<{ t: string | null }[]>("SELECT to_regclass('schema_migrations')::text AS t");
  if (!exists[0]?.t) return [];
  return (await sql.unsafe<{ id: string }[]>('SELECT id FROM schema_migrations ORDER BY id')).map((r) => r.id);
}

/**
 * Applies pending migrations in one transaction (PostgreSQL's DDL is transactional: a failing one
 * leaves the database as it was) holding an advisory lock, so two nodes starting at once run each
 * migration once. Refuses a database with migrations this server
 * does not know (written by a newer edict-server). Returns the ids it ran.
 */
export async function migrate(sql: Sql, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  const ran: string[] = [];
  await sql.begin(async (tx) => {
    await tx.unsafe('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NS, LOCKS.migrate]);
    await tx.unsafe('CREATE TABLE IF NOT EXISTS schema_migrations (id text COLLATE "C" PRIMARY KEY, applied_at timestamptz NOT NULL)');
    const applied = new Set(await appliedMigrations(tx));
    const known = new Set(migrations.map((m) => m.id));
    const unknown = [...applied].filter((id) => !known.has(id));
    if (unknown.length) {
      throw new EdictError('EDICT_ERR_CONFIG', `database has migrations this server does not know (${unknown.join(', ')}); it was written by a newer edict-server`);
    }
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      await tx.unsafe(m.sql);
      await tx.unsafe('INSERT INTO schema_migrations(id, applied_at) VALUES ($1, $2)', [m.id, new Date().toISOString()]);
      ran.push(m.id);
    }
  });
  return ran;
}
