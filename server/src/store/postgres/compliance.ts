// Compliance state per device × tool and the device timeline in PostgreSQL (the same model as the
// SQLite store: current state in `compliance`, every change and fact in `timeline`, re-derived
// changes superseded, not deleted). Two nodes may reconcile the same device × tool at once (a device
// reporting to one node while a bulk job runs on another): `lockPair` takes a transaction-scoped
// advisory lock on the pair first, so the second waits and re-derives from what the first committed.
import type { ComplianceState } from '../../../../shared/src/policy/compliance.js';
import type { ComplianceRepo, ComplianceRow, PageQuery, StateRowInput, TimelineRow } from '../types.js';
import type { Db } from './db.js';

const COLUMNS = `seq, device_id AS "deviceId", tool_id AS "toolId", at, kind, from_state AS "fromState", to_state AS "toState", cause,
  detail, event_id AS "eventId", recorded_at AS "recordedAt", superseded_at AS "supersededAt"`;

export class PgCompliance implements ComplianceRepo {
  constructor(private readonly db: Db) {}

  async lockPair(deviceId: string, toolId: string): Promise<void> {
    await this.db.run('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [`${deviceId}|${toolId}`]);
  }

  async current(deviceId: string, toolId: string): Promise<{ state: ComplianceState; since: string } | undefined> {
    return this.db.one('SELECT state, since FROM compliance WHERE device_id = $1 AND tool_id = $2', [deviceId, toolId]);
  }

  async all(filter: { deviceId?: string } = {}): Promise<{ deviceId: string; toolId: string; state: ComplianceState; since: string }[]> {
    return this.db.all(
      `SELECT device_id AS "deviceId", tool_id AS "toolId", state, since FROM compliance ${filter.deviceId ? 'WHERE device_id = $1' : ''} ORDER BY device_id, tool_id`,
      filter.deviceId ? [filter.deviceId] : [],
    );
  }

  async pairs(toolIds: readonly string[], page: { after?: [string, string]; limit: number }): Promise<{ deviceId: string; toolId: string }[]> {
    if (!toolIds.length) return [];
    const [d, t] = page.after ?? ['', ''];
    return this.db.all(
      `SELECT device_id AS "deviceId", tool_id AS "toolId" FROM compliance WHERE tool_id IN (SELECT jsonb_array_elements_text($1::text::jsonb)) AND (device_id, tool_id) > ($2, $3) ORDER BY device_id, tool_id LIMIT $4`,
      [JSON.stringify(toolIds), d, t, page.limit],
    );
  }

  async list(q: PageQuery<[string, string]> & { toolId?: string; state?: ComplianceState; deviceId?: string; asOf?: string }): Promise<ComplianceRow[]> {
    const args: (string | number)[] = [];
    const p = (v: string | number) => (args.push(v), `$${args.length}`);
    let stateExpr = 'c.state';
    let sinceExpr = 'c.since';
    if (q.asOf) {
      const asOf = p(q.asOf);
      const last = (col: string) => `(SELECT t.${col} FROM timeline t WHERE t.device_id = c.device_id AND t.tool_id = c.tool_id AND t.kind = 'state' AND t.at <= ${asOf}::timestamptz
          AND t.superseded_at IS NULL ORDER BY t.at DESC, t.seq DESC LIMIT 1)`;
      stateExpr = last('to_state');
      sinceExpr = last('at');
    }
    const where: string[] = [];
    // As of an instant, a device enrolled later has no state then (it is not "clear": it was not there).
    if (q.asOf) where.push(`d.enrolled_at <= ${p(q.asOf)}::timestamptz`);
    if (q.toolId) where.push(`c.tool_id = ${p(q.toolId)}`);
    if (q.deviceId) where.push(`c.device_id = ${p(q.deviceId)}`);
    if (q.after) where.push(`(c.device_id, c.tool_id) > (${p(q.after[0])}, ${p(q.after[1])})`);
    const inner = `SELECT c.device_id AS "deviceId", d.hostname, c.tool_id AS "toolId", ${stateExpr} AS state, ${sinceExpr} AS since
      FROM compliance c JOIN devices d ON d.id = c.device_id ${where.length ? 'WHERE ' + where.join(' AND ') : ''}`;
    const stateFilter = q.state ? `WHERE coalesce(state, 'clear') = ${p(q.state)}` : '';
    const rows = await this.db.all<ComplianceRow>(`SELECT * FROM (${inner}) x ${stateFilter} ORDER BY "deviceId", "toolId" LIMIT ${p(q.limit)}`, args);
    return rows.map((r) => ({ ...r, state: r.state ?? 'clear' }));
  }

  async setCurrent(deviceId: string, toolId: string, state: ComplianceState, since: string): Promise<void> {
    await this.db.run(
      'INSERT INTO compliance(device_id, tool_id, state, since) VALUES ($1, $2, $3, $4) ON CONFLICT (device_id, tool_id) DO UPDATE SET state = excluded.state, since = excluded.since',
      [deviceId, toolId, state, since],
    );
  }

  async addStateRow(r: StateRowInput): Promise<void> {
    await this.db.run(
      "INSERT INTO timeline(device_id, tool_id, at, kind, from_state, to_state, cause, detail, recorded_at) VALUES ($1, $2, $3, 'state', $4, $5, $6, $7, $8)",
      [r.deviceId, r.toolId, r.at, r.from, r.to, r.cause, JSON.stringify(r.detail), new Date().toISOString()],
    );
  }

  async stateRowsFrom(deviceId: string, toolId: string, fromIso: string): Promise<{ seq: number; at: string; toState: ComplianceState }[]> {
    return this.db.all(
      `SELECT seq, at, to_state AS "toState" FROM timeline
       WHERE device_id = $1 AND tool_id = $2 AND kind = 'state' AND at >= $3 AND superseded_at IS NULL ORDER BY at, seq`,
      [deviceId, toolId, fromIso],
    );
  }

  async stateBefore(deviceId: string, toolId: string, beforeIso: string): Promise<{ state: ComplianceState; at: string } | undefined> {
    return this.db.one(
      `SELECT to_state AS state, at FROM timeline WHERE device_id = $1 AND tool_id = $2 AND kind = 'state' AND at < $3 AND superseded_at IS NULL
       ORDER BY at DESC, seq DESC LIMIT 1`,
      [deviceId, toolId, beforeIso],
    );
  }

  async supersede(seqs: readonly number[], atIso: string): Promise<void> {
    if (!seqs.length) return;
    await this.db.run('UPDATE timeline SET superseded_at = $1 WHERE seq IN (SELECT (jsonb_array_elements_text($2::text::jsonb))::bigint) AND superseded_at IS NULL', [atIso, JSON.stringify(seqs)]);
  }

  async fact(deviceId: string, toolId: string, at: string, kind: string, cause: string, detail: unknown, eventId: string | null): Promise<boolean> {
    return (
      (await this.db.run(
        'INSERT INTO timeline(device_id, tool_id, at, kind, cause, detail, event_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING',
        [deviceId, toolId, at, kind, cause, JSON.stringify(detail), eventId, new Date().toISOString()],
      )) > 0
    );
  }

  async timeline(deviceId: string, toolId?: string, page: { after?: [string, number]; limit?: number } = {}): Promise<TimelineRow[]> {
    const args: (string | number | null)[] = [deviceId];
    const p = (v: string | number | null) => (args.push(v), `$${args.length}`);
    const tool = toolId ? `AND tool_id = ${p(toolId)}` : '';
    const after = page.after ? `AND (at, seq) > (${p(page.after[0])}::timestamptz, ${p(page.after[1])}::bigint)` : '';
    // LIMIT NULL is no limit (SQLite's LIMIT -1).
    const limit = p(page.limit !== undefined && page.limit >= 0 ? page.limit : null);
    const rows = await this.db.all<TimelineRow & { detail: string }>(`SELECT ${COLUMNS} FROM timeline WHERE device_id = $1 ${tool} ${after} ORDER BY at, seq LIMIT ${limit}::bigint`, args);
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  }

  async stateAsOf(deviceId: string, toolId: string, atIso: string): Promise<ComplianceState | undefined> {
    return this.db.value(
      `SELECT to_state FROM timeline WHERE device_id = $1 AND tool_id = $2 AND kind = 'state' AND at <= $3 AND superseded_at IS NULL
       ORDER BY at DESC, seq DESC LIMIT 1`,
      [deviceId, toolId, atIso],
    );
  }

  async statePairs(): Promise<{ deviceId: string; toolId: string }[]> {
    return this.db.all(`SELECT DISTINCT device_id AS "deviceId", tool_id AS "toolId" FROM timeline WHERE kind = 'state' ORDER BY 1, 2`);
  }

  async addAcknowledgement(eventId: string, deviceId: string, toolId: string, user: string, stage: string, at: string): Promise<boolean> {
    return (
      (await this.db.run('INSERT INTO acknowledgements(event_id, device_id, tool_id, os_user, stage, at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING', [
        eventId,
        deviceId,
        toolId,
        user,
        stage,
        at,
      ])) > 0
    );
  }

  async acknowledgements(deviceId: string, toolId: string): Promise<string[]> {
    return (await this.db.all<{ at: string }>('SELECT at FROM acknowledgements WHERE device_id = $1 AND tool_id = $2 ORDER BY at', [deviceId, toolId])).map((r) => r.at);
  }

  async addJob(job: { at: string; cause: string; tools: readonly string[] | null }): Promise<number> {
    return (await this.db.value<number>('INSERT INTO compliance_jobs(at, cause, tools, created_at) VALUES ($1, $2, $3, $4) RETURNING id', [
      job.at,
      job.cause,
      job.tools ? JSON.stringify(job.tools) : null,
      new Date().toISOString(),
    ]))!;
  }

  async nextJob(): Promise<{ id: number; at: string; cause: string; tools: string[] | null } | undefined> {
    const r = await this.db.one<{ id: number; at: string; cause: string; tools: string | null }>('SELECT id, at, cause, tools FROM compliance_jobs ORDER BY id LIMIT 1');
    return r && { ...r, tools: r.tools ? (JSON.parse(r.tools) as string[]) : null };
  }

  async deleteJob(id: number): Promise<void> {
    await this.db.run('DELETE FROM compliance_jobs WHERE id = $1', [id]);
  }
}
