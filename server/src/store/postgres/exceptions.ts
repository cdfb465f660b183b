// Exceptions in PostgreSQL: requested by an employee (through the agent) or granted directly by an
// admin or helpdesk; approved, denied, revoked; in force until expires_at.
import type { ExceptionInsert, ExceptionRepo, ExceptionRow, ExceptionStatus, PageQuery } from '../types.js';
import type { Db } from './db.js';

const COLUMNS = `id, tool_id AS "toolId", device_id AS "deviceId", os_user AS "user", reason, status, requested_by AS "requestedBy",
  requested_at AS "requestedAt", request_event AS "requestEvent", decided_by AS "decidedBy", decided_at AS "decidedAt",
  decision_note AS "decisionNote", expires_at AS "expiresAt", ended_at AS "endedAt", ended_by AS "endedBy", decision_sent AS "decisionSent"`;

export class PgExceptions implements ExceptionRepo {
  constructor(private readonly db: Db) {}

  async insert(r: ExceptionInsert): Promise<boolean> {
    return (
      (await this.db.run(
        `INSERT INTO exceptions(id, tool_id, device_id, os_user, reason, status, requested_by, requested_at, request_event,
           decided_by, decided_at, decision_note, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING`,
        [r.id, r.toolId, r.deviceId, r.user, r.reason, r.status, r.requestedBy, r.requestedAt, r.requestEvent, r.decidedBy ?? null, r.decidedAt ?? null, r.decisionNote ?? null, r.expiresAt],
      )) > 0
    );
  }

  async get(id: string): Promise<ExceptionRow | undefined> {
    return this.db.one(`SELECT ${COLUMNS} FROM exceptions WHERE id = $1`, [id]);
  }

  async list(filter: { deviceId?: string; status?: ExceptionStatus } = {}): Promise<ExceptionRow[]> {
    const where: string[] = [];
    const args: string[] = [];
    if (filter.deviceId) (args.push(filter.deviceId), where.push(`device_id = $${args.length}`));
    if (filter.status) (args.push(filter.status), where.push(`status = $${args.length}`));
    return this.db.all(`SELECT ${COLUMNS} FROM exceptions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY requested_at, id`, args);
  }

  async page(q: PageQuery<[string, string]> & { deviceId?: string; status?: ExceptionStatus }): Promise<ExceptionRow[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const p = (v: string | number) => (args.push(v), `$${args.length}`);
    if (q.deviceId) where.push(`device_id = ${p(q.deviceId)}`);
    if (q.status) where.push(`status = ${p(q.status)}`);
    if (q.after) where.push(`(requested_at, id) > (${p(q.after[0])}::timestamptz, ${p(q.after[1])})`);
    return this.db.all(`SELECT ${COLUMNS} FROM exceptions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY requested_at, id LIMIT ${p(q.limit)}`, args);
  }

  async decide(id: string, status: 'granted' | 'denied', by: string, note: string | null, expiresAt: string | null): Promise<void> {
    await this.db.run(
      'UPDATE exceptions SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4, expires_at = COALESCE($5::timestamptz, expires_at), decision_sent = 0 WHERE id = $6',
      [status, by, new Date().toISOString(), note, expiresAt, id],
    );
  }

  async end(id: string, status: 'revoked' | 'expired', by: string, at: string): Promise<boolean> {
    return (await this.db.run("UPDATE exceptions SET status = $1, ended_by = $2, ended_at = $3 WHERE id = $4 AND status = 'granted'", [status, by, at, id])) > 0;
  }

  async markDecisionSent(id: string): Promise<void> {
    await this.db.run('UPDATE exceptions SET decision_sent = 1 WHERE id = $1', [id]);
  }

  async inForce(deviceId: string, atIso: string): Promise<ExceptionRow[]> {
    return this.db.all(`SELECT ${COLUMNS} FROM exceptions WHERE device_id = $1 AND status = 'granted' AND expires_at > $2 ORDER BY id`, [deviceId, atIso]);
  }

  async grantedEver(deviceId: string, toolId: string): Promise<ExceptionRow[]> {
    return this.db.all(
      `SELECT ${COLUMNS} FROM exceptions WHERE device_id = $1 AND tool_id = $2 AND status IN ('granted', 'revoked', 'expired') AND decided_at IS NOT NULL ORDER BY decided_at, id`,
      [deviceId, toolId],
    );
  }

  async undeliveredDecisions(deviceId: string): Promise<ExceptionRow[]> {
    return this.db.all(`SELECT ${COLUMNS} FROM exceptions WHERE device_id = $1 AND request_event IS NOT NULL AND status IN ('granted', 'denied') AND decision_sent = 0`, [deviceId]);
  }
}
