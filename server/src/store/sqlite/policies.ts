// Policies (drafts and frozen versions), the tool catalog, the catalog and policies part versions
// and small server metadata in SQLite. A part version is one integer raised in a single statement,
// so two writers can never hand out the same number.
import type { Tool } from '../../../../shared/src/catalog/schema.js';
import type { Policy, PolicySpec } from '../../../../shared/src/policy/schema.js';
import type { PolicyRepo, PolicyRow } from '../types.js';
import type { SqliteConnection } from './connection.js';

type RawPolicyRow = Omit<PolicyRow, 'draft'> & { draft: string };
const POLICY_COLUMNS = `id, name, draft, status, created_at AS createdAt, created_by AS createdBy, updated_at AS updatedAt,
  latest_version AS latestVersion, retired_at AS retiredAt`;
function decodePolicy(r: RawPolicyRow): PolicyRow {
  return { ...r, draft: JSON.parse(r.draft) as PolicySpec };
}

export class SqlitePolicies implements PolicyRepo {
  constructor(private readonly c: SqliteConnection) {}

  async partVersion(part: 'catalog' | 'policies'): Promise<number> {
    return Number(this.c.prep('SELECT value FROM meta WHERE key = ?').pluck().get(`${part}_version`));
  }

  async bumpPartVersion(part: 'catalog' | 'policies'): Promise<number> {
    return Number(this.c.prep('UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = ? RETURNING value').pluck().get(`${part}_version`));
  }

  async meta(key: string): Promise<string | undefined> {
    return this.c.prep('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.c.prep('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  async claimMeta(key: string, value: string): Promise<boolean> {
    return this.c.prep('INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)').run(key, value).changes > 0;
  }

  async advanceMeta(key: string, value: string): Promise<boolean> {
    return this.c.prep('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE meta.value < excluded.value').run(key, value).changes > 0;
  }

  async createDraft(row: { id: string; name: string; draft: PolicySpec; createdBy: string }): Promise<void> {
    const now = new Date().toISOString();
    this.c
      .prep("INSERT INTO policies(id, name, draft, status, created_at, created_by, updated_at) VALUES (?, ?, ?, 'draft', ?, ?, ?)")
      .run(row.id, row.name, JSON.stringify(row.draft), now, row.createdBy, now);
  }

  async updateDraft(id: string, draft: PolicySpec): Promise<void> {
    this.c.prep('UPDATE policies SET name = ?, draft = ?, updated_at = ? WHERE id = ?').run(draft.name, JSON.stringify(draft), new Date().toISOString(), id);
  }

  async get(id: string): Promise<PolicyRow | undefined> {
    const r = this.c.prep(`SELECT ${POLICY_COLUMNS} FROM policies WHERE id = ?`).get(id) as RawPolicyRow | undefined;
    return r && decodePolicy(r);
  }

  async getForUpdate(id: string): Promise<PolicyRow | undefined> {
    return this.get(id); // the store's single writer already holds every row
  }

  async list(): Promise<PolicyRow[]> {
    return (this.c.prep(`SELECT ${POLICY_COLUMNS} FROM policies ORDER BY created_at, id`).all() as RawPolicyRow[]).map(decodePolicy);
  }

  async insertVersion(policy: Policy, by: string, policiesPart: number): Promise<void> {
    this.c
      .prep('INSERT INTO policy_versions(policy_id, version, body, published_at, published_by, policies_part) VALUES (?, ?, ?, ?, ?, ?)')
      .run(policy.id, policy.version, JSON.stringify(policy), policy.publishedAt, by, policiesPart);
    this.c.prep("UPDATE policies SET status = 'published', latest_version = ?, updated_at = ? WHERE id = ?").run(policy.version, policy.publishedAt, policy.id);
  }

  async rolloutPart(id: string, version: number): Promise<number | undefined> {
    return (this.c.prep('SELECT policies_part FROM policy_versions WHERE policy_id = ? AND version = ?').pluck().get(id, version) as number | null) ?? undefined;
  }

  async markRetired(id: string, atIso: string): Promise<void> {
    this.c.prep("UPDATE policies SET status = 'retired', retired_at = ? WHERE id = ?").run(atIso, id);
  }

  async versions(id: string): Promise<Policy[]> {
    return (this.c.prep('SELECT body FROM policy_versions WHERE policy_id = ? ORDER BY version').pluck().all(id) as string[]).map((b) => JSON.parse(b) as Policy);
  }

  async history(): Promise<{ policy: Policy; retiredAt: string | null }[]> {
    return (
      this.c
        .prep('SELECT v.body, p.retired_at AS retiredAt FROM policy_versions v JOIN policies p ON p.id = v.policy_id ORDER BY v.published_at, v.policy_id, v.version')
        .all() as { body: string; retiredAt: string | null }[]
    ).map((r) => ({ policy: JSON.parse(r.body) as Policy, retiredAt: r.retiredAt }));
  }

  async active(): Promise<Policy[]> {
    return (
      this.c
        .prep(
          `SELECT v.body FROM policies p JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.latest_version
           WHERE p.status = 'published' ORDER BY p.created_at, p.id`,
        )
        .pluck()
        .all() as string[]
    ).map((b) => JSON.parse(b) as Policy);
  }

  async tools(): Promise<Tool[]> {
    return (this.c.prep('SELECT body FROM tools ORDER BY id').pluck().all() as string[]).map((b) => JSON.parse(b) as Tool);
  }

  async toolRow(id: string): Promise<{ tool: Tool; source: 'builtin' | 'custom'; updatedAt: string } | undefined> {
    const row = this.c.prep('SELECT body, source, updated_at AS updatedAt FROM tools WHERE id = ?').get(id) as { body: string; source: 'builtin' | 'custom'; updatedAt: string } | undefined;
    return row ? { tool: JSON.parse(row.body) as Tool, source: row.source, updatedAt: row.updatedAt } : undefined;
  }

  async putCustomTool(tool: Tool): Promise<void> {
    this.c
      .prep(
        `INSERT INTO tools(id, body, source, updated_at) VALUES (?, ?, 'custom', ?)
         ON CONFLICT(id) DO UPDATE SET body = excluded.body, source = 'custom', updated_at = excluded.updated_at`,
      )
      .run(tool.id, JSON.stringify(tool), new Date().toISOString());
  }

  async deleteCustomTool(id: string, builtin: Tool | undefined): Promise<'reverted' | 'deleted'> {
    if (builtin) {
      this.c.prep("UPDATE tools SET body = ?, source = 'builtin', updated_at = ? WHERE id = ?").run(JSON.stringify(builtin), new Date().toISOString(), id);
      return 'reverted';
    }
    this.c.prep('DELETE FROM tools WHERE id = ?').run(id);
    return 'deleted';
  }

  async seedBuiltinTools(tools: readonly Tool[]): Promise<boolean> {
    let changed = false;
    const existing = this.c.prep('SELECT body, source FROM tools WHERE id = ?');
    const upsert = this.c.prep(
      `INSERT INTO tools(id, body, source, updated_at) VALUES (?, ?, 'builtin', ?)
       ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at WHERE tools.source = 'builtin'`,
    );
    for (const t of tools) {
      const body = JSON.stringify(t);
      const row = existing.get(t.id) as { body: string; source: string } | undefined;
      if (row && (row.source === 'custom' || row.body === body)) continue;
      upsert.run(t.id, body, new Date().toISOString());
      changed = true;
    }
    return changed;
  }
}
