// The portable form of a PostgreSQL database (store/portable-format.ts): dumps it table by table
// (for export and for checking a move), and loads an export into an empty database in one
// transaction that commits only if every table's row count and the audit chain's head match the
// file's end line; anything else (a truncated file, a database already in use) changes nothing.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { EdictError } from '../../../../shared/src/errors.js';
import { auditEntryHash, AUDIT_GENESIS } from '../../audit-chain.js';
import { EXPORT_FORMAT, EXPORT_VERSION, PORTABLE_TABLES, type ColumnKind, type ExportEnd, type ExportHeader, type PortableRow, type PortableTable, type StoreDump } from '../portable-format.js';
import { appliedMigrations, checkConnection, createSql, migrate, type Sql, type TxSql } from './connection.js';

const PG_TYPE: Record<ColumnKind, string> = { text: 'text', int: 'bigint', real: 'double precision', time: 'timestamptz' };
/** Identity columns that take the file's values (their sequences are moved past them afterwards). */
const IDENTITY: Record<string, string> = { timeline: 'seq', audit_log: 'seq', compliance_jobs: 'id', device_tags: 'seq' };

function orderOf(table: PortableTable): string {
  if (table.name === 'detection_events') return 'seq';
  return table.key.join(', ');
}

export function dumpPostgres(url: string): StoreDump {
  const sql = createSql({ url, poolSize: 1, applicationName: 'edict-server export' });
  let tx: { sql: TxSql; done: () => void } | undefined;
  let ended: Promise<unknown> | undefined;
  const open = async (): Promise<TxSql> => {
    if (tx) return tx.sql;
    await checkConnection(sql, url);
    return new Promise<TxSql>((resolve, reject) => {
      ended = sql
        .begin('isolation level repeatable read read only', (t) => new Promise<void>((done) => {
          tx = { sql: t, done };
          resolve(t);
        }))
        .catch(reject);
    });
  };
  const dump: StoreDump = {
    source: 'postgres',
    migrations: [],
    async *rows(table: PortableTable): AsyncIterable<PortableRow> {
      const t = await open();
      const cols = table.columns.map(([c]) => (table.name === 'audit_log' && c === 'at' ? 'at_text AS at' : c)).join(', ');
      for await (const rows of t.unsafe(`SELECT ${cols} FROM ${table.name} ORDER BY ${orderOf(table)}`).cursor(2000)) {
        for (const r of rows as unknown as PortableRow[]) yield r;
      }
    },
    async close() {
      tx?.done();
      await ended;
      await sql.end({ timeout: 2 });
    },
  };
  return dump;
}

export async function postgresMigrations(url: string): Promise<string[]> {
  const sql = createSql({ url, poolSize: 1 });
  try {
    return await appliedMigrations(sql);
  } finally {
    await sql.end({ timeout: 2 });
  }
}

async function insertChunk(t: TxSql, table: PortableTable, rows: PortableRow[]): Promise<void> {
  const cols = table.columns.map(([c]) => c);
  const defs = table.columns.map(([c, k]) => `"${c}" ${PG_TYPE[k]}`).join(', ');
  if (table.name === 'audit_log') {
    await t.unsafe(
      `INSERT INTO audit_log(seq, at, at_text, actor, action, subject, detail, prev_hash, hash)
       SELECT r.seq, r.at::timestamptz, r.at, r.actor, r.action, r.subject, r.detail, r.prev_hash, r.hash FROM jsonb_to_recordset($1::text::jsonb) AS r(${defs})`,
      [JSON.stringify(rows)],
    );
    return;
  }
  const list = cols.map((c) => `"${c}"`).join(', ');
  await t.unsafe(`INSERT INTO ${table.name}(${list}) SELECT ${cols.map((c) => `r."${c}"`).join(', ')} FROM jsonb_to_recordset($1::text::jsonb) AS r(${defs})`, [JSON.stringify(rows)]);
}

/**
 * Loads an export (JSON Lines) into the database at `url`, migrating it first. Refuses a database
 * that already holds data (besides the part versions a fresh one starts with), a file from a newer
 * server, or a file that does not end with matching counts and audit head.
 */
