// The portable form of an Edict database, shared by both backends: every table it carries (not
// sessions nor the burn-down rollup, see PORTABLE_TABLES) with the SQLite names, each value as the
// server wrote it (text, integer, real, or an instant as ISO text), and the file `edict-server
// export` writes and `import` reads: JSON Lines, a header, one line per row in load order, and an end
// line with every table's row count and the audit head, so a truncated or edited file imports nothing.
export type ColumnKind = 'text' | 'int' | 'real' | 'time';

export interface PortableTable {
  name: string;
  columns: readonly (readonly [string, ColumnKind])[];
  /** The key that identifies a row (for comparing two dumps). */
  key: readonly string[];
}

const t = (name: string, key: string[], cols: string): PortableTable => ({
  name,
  key,
  columns: cols.split(/\s*,\s*/).map((c) => {
    const [n, k = 'text'] = c.trim().split(':');
    return [n, k as ColumnKind] as const;
  }),
});

/**
 * In load order (a row's references come before it). Two tables are left out on purpose:
 * dashboard_sessions (sign-in cookies: short-lived credentials that are not copied to another
 * database; people sign in to the dashboard again after a move) and compliance_daily (the burn-down
 * rollup: every row is recomputed from the timeline, device tags and policy versions, which are
 * carried, and the rollup computes any day it has no row for on its first run after the move).
 */
export const PORTABLE_TABLES: readonly PortableTable[] = [
  t('meta', ['key'], 'key, value'),
  t('api_tokens', ['id'], 'id, role, token_hash, label, created_at:time, revoked_at:time, expires_at:time, last_used_at:time, created_by'),
  t('enrollment_tokens', ['id'], 'id, token_hash, label, created_at:time, expires_at:time, max_uses:int, uses:int, revoked_at:time, tags'),
  t(
    'devices',
    ['id'],
    `id, hostname, credential_hash, enrollment_token_id, enrolled_at:time, platform, os_release, arch, agent_version, policy_version:int,
     last_seen_at:time, last_health, tags, revoked_at:time, part_version:int, applied_catalog:int, applied_policies:int, applied_device:int, applied_at:time`,
  ),
  t('device_tags', ['seq'], 'seq:int, device_id, at:time, tags, cause, recorded_at:time'),
  t('tools', ['id'], 'id, body, source, updated_at:time'),
  t('policies', ['id'], 'id, name, draft, status, created_at:time, created_by, updated_at:time, latest_version:int, retired_at:time'),
  t('policy_versions', ['policy_id', 'version'], 'policy_id, version:int, body, published_at:time, published_by, policies_part:int'),
  t(
    'exceptions',
    ['id'],
    `id, tool_id, device_id, os_user, reason, status, requested_by, requested_at:time, request_event, decided_by, decided_at:time, decision_note,
     expires_at:time, ended_at:time, ended_by, decision_sent:int`,
  ),
  t('compliance', ['device_id', 'tool_id'], 'device_id, tool_id, state, since:time'),
  t('timeline', ['seq'], 'seq:int, device_id, tool_id, at:time, kind, from_state, to_state, cause, detail, event_id, recorded_at:time, superseded_at:time'),
  t('acknowledgements', ['event_id'], 'event_id, device_id, tool_id, os_user, stage, at:time'),
  t(
    'detection_events',
    ['event_id'],
    `event_id, device_id, batch_id, tool_id, detection_key, kind, os_user, state, evidence, confidence:real, observed_at:time, received_at:time,
     agent_stage, stage, policy_id`,
  ),
  t('findings', ['device_id', 'detection_key'], 'device_id, detection_key, tool_id, kind, os_user, state, observed_at:time, event_id'),
  t('compliance_jobs', ['id'], 'id:int, at:time, cause, tools, created_at:time'),
  // `at` here is the text the chain hashes, kept verbatim.
  t('audit_log', ['seq'], 'seq:int, at, actor, action, subject, detail, prev_hash, hash'),
  t('audit_checkpoints', ['seq'], 'seq:int, hash, at:time, key_id, signature'),
];

export const EXPORT_FORMAT = 'edict-export';
export const EXPORT_VERSION = 1;

export type PortableRow = Record<string, string | number | null>;

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: number;
  source: 'sqlite' | 'postgres';
  migrations: string[];
  exportedAt: string;
  tables: string[];
}

export interface ExportEnd {
  end: true;
  counts: Record<string, number>;
  auditHead: string | null;
}

/** A dump of one store: its rows table by table, in load order. */
export interface StoreDump {
  source: 'sqlite' | 'postgres';
  migrations: string[];
  rows(table: PortableTable): AsyncIterable<PortableRow>;
  close(): Promise<void>;
}

/** Whether two values of a column are the same (instants compare as instants, whatever their text). */
export function sameValue(kind: ColumnKind, a: unknown, b: unknown): boolean {
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (kind === 'time') return Date.parse(String(a)) === Date.parse(String(b));
  if (kind === 'int' || kind === 'real') return Number(a) === Number(b);
  return a === b;
}
