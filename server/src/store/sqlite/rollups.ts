// The counts behind the dashboard's overview and burn-down chart, read a slice of devices (by id)
// per call so no single call holds the store for long on a large fleet, and the daily rollup rows
// the burn-down is drawn from. A device counts once per ban, by its most pressing state over the
// ban's tools (the same rule as the summary); a device with no state is `clear`.
import type { ComplianceState } from '../../../../shared/src/policy/compliance.js';
import type { CountScope, DailyRollupRow, RollupRepo, StateCounts } from '../types.js';
import type { SqliteConnection } from './connection.js';

const BY_RANK: ComplianceState[] = ['clear', 'remediated', 'exempt', 'acknowledged', 'noticed', 'violating'];
const rankOf = (col: string) =>
  `CASE ${col} WHEN 'violating' THEN 5 WHEN 'noticed' THEN 4 WHEN 'acknowledged' THEN 3 WHEN 'exempt' THEN 2 WHEN 'remediated' THEN 1 ELSE 0 END`;
const zero = (): StateCounts => ({ clear: 0, noticed: 0, acknowledged: 0, violating: 0, remediated: 0, exempt: 0 });

/** Device scope test on a row `s` with columns id and tags (a JSON array). */
const IN_SCOPE = `(@ndev = 0 OR s.id IN (SELECT value FROM json_each(@devs)))
  AND (@ntags = 0 OR EXISTS (SELECT 1 FROM json_each(s.tags) t WHERE t.value IN (SELECT value FROM json_each(@tags))))`;

function scopeArgs(scope: CountScope): Record<string, unknown> {
  return { ndev: scope.devices.length, devs: JSON.stringify(scope.devices), ntags: scope.tags.length, tags: JSON.stringify(scope.tags), tools: JSON.stringify(scope.toolIds) };
}

export class SqliteRollups implements RollupRepo {
  constructor(private readonly c: SqliteConnection) {}

  async countNow(scope: CountScope, seenBefore: string, slice: { afterId?: string; limit: number }): Promise<{ inScope: number; counts: StateCounts; notSeen: StateCounts; lastId: string | null }> {
    const args = { ...scopeArgs(scope), after: slice.afterId ?? '', limit: slice.limit, seen: seenBefore };
    const rows = this.c
      .prep(
        `WITH s AS (SELECT id, tags, last_seen_at FROM devices WHERE id > @after AND revoked_at IS NULL ORDER BY id LIMIT @limit)
         SELECT coalesce((SELECT max(${rankOf('c.state')}) FROM compliance c WHERE c.device_id = s.id AND c.tool_id IN (SELECT value FROM json_each(@tools))), 0) AS rank,
           count(*) AS n, sum(s.last_seen_at IS NULL OR s.last_seen_at < @seen) AS stale
         FROM s WHERE ${IN_SCOPE} GROUP BY 1`,
      )
      .all(args) as { rank: number; n: number; stale: number }[];
    const lastId = this.c.prep('SELECT max(id) FROM (SELECT id FROM devices WHERE id > @after AND revoked_at IS NULL ORDER BY id LIMIT @limit)').pluck().get({ after: args.after, limit: args.limit }) as string | null;
    const counts = zero();
    const notSeen = zero();
    let inScope = 0;
    for (const r of rows) {
      counts[BY_RANK[r.rank]] += r.n;
      notSeen[BY_RANK[r.rank]] += r.stale;
      inScope += r.n;
    }
    return { inScope, counts, notSeen, lastId: lastId === null ? null : lastId };
  }

  async countAsOf(scope: CountScope, atIso: string, slice: { afterId?: string; limit: number }): Promise<{ inScope: number; counts: StateCounts; lastId: string | null }> {
    const args = { ...scopeArgs(scope), after: slice.afterId ?? '', limit: slice.limit, at: atIso };
    // Tags at the instant: the last change at or before it, else the first one recorded (history began later).
    const rows = this.c
      .prep(
        `WITH d AS (SELECT id, tags, enrolled_at, revoked_at FROM devices WHERE id > @after ORDER BY id LIMIT @limit),
         s AS (SELECT d.id, coalesce(
             (SELECT g.tags FROM device_tags g WHERE g.device_id = d.id AND g.at <= @at ORDER BY g.at DESC, g.seq DESC LIMIT 1),
             (SELECT g.tags FROM device_tags g WHERE g.device_id = d.id ORDER BY g.at, g.seq LIMIT 1),
             d.tags) AS tags
           FROM d WHERE d.enrolled_at <= @at AND (d.revoked_at IS NULL OR d.revoked_at > @at))
         SELECT coalesce((SELECT max(${rankOf('st.state')}) FROM (
             SELECT (SELECT t.to_state FROM timeline t WHERE t.device_id = s.id AND t.tool_id = tool.value AND t.kind = 'state' AND t.at <= @at AND t.superseded_at IS NULL
                     ORDER BY t.at DESC, t.seq DESC LIMIT 1) AS state
             FROM json_each(@tools) tool) st), 0) AS rank,
           count(*) AS n
         FROM s WHERE ${IN_SCOPE} GROUP BY 1`,
      )
      .all(args) as { rank: number; n: number }[];
    const lastId = this.c.prep('SELECT max(id) FROM (SELECT id FROM devices WHERE id > @after ORDER BY id LIMIT @limit)').pluck().get({ after: args.after, limit: args.limit }) as string | null;
    const counts = zero();
    let inScope = 0;
    for (const r of rows) {
      counts[BY_RANK[r.rank]] += r.n;
      inScope += r.n;
    }
    return { inScope, counts, lastId };
  }

