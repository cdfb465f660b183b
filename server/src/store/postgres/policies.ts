// Policies (drafts and frozen versions), the tool catalog, the catalog and policies part versions
// and small server metadata in PostgreSQL. A part version is raised by one UPDATE … RETURNING (the
// row lock hands two nodes publishing at once two different numbers); `claimMeta` is an insert that
// only the first writer wins (first-start duties such as the initial admin token).
import type { Tool } from '../../../../shared/src/catalog/schema.js';
import type { Policy, PolicySpec } from '../../../../shared/src/policy/schema.js';
import type { PolicyRepo, PolicyRow } from '../types.js';
import type { Db } from './db.js';

type RawPolicyRow = Omit<PolicyRow, 'draft'> & { draft: string };
const POLICY_COLUMNS = `id, name, draft, status, created_at AS "createdAt", created_by AS "createdBy", updated_at AS "updatedAt",
  latest_version AS "latestVersion", retired_at AS "retiredAt"`;
function decodePolicy(r: RawPolicyRow): PolicyRow {
  return { ...r, draft: JSON.parse(r.draft) as PolicySpec };
}

export class PgPolicies implements PolicyRepo {
  constructor(private readonly db: Db) {}

  async partVersion(part: 'catalog' | 'policies'): Promise<number> {
    return Number(await this.db.value<string>('SELECT value FROM meta WHERE key = $1', [`${part}_version`]));
  }

  async bumpPartVersion(part: 'catalog' | 'policies'): Promise<number> {
    return Number(await this.db.value<string>("UPDATE meta SET value = ((value)::bigint + 1)::text WHERE key = $1 RETURNING value", [`${part}_version`]));
  }

