// Where PostgreSQL's time goes during one phase of `npm run bench:server -- --nodes N` (run with
// EDICT_BENCH_PG_STATS=1, which loads pg_stat_statements into the throw-away cluster): reset the
// statistics before the phase, then the statements that took the most time, the WAL written and
// the checkpoints taken during it. A diagnostic only; nothing the server itself uses.
import { createSql } from './connection.js';

/** Resets the statistics (`reset`), or reports the top statements by time since the reset (`report`). */
export async function pgStatements(url: string, what: 'reset' | 'report'): Promise<string> {
  const sql = createSql({ url, poolSize: 1, applicationName: 'edict bench statements' });
  try {
    await sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`;
    if (what === 'reset') {
      await sql`SELECT pg_stat_statements_reset()`;
      await sql`SELECT pg_stat_reset_shared('wal')`;
      return '';
    }
    const rows = await sql`SELECT calls, round(total_exec_time)::int AS ms, rows, wal_bytes::bigint AS wal, left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 110) AS q
      FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15`;
    // Whole rows as JSON: these views' columns differ between PostgreSQL versions (checkpoints moved
    // to pg_stat_checkpointer in 17).
    const wal = await sql`SELECT to_jsonb(w) AS v FROM pg_stat_wal w`;
    const ckpt = (await sql`SELECT to_regclass('pg_catalog.pg_stat_checkpointer') IS NOT NULL AS v`)[0].v
      ? await sql`SELECT to_jsonb(c) AS v FROM pg_stat_checkpointer c`
      : await sql`SELECT to_jsonb(c) AS v FROM pg_stat_bgwriter c`;
    return [
      'statements since the reset (calls, ms, rows, WAL bytes, query):',
      ...rows.map((r) => `  ${r.calls}\t${r.ms}\t${r.rows}\t${r.wal}\t${r.q}`),
      `  WAL: ${JSON.stringify(wal[0]?.v)}`,
      `  checkpoints: ${JSON.stringify(ckpt[0]?.v)}`,
    ].join('\n');
  } finally {
    await sql.end({ timeout: 2 });
  }
}

