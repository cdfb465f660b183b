// Exceptions in SQLite: requested by an employee (through the agent) or granted directly by an
// admin or helpdesk; approved, denied, revoked; in force until expires_at. Scope: one device,
// optionally narrowed to one OS user.
import type { ExceptionInsert, ExceptionRepo, ExceptionRow, ExceptionStatus, PageQuery } from '../types.js';
import type { SqliteConnection } from './connection.js';

const COLUMNS = `id, tool_id AS toolId, device_id AS deviceId, os_user AS user, reason, status, requested_by AS requestedBy,
  requested_at AS requestedAt, request_event AS requestEvent, decided_by AS decidedBy, decided_at AS decidedAt,
  decision_note AS decisionNote, expires_at AS expiresAt, ended_at AS endedAt, ended_by AS endedBy, decision_sent AS decisionSent`;

export class SqliteExceptions implements ExceptionRepo {
  constructor(private readonly c: SqliteConnection) {}

  async insert(r: ExceptionInsert): Promise<boolean> {
    return (
      this.c
        .prep(
          `INSERT OR IGNORE INTO exceptions(id, tool_id, device_id, os_user, reason, status, requested_by, requested_at, request_event,
             decided_by, decided_at, decision_note, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(r.id, r.toolId, r.deviceId, r.user, r.reason, r.status, r.requestedBy, r.requestedAt, r.requestEvent, r.decidedBy ?? null, r.decidedAt ?? null, r.decisionNote ?? null, r.expiresAt)
        .changes > 0
    );
  }

  async get(id: string): Promise<ExceptionRow | undefined> {
    return this.c.prep(`SELECT ${COLUMNS} FROM exceptions WHERE id = ?`).get(id) as ExceptionRow | undefined;
  }

  async list(filter: { deviceId?: string; status?: ExceptionStatus } = {}): Promise<ExceptionRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.deviceId) (where.push('device_id = ?'), args.push(filter.deviceId));
    if (filter.status) (where.push('status = ?'), args.push(filter.status));
    return this.c.prep(`SELECT ${COLUMNS} FROM exceptions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY requested_at, id`).all(...args) as ExceptionRow[];
  }

  async page(q: PageQuery<[string, string]> & { deviceId?: string; status?: ExceptionStatus }): Promise<ExceptionRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.deviceId) (where.push('device_id = ?'), args.push(q.deviceId));
    if (q.status) (where.push('status = ?'), args.push(q.status));
    if (q.after) (where.push('(requested_at, id) > (?, ?)'), args.push(...q.after));
    return this.c.prep(`SELECT ${COLUMNS} FROM exceptions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY requested_at, id LIMIT ?`).all(...args, q.limit) as ExceptionRow[];
  }

  async decide(id: string, status: 'granted' | 'denied', by: string, note: string | null, expiresAt: string | null): Promise<void> {
    this.c
      .prep('UPDATE exceptions SET status = ?, decided_by = ?, decided_at = ?, decision_note = ?, expires_at = COALESCE(?, expires_at), decision_sent = 0 WHERE id = ?')
      .run(status, by, new Date().toISOString(), note, expiresAt, id);
  }

  async end(id: string, status: 'revoked' | 'expired', by: string, at: string): Promise<boolean> {
    return this.c.prep("UPDATE exceptions SET status = ?, ended_by = ?, ended_at = ? WHERE id = ? AND status = 'granted'").run(status, by, at, id).changes > 0;
  }

  async markDecisionSent(id: string): Promise<void> {
    this.c.prep('UPDATE exceptions SET decision_sent = 1 WHERE id = ?').run(id);
  }

  async inForce(deviceId: string, atIso: string): Promise<ExceptionRow[]> {
    return this.c.prep(`SELECT ${COLUMNS} FROM exceptions WHERE device_id = ? AND status = 'granted' AND expires_at > ? ORDER BY id`).all(deviceId, atIso) as ExceptionRow[];
  }

  async grantedEver(deviceId: string, toolId: string): Promise<ExceptionRow[]> {
    return this.c
      .prep(`SELECT ${COLUMNS} FROM exceptions WHERE device_id = ? AND tool_id = ? AND status IN ('granted', 'revoked', 'expired') AND decided_at IS NOT NULL ORDER BY decided_at, id`)
      .all(deviceId, toolId) as ExceptionRow[];
  }

  async undeliveredDecisions(deviceId: string): Promise<ExceptionRow[]> {
    return this.c
      .prep(`SELECT ${COLUMNS} FROM exceptions WHERE device_id = ? AND request_event IS NOT NULL AND status IN ('granted', 'denied') AND decision_sent = 0`)
      .all(deviceId) as ExceptionRow[];
  }
}
