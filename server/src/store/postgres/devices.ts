// Enrolled devices in PostgreSQL: identity, hashed credential, last facts from hello and health,
// part versions. Presence arrives in batches and is written with one statement per kind of fact
// (rows in id order, so two nodes flushing overlapping batches lock rows in the same order). Lists
// are filtered as the SQLite store filters them (DeviceFilter), in byte order of hostname then id.
import type { ComplianceState } from '../../../../shared/src/policy/compliance.js';
import { hashSecret } from '../../secrets.js';
import type { DeviceFilter, DeviceRepo, DeviceRow, PageQuery, PresenceUpdate, TagChange } from '../types.js';
import type { Db } from './db.js';

const COLUMNS = `id, hostname, enrolled_at AS "enrolledAt", platform, os_release AS "osRelease", arch,
  agent_version AS "agentVersion", last_seen_at AS "lastSeenAt", last_health AS "lastHealth", revoked_at AS "revokedAt", tags,
  part_version AS "partVersion", applied_catalog AS "appliedCatalog", applied_policies AS "appliedPolicies", applied_device AS "appliedDevice",
  applied_at AS "appliedAt"`;

const RANK_SQL = `CASE c.state WHEN 'violating' THEN 5 WHEN 'noticed' THEN 4 WHEN 'acknowledged' THEN 3 WHEN 'exempt' THEN 2 WHEN 'remediated' THEN 1 ELSE 0 END`;
const STATE_RANK: Record<ComplianceState, number> = { clear: 0, remediated: 1, exempt: 2, acknowledged: 3, noticed: 4, violating: 5 };
/** The elements of a JSON array parameter, as a set to test membership in. */
const IN_JSON = (param: string) => `(SELECT jsonb_array_elements_text(${param}::text::jsonb))`;

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

export class PgDevices implements DeviceRepo {
  constructor(private readonly db: Db) {}

  async create(id: string, hostname: string, credential: string, enrollmentTokenId: string, tags: readonly string[] = []): Promise<void> {
    const now = new Date().toISOString();
    const t = JSON.stringify([...new Set(tags)].sort());
    await this.db.run('INSERT INTO devices(id, hostname, credential_hash, enrollment_token_id, enrolled_at, tags) VALUES ($1, $2, $3, $4, $5, $6)', [
      id,
      hostname,
      hashSecret(credential),
      enrollmentTokenId,
      now,
      t,
    ]);
    await this.db.run("INSERT INTO device_tags(device_id, at, tags, cause, recorded_at) VALUES ($1, $2, $3, 'enrolled', $4)", [id, now, t, now]);
  }

  async tagHistory(id: string): Promise<TagChange[]> {
    return (await this.db.all<Omit<TagChange, 'tags'> & { tags: string }>('SELECT at, tags, cause, recorded_at AS "recordedAt" FROM device_tags WHERE device_id = $1 ORDER BY at, seq', [id])).map(
      (r) => ({ ...r, tags: JSON.parse(r.tags) as string[] }),
    );
  }

  async findByCredential(credential: string): Promise<DeviceRow | undefined> {
    return decode(await this.db.one<Raw>(`SELECT ${COLUMNS} FROM devices WHERE credential_hash = $1`, [hashSecret(credential)]));
  }

  async get(id: string): Promise<DeviceRow | undefined> {
    return decode(await this.db.one<Raw>(`SELECT ${COLUMNS} FROM devices WHERE id = $1`, [id]));
  }