  async put(r: DailyRollupRow): Promise<void> {
    this.c
      .prep(
        `INSERT INTO compliance_daily(policy_id, day, in_scope, clear, noticed, acknowledged, violating, remediated, exempt, computed_at, final)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(policy_id, day) DO UPDATE SET in_scope = excluded.in_scope, clear = excluded.clear, noticed = excluded.noticed,
           acknowledged = excluded.acknowledged, violating = excluded.violating, remediated = excluded.remediated, exempt = excluded.exempt,
           computed_at = excluded.computed_at, final = excluded.final`,
      )
      .run(r.policyId, r.day, r.inScope, r.counts.clear, r.counts.noticed, r.counts.acknowledged, r.counts.violating, r.counts.remediated, r.counts.exempt, r.computedAt, r.final ? 1 : 0);
  }

  async series(policyId: string): Promise<DailyRollupRow[]> {
    const rows = this.c
      .prep(
        `SELECT policy_id AS policyId, day, in_scope AS inScope, clear, noticed, acknowledged, violating, remediated, exempt, computed_at AS computedAt, final
         FROM compliance_daily WHERE policy_id = ? ORDER BY day`,
      )
      .all(policyId) as (Omit<DailyRollupRow, 'counts' | 'final'> & StateCounts & { final: number })[];
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
    const r = this.c.prep("SELECT min(at) AS earliestAt, max(recorded_at) AS newestRecordedAt FROM timeline WHERE recorded_at > ? AND kind = 'state'").get(recordedAfter) as {
      earliestAt: string | null;
      newestRecordedAt: string | null;
    };
    return r;
  }

  async changesRecordedBetween(recordedAfter: string, recordedUpTo: string): Promise<{ count: number; earliestAt: string | null }> {
    return this.c
      .prep("SELECT count(*) AS count, min(at) AS earliestAt FROM timeline WHERE recorded_at > ? AND recorded_at <= ? AND kind = 'state'")
      .get(recordedAfter, recordedUpTo) as { count: number; earliestAt: string | null };
  }

  async watermark(): Promise<string> {
    return this.c
      .prep(
        `SELECT (SELECT coalesce(max(seq), 0) FROM timeline) || ':' || (SELECT coalesce(max(rowid), 0) FROM devices) || ':' || (SELECT coalesce(max(seq), 0) FROM device_tags)
           || ':' || (SELECT coalesce(max(seq), 0) FROM audit_log) || ':' || (SELECT coalesce(max(rowid), 0) FROM exceptions)`,
      )
      .pluck()
      .get() as string;
  }

  async requestedExceptions(): Promise<number> {
    return this.c.prep("SELECT count(*) FROM exceptions WHERE status = 'requested'").pluck().get() as number;
  }

  async presenceSlice(toolIds: readonly string[], slice: { afterId?: string; limit: number }): Promise<{ rows: { deviceId: string; hostname: string; tags: string[]; toolId: string; users: string[] }[]; lastId: string | null }> {
    const after = slice.afterId ?? '';
    // CROSS JOIN keeps SQLite walking the slice's devices first (each one's findings by index), never
    // every finding of the tool for every slice.
    const rows = this.c
      .prep(
        `WITH s AS (SELECT id, hostname, tags FROM devices WHERE id > @after AND revoked_at IS NULL ORDER BY id LIMIT @limit)
         SELECT s.id AS deviceId, s.hostname, s.tags, f.tool_id AS toolId, json_group_array(DISTINCT f.os_user) AS users
         FROM s CROSS JOIN findings f ON f.device_id = s.id
         WHERE f.tool_id IN (SELECT value FROM json_each(@tools)) AND f.state = 'present' AND f.kind IN ('installed', 'running')
         GROUP BY s.id, f.tool_id ORDER BY s.id, f.tool_id`,
      )
      .all({ after, limit: slice.limit, tools: JSON.stringify(toolIds) }) as { deviceId: string; hostname: string; tags: string; toolId: string; users: string }[];
    const lastId = this.c.prep('SELECT max(id) FROM (SELECT id FROM devices WHERE id > @after AND revoked_at IS NULL ORDER BY id LIMIT @limit)').pluck().get({ after, limit: slice.limit }) as string | null;
    return { rows: rows.map((r) => ({ ...r, tags: JSON.parse(r.tags) as string[], users: (JSON.parse(r.users) as string[]).sort() })), lastId };
  }

  async acknowledgementsOf(deviceIds: readonly string[], toolIds: readonly string[]): Promise<{ deviceId: string; toolId: string; at: string }[]> {
    if (!deviceIds.length || !toolIds.length) return [];
    return this.c
      .prep(
        `SELECT device_id AS deviceId, tool_id AS toolId, at FROM acknowledgements
         WHERE device_id IN (SELECT value FROM json_each(?)) AND tool_id IN (SELECT value FROM json_each(?)) ORDER BY at`,
      )
      .all(JSON.stringify(deviceIds), JSON.stringify(toolIds)) as { deviceId: string; toolId: string; at: string }[];
  }
}
