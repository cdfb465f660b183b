// The counts behind the dashboard's overview and burn-down chart in PostgreSQL, and the daily rollup
// rows (the same rules as the SQLite store: a device counts once per ban, by its most pressing state
// over the ban's tools; no state is `clear`). A slice is fixed first (its last device id), then read
// as the id range (after, lastId], so with other nodes enrolling meanwhile no device is counted in
// two slices or skipped. Orders are byte order (the C collation of the key columns).
import type { ComplianceState } from '../../../../shared/src/policy/compliance.js';
import type { CountScope, DailyRollupRow, RollupRepo, StateCounts } from '../types.js';
import type { Db } from './db.js';

const BY_RANK: ComplianceState[] = ['clear', 'remediated', 'exempt', 'acknowledged', 'noticed', 'violating'];
const rankOf = (col: string) =>
  `CASE ${col} WHEN 'violating' THEN 5 WHEN 'noticed' THEN 4 WHEN 'acknowledged' THEN 3 WHEN 'exempt' THEN 2 WHEN 'remediated' THEN 1 ELSE 0 END`;
const zero = (): StateCounts => ({ clear: 0, noticed: 0, acknowledged: 0, violating: 0, remediated: 0, exempt: 0 });
const IN_JSON = (param: string) => `(SELECT jsonb_array_elements_text(${param}::text::jsonb))`;

type Param = string | number | null;

/** Numbered parameters, in the order a statement's text asks for them. */
function params(): { args: Param[]; p: (v: Param) => string } {
  const args: Param[] = [];
  return { args, p: (v) => (args.push(v), `$${args.length}`) };
}

/** Device scope test on a row `s` with columns id and tags (a JSON array text). */
function inScope(scope: CountScope, p: (v: Param) => string): string {
  const devs = scope.devices.length ? `s.id IN ${IN_JSON(p(JSON.stringify(scope.devices)))}` : 'true';
  const tags = scope.tags.length ? `EXISTS (SELECT 1 FROM jsonb_array_elements_text(s.tags::jsonb) t WHERE t IN ${IN_JSON(p(JSON.stringify(scope.tags)))})` : 'true';
  return `${devs} AND ${tags}`;
}

/** A negative limit is no limit, as SQLite's LIMIT reads it (LIMIT NULL here). */
const limitOf = (n: number): number | null => (n >= 0 ? n : null);

/** max(seq) of a table, with how many rows sit in the last 1000 seq values: a row committed late with a lower seq (sequences are taken at insert, not at commit) still moves the mark. */
const seqMark = (table: string) =>
  `(SELECT coalesce(max(seq), 0) FROM ${table})::text || '.' || (SELECT count(*) FROM ${table} WHERE seq > (SELECT coalesce(max(seq), 0) FROM ${table}) - 1000)::text`;

export class PgRollups implements RollupRepo {
  constructor(private readonly db: Db) {}

  /** The last device id of the slice after `afterId` (null when there is none), active devices only or all. */
  private async sliceEnd(slice: { afterId?: string; limit: number }, activeOnly: boolean): Promise<string | null> {
    return (
      (await this.db.value<string | null>(
        `SELECT max(id) FROM (SELECT id FROM devices WHERE id > $1 ${activeOnly ? 'AND revoked_at IS NULL' : ''} ORDER BY id LIMIT $2::bigint) x`,
        [slice.afterId ?? '', limitOf(slice.limit)],
      )) ?? null
    );
  }

