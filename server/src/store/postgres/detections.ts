// Detection events in PostgreSQL, and the current picture of findings. Each event id is stored
// once (primary key): a replayed batch changes nothing. Ingest writes a whole slice of events and
// moves their findings in one statement (INSERT … SELECT FROM jsonb_to_recordset, its RETURNING
// feeding the findings upsert: one round trip, one parse of the slice); `seq` keeps arrival order
// (rows are produced in array order), the tie-break SQLite's rowid gives.
import { detectionKey } from '../../../../shared/src/protocol/index.js';
import type { ClassifiedEvent, DetectionFilter, DetectionRepo, DetectionRow, NewDetection, PresenceEvent } from '../types.js';
import type { Db } from './db.js';

function eventRecord(deviceId: string, batchId: string, ce: ClassifiedEvent, receivedAt: string) {
  const e = ce.event;
  const d = e.detection;
  return {
    event_id: e.eventId,
    device_id: deviceId,
    batch_id: batchId,
    tool_id: d.toolId,
    detection_key: detectionKey(d),
    kind: d.kind,
    os_user: d.user,
    state: e.state,
    evidence: JSON.stringify(d.evidence),
    confidence: d.confidence,
    observed_at: ce.observedAt,
    received_at: receivedAt,
    agent_stage: e.stage,
    stage: ce.stage,
    policy_id: ce.policyId,
  };
}

const COLUMNS = 'event_id, device_id, batch_id, tool_id, detection_key, kind, os_user, state, evidence, confidence, observed_at, received_at, agent_stage, stage, policy_id';

const RECORD_TYPE = `r(event_id text, device_id text, batch_id text, tool_id text, detection_key text, kind text, os_user text, state text,
  evidence text, confidence double precision, observed_at timestamptz, received_at timestamptz, agent_stage text, stage text, policy_id text)`;

export class PgDetections implements DetectionRepo {
  constructor(private readonly db: Db) {}

  async insert(deviceId: string, batchId: string, ce: ClassifiedEvent): Promise<boolean> {
    return (await this.insertMany([{ deviceId, batchId, c: ce }])).size > 0;
  }