  async list(q: PageQuery<[string, string]> & DeviceFilter): Promise<DeviceRow[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const p = (v: string | number) => (args.push(v), `$${args.length}`);
    if (q.after) where.push(`(hostname, id) > (${p(q.after[0])}, ${p(q.after[1])})`);
    // lower() under the C collation changes ASCII letters only, as SQLite's lower() does (the
    // database's default collation may be a locale that lowers every letter).
    if (q.search) where.push(`strpos(lower(hostname), lower(${p(q.search)}::text COLLATE "C")) > 0`);
    if (q.tag) where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements_text(devices.tags::jsonb) t WHERE t = ${p(q.tag)}::text)`);
    if (q.platform) where.push(`platform = ${p(q.platform)}`);
    if (q.seenBefore) where.push(`(last_seen_at IS NULL OR last_seen_at < ${p(q.seenBefore)}::timestamptz)`);
    if (q.seenSince) where.push(`last_seen_at >= ${p(q.seenSince)}::timestamptz`);
    if (q.activeOnly) where.push('revoked_at IS NULL');
    if (q.scope?.devices.length) where.push(`id IN ${IN_JSON(p(JSON.stringify(q.scope.devices)))}`);
    if (q.scope?.tags.length) where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements_text(devices.tags::jsonb) t WHERE t IN ${IN_JSON(p(JSON.stringify(q.scope.tags)))})`);
    const tools = q.toolIds?.length ? JSON.stringify(q.toolIds) : undefined;
    if (q.state) {
      // The device's most pressing state over the tools (every tool with a state when none given).
      const rank = `coalesce((SELECT max(${RANK_SQL}) FROM compliance c WHERE c.device_id = devices.id ${tools ? `AND c.tool_id IN ${IN_JSON(p(tools))}` : ''}), 0)`;
      where.push(`${rank} = ${p(STATE_RANK[q.state])}::int`);
    } else if (tools) {
      where.push(
        `EXISTS (SELECT 1 FROM findings f WHERE f.device_id = devices.id AND f.tool_id IN ${IN_JSON(p(tools))} AND f.state = 'present' AND f.kind IN ('installed', 'running'))`,
      );
    }
    const rows = await this.db.all<Raw>(`SELECT ${COLUMNS} FROM devices ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY hostname, id LIMIT ${p(q.limit)}`, args);
    return rows.map((r) => decode(r)!);
  }

  async hostnames(ids: readonly string[]): Promise<Record<string, string>> {
    if (!ids.length) return {};
    const rows = await this.db.all<{ id: string; hostname: string }>(`SELECT id, hostname FROM devices WHERE id IN ${IN_JSON('$1')}`, [JSON.stringify([...new Set(ids)])]);
    return Object.fromEntries(rows.map((r) => [r.id, r.hostname]));
  }

  async tagsOf(ids: readonly string[]): Promise<Map<string, string[]>> {
    if (!ids.length) return new Map();
    const rows = await this.db.all<{ id: string; tags: string }>(`SELECT id, tags FROM devices WHERE id IN ${IN_JSON('$1')}`, [JSON.stringify([...new Set(ids)])]);
    return new Map(rows.map((r) => [r.id, JSON.parse(r.tags) as string[]]));
  }

  async countActive(): Promise<number> {
    return (await this.db.value<number>('SELECT count(*) FROM devices WHERE revoked_at IS NULL')) ?? 0;
  }

  async recordPresence(updates: readonly PresenceUpdate[]): Promise<void> {
    const sorted = [...updates].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const seen = sorted.map((u) => ({ id: u.id, at: u.lastSeenAt }));
    if (seen.length) {
      await this.db.run(
        `UPDATE devices d SET last_seen_at = u.at FROM (SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS x(id text, at timestamptz) ORDER BY id) u WHERE d.id = u.id`,
        [JSON.stringify(seen)],
      );
    }
    const hello = sorted.filter((u) => u.hello).map((u) => ({ id: u.id, ...u.hello }));
    if (hello.length) {
      await this.db.run(
        `UPDATE devices d SET hostname = u."hostname", platform = u."platform", os_release = u."osRelease", arch = u."arch", agent_version = u."agentVersion"
         FROM jsonb_to_recordset($1::text::jsonb) AS u(id text, "hostname" text, "platform" text, "osRelease" text, "arch" text, "agentVersion" text) WHERE d.id = u.id`,
        [JSON.stringify(hello)],
      );
    }
    const health = sorted.filter((u) => u.lastHealth !== undefined).map((u) => ({ id: u.id, h: JSON.stringify(u.lastHealth) }));
    if (health.length) {
      await this.db.run(`UPDATE devices d SET last_health = u.h FROM jsonb_to_recordset($1::text::jsonb) AS u(id text, h text) WHERE d.id = u.id`, [JSON.stringify(health)]);
    }
    const applied = sorted
      .filter((u) => u.applied)
      .map((u) => ({ id: u.id, c: u.applied!.catalog, p: u.applied!.policies, d: u.applied!.device, at: u.appliedAt ?? u.lastSeenAt }));
    if (applied.length) {
      await this.db.run(
        `UPDATE devices d SET applied_catalog = u.c, applied_policies = u.p, applied_device = u.d, applied_at = u.at
         FROM jsonb_to_recordset($1::text::jsonb) AS u(id text, c integer, p integer, d integer, at timestamptz) WHERE d.id = u.id`,
        [JSON.stringify(applied)],
      );
    }
  }

  async bumpPartVersion(id: string): Promise<number> {
    return (await this.db.value<number>('UPDATE devices SET part_version = part_version + 1 WHERE id = $1 RETURNING part_version', [id]))!;
  }

  async partVersions(ids: readonly string[]): Promise<{ id: string; partVersion: number; revoked: boolean }[]> {
    return this.db.all(
      'SELECT id, part_version AS "partVersion", revoked_at IS NOT NULL AS revoked FROM devices WHERE id IN (SELECT jsonb_array_elements_text($1::text::jsonb))',
      [JSON.stringify(ids)],
    );
  }

  async notConfirmed(policiesVersion: number): Promise<string[]> {
    return (await this.db.all<{ id: string }>('SELECT id FROM devices WHERE revoked_at IS NULL AND (applied_policies IS NULL OR applied_policies < $1)', [policiesVersion])).map((r) => r.id);
  }

  async setTags(id: string, tags: readonly string[], cause: string): Promise<boolean> {
    const t = JSON.stringify([...new Set(tags)].sort());
    if ((await this.db.run('UPDATE devices SET tags = $1 WHERE id = $2', [t, id])) === 0) return false;
    const now = new Date().toISOString();
    await this.db.run('INSERT INTO device_tags(device_id, at, tags, cause, recorded_at) VALUES ($1, $2, $3, $4, $5)', [id, now, t, cause, now]);
    return true;
  }

  async revoke(id: string): Promise<boolean> {
    return (await this.db.run('UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [new Date().toISOString(), id])) > 0;
  }
}
