// Compliance state per device x tool and the device timeline. The current state lives in
// `compliance`; every change of it, and every fact that can cause one (notice shown, acknowledged,
// exception requested / granted / expired, enforcement step), is a row in `timeline`, so the state
// on any past date is the last state row at or before it.
import type { ComplianceState } from '../../../shared/src/policy/compliance.js';
import type { Db } from './db.js';

export interface TimelineRow {
  seq: number;
  deviceId: string;
  toolId: string;
  at: string;
  kind: string;
  fromState: ComplianceState | null;
  toState: ComplianceState | null;
  cause: string;
  detail: unknown;
  eventId: string | null;
  recordedAt: string;
}

const COLUMNS = `seq, device_id AS deviceId, tool_id AS toolId, at, kind, from_state AS fromState, to_state AS toState, cause,
  detail, event_id AS eventId, recorded_at AS recordedAt`;

export class ComplianceStore {
  constructor(private readonly db: Db) {}

  current(deviceId: string, toolId: string): { state: ComplianceState; since: string } | undefined {
    return this.db.prepare('SELECT state, since FROM compliance WHERE device_id = ? AND tool_id = ?').get(deviceId, toolId) as { state: ComplianceState; since: string } | undefined;
  }

  all(): { deviceId: string; toolId: string; state: ComplianceState; since: string }[] {
    return this.db.prepare('SELECT device_id AS deviceId, tool_id AS toolId, state, since FROM compliance ORDER BY device_id, tool_id').all() as {
      deviceId: string;
      toolId: string;
      state: ComplianceState;
      since: string;
    }[];
  }

  /** Records a state change: the current row and a timeline row, in the caller's transaction. */
  transition(deviceId: string, toolId: string, from: ComplianceState, to: ComplianceState, at: string, cause: string, detail: unknown = {}): void {
    this.db
      .prepare('INSERT INTO compliance(device_id, tool_id, state, since) VALUES (?, ?, ?, ?) ON CONFLICT(device_id, tool_id) DO UPDATE SET state = excluded.state, since = excluded.since')
      .run(deviceId, toolId, to, at);
    this.db
      .prepare("INSERT INTO timeline(device_id, tool_id, at, kind, from_state, to_state, cause, detail, recorded_at) VALUES (?, ?, ?, 'state', ?, ?, ?, ?, ?)")
      .run(deviceId, toolId, at, from, to, cause, JSON.stringify(detail), new Date().toISOString());
  }

  /** Records a fact; an agent event id is stored once (a replay adds nothing). Returns false on replay. */
  fact(deviceId: string, toolId: string, at: string, kind: string, cause: string, detail: unknown, eventId: string | null): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO timeline(device_id, tool_id, at, kind, cause, detail, event_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(deviceId, toolId, at, kind, cause, JSON.stringify(detail), eventId, new Date().toISOString()).changes > 0
    );
  }

  timeline(deviceId: string, toolId?: string): TimelineRow[] {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM timeline WHERE device_id = ? ${toolId ? 'AND tool_id = ?' : ''} ORDER BY at, seq`)
      .all(...(toolId ? [deviceId, toolId] : [deviceId])) as (TimelineRow & { detail: string })[];
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  }

  /** The state of a device x tool as of an instant: the last state change at or before it. */
  stateAsOf(deviceId: string, toolId: string, atIso: string): ComplianceState | undefined {
    return this.db
      .prepare("SELECT to_state FROM timeline WHERE device_id = ? AND tool_id = ? AND kind = 'state' AND at <= ? ORDER BY at DESC, seq DESC LIMIT 1")
      .pluck()
      .get(deviceId, toolId, atIso) as ComplianceState | undefined;
  }

  /** Every device x tool that has any timeline, for as-of reports. */
  pairs(): { deviceId: string; toolId: string }[] {
    return this.db.prepare("SELECT DISTINCT device_id AS deviceId, tool_id AS toolId FROM timeline WHERE kind = 'state' ORDER BY 1, 2").all() as { deviceId: string; toolId: string }[];
  }

  addAcknowledgement(eventId: string, deviceId: string, toolId: string, user: string, stage: string, at: string): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO acknowledgements(event_id, device_id, tool_id, os_user, stage, at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(eventId, deviceId, toolId, user, stage, at).changes > 0
    );
  }

  /** Whether the device acknowledged the tool's notice at or after `sinceIso`. */
  acknowledgedSince(deviceId: string, toolId: string, sinceIso: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM acknowledgements WHERE device_id = ? AND tool_id = ? AND at >= ? LIMIT 1').get(deviceId, toolId, sinceIso);
  }
}
