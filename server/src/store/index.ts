// The one place a store backend is chosen and constructed (the composition root of the store
// boundary). Services and routes import only ./types.js; the SQLite and PostgreSQL implementations
// are imported here and nowhere else outside their folders (test/unit/server/architecture.test.ts).
import { PostgresStore } from './postgres/store.js';
import { SqliteStore } from './sqlite/store.js';
import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { EdictError } from '../../../shared/src/errors.js';
import { EXPORT_FORMAT, EXPORT_VERSION, PORTABLE_TABLES, type ExportEnd, type ExportHeader, type StoreDump } from './portable-format.js';
import type { Store } from './types.js';

export type * from './types.js';
export { measureRawInsertRate } from './sqlite/raw-insert-rate.js';
export { flushSeed, seedFleet, SEEDED_BAN_ID, timeDeviceScan, timeFsync } from './sqlite/bench-seed.js';
export { backupDatabase, restoreDatabase } from './sqlite/backup.js';
export { measurePgRawInsertRate } from './postgres/raw-insert-rate.js';
export { seedPgDevices } from './postgres/bench-seed.js';
export { pgStatements } from './postgres/bench-statements.js';
export { PORTABLE_TABLES, sameValue, type PortableRow, type PortableTable, type StoreDump } from './portable-format.js';

export interface StoreConfig {
  kind: 'sqlite' | 'postgres';
  dataDir: string;
  databaseUrl?: string;
  poolSize?: number;
  /** This server process, as other nodes and logs name it. */
  nodeId?: string;
  /** Apply pending migrations on open (default true; PostgreSQL only — SQLite always does). */
  migrate?: boolean;
  /** Errors of background work (WAL checkpoints) that no caller is waiting for. */
  onBackgroundError?: (message: string) => void;
}

/** Opens the configured store, applying pending migrations; a bad or unreachable database is an EDICT_ERR_CONFIG. */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.kind === 'postgres') {
    return PostgresStore.open({ url: config.databaseUrl!, poolSize: config.poolSize ?? 10, nodeId: config.nodeId ?? 'node', migrate: config.migrate });
  }
  return SqliteStore.open(config.dataDir, config.onBackgroundError, config.nodeId);
}

/** Applies pending migrations and returns the ids applied now and in all (`edict-server migrate`). */
export async function migrateStore(config: StoreConfig): Promise<{ ran: string[]; applied: string[] }> {
  if (config.kind === 'postgres') {
    const { migratePostgres } = await import('./postgres/admin.js');
    return migratePostgres(config.databaseUrl!);
  }
  const { migrateSqlite } = await import('./sqlite/admin.js');
  return migrateSqlite(config.dataDir);
}

/** Every row of the configured store in the portable form (export; tests comparing a move). */
export async function dumpStore(config: StoreConfig): Promise<StoreDump> {
  if (config.kind === 'postgres') {
    const { dumpPostgres, postgresMigrations } = await import('./postgres/portable.js');
    const migrations = await postgresMigrations(config.databaseUrl!);
    return { ...dumpPostgres(config.databaseUrl!), migrations, source: 'postgres' };
  }
  const { dumpSqlite } = await import('./sqlite/portable.js');
  return dumpSqlite(config.dataDir);
}

export interface ExportSummary {
  file: string;
  counts: Record<string, number>;
  auditHead: string | null;
}

/** Writes the configured store to `file` (JSON Lines, written to a temporary name and renamed when complete). */
export async function exportStore(config: StoreConfig, file: string): Promise<ExportSummary> {
  const dump = await dumpStore(config);
  const tmp = `${file}.${process.pid}.partial`;
  const out = createWriteStream(tmp, { mode: 0o600 });
  const write = async (obj: unknown) => {
    if (!out.write(JSON.stringify(obj) + '\n')) await once(out, 'drain');
  };
  const counts: Record<string, number> = {};
  let auditHead: string | null = null;
  try {
    const header: ExportHeader = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      source: dump.source,
      migrations: dump.migrations,
      exportedAt: new Date().toISOString(),
      tables: PORTABLE_TABLES.map((t) => t.name),
    };
    await write(header);
    for (const table of PORTABLE_TABLES) {
      counts[table.name] = 0;
      for await (const r of dump.rows(table)) {
        await write({ t: table.name, r });
        counts[table.name]++;
        if (table.name === 'audit_log') auditHead = String(r.hash);
      }
    }
    const end: ExportEnd = { end: true, counts, auditHead };
    await write(end);
    out.end();
    await once(out, 'finish');
    renameSync(tmp, file);
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    await dump.close();
  }
  return { file, counts, auditHead };
}

/** Loads an export file into the configured PostgreSQL database (which must be empty). */
export async function importStore(config: StoreConfig, file: string): Promise<{ counts: Record<string, number>; auditHead: string | null; migrations: string[] }> {
  if (config.kind !== 'postgres') throw new EdictError('EDICT_ERR_CONFIG', 'import loads into PostgreSQL: set store to postgres and databaseUrl');
  const { loadPostgres } = await import('./postgres/portable.js');
  const input = createReadStream(file, { encoding: 'utf8' });
  try {
    return await loadPostgres(config.databaseUrl!, input);
  } finally {
    input.destroy();
  }
}