  async meta(key: string): Promise<string | undefined> {
    return this.db.value('SELECT value FROM meta WHERE key = $1', [key]);
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.db.run('INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async claimMeta(key: string, value: string): Promise<boolean> {
    return (await this.db.run('INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value])) > 0;
  }

  async advanceMeta(key: string, value: string): Promise<boolean> {
    return (
      (await this.db.run('INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE meta.value COLLATE "C" < excluded.value COLLATE "C"', [key, value])) > 0
    );
  }

  async createDraft(row: { id: string; name: string; draft: PolicySpec; createdBy: string }): Promise<void> {
    const now = new Date().toISOString();
    await this.db.run("INSERT INTO policies(id, name, draft, status, created_at, created_by, updated_at) VALUES ($1, $2, $3, 'draft', $4, $5, $6)", [
      row.id,
      row.name,
      JSON.stringify(row.draft),
      now,
      row.createdBy,
      now,
    ]);
  }

  async updateDraft(id: string, draft: PolicySpec): Promise<void> {
    await this.db.run('UPDATE policies SET name = $1, draft = $2, updated_at = $3 WHERE id = $4', [draft.name, JSON.stringify(draft), new Date().toISOString(), id]);
  }

  async get(id: string): Promise<PolicyRow | undefined> {
    const r = await this.db.one<RawPolicyRow>(`SELECT ${POLICY_COLUMNS} FROM policies WHERE id = $1`, [id]);
    return r && decodePolicy(r);
  }

  async getForUpdate(id: string): Promise<PolicyRow | undefined> {
    const r = await this.db.one<RawPolicyRow>(`SELECT ${POLICY_COLUMNS} FROM policies WHERE id = $1 FOR UPDATE`, [id]);
    return r && decodePolicy(r);
  }

  async list(): Promise<PolicyRow[]> {
    return (await this.db.all<RawPolicyRow>(`SELECT ${POLICY_COLUMNS} FROM policies ORDER BY created_at, id`)).map(decodePolicy);
  }

  async insertVersion(policy: Policy, by: string, policiesPart: number): Promise<void> {
    await this.db.run('INSERT INTO policy_versions(policy_id, version, body, published_at, published_by, policies_part) VALUES ($1, $2, $3, $4, $5, $6)', [
      policy.id,
      policy.version,
      JSON.stringify(policy),
      policy.publishedAt,
      by,
      policiesPart,
    ]);
    await this.db.run("UPDATE policies SET status = 'published', latest_version = $1, updated_at = $2 WHERE id = $3", [policy.version, policy.publishedAt, policy.id]);
  }

  async rolloutPart(id: string, version: number): Promise<number | undefined> {
    return (await this.db.value<number | null>('SELECT policies_part FROM policy_versions WHERE policy_id = $1 AND version = $2', [id, version])) ?? undefined;
  }

  async markRetired(id: string, atIso: string): Promise<void> {
    await this.db.run("UPDATE policies SET status = 'retired', retired_at = $1 WHERE id = $2", [atIso, id]);
  }

  async versions(id: string): Promise<Policy[]> {
    return (await this.db.all<{ body: string }>('SELECT body FROM policy_versions WHERE policy_id = $1 ORDER BY version', [id])).map((r) => JSON.parse(r.body) as Policy);
  }

  async history(): Promise<{ policy: Policy; retiredAt: string | null }[]> {
    return (
      await this.db.all<{ body: string; retiredAt: string | null }>(
        'SELECT v.body, p.retired_at AS "retiredAt" FROM policy_versions v JOIN policies p ON p.id = v.policy_id ORDER BY v.published_at, v.policy_id, v.version',
      )
    ).map((r) => ({ policy: JSON.parse(r.body) as Policy, retiredAt: r.retiredAt }));
  }

  async active(): Promise<Policy[]> {
    return (
      await this.db.all<{ body: string }>(
        `SELECT v.body FROM policies p JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.latest_version
         WHERE p.status = 'published' ORDER BY p.created_at, p.id`,
      )
    ).map((r) => JSON.parse(r.body) as Policy);
  }

  async tools(): Promise<Tool[]> {
    return (await this.db.all<{ body: string }>('SELECT body FROM tools ORDER BY id')).map((r) => JSON.parse(r.body) as Tool);
  }

  async toolRow(id: string): Promise<{ tool: Tool; source: 'builtin' | 'custom'; updatedAt: string } | undefined> {
    const row = await this.db.one<{ body: string; source: 'builtin' | 'custom'; updatedAt: string }>('SELECT body, source, updated_at AS "updatedAt" FROM tools WHERE id = $1', [id]);
    return row ? { tool: JSON.parse(row.body) as Tool, source: row.source, updatedAt: row.updatedAt } : undefined;
  }

  async putCustomTool(tool: Tool): Promise<void> {
    await this.db.run(
      `INSERT INTO tools(id, body, source, updated_at) VALUES ($1, $2, 'custom', $3)
       ON CONFLICT (id) DO UPDATE SET body = excluded.body, source = 'custom', updated_at = excluded.updated_at`,
      [tool.id, JSON.stringify(tool), new Date().toISOString()],
    );
  }

  async deleteCustomTool(id: string, builtin: Tool | undefined): Promise<'reverted' | 'deleted'> {
    if (builtin) {
      await this.db.run("UPDATE tools SET body = $1, source = 'builtin', updated_at = $2 WHERE id = $3", [JSON.stringify(builtin), new Date().toISOString(), id]);
      return 'reverted';
    }
    await this.db.run('DELETE FROM tools WHERE id = $1', [id]);
    return 'deleted';
  }

  async seedBuiltinTools(tools: readonly Tool[]): Promise<boolean> {
    // Nodes starting together seed at once: the table lock makes the second see the first's rows
    // (and so bump the catalog version once, not twice).
    await this.db.run('LOCK TABLE tools IN SHARE ROW EXCLUSIVE MODE');
    const existing = new Map((await this.db.all<{ id: string; body: string; source: string }>('SELECT id, body, source FROM tools')).map((r) => [r.id, r]));
    let changed = false;
    for (const t of tools) {
      const body = JSON.stringify(t);
      const row = existing.get(t.id);
      if (row && (row.source === 'custom' || row.body === body)) continue;
      await this.db.run(
        `INSERT INTO tools(id, body, source, updated_at) VALUES ($1, $2, 'builtin', $3)
         ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at WHERE tools.source = 'builtin'`,
        [t.id, body, new Date().toISOString()],
      );
      changed = true;
    }
    return changed;
  }
}
