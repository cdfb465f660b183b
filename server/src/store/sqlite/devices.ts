// Enrolled devices in SQLite: identity, hashed credential, last facts from hello and last health.
import { hashSecret } from '../../secrets.js';
import type { ComplianceState } from '../../../../shared/src/policy/compliance.js';
import type { DeviceFilter, DeviceRepo, DeviceRow, PageQuery, PresenceUpdate, TagChange } from '../types.js';
import type { SqliteConnection } from './connection.js';

const COLUMNS = `id, hostname, enrolled_at AS enrolledAt, platform, os_release AS osRelease, arch,
  agent_version AS agentVersion, last_seen_at AS lastSeenAt, last_health AS lastHealth, revoked_at AS revokedAt, tags,
  part_version AS partVersion, applied_catalog AS appliedCatalog, applied_policies AS appliedPolicies, applied_device AS appliedDevice,
  applied_at AS appliedAt`;

const RANK_SQL = `CASE c.state WHEN 'violating' THEN 5 WHEN 'noticed' THEN 4 WHEN 'acknowledged' THEN 3 WHEN 'exempt' THEN 2 WHEN 'remediated' THEN 1 ELSE 0 END`;
const STATE_RANK: Record<ComplianceState, number> = { clear: 0, remediated: 1, exempt: 2, acknowledged: 3, noticed: 4, violating: 5 };

type Raw = Omit<DeviceRow, 'lastHealth' | 'tags' | 'applied'> & {
  lastHealth: string | null;
  tags: string;
  appliedCatalog: number | null;
  appliedPolicies: number | null;
  appliedDevice: number | null;
};

function decode(row: Raw | undefined): DeviceRow | undefined {
  if (!row) return undefined;
  const { appliedCatalog, appliedPolicies, appliedDevice, ...rest } = row;
  return {
    ...rest,
    lastHealth: row.lastHealth ? JSON.parse(row.lastHealth) : null,
    tags: JSON.parse(row.tags) as string[],
    applied: { catalog: appliedCatalog, policies: appliedPolicies, device: appliedDevice },
  };
}

export class SqliteDevices implements DeviceRepo {
  constructor(private readonly c: SqliteConnection) {}

