// Detection events as received from agents. Each event id is stored once (primary key), so a
// replayed batch changes nothing. Rows are never updated: the table is the evidence record.
import { detectionKey, type DetectionEvent, type Stage } from '../../../shared/src/protocol/index.js';
import type { Db } from './db.js';

export interface ClassifiedEvent {
  event: DetectionEvent;
  /** observedAt after the server's sanity clamp. */
  observedAt: string;
  stage: Stage;
  policyId: string | null;
}

export interface DetectionRow {
  eventId: string;
  deviceId: string;
  hostname: string;
  toolId: string;
  kind: string;
  user: string;
  state: 'present' | 'absent';
  evidence: unknown;
  confidence: number;
  observedAt: string;
  receivedAt: string;
  agentStage: Stage;
  stage: Stage;
  policyId: string | null;
}

export interface DetectionFilter {
  deviceId?: string;
  toolId?: string;
  stage?: Stage;
  state?: 'present' | 'absent';
  limit: number;
  /** Return rows after this event id in (observed_at, event_id) order. */
  after?: string;
  /** Only the latest event of each finding per device (the current picture, not the history). */
  currentOnly?: boolean;
  /** Leave out `usage` evidence (config folders): a trace of past use is not a violation. */
  installsAndRunsOnly?: boolean;
}

export class DetectionStore {
  constructor(private readonly db: Db) {}

  /** Stores one event (call inside the report transaction); false when its id was already stored. */
  insert(deviceId: string, batchId: string, c: ClassifiedEvent): boolean {
    const e = c.event;
    const d = e.detection;
    return (
      this.db
        .prepare(
          `INSERT OR IGNORE INTO detection_events(event_id, device_id, batch_id, tool_id, detection_key, kind, os_user, state, evidence, confidence,
             observed_at, received_at, agent_stage, stage, policy_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(e.eventId, deviceId, batchId, d.toolId, detectionKey(d), d.kind, d.user, e.state, JSON.stringify(d.evidence), d.confidence, c.observedAt, new Date().toISOString(), e.stage, c.stage, c.policyId)
        .changes > 0
    );
  }

  list(f: DetectionFilter): DetectionRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.deviceId) (where.push('e.device_id = ?'), args.push(f.deviceId));
    if (f.toolId) (where.push('e.tool_id = ?'), args.push(f.toolId));
    if (f.stage) (where.push('e.stage = ?'), args.push(f.stage));
    if (f.state) (where.push('e.state = ?'), args.push(f.state));
    if (f.installsAndRunsOnly) where.push("e.kind IN ('installed', 'running')");
    if (f.currentOnly) {
      where.push(`e.event_id = (SELECT l.event_id FROM detection_events l WHERE l.device_id = e.device_id AND l.detection_key = e.detection_key
        ORDER BY l.observed_at DESC, l.received_at DESC, l.rowid DESC LIMIT 1)`);
    }
    if (f.after) {
      where.push('(e.observed_at, e.event_id) > (SELECT observed_at, event_id FROM detection_events WHERE event_id = ?)');
      args.push(f.after);
    }
    const rows = this.db
      .prepare(
        `SELECT e.event_id AS eventId, e.device_id AS deviceId, d.hostname, e.tool_id AS toolId, e.kind, e.os_user AS user,
           e.state, e.evidence, e.confidence, e.observed_at AS observedAt, e.received_at AS receivedAt,
           e.agent_stage AS agentStage, e.stage, e.policy_id AS policyId
         FROM detection_events e JOIN devices d ON d.id = e.device_id
         ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
         ORDER BY e.observed_at, e.event_id LIMIT ?`,
      )
      .all(...args, f.limit) as (DetectionRow & { evidence: string })[];
    return rows.map((r) => ({ ...r, evidence: JSON.parse(r.evidence) }));
  }

  /**
   * Findings of installs or running copies whose latest event says present: the current picture
   * per device (optionally one device / one tool). Usage traces never count as present.
   */
  present(filter: { deviceId?: string; toolIds?: readonly string[] } = {}): { deviceId: string; toolId: string; user: string; kind: string }[] {
    const where = ["e.kind IN ('installed', 'running')"];
    const args: unknown[] = [];
    if (filter.deviceId) (where.push('e.device_id = ?'), args.push(filter.deviceId));
    if (filter.toolIds) {
      if (!filter.toolIds.length) return [];
      where.push(`e.tool_id IN (${filter.toolIds.map(() => '?').join(', ')})`);
      args.push(...filter.toolIds);
    }
    return this.db
      .prepare(
        `SELECT e.device_id AS deviceId, e.tool_id AS toolId, e.os_user AS user, e.kind FROM detection_events e
         WHERE ${where.join(' AND ')} AND e.state = 'present' AND e.event_id = (
           SELECT l.event_id FROM detection_events l WHERE l.device_id = e.device_id AND l.detection_key = e.detection_key
           ORDER BY l.observed_at DESC, l.received_at DESC, l.rowid DESC LIMIT 1)`,
      )
      .all(...args) as { deviceId: string; toolId: string; user: string; kind: string }[];
  }

  count(): number {
    return this.db.prepare('SELECT count(*) FROM detection_events').pluck().get() as number;
  }
}