  async countNow(scope: CountScope, seenBefore: string, slice: { afterId?: string; limit: number }): Promise<{ inScope: number; counts: StateCounts; notSeen: StateCounts; lastId: string | null }> {
    const counts = zero();
    const notSeen = zero();
    const lastId = await this.sliceEnd(slice, true);
    if (lastId === null) return { inScope: 0, counts, notSeen, lastId };
    const { args, p } = params();
    const sql = `WITH s AS (SELECT id, tags, last_seen_at FROM devices WHERE id > ${p(slice.afterId ?? '')} AND id <= ${p(lastId)} AND revoked_at IS NULL),
      x AS (SELECT coalesce((SELECT max(${rankOf('c.state')}) FROM compliance c WHERE c.device_id = s.id AND c.tool_id IN ${IN_JSON(p(JSON.stringify(scope.toolIds)))}), 0) AS rank,
              (s.last_seen_at IS NULL OR s.last_seen_at < ${p(seenBefore)}::timestamptz) AS stale
            FROM s WHERE ${inScope(scope, p)})
      SELECT rank, count(*) AS n, count(*) FILTER (WHERE stale) AS stale FROM x GROUP BY rank`;
    let n = 0;
    for (const r of await this.db.all<{ rank: number; n: number; stale: number }>(sql, args)) {
      counts[BY_RANK[r.rank]] += r.n;
      notSeen[BY_RANK[r.rank]] += r.stale;
      n += r.n;
    }
    return { inScope: n, counts, notSeen, lastId };
  }

  async countAsOf(scope: CountScope, atIso: string, slice: { afterId?: string; limit: number }): Promise<{ inScope: number; counts: StateCounts; lastId: string | null }> {
    const counts = zero();
    const lastId = await this.sliceEnd(slice, false);
    if (lastId === null) return { inScope: 0, counts, lastId };
    const { args, p } = params();
    const at = `${p(atIso)}::timestamptz`;
    // Tags at the instant: the last change at or before it, else the first one recorded (history began later).
    const sql = `WITH d AS (SELECT id, tags, enrolled_at, revoked_at FROM devices WHERE id > ${p(slice.afterId ?? '')} AND id <= ${p(lastId)}),
      s AS (SELECT d.id, coalesce(
          (SELECT g.tags FROM device_tags g WHERE g.device_id = d.id AND g.at <= ${at} ORDER BY g.at DESC, g.seq DESC LIMIT 1),
          (SELECT g.tags FROM device_tags g WHERE g.device_id = d.id ORDER BY g.at, g.seq LIMIT 1),
          d.tags) AS tags
        FROM d WHERE d.enrolled_at <= ${at} AND (d.revoked_at IS NULL OR d.revoked_at > ${at})),
      x AS (SELECT coalesce((SELECT max(${rankOf('st.state')}) FROM (
          SELECT (SELECT t.to_state FROM timeline t WHERE t.device_id = s.id AND t.tool_id = tool.value AND t.kind = 'state' AND t.at <= ${at} AND t.superseded_at IS NULL
                  ORDER BY t.at DESC, t.seq DESC LIMIT 1) AS state
          FROM jsonb_array_elements_text(${p(JSON.stringify(scope.toolIds))}::text::jsonb) AS tool(value)) st), 0) AS rank
        FROM s WHERE ${inScope(scope, p)})
      SELECT rank, count(*) AS n FROM x GROUP BY rank`;
    let n = 0;
    for (const r of await this.db.all<{ rank: number; n: number }>(sql, args)) {
      counts[BY_RANK[r.rank]] += r.n;
      n += r.n;
    }
    return { inScope: n, counts, lastId };
  }

  async put(r: DailyRollupRow): Promise<void> {
    await this.db.run(
      `INSERT INTO compliance_daily(policy_id, day, in_scope, clear, noticed, acknowledged, violating, remediated, exempt, computed_at, final)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (policy_id, day) DO UPDATE SET in_scope = excluded.in_scope, clear = excluded.clear, noticed = excluded.noticed,
         acknowledged = excluded.acknowledged, violating = excluded.violating, remediated = excluded.remediated, exempt = excluded.exempt,
         computed_at = excluded.computed_at, final = excluded.final`,
      [r.policyId, r.day, r.inScope, r.counts.clear, r.counts.noticed, r.counts.acknowledged, r.counts.violating, r.counts.remediated, r.counts.exempt, r.computedAt, r.final ? 1 : 0],
    );
  }

  async series(policyId: string): Promise<DailyRollupRow[]> {
    const rows = await this.db.all<Omit<DailyRollupRow, 'counts' | 'final'> & StateCounts & { final: number }>(
      `SELECT policy_id AS "policyId", day, in_scope AS "inScope", clear, noticed, acknowledged, violating, remediated, exempt, computed_at AS "computedAt", final
       FROM compliance_daily WHERE policy_id = $1 ORDER BY day`,
      [policyId],
    );
    return rows.map((r) => ({
      policyId: r.policyId,
      day: r.day,
      inScope: r.inScope,
      counts: { clear: r.clear, noticed: r.noticed, acknowledged: r.acknowledged, violating: r.violating, remediated: r.remediated, exempt: r.exempt },
      computedAt: r.computedAt,
      final: r.final === 1,
    }));
  }