  async create(id: string, hostname: string, credential: string, enrollmentTokenId: string, tags: readonly string[] = []): Promise<void> {
    const now = new Date().toISOString();
    const t = JSON.stringify([...new Set(tags)].sort());
    this.c
      .prep('INSERT INTO devices(id, hostname, credential_hash, enrollment_token_id, enrolled_at, tags) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, hostname, hashSecret(credential), enrollmentTokenId, now, t);
    this.c.prep("INSERT INTO device_tags(device_id, at, tags, cause, recorded_at) VALUES (?, ?, ?, 'enrolled', ?)").run(id, now, t, now);
  }

  async tagHistory(id: string): Promise<TagChange[]> {
    return (this.c.prep('SELECT at, tags, cause, recorded_at AS recordedAt FROM device_tags WHERE device_id = ? ORDER BY at, seq').all(id) as (Omit<TagChange, 'tags'> & { tags: string })[]).map((r) => ({
      ...r,
      tags: JSON.parse(r.tags) as string[],
    }));
  }

  async findByCredential(credential: string): Promise<DeviceRow | undefined> {
    return decode(this.c.prep(`SELECT ${COLUMNS} FROM devices WHERE credential_hash = ?`).get(hashSecret(credential)) as Raw | undefined);
  }

  async get(id: string): Promise<DeviceRow | undefined> {
    return decode(this.c.prep(`SELECT ${COLUMNS} FROM devices WHERE id = ?`).get(id) as Raw | undefined);
  }

  async list(q: PageQuery<[string, string]> & DeviceFilter): Promise<DeviceRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.after) (where.push('(hostname, id) > (?, ?)'), args.push(...q.after));
    if (q.search) (where.push("instr(lower(hostname), lower(?)) > 0"), args.push(q.search));
    if (q.tag) (where.push('EXISTS (SELECT 1 FROM json_each(devices.tags) t WHERE t.value = ?)'), args.push(q.tag));
    if (q.platform) (where.push('platform = ?'), args.push(q.platform));
    if (q.seenBefore) (where.push('(last_seen_at IS NULL OR last_seen_at < ?)'), args.push(q.seenBefore));
    if (q.seenSince) (where.push('last_seen_at >= ?'), args.push(q.seenSince));
    if (q.activeOnly) where.push('revoked_at IS NULL');
    if (q.scope?.devices.length) (where.push('id IN (SELECT value FROM json_each(?))'), args.push(JSON.stringify(q.scope.devices)));
    if (q.scope?.tags.length) (where.push('EXISTS (SELECT 1 FROM json_each(devices.tags) t WHERE t.value IN (SELECT value FROM json_each(?)))'), args.push(JSON.stringify(q.scope.tags)));
    const tools = q.toolIds?.length ? JSON.stringify(q.toolIds) : undefined;
    if (q.state) {
      // The device's most pressing state over the tools (every tool with a state when none given).
      const rank = `coalesce((SELECT max(${RANK_SQL}) FROM compliance c WHERE c.device_id = devices.id ${tools ? 'AND c.tool_id IN (SELECT value FROM json_each(?))' : ''}), 0)`;
      where.push(`${rank} = ?`);
      if (tools) args.push(tools);
      args.push(STATE_RANK[q.state]);
    } else if (tools) {
      where.push("EXISTS (SELECT 1 FROM findings f WHERE f.device_id = devices.id AND f.tool_id IN (SELECT value FROM json_each(?)) AND f.state = 'present' AND f.kind IN ('installed', 'running'))");
      args.push(tools);
    }
    return (
      this.c.prep(`SELECT ${COLUMNS} FROM devices ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY hostname, id LIMIT ?`).all(...args, q.limit) as Raw[]
    ).map((r) => decode(r)!);
  }

  async hostnames(ids: readonly string[]): Promise<Record<string, string>> {
    if (!ids.length) return {};
    const rows = this.c.prep('SELECT id, hostname FROM devices WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify([...new Set(ids)])) as { id: string; hostname: string }[];
    return Object.fromEntries(rows.map((r) => [r.id, r.hostname]));
  }

  async tagsOf(ids: readonly string[]): Promise<Map<string, string[]>> {
    if (!ids.length) return new Map();
    const rows = this.c.prep('SELECT id, tags FROM devices WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify([...new Set(ids)])) as { id: string; tags: string }[];
    return new Map(rows.map((r) => [r.id, JSON.parse(r.tags) as string[]]));
  }

  async countActive(): Promise<number> {
    return this.c.prep('SELECT count(*) FROM devices WHERE revoked_at IS NULL').pluck().get() as number;
  }

  async recordPresence(updates: readonly PresenceUpdate[]): Promise<void> {
    const seen = this.c.prep('UPDATE devices SET last_seen_at = ? WHERE id = ?');
    const hello = this.c.prep('UPDATE devices SET hostname = ?, platform = ?, os_release = ?, arch = ?, agent_version = ? WHERE id = ?');
    const health = this.c.prep('UPDATE devices SET last_health = ? WHERE id = ?');
    const applied = this.c.prep('UPDATE devices SET applied_catalog = ?, applied_policies = ?, applied_device = ?, applied_at = ? WHERE id = ?');
    for (const u of updates) {
      seen.run(u.lastSeenAt, u.id);
      if (u.hello) hello.run(u.hello.hostname, u.hello.platform, u.hello.osRelease, u.hello.arch, u.hello.agentVersion, u.id);
      if (u.lastHealth !== undefined) health.run(JSON.stringify(u.lastHealth), u.id);
      if (u.applied) applied.run(u.applied.catalog, u.applied.policies, u.applied.device, u.appliedAt ?? u.lastSeenAt, u.id);
    }
  }

  async bumpPartVersion(id: string): Promise<number> {
    return this.c.prep('UPDATE devices SET part_version = part_version + 1 WHERE id = ? RETURNING part_version').pluck().get(id) as number;
  }

  async partVersions(ids: readonly string[]): Promise<{ id: string; partVersion: number; revoked: boolean }[]> {
    return (
      this.c.prep('SELECT id, part_version AS partVersion, revoked_at IS NOT NULL AS revoked FROM devices WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as {
        id: string;
        partVersion: number;
        revoked: number;
      }[]
    ).map((r) => ({ ...r, revoked: r.revoked === 1 }));
  }

  async notConfirmed(policiesVersion: number): Promise<string[]> {
    return this.c.prep('SELECT id FROM devices WHERE revoked_at IS NULL AND (applied_policies IS NULL OR applied_policies < ?)').pluck().all(policiesVersion) as string[];
  }

  async setTags(id: string, tags: readonly string[], cause: string): Promise<boolean> {
    const t = JSON.stringify([...new Set(tags)].sort());
    if (this.c.prep('UPDATE devices SET tags = ? WHERE id = ?').run(t, id).changes === 0) return false;
    const now = new Date().toISOString();
    this.c.prep('INSERT INTO device_tags(device_id, at, tags, cause, recorded_at) VALUES (?, ?, ?, ?, ?)').run(id, now, t, cause, now);
    return true;
  }

  async revoke(id: string): Promise<boolean> {
    return this.c.prep('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(new Date().toISOString(), id).changes > 0;
  }
}
