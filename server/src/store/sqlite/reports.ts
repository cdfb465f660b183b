// What compliance reports read, in SQLite: set-based queries over a chunk of devices at a time
// (ids passed as one JSON array), each "as of" an instant (what held then) and "as known" at
// another (only what the server had recorded by then: events received, state changes recorded
// and not yet superseded, tags and exceptions decided). Same inputs, same rows, whenever it runs.
import type { ComplianceState } from '../../../../shared/src/policy/compliance.js';
import type { ExceptionRow, PresenceEvent, ReportRepo, TagChange } from '../types.js';
import type { SqliteConnection } from './connection.js';

const EXC_COLUMNS = `id, tool_id AS toolId, device_id AS deviceId, os_user AS user, reason, status, requested_by AS requestedBy,
  requested_at AS requestedAt, request_event AS requestEvent, decided_by AS decidedBy, decided_at AS decidedAt,
  decision_note AS decisionNote, expires_at AS expiresAt, ended_at AS endedAt, ended_by AS endedBy, decision_sent AS decisionSent`;

export class SqliteReports implements ReportRepo {
  constructor(private readonly c: SqliteConnection) {}

  async population(asOf: string, knownAt: string): Promise<{ id: string; hostname: string; enrolledAt: string }[]> {
    return this.c
      .prep(
        `SELECT id, hostname, enrolled_at AS enrolledAt FROM devices
         WHERE enrolled_at <= ? AND enrolled_at <= ? AND (revoked_at IS NULL OR revoked_at > ? OR revoked_at > ?)
         ORDER BY hostname COLLATE BINARY, id`,
      )
      .all(asOf, knownAt, asOf, knownAt) as { id: string; hostname: string; enrolledAt: string }[];
  }

  async countEnrolledAfter(asOf: string, knownAt: string): Promise<number> {
    return this.c.prep('SELECT count(*) FROM devices WHERE enrolled_at > ? AND enrolled_at <= ?').pluck().get(asOf, knownAt) as number;
  }

  async tagHistory(deviceIds: readonly string[], knownAt: string): Promise<(TagChange & { deviceId: string })[]> {
    return (
      this.c
        .prep(
          `SELECT device_id AS deviceId, at, tags, cause, recorded_at AS recordedAt FROM device_tags
           WHERE device_id IN (SELECT value FROM json_each(?)) AND recorded_at <= ? ORDER BY device_id, at, seq`,
        )
        .all(JSON.stringify(deviceIds), knownAt) as (Omit<TagChange, 'tags'> & { deviceId: string; tags: string })[]
    ).map((r) => ({ ...r, tags: JSON.parse(r.tags) as string[] }));
  }

  async statesAt(deviceIds: readonly string[], toolIds: readonly string[], asOf: string, knownAt: string): Promise<{ deviceId: string; toolId: string; state: ComplianceState; since: string }[]> {
    const pick = (col: string) => `(SELECT x.${col} FROM timeline x WHERE x.device_id = d.value AND x.tool_id = t.value AND x.kind = 'state' AND x.at <= ?
        AND x.recorded_at <= ? AND (x.superseded_at IS NULL OR x.superseded_at > ?) ORDER BY x.at DESC, x.seq DESC LIMIT 1)`;
    return (
      this.c
        .prep(`SELECT * FROM (SELECT d.value AS deviceId, t.value AS toolId, ${pick('to_state')} AS state, ${pick('at')} AS since FROM json_each(?) d, json_each(?) t) WHERE state IS NOT NULL`)
        .all(asOf, knownAt, knownAt, asOf, knownAt, knownAt, JSON.stringify(deviceIds), JSON.stringify(toolIds)) as { deviceId: string; toolId: string; state: ComplianceState; since: string }[]
    );
  }

  async events(
    deviceIds: readonly string[],
    toolIds: readonly string[],
    asOf: string,
    knownAt: string,
  ): Promise<(PresenceEvent & { deviceId: string; toolId: string; eventId: string; kind: string; evidence: unknown })[]> {
    return (
      this.c
        .prep(
          `SELECT device_id AS deviceId, tool_id AS toolId, event_id AS eventId, detection_key AS detectionKey, os_user AS user, state, observed_at AS observedAt, kind, evidence
           FROM detection_events
           WHERE device_id IN (SELECT value FROM json_each(?)) AND tool_id IN (SELECT value FROM json_each(?)) AND kind IN ('installed', 'running')
             AND observed_at <= ? AND received_at <= ?
           ORDER BY device_id, tool_id, observed_at, received_at, rowid`,
        )
        .all(JSON.stringify(deviceIds), JSON.stringify(toolIds), asOf, knownAt) as (PresenceEvent & { deviceId: string; toolId: string; eventId: string; kind: string; evidence: string })[]
    ).map((r) => ({ ...r, evidence: JSON.parse(r.evidence) }));
  }

  async exceptions(deviceIds: readonly string[], toolIds: readonly string[], asOf: string, knownAt: string): Promise<ExceptionRow[]> {
    return this.c
      .prep(
        `SELECT ${EXC_COLUMNS} FROM exceptions
         WHERE device_id IN (SELECT value FROM json_each(?)) AND tool_id IN (SELECT value FROM json_each(?))
           AND status IN ('granted', 'revoked', 'expired') AND decided_at IS NOT NULL AND decided_at <= ? AND decided_at <= ?
         ORDER BY device_id, tool_id, decided_at, id`,
      )
      .all(JSON.stringify(deviceIds), JSON.stringify(toolIds), asOf, knownAt) as ExceptionRow[];
  }

  async lastReports(deviceIds: readonly string[], knownAt: string): Promise<{ deviceId: string; at: string }[]> {
    return this.c
      .prep(
        `SELECT device_id AS deviceId, max(received_at) AS at FROM detection_events
         WHERE device_id IN (SELECT value FROM json_each(?)) AND received_at <= ? GROUP BY device_id`,
      )
      .all(JSON.stringify(deviceIds), knownAt) as { deviceId: string; at: string }[];
  }
}