export async function loadPostgres(url: string, input: Readable): Promise<{ counts: Record<string, number>; auditHead: string | null; migrations: string[] }> {
  const sql: Sql = createSql({ url, poolSize: 1, applicationName: 'edict-server import' });
  try {
    await checkConnection(sql, url);
    await migrate(sql);
    // The iterator is taken at once: readline starts reading as soon as it exists, and lines read
    // before anyone iterates would be lost (the loop below starts only after the checks).
    const lines = createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
    let header: ExportHeader | undefined;
    let end: ExportEnd | undefined;
    const counts: Record<string, number> = {};
    let auditHead: string | null = null;
    await sql.begin(async (t) => {
      for (const table of PORTABLE_TABLES) {
        if (table.name === 'meta') continue;
        const [r] = await t.unsafe<{ n: number }[]>(`SELECT count(*) AS n FROM ${table.name}`);
        if (r.n > 0) {
          throw new EdictError(
            'EDICT_ERR_CONFIG',
            `database is not empty (${table.name} has ${r.n} rows): import into a fresh database (edict-server migrate, then import before any node starts)`,
          );
        }
      }
      await t.unsafe('DELETE FROM meta');
      const byName = new Map(PORTABLE_TABLES.map((x) => [x.name, x]));
      let current: PortableTable | undefined;
      let chunk: PortableRow[] = [];
      let prevHash = AUDIT_GENESIS;
      const flush = async () => {
        if (current && chunk.length) await insertChunk(t, current, chunk);
        chunk = [];
      };
      let lineNo = 0;
      for (let next = await lines.next(); !next.done; next = await lines.next()) {
        const line = next.value;
        lineNo++;
        if (!line.trim()) continue;
        let obj: Record<string, unknown>;
        try {
          obj = JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new EdictError('EDICT_ERR_CONFIG', `export file line ${lineNo} is not JSON (a damaged or truncated file?)`);
        }
        if (!header) {
          if (obj.format !== EXPORT_FORMAT) throw new EdictError('EDICT_ERR_CONFIG', 'not an edict-server export file');
          if (typeof obj.version !== 'number' || obj.version > EXPORT_VERSION) throw new EdictError('EDICT_ERR_CONFIG', `export format ${String(obj.version)} is newer than this server reads (${EXPORT_VERSION})`);
          header = obj as unknown as ExportHeader;
          const unknown = header.tables.filter((n) => !byName.has(n));
          if (unknown.length) throw new EdictError('EDICT_ERR_CONFIG', `export has tables this server does not know (${unknown.join(', ')}): it was written by a newer edict-server`);
          continue;
        }
        if (end) throw new EdictError('EDICT_ERR_CONFIG', `export file has data after its end line (line ${lineNo})`);
        if (obj.end === true) {
          end = obj as unknown as ExportEnd;
          continue;
        }
        const table = byName.get(String(obj.t));
        if (!table) throw new EdictError('EDICT_ERR_CONFIG', `export file line ${lineNo}: unknown table ${String(obj.t)}`);
        if (table !== current) {
          await flush();
          current = table;
        }
        const row = obj.r as PortableRow;
        if (table.name === 'audit_log') {
          // The chain is checked as it is loaded: the same canonical text, the same hashes.
          const ok = row.prev_hash === prevHash && row.hash === auditEntryHash(prevHash, String(row.at), String(row.actor), String(row.action), String(row.subject), String(row.detail));
          if (!ok) throw new EdictError('EDICT_ERR_CONFIG', `export file: audit chain broken at entry ${String(row.seq)}`);
          prevHash = String(row.hash);
          auditHead = prevHash;
        }
        counts[table.name] = (counts[table.name] ?? 0) + 1;
        chunk.push(row);
        if (chunk.length >= 1000) await flush();
      }
      await flush();
      if (!header) throw new EdictError('EDICT_ERR_CONFIG', 'export file is empty');
      if (!end) throw new EdictError('EDICT_ERR_CONFIG', 'export file has no end line (truncated?): nothing imported');
      for (const name of new Set([...Object.keys(end.counts), ...Object.keys(counts)])) {
        if ((end.counts[name] ?? 0) !== (counts[name] ?? 0)) {
          throw new EdictError('EDICT_ERR_CONFIG', `export file: ${name} has ${counts[name] ?? 0} rows but its end line says ${end.counts[name] ?? 0}: nothing imported`);
        }
      }
      if ((end.auditHead ?? null) !== auditHead) throw new EdictError('EDICT_ERR_CONFIG', 'export file: audit head differs from its end line: nothing imported');
      for (const [table, col] of Object.entries(IDENTITY)) {
        await t.unsafe(`SELECT setval(pg_get_serial_sequence('${table}', '${col}'), coalesce((SELECT max(${col}) FROM ${table}), 0) + 1, false)`);
      }
    });
    return { counts, auditHead, migrations: await appliedMigrations(sql) };
  } finally {
    await sql.end({ timeout: 2 });
  }
}
