// Compliance state per device × tool and the device timeline in SQLite. The current state lives in
// `compliance`; every change of it, and every fact that can cause one (notice shown, acknowledged,
// exception requested / granted / expired, enforcement step), is a row in `timeline`. A state
// change re-derived after a late event supersedes the rows it replaces instead of deleting them.
import type { ComplianceState } from '../../../../shared/src/policy/compliance.js';
import type { ComplianceRepo, ComplianceRow, PageQuery, StateRowInput, TimelineRow } from '../types.js';

import type { SqliteConnection } from './connection.js';

const COLUMNS = `seq, device_id AS deviceId, tool_id AS toolId, at, kind, from_state AS fromState, to_state AS toState, cause,
  detail, event_id AS eventId, recorded_at AS recordedAt, superseded_at AS supersededAt`;

export class SqliteCompliance implements ComplianceRepo {
  constructor(private readonly c: SqliteConnection) {}

  async lockPair(_deviceId: string, _toolId: string): Promise<void> {
    // One writer (the store's queue): compliance updates never interleave.
  }

  async current(deviceId: string, toolId: string): Promise<{ state: ComplianceState; since: string } | undefined> {
    return this.c.prep('SELECT state, since FROM compliance WHERE device_id = ? AND tool_id = ?').get(deviceId, toolId) as { state: ComplianceState; since: string } | undefined;
  }

  async all(filter: { deviceId?: string } = {}): Promise<{ deviceId: string; toolId: string; state: ComplianceState; since: string }[]> {
    const sql = `SELECT device_id AS deviceId, tool_id AS toolId, state, since FROM compliance ${filter.deviceId ? 'WHERE device_id = ?' : ''} ORDER BY device_id, tool_id`;
    return this.c.prep(sql).all(...(filter.deviceId ? [filter.deviceId] : [])) as { deviceId: string; toolId: string; state: ComplianceState; since: string }[];
  }

  async pairs(toolIds: readonly string[], page: { after?: [string, string]; limit: number }): Promise<{ deviceId: string; toolId: string }[]> {
    if (!toolIds.length) return [];
    const [d, t] = page.after ?? ['', ''];
    return this.c
      .prep('SELECT device_id AS deviceId, tool_id AS toolId FROM compliance WHERE tool_id IN (SELECT value FROM json_each(?)) AND (device_id, tool_id) > (?, ?) ORDER BY device_id, tool_id LIMIT ?')
      .all(JSON.stringify(toolIds), d, t, page.limit) as { deviceId: string; toolId: string }[];
  }

