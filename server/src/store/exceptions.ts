// Exceptions: requested by an employee (through the agent) or granted directly by an admin or
// helpdesk; approved, denied, revoked; in force until expires_at. Scope: one device, optionally
// narrowed to one OS user.
import type { Db } from './db.js';

export type ExceptionStatus = 'requested' | 'granted' | 'denied' | 'revoked' | 'expired';

export interface ExceptionRow {
  id: string;
  toolId: string;
  deviceId: string;
  user: string | null;
  reason: string;
  status: ExceptionStatus;
  requestedBy: string;
  requestedAt: string;
  requestEvent: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  expiresAt: string | null;
  /** When and by whom a granted exception ended early (revoked) or ran out (expired, by `system`). */
  endedAt: string | null;
  endedBy: string | null;
  decisionSent: number;
}

const COLUMNS = `id, tool_id AS toolId, device_id AS deviceId, os_user AS user, reason, status, requested_by AS requestedBy,
  requested_at AS requestedAt, request_event AS requestEvent, decided_by AS decidedBy, decided_at AS decidedAt,
  decision_note AS decisionNote, expires_at AS expiresAt, ended_at AS endedAt, ended_by AS endedBy, decision_sent AS decisionSent`;

export class ExceptionStore {
  constructor(private readonly db: Db) {}

  insert(r: Pick<ExceptionRow, 'id' | 'toolId' | 'deviceId' | 'user' | 'reason' | 'status' | 'requestedBy' | 'requestedAt' | 'requestEvent' | 'expiresAt'> & Partial<ExceptionRow>): boolean {
    return (
      this.db
        .prepare(
          `INSERT OR IGNORE INTO exceptions(id, tool_id, device_id, os_user, reason, status, requested_by, requested_at, request_event,
             decided_by, decided_at, decision_note, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(r.id, r.toolId, r.deviceId, r.user, r.reason, r.status, r.requestedBy, r.requestedAt, r.requestEvent, r.decidedBy ?? null, r.decidedAt ?? null, r.decisionNote ?? null, r.expiresAt).changes > 0
    );
  }

  get(id: string): ExceptionRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM exceptions WHERE id = ?`).get(id) as ExceptionRow | undefined;
  }

  list(filter: { deviceId?: string; status?: ExceptionStatus } = {}): ExceptionRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.deviceId) (where.push('device_id = ?'), args.push(filter.deviceId));
    if (filter.status) (where.push('status = ?'), args.push(filter.status));
    return this.db.prepare(`SELECT ${COLUMNS} FROM exceptions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY requested_at, id`).all(...args) as ExceptionRow[];
  }

  /** Records the decision on a request (who, when, why), keeping the request itself. */
  decide(id: string, status: 'granted' | 'denied', by: string, note: string | null, expiresAt: string | null): void {
    this.db
      .prepare('UPDATE exceptions SET status = ?, decided_by = ?, decided_at = ?, decision_note = ?, expires_at = COALESCE(?, expires_at), decision_sent = 0 WHERE id = ?')
      .run(status, by, new Date().toISOString(), note, expiresAt, id);
  }

  /** Ends a granted exception; the approval (decided_by/at, note) stays on record. */
  end(id: string, status: 'revoked' | 'expired', by: string, at: string): void {
    this.db.prepare('UPDATE exceptions SET status = ?, ended_by = ?, ended_at = ? WHERE id = ?').run(status, by, at, id);
  }

  markDecisionSent(id: string): void {
    this.db.prepare('UPDATE exceptions SET decision_sent = 1 WHERE id = ?').run(id);
  }

  /** Granted exceptions of a device whose expiry is after `atIso` (in force then). */
  inForce(deviceId: string, atIso: string): ExceptionRow[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM exceptions WHERE device_id = ? AND status = 'granted' AND expires_at > ? ORDER BY id`).all(deviceId, atIso) as ExceptionRow[];
  }

  /** Every granted exception's expiry still in the future (for the boundary scheduler). */
  upcomingExpiries(afterIso: string): { id: string; deviceId: string; toolId: string; expiresAt: string }[] {
    return this.db
      .prepare("SELECT id, device_id AS deviceId, tool_id AS toolId, expires_at AS expiresAt FROM exceptions WHERE status = 'granted' AND expires_at > ? ORDER BY expires_at")
      .all(afterIso) as { id: string; deviceId: string; toolId: string; expiresAt: string }[];
  }

  undeliveredDecisions(deviceId: string): ExceptionRow[] {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM exceptions WHERE device_id = ? AND request_event IS NOT NULL AND status IN ('granted', 'denied') AND decision_sent = 0`)
      .all(deviceId) as ExceptionRow[];
  }
}
