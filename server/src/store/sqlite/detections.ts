// Detection events in SQLite, and the current picture of findings. Each event id is stored once
// (primary key), so a replayed batch changes nothing; event rows are never updated (the evidence
// record). `findings` holds, per device × detection key, the state of its newest event by
// observedAt, so "what is present now" never scans history.
import { detectionKey } from '../../../../shared/src/protocol/index.js';
import type { ClassifiedEvent, DetectionFilter, DetectionRepo, DetectionRow, NewDetection, PresenceEvent } from '../types.js';
import type { SqliteConnection } from './connection.js';

export class SqliteDetections implements DetectionRepo {
  constructor(private readonly c: SqliteConnection) {}

  async insert(deviceId: string, batchId: string, ce: ClassifiedEvent): Promise<boolean> {
    const e = ce.event;
    const d = e.detection;
    return (
      this.c
        .prep(
          `INSERT OR IGNORE INTO detection_events(event_id, device_id, batch_id, tool_id, detection_key, kind, os_user, state, evidence, confidence,
             observed_at, received_at, agent_stage, stage, policy_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(e.eventId, deviceId, batchId, d.toolId, detectionKey(d), d.kind, d.user, e.state, JSON.stringify(d.evidence), d.confidence, ce.observedAt, new Date().toISOString(), e.stage, ce.stage, ce.policyId)
        .changes > 0
    );
  }

  async insertMany(rows: readonly NewDetection[]): Promise<Set<string>> {
    const added = new Set<string>();
    for (const r of rows) if (await this.insert(r.deviceId, r.batchId, r.c)) added.add(r.c.event.eventId);
    return added;
  }

  async record(rows: readonly NewDetection[]): Promise<Set<string>> {
    const added = await this.insertMany(rows);
    // Per finding, the newest new event (a tie to the later arrival), as PostgreSQL's DISTINCT ON
    // picks it; an id given twice counts once, as it was stored (its first copy).
    const newest = new Map<string, NewDetection>();
    const seen = new Set<string>();
    for (const r of rows) {
      const d = r.c.event.detection;
      if (!added.has(r.c.event.eventId) || seen.has(r.c.event.eventId) || d.kind === 'usage') continue;
      seen.add(r.c.event.eventId);
      const k = `${r.deviceId}\u0000${detectionKey(d)}`;
      const cur = newest.get(k);
      if (!cur || r.c.observedAt >= cur.c.observedAt) newest.set(k, r);
    }
    for (const r of newest.values()) await this.applyToFinding(r.deviceId, detectionKey(r.c.event.detection), r.c);
    return added;
  }

  async applyToFinding(deviceId: string, key: string, ce: ClassifiedEvent): Promise<boolean> {
    const d = ce.event.detection;
    // Ties on observed_at go to the later arrival, as the event order of one agent is its outbox order.
    return (
      this.c
        .prep(
          `INSERT INTO findings(device_id, detection_key, tool_id, kind, os_user, state, observed_at, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(device_id, detection_key) DO UPDATE SET state = excluded.state, observed_at = excluded.observed_at, event_id = excluded.event_id
           WHERE excluded.observed_at >= findings.observed_at AND (findings.state <> excluded.state OR findings.observed_at <> excluded.observed_at)`,
        )
        .run(deviceId, key, d.toolId, d.kind, d.user, ce.event.state, ce.observedAt, ce.event.eventId).changes > 0
    );
  }

  async list(f: DetectionFilter): Promise<DetectionRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.deviceId) (where.push('e.device_id = ?'), args.push(f.deviceId));
    if (f.toolId) (where.push('e.tool_id = ?'), args.push(f.toolId));
    if (f.stage) (where.push('e.stage = ?'), args.push(f.stage));
    if (f.state) (where.push('e.state = ?'), args.push(f.state));
    if (f.installsAndRunsOnly) where.push("e.kind IN ('installed', 'running')");
    if (f.currentOnly) where.push('e.event_id IN (SELECT event_id FROM findings WHERE device_id = e.device_id)');
    if (f.after) {
      where.push('(e.observed_at, e.event_id) > (SELECT observed_at, event_id FROM detection_events WHERE event_id = ?)');
      args.push(f.after);
    }
    const rows = this.c
      .prep(
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

  async count(): Promise<number> {
    return this.c.prep('SELECT count(*) FROM detection_events').pluck().get() as number;
  }

  async presenceWindow(deviceId: string, toolId: string, fromIso: string): Promise<PresenceEvent[]> {
    return this.c
      .prep(
        `SELECT detection_key AS detectionKey, os_user AS user, state, observed_at AS observedAt FROM detection_events
         WHERE device_id = ? AND tool_id = ? AND observed_at >= ? AND kind IN ('installed', 'running')
         ORDER BY observed_at, received_at, rowid`,
      )
      .all(deviceId, toolId, fromIso) as PresenceEvent[];
  }

  async findingStateBefore(deviceId: string, key: string, beforeIso: string): Promise<'present' | 'absent' | undefined> {
    return this.c
      .prep('SELECT state FROM detection_events WHERE device_id = ? AND detection_key = ? AND observed_at < ? ORDER BY observed_at DESC, received_at DESC, rowid DESC LIMIT 1')
      .pluck()
      .get(deviceId, key, beforeIso) as 'present' | 'absent' | undefined;
  }

  async presentUsersBefore(deviceId: string, toolId: string, beforeIso: string): Promise<{ user: string; findings: number }[]> {
    return this.c
      .prep(
        `SELECT os_user AS user, count(*) AS findings FROM findings
         WHERE device_id = ? AND tool_id = ? AND state = 'present' AND kind IN ('installed', 'running') AND observed_at < ? GROUP BY os_user`,
      )
      .all(deviceId, toolId, beforeIso) as { user: string; findings: number }[];
  }

  async currentFindings(deviceIds: readonly string[], toolIds?: readonly string[]): Promise<{ deviceId: string; toolId: string; kind: string; user: string; observedAt: string; eventId: string; evidence: unknown }[]> {
    return (
      this.c
        .prep(
          `SELECT f.device_id AS deviceId, f.tool_id AS toolId, f.kind, f.os_user AS user, f.observed_at AS observedAt, f.event_id AS eventId, e.evidence
           FROM findings f JOIN detection_events e ON e.event_id = f.event_id
           WHERE f.device_id IN (SELECT value FROM json_each(?)) AND f.state = 'present' AND f.kind IN ('installed', 'running')
             AND (? IS NULL OR f.tool_id IN (SELECT value FROM json_each(?)))
           ORDER BY f.device_id, f.tool_id, f.observed_at, f.event_id`,
        )
        .all(JSON.stringify(deviceIds), toolIds ? 1 : null, JSON.stringify(toolIds ?? [])) as { deviceId: string; toolId: string; kind: string; user: string; observedAt: string; eventId: string; evidence: string }[]
    ).map((r) => ({ ...r, evidence: JSON.parse(r.evidence) }));
  }

  async present(filter: { deviceId?: string; toolIds?: readonly string[] } = {}): Promise<{ deviceId: string; toolId: string; user: string; kind: string }[]> {
    const where = ["state = 'present'", "kind IN ('installed', 'running')"];
    const args: unknown[] = [];
    if (filter.deviceId) (where.push('device_id = ?'), args.push(filter.deviceId));
    if (filter.toolIds) {
      if (!filter.toolIds.length) return [];
      where.push(`tool_id IN (${filter.toolIds.map(() => '?').join(', ')})`);
      args.push(...filter.toolIds);
    }
    return this.c
      .prep(`SELECT device_id AS deviceId, tool_id AS toolId, os_user AS user, kind FROM findings WHERE ${where.join(' AND ')} ORDER BY device_id, tool_id, os_user`)
      .all(...args) as { deviceId: string; toolId: string; user: string; kind: string }[];
  }

  async presentPairs(toolIds: readonly string[], page: { after?: [string, string]; limit: number }): Promise<{ deviceId: string; toolId: string }[]> {
    if (!toolIds.length) return [];
    const [d, t] = page.after ?? ['', ''];
    return this.c
      .prep(
        `SELECT DISTINCT device_id AS deviceId, tool_id AS toolId FROM findings
         WHERE state = 'present' AND kind IN ('installed', 'running') AND tool_id IN (SELECT value FROM json_each(?)) AND (device_id, tool_id) > (?, ?)
         ORDER BY device_id, tool_id LIMIT ?`,
      )
      .all(JSON.stringify(toolIds), d, t, page.limit) as { deviceId: string; toolId: string }[];
  }
}