  async insertMany(rows: readonly NewDetection[]): Promise<Set<string>> {
    if (!rows.length) return new Set();
    const now = new Date().toISOString();
    const records = rows.map((r) => eventRecord(r.deviceId, r.batchId, r.c, now));
    const inserted = await this.db.all<{ event_id: string }>(
      `INSERT INTO detection_events(${COLUMNS}) SELECT ${COLUMNS} FROM jsonb_to_recordset($1::text::jsonb) AS ${RECORD_TYPE}
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [JSON.stringify(records)],
    );
    return new Set(inserted.map((r) => r.event_id));
  }

  async record(rows: readonly NewDetection[]): Promise<Set<string>> {
    if (!rows.length) return new Set();
    const now = new Date().toISOString();
    const records = rows.map((r) => eventRecord(r.deviceId, r.batchId, r.c, now));
    // Per finding, the newest new event by observedAt, the later arrival (higher seq) winning a tie
    // (DISTINCT ON), then one conditional upsert (the contract in DetectionRepo.record). Findings are
    // upserted in (device, key) byte order (RETURNING keeps the columns' "C" collation), so two
    // transactions moving the same findings lock them in the same order.
    const inserted = await this.db.all<{ event_id: string }>(
      `WITH ins AS (
         INSERT INTO detection_events(${COLUMNS}) SELECT ${COLUMNS} FROM jsonb_to_recordset($1::text::jsonb) AS ${RECORD_TYPE}
         ON CONFLICT (event_id) DO NOTHING RETURNING seq, ${COLUMNS}),
       moved AS (
         INSERT INTO findings(device_id, detection_key, tool_id, kind, os_user, state, observed_at, event_id)
         SELECT DISTINCT ON (device_id, detection_key) device_id, detection_key, tool_id, kind, os_user, state, observed_at, event_id
         FROM ins WHERE kind <> 'usage' ORDER BY device_id, detection_key, observed_at DESC, seq DESC
         ON CONFLICT (device_id, detection_key) DO UPDATE SET state = excluded.state, observed_at = excluded.observed_at, event_id = excluded.event_id
         WHERE excluded.observed_at >= findings.observed_at AND (findings.state <> excluded.state OR findings.observed_at <> excluded.observed_at))
       SELECT event_id FROM ins`,
      [JSON.stringify(records)],
    );
    return new Set(inserted.map((r) => r.event_id));
  }

  async applyToFinding(deviceId: string, key: string, ce: ClassifiedEvent): Promise<boolean> {
    const d = ce.event.detection;
    return (
      (await this.db.run(
        `INSERT INTO findings(device_id, detection_key, tool_id, kind, os_user, state, observed_at, event_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (device_id, detection_key) DO UPDATE SET state = excluded.state, observed_at = excluded.observed_at, event_id = excluded.event_id
         WHERE excluded.observed_at >= findings.observed_at AND (findings.state <> excluded.state OR findings.observed_at <> excluded.observed_at)`,
        [deviceId, key, d.toolId, d.kind, d.user, ce.event.state, ce.observedAt, ce.event.eventId],
      )) > 0
    );
  }

  async list(f: DetectionFilter): Promise<DetectionRow[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const p = (v: string | number) => (args.push(v), `$${args.length}`);
    if (f.deviceId) where.push(`e.device_id = ${p(f.deviceId)}`);
    if (f.toolId) where.push(`e.tool_id = ${p(f.toolId)}`);
    if (f.stage) where.push(`e.stage = ${p(f.stage)}`);
    if (f.state) where.push(`e.state = ${p(f.state)}`);
    if (f.installsAndRunsOnly) where.push("e.kind IN ('installed', 'running')");
    if (f.currentOnly) where.push('e.event_id IN (SELECT event_id FROM findings WHERE device_id = e.device_id)');
    if (f.after) where.push(`(e.observed_at, e.event_id) > (SELECT observed_at, event_id FROM detection_events WHERE event_id = ${p(f.after)})`);
    const rows = await this.db.all<DetectionRow & { evidence: string }>(
      `SELECT e.event_id AS "eventId", e.device_id AS "deviceId", d.hostname, e.tool_id AS "toolId", e.kind, e.os_user AS "user",
         e.state, e.evidence, e.confidence, e.observed_at AS "observedAt", e.received_at AS "receivedAt",
         e.agent_stage AS "agentStage", e.stage, e.policy_id AS "policyId"
       FROM detection_events e JOIN devices d ON d.id = e.device_id
       ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
       ORDER BY e.observed_at, e.event_id LIMIT ${p(f.limit)}`,
      args,
    );
    return rows.map((r) => ({ ...r, evidence: JSON.parse(r.evidence) }));
  }

  async count(): Promise<number> {
    return (await this.db.value<number>('SELECT count(*) FROM detection_events')) ?? 0;
  }

  async presenceWindow(deviceId: string, toolId: string, fromIso: string): Promise<PresenceEvent[]> {
    return this.db.all(
      `SELECT detection_key AS "detectionKey", os_user AS "user", state, observed_at AS "observedAt" FROM detection_events
       WHERE device_id = $1 AND tool_id = $2 AND observed_at >= $3 AND kind IN ('installed', 'running')
       ORDER BY observed_at, received_at, seq`,
      [deviceId, toolId, fromIso],
    );
  }

  async findingStateBefore(deviceId: string, key: string, beforeIso: string): Promise<'present' | 'absent' | undefined> {
    return this.db.value(
      'SELECT state FROM detection_events WHERE device_id = $1 AND detection_key = $2 AND observed_at < $3 ORDER BY observed_at DESC, received_at DESC, seq DESC LIMIT 1',
      [deviceId, key, beforeIso],
    );
  }

  async presentUsersBefore(deviceId: string, toolId: string, beforeIso: string): Promise<{ user: string; findings: number }[]> {
    return this.db.all(
      `SELECT os_user AS "user", count(*) AS findings FROM findings
       WHERE device_id = $1 AND tool_id = $2 AND state = 'present' AND kind IN ('installed', 'running') AND observed_at < $3 GROUP BY os_user`,
      [deviceId, toolId, beforeIso],
    );
  }

  async currentFindings(
    deviceIds: readonly string[],
    toolIds?: readonly string[],
  ): Promise<{ deviceId: string; toolId: string; kind: string; user: string; observedAt: string; eventId: string; evidence: unknown }[]> {
    const rows = await this.db.all<{ deviceId: string; toolId: string; kind: string; user: string; observedAt: string; eventId: string; evidence: string }>(
      `SELECT f.device_id AS "deviceId", f.tool_id AS "toolId", f.kind, f.os_user AS "user", f.observed_at AS "observedAt", f.event_id AS "eventId", e.evidence
       FROM findings f JOIN detection_events e ON e.event_id = f.event_id
       WHERE f.device_id IN (SELECT jsonb_array_elements_text($1::text::jsonb)) AND f.state = 'present' AND f.kind IN ('installed', 'running')
         AND ($2::int IS NULL OR f.tool_id IN (SELECT jsonb_array_elements_text($3::text::jsonb)))
       ORDER BY f.device_id, f.tool_id, f.observed_at, f.event_id`,
      [JSON.stringify(deviceIds), toolIds ? 1 : null, JSON.stringify(toolIds ?? [])],
    );
    return rows.map((r) => ({ ...r, evidence: JSON.parse(r.evidence) }));
  }

  async present(filter: { deviceId?: string; toolIds?: readonly string[] } = {}): Promise<{ deviceId: string; toolId: string; user: string; kind: string }[]> {
    const where = ["state = 'present'", "kind IN ('installed', 'running')"];
    const args: string[] = [];
    if (filter.deviceId) (args.push(filter.deviceId), where.push(`device_id = $${args.length}`));
    if (filter.toolIds) {
      if (!filter.toolIds.length) return [];
      args.push(JSON.stringify(filter.toolIds));
      where.push(`tool_id IN (SELECT jsonb_array_elements_text($${args.length}::text::jsonb))`);
    }
    return this.db.all(`SELECT device_id AS "deviceId", tool_id AS "toolId", os_user AS "user", kind FROM findings WHERE ${where.join(' AND ')} ORDER BY device_id, tool_id, os_user`, args);
  }

  async presentPairs(toolIds: readonly string[], page: { after?: [string, string]; limit: number }): Promise<{ deviceId: string; toolId: string }[]> {
    if (!toolIds.length) return [];
    const [d, t] = page.after ?? ['', ''];
    return this.db.all(
      `SELECT DISTINCT device_id AS "deviceId", tool_id AS "toolId" FROM findings
       WHERE state = 'present' AND kind IN ('installed', 'running') AND tool_id IN (SELECT jsonb_array_elements_text($1::text::jsonb)) AND (device_id, tool_id) > ($2, $3)
       ORDER BY device_id, tool_id LIMIT $4`,
      [JSON.stringify(toolIds), d, t, page.limit],
    );
  }
}