  async list(q: PageQuery<[string, string]> & { toolId?: string; state?: ComplianceState; deviceId?: string; asOf?: string }): Promise<ComplianceRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const stateExpr = q.asOf
      ? `(SELECT t.to_state FROM timeline t WHERE t.device_id = c.device_id AND t.tool_id = c.tool_id AND t.kind = 'state' AND t.at <= ? AND t.superseded_at IS NULL
          ORDER BY t.at DESC, t.seq DESC LIMIT 1)`
      : 'c.state';
    const sinceExpr = q.asOf
      ? `(SELECT t.at FROM timeline t WHERE t.device_id = c.device_id AND t.tool_id = c.tool_id AND t.kind = 'state' AND t.at <= ? AND t.superseded_at IS NULL
          ORDER BY t.at DESC, t.seq DESC LIMIT 1)`
      : 'c.since';
    const head: unknown[] = q.asOf ? [q.asOf, q.asOf] : [];
    // As of an instant, a device enrolled later has no state then (it is not "clear": it was not there).
    if (q.asOf) (where.push('d.enrolled_at <= ?'), args.push(q.asOf));
    if (q.toolId) (where.push('c.tool_id = ?'), args.push(q.toolId));
    if (q.deviceId) (where.push('c.device_id = ?'), args.push(q.deviceId));
    if (q.after) (where.push('(c.device_id, c.tool_id) > (?, ?)'), args.push(...q.after));
    const inner = `SELECT c.device_id AS deviceId, d.hostname, c.tool_id AS toolId, ${stateExpr} AS state, ${sinceExpr} AS since
      FROM compliance c JOIN devices d ON d.id = c.device_id ${where.length ? 'WHERE ' + where.join(' AND ') : ''}`;
    const rows = this.c
      .prep(`SELECT * FROM (${inner}) ${q.state ? "WHERE coalesce(state, 'clear') = ?" : ''} ORDER BY deviceId, toolId LIMIT ?`)
      .all(...head, ...args, ...(q.state ? [q.state] : []), q.limit) as ComplianceRow[];
    return rows.map((r) => ({ ...r, state: r.state ?? 'clear' }));
  }

  async setCurrent(deviceId: string, toolId: string, state: ComplianceState, since: string): Promise<void> {
    this.c
      .prep('INSERT INTO compliance(device_id, tool_id, state, since) VALUES (?, ?, ?, ?) ON CONFLICT(device_id, tool_id) DO UPDATE SET state = excluded.state, since = excluded.since')
      .run(deviceId, toolId, state, since);
  }

  async addStateRow(r: StateRowInput): Promise<void> {
    this.c
      .prep("INSERT INTO timeline(device_id, tool_id, at, kind, from_state, to_state, cause, detail, recorded_at) VALUES (?, ?, ?, 'state', ?, ?, ?, ?, ?)")
      .run(r.deviceId, r.toolId, r.at, r.from, r.to, r.cause, JSON.stringify(r.detail), new Date().toISOString());
  }

  async stateRowsFrom(deviceId: string, toolId: string, fromIso: string): Promise<{ seq: number; at: string; toState: ComplianceState }[]> {
    return this.c
      .prep(
        `SELECT seq, at, to_state AS toState FROM timeline
         WHERE device_id = ? AND tool_id = ? AND kind = 'state' AND at >= ? AND superseded_at IS NULL ORDER BY at, seq`,
      )
      .all(deviceId, toolId, fromIso) as { seq: number; at: string; toState: ComplianceState }[];
  }

  async stateBefore(deviceId: string, toolId: string, beforeIso: string): Promise<{ state: ComplianceState; at: string } | undefined> {
    return this.c
      .prep(
        `SELECT to_state AS state, at FROM timeline WHERE device_id = ? AND tool_id = ? AND kind = 'state' AND at < ? AND superseded_at IS NULL
         ORDER BY at DESC, seq DESC LIMIT 1`,
      )
      .get(deviceId, toolId, beforeIso) as { state: ComplianceState; at: string } | undefined;
  }

  async supersede(seqs: readonly number[], atIso: string): Promise<void> {
    const s = this.c.prep('UPDATE timeline SET superseded_at = ? WHERE seq = ? AND superseded_at IS NULL');
    for (const seq of seqs) s.run(atIso, seq);
  }

  async fact(deviceId: string, toolId: string, at: string, kind: string, cause: string, detail: unknown, eventId: string | null): Promise<boolean> {
    return (
      this.c
        .prep('INSERT OR IGNORE INTO timeline(device_id, tool_id, at, kind, cause, detail, event_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(deviceId, toolId, at, kind, cause, JSON.stringify(detail), eventId, new Date().toISOString()).changes > 0
    );
  }

  async timeline(deviceId: string, toolId?: string, page: { after?: [string, number]; limit?: number } = {}): Promise<TimelineRow[]> {
    const rows = this.c
      .prep(`SELECT ${COLUMNS} FROM timeline WHERE device_id = ? ${toolId ? 'AND tool_id = ?' : ''} ${page.after ? 'AND (at, seq) > (?, ?)' : ''} ORDER BY at, seq LIMIT ?`)
      .all(deviceId, ...(toolId ? [toolId] : []), ...(page.after ?? []), page.limit ?? -1) as (TimelineRow & { detail: string })[];
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  }

  async stateAsOf(deviceId: string, toolId: string, atIso: string): Promise<ComplianceState | undefined> {
    return this.c
      .prep(
        `SELECT to_state FROM timeline WHERE device_id = ? AND tool_id = ? AND kind = 'state' AND at <= ? AND superseded_at IS NULL
         ORDER BY at DESC, seq DESC LIMIT 1`,
      )
      .pluck()
      .get(deviceId, toolId, atIso) as ComplianceState | undefined;
  }

  async statePairs(): Promise<{ deviceId: string; toolId: string }[]> {
    return this.c.prep("SELECT DISTINCT device_id AS deviceId, tool_id AS toolId FROM timeline WHERE kind = 'state' ORDER BY 1, 2").all() as { deviceId: string; toolId: string }[];
  }

  async addAcknowledgement(eventId: string, deviceId: string, toolId: string, user: string, stage: string, at: string): Promise<boolean> {
    return (
      this.c
        .prep('INSERT OR IGNORE INTO acknowledgements(event_id, device_id, tool_id, os_user, stage, at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(eventId, deviceId, toolId, user, stage, at).changes > 0
    );
  }

  async acknowledgements(deviceId: string, toolId: string): Promise<string[]> {
    return this.c.prep('SELECT at FROM acknowledgements WHERE device_id = ? AND tool_id = ? ORDER BY at').pluck().all(deviceId, toolId) as string[];
  }

  async addJob(job: { at: string; cause: string; tools: readonly string[] | null }): Promise<number> {
    return Number(
      this.c.prep('INSERT INTO compliance_jobs(at, cause, tools, created_at) VALUES (?, ?, ?, ?)').run(job.at, job.cause, job.tools ? JSON.stringify(job.tools) : null, new Date().toISOString())
        .lastInsertRowid,
    );
  }

  async nextJob(): Promise<{ id: number; at: string; cause: string; tools: string[] | null } | undefined> {
    const r = this.c.prep('SELECT id, at, cause, tools FROM compliance_jobs ORDER BY id LIMIT 1').get() as { id: number; at: string; cause: string; tools: string | null } | undefined;
    return r && { ...r, tools: r.tools ? (JSON.parse(r.tools) as string[]) : null };
  }

  async deleteJob(id: number): Promise<void> {
    this.c.prep('DELETE FROM compliance_jobs WHERE id = ?').run(id);
  }
}
