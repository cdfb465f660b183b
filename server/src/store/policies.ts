// Policies (drafts and frozen versions), the tool catalog and the bundle version. Every change
// agents must hear about bumps the bundle version in the same transaction, so an agent can tell
// "same bundle" by one integer.
import type { Tool } from '../../../shared/src/catalog/schema.js';
import type { Policy, PolicySpec } from '../../../shared/src/policy/schema.js';
import type { Db } from './db.js';

export interface PolicyRow {
  id: string;
  name: string;
  draft: PolicySpec;
  status: 'draft' | 'published' | 'retired';
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  latestVersion: number | null;
  retiredAt: string | null;
}
type RawPolicyRow = Omit<PolicyRow, 'draft'> & { draft: string };
const POLICY_COLUMNS = `id, name, draft, status, created_at AS createdAt, created_by AS createdBy, updated_at AS updatedAt,
  latest_version AS latestVersion, retired_at AS retiredAt`;
function decodePolicy(r: RawPolicyRow): PolicyRow {
  return { ...r, draft: JSON.parse(r.draft) as PolicySpec };
}

export class PolicyStore {
  constructor(private readonly db: Db) {}

  bundleVersion(): number {
    return Number(this.db.prepare("SELECT value FROM meta WHERE key = 'bundle_version'").pluck().get());
  }

  private bumpBundleVersion(): number {
    this.db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'bundle_version'").run();
    return this.bundleVersion();
  }

  meta(key: string): string | undefined {
    return this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Raises the bundle version (any change agents must hear about: policies, catalog, tags, exceptions, stage boundaries). */
  touchBundle(): number {
    return this.bumpBundleVersion();
  }

  createDraft(row: { id: string; name: string; draft: PolicySpec; createdBy: string }): void {
    const now = new Date().toISOString();
    this.db
      .prepare("INSERT INTO policies(id, name, draft, status, created_at, created_by, updated_at) VALUES (?, ?, ?, 'draft', ?, ?, ?)")
      .run(row.id, row.name, JSON.stringify(row.draft), now, row.createdBy, now);
  }

  updateDraft(id: string, draft: PolicySpec): void {
    this.db.prepare('UPDATE policies SET name = ?, draft = ?, updated_at = ? WHERE id = ?').run(draft.name, JSON.stringify(draft), new Date().toISOString(), id);
  }

  get(id: string): PolicyRow | undefined {
    const r = this.db.prepare(`SELECT ${POLICY_COLUMNS} FROM policies WHERE id = ?`).get(id) as RawPolicyRow | undefined;
    return r && decodePolicy(r);
  }

  list(): PolicyRow[] {
    return (this.db.prepare(`SELECT ${POLICY_COLUMNS} FROM policies ORDER BY created_at, id`).all() as RawPolicyRow[]).map(decodePolicy);
  }

  /** Freezes a version and bumps the bundle version, atomically. */
  publish(policy: Policy, by: string): number {
    return this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO policy_versions(policy_id, version, body, published_at, published_by) VALUES (?, ?, ?, ?, ?)')
        .run(policy.id, policy.version, JSON.stringify(policy), policy.publishedAt, by);
      this.db.prepare("UPDATE policies SET status = 'published', latest_version = ?, updated_at = ? WHERE id = ?").run(policy.version, policy.publishedAt, policy.id);
      return this.bumpBundleVersion();
    })();
  }

  retire(id: string): number {
    return this.db.transaction(() => {
      this.db.prepare("UPDATE policies SET status = 'retired', retired_at = ? WHERE id = ?").run(new Date().toISOString(), id);
      return this.bumpBundleVersion();
    })();
  }

  versions(id: string): Policy[] {
    return (this.db.prepare('SELECT body FROM policy_versions WHERE policy_id = ? ORDER BY version').pluck().all(id) as string[]).map((b) => JSON.parse(b) as Policy);
  }

  /** The latest published version of every policy in force (published, not retired). */
  active(): Policy[] {
    return (
      this.db
        .prepare(
          `SELECT v.body FROM policies p JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.latest_version
           WHERE p.status = 'published' ORDER BY p.created_at, p.id`,
        )
        .pluck()
        .all() as string[]
    ).map((b) => JSON.parse(b) as Policy);
  }

  tools(): Tool[] {
    return (this.db.prepare('SELECT body FROM tools ORDER BY id').pluck().all() as string[]).map((b) => JSON.parse(b) as Tool);
  }

  /** One catalog row with where it came from, or undefined. */
  toolRow(id: string): { tool: Tool; source: 'builtin' | 'custom'; updatedAt: string } | undefined {
    const row = this.db.prepare('SELECT body, source, updated_at AS updatedAt FROM tools WHERE id = ?').get(id) as
      | { body: string; source: 'builtin' | 'custom'; updatedAt: string }
      | undefined;
    return row ? { tool: JSON.parse(row.body) as Tool, source: row.source, updatedAt: row.updatedAt } : undefined;
  }

  /** Adds or overrides a tool as an admin's custom entry (it then wins over the built-in); bumps the bundle version. */
  putCustomTool(tool: Tool): number {
    return this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO tools(id, body, source, updated_at) VALUES (?, ?, 'custom', ?)
           ON CONFLICT(id) DO UPDATE SET body = excluded.body, source = 'custom', updated_at = excluded.updated_at`,
        )
        .run(tool.id, JSON.stringify(tool), new Date().toISOString());
      return this.bumpBundleVersion();
    })();
  }

  /** Drops a custom entry: back to `builtin` when one exists, else removed. Bumps the bundle version. */
  deleteCustomTool(id: string, builtin: Tool | undefined): 'reverted' | 'deleted' {
    return this.db.transaction(() => {
      let result: 'reverted' | 'deleted';
      if (builtin) {
        this.db.prepare("UPDATE tools SET body = ?, source = 'builtin', updated_at = ? WHERE id = ?").run(JSON.stringify(builtin), new Date().toISOString(), id);
        result = 'reverted';
      } else {
        this.db.prepare('DELETE FROM tools WHERE id = ?').run(id);
        result = 'deleted';
      }
      this.bumpBundleVersion();
      return result;
    })();
  }

  /** Inserts or refreshes built-in tools (custom overrides win); bumps the version only if something changed. */
  seedBuiltinTools(tools: readonly Tool[]): boolean {
    return this.db.transaction(() => {
      let changed = false;
      const existing = this.db.prepare('SELECT body, source FROM tools WHERE id = ?');
      const upsert = this.db.prepare(
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
      if (changed) this.bumpBundleVersion();
      return changed;
    })();
  }
}