  async changesRecordedSince(recordedAfter: string): Promise<{ earliestAt: string | null; newestRecordedAt: string | null }> {
    // '' (no run yet) is before everything, as it sorts in SQLite's text comparison.
    const r = await this.db.one<{ earliestAt: string | null; newestRecordedAt: string | null }>(
      `SELECT min(at) AS "earliestAt", max(recorded_at) AS "newestRecordedAt" FROM timeline WHERE recorded_at > $1::timestamptz AND kind = 'state'`,
      [recordedAfter === '' ? '-infinity' : recordedAfter],
    );
    return { earliestAt: r?.earliestAt ?? null, newestRecordedAt: r?.newestRecordedAt ?? null };
  }

  async changesRecordedBetween(recordedAfter: string, recordedUpTo: string): Promise<{ count: number; earliestAt: string | null }> {
    const r = await this.db.one<{ count: number; earliestAt: string | null }>(
      `SELECT count(*)::int AS count, min(at) AS "earliestAt" FROM timeline WHERE recorded_at > $1::timestamptz AND recorded_at <= $2::timestamptz AND kind = 'state'`,
      [recordedAfter, recordedUpTo],
    );
    return { count: r?.count ?? 0, earliestAt: r?.earliestAt ?? null };
  }

  async watermark(): Promise<string> {
    // Devices and exceptions are never deleted: their count moves when SQLite's max(rowid) does.
    return (await this.db.value<string>(
      `SELECT ${seqMark('timeline')} || ':' || (SELECT count(*) FROM devices)::text || ':' || ${seqMark('device_tags')}
         || ':' || (SELECT coalesce(max(seq), 0) FROM audit_log)::text || ':' || (SELECT count(*) FROM exceptions)::text`,
    ))!;
  }

  async requestedExceptions(): Promise<number> {
    return (await this.db.value<number>("SELECT count(*) FROM exceptions WHERE status = 'requested'")) ?? 0;
  }

  async presenceSlice(toolIds: readonly string[], slice: { afterId?: string; limit: number }): Promise<{ rows: { deviceId: string; hostname: string; tags: string[]; toolId: string; users: string[] }[]; lastId: string | null }> {
    const lastId = await this.sliceEnd(slice, true);
    if (lastId === null) return { rows: [], lastId };
    const rows = await this.db.all<{ deviceId: string; hostname: string; tags: string; toolId: string; users: string }>(
      `SELECT s.id AS "deviceId", s.hostname, s.tags, f.tool_id AS "toolId", json_agg(DISTINCT f.os_user)::text AS users
       FROM devices s JOIN findings f ON f.device_id = s.id
       WHERE s.id > $1 AND s.id <= $2 AND s.revoked_at IS NULL
         AND f.tool_id IN ${IN_JSON('$3')} AND f.state = 'present' AND f.kind IN ('installed', 'running')
       GROUP BY s.id, f.tool_id ORDER BY s.id, f.tool_id`,
      [slice.afterId ?? '', lastId, JSON.stringify(toolIds)],
    );
    return { rows: rows.map((r) => ({ ...r, tags: JSON.parse(r.tags) as string[], users: (JSON.parse(r.users) as string[]).sort() })), lastId };
  }

  async acknowledgementsOf(deviceIds: readonly string[], toolIds: readonly string[]): Promise<{ deviceId: string; toolId: string; at: string }[]> {
    if (!deviceIds.length || !toolIds.length) return [];
    return this.db.all(
      `SELECT device_id AS "deviceId", tool_id AS "toolId", at FROM acknowledgements
       WHERE device_id IN ${IN_JSON('$1')} AND tool_id IN ${IN_JSON('$2')} ORDER BY at, device_id, tool_id, event_id`,
      [JSON.stringify(deviceIds), JSON.stringify(toolIds)],
    );
  }
}
