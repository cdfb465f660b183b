// What compliance reports read, in PostgreSQL: the same set-based queries as the SQLite store over
// a chunk of devices at a time (ids passed as one JSON array), each "as of" an instant and "as
// known" at another. Orders are byte order (the C collation of the key columns), so the same
// inputs give the same rows, and the same report bytes, on either database.
import type { ComplianceState } from '../../../../shared/src/policy/compliance.js';
import type { ExceptionRow, PresenceEvent, ReportRepo, TagChange } from '../types.js';
import type { Db } from './db.js';

const EXC_COLUMNS = `id, tool_id AS "toolId", device_id AS "deviceId", os_user AS "user", reason, status, requested_by AS "requestedBy",
  requested_at AS "requestedAt", request_event AS "requestEvent", decided_by AS "decidedBy", decided_at AS "decidedAt",
  decision_note AS "decisionNote", expires_at AS "expiresAt", ended_at AS "endedAt", ended_by AS "endedBy", decision_sent AS "decisionSent"`;
const IDS = (n: number) => `(SELECT jsonb_array_elements_text($${n}::text::jsonb))`;

export class PgReports implements ReportRepo {
  constructor(private readonly db: Db) {}

  async population(asOf: string, knownAt: string): Promise<{ id: string; hostname: string; enrolledAt: string }[]> {
    return this.db.all(
      `SELECT id, hostname, enrolled_at AS "enrolledAt" FROM devices
       WHERE enrolled_at <= $1 AND enrolled_at <= $2 AND (revoked_at IS NULL OR revoked_at > $1 OR revoked_at > $2)
       ORDER BY hostname, id`,
      [asOf, knownAt],
    );
  }

  async countEnrolledAfter(asOf: string, knownAt: string): Promise<number> {
    return (await this.db.value<number>('SELECT count(*) FROM devices WHERE enrolled_at > $1 AND enrolled_at <= $2', [asOf, knownAt])) ?? 0;
  }

  async tagHistory(deviceIds: readonly string[], knownAt: string): Promise<(TagChange & { deviceId: string })[]> {
    return (
      await this.db.all<Omit<TagChange, 'tags'> & { deviceId: string; tags: string }>(
        `SELECT device_id AS "deviceId", at, tags, cause, recorded_at AS "recordedAt" FROM device_tags
         WHERE device_id IN ${IDS(1)} AND recorded_at <= $2 ORDER BY device_id, at, seq`,
        [JSON.stringify(deviceIds), knownAt],
      )
    ).map((r) => ({ ...r, tags: JSON.parse(r.tags) as string[] }));
  }

  async statesAt(deviceIds: readonly string[], toolIds: readonly string[], asOf: string, knownAt: string): Promise<{ deviceId: string; toolId: string; state: ComplianceState; since: string }[]> {
    return this.db.all(
      `SELECT d AS "deviceId", t AS "toolId", s.to_state AS state, s.at AS since
       FROM jsonb_array_elements_text($1::text::jsonb) d, jsonb_array_elements_text($2::text::jsonb) t,
       LATERAL (SELECT x.to_state, x.at FROM timeline x WHERE x.device_id = d AND x.tool_id = t AND x.kind = 'state' AND x.at <= $3
                  AND x.recorded_at <= $4 AND (x.superseded_at IS NULL OR x.superseded_at > $4) ORDER BY x.at DESC, x.seq DESC LIMIT 1) s`,
      [JSON.stringify(deviceIds), JSON.stringify(toolIds), asOf, knownAt],
    );
  }

  async events(
    deviceIds: readonly string[],
    toolIds: readonly string[],
    asOf: string,
    knownAt: string,
  ): Promise<(PresenceEvent & { deviceId: string; toolId: string; eventId: string; kind: string; evidence: unknown })[]> {
    const rows = await this.db.all<PresenceEvent & { deviceId: string; toolId: string; eventId: string; kind: string; evidence: string }>(
      `SELECT device_id AS "deviceId", tool_id AS "toolId", event_id AS "eventId", detection_key AS "detectionKey", os_user AS "user", state, observed_at AS "observedAt", kind, evidence
       FROM detection_events
       WHERE device_id IN ${IDS(1)} AND tool_id IN ${IDS(2)} AND kind IN ('installed', 'running') AND observed_at <= $3 AND received_at <= $4
       ORDER BY device_id, tool_id, observed_at, received_at, seq`,
      [JSON.stringify(deviceIds), JSON.stringify(toolIds), asOf, knownAt],
    );
    return rows.map((r) => ({ ...r, evidence: JSON.parse(r.evidence) }));
  }

  async exceptions(deviceIds: readonly string[], toolIds: readonly string[], asOf: string, knownAt: string): Promise<ExceptionRow[]> {
    return this.db.all(
      `SELECT ${EXC_COLUMNS} FROM exceptions
       WHERE device_id IN ${IDS(1)} AND tool_id IN ${IDS(2)} AND status IN ('granted', 'revoked', 'expired') AND decided_at IS NOT NULL AND decided_at <= $3 AND decided_at <= $4
       ORDER BY device_id, tool_id, decided_at, id`,
      [JSON.stringify(deviceIds), JSON.stringify(toolIds), asOf, knownAt],
    );
  }

  async lastReports(deviceIds: readonly string[], knownAt: string): Promise<{ deviceId: string; at: string }[]> {
    return this.db.all(
      `SELECT device_id AS "deviceId", max(received_at) AS at FROM detection_events WHERE device_id IN ${IDS(1)} AND received_at <= $2 GROUP BY device_id ORDER BY device_id`,
      [JSON.stringify(deviceIds), knownAt],
    );
  }
}
