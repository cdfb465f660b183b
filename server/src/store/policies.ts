// Policies, the tool catalog and the bundle version. Every change to either bumps the bundle
// version in the same transaction, so agents can tell "same bundle" by one integer.
import type { Tool } from '../../../shared/src/catalog/schema.js';
import type { Policy } from '../../../shared/src/policy/schema.js';
import type { Db } from './db.js';

export class PolicyStore {
  constructor(private readonly db: Db) {}

  bundleVersion(): number {
    return Number(this.db.prepare("SELECT value FROM meta WHERE key = 'bundle_version'").pluck().get());
  }

  private bumpBundleVersion(): number {
    this.db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'bundle_version'").run();
    return this.bundleVersion();
  }

  /** Inserts a policy and bumps the bundle version atomically; returns the new version. */
  create(policy: Policy, createdBy: string): number {
    return this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO policies(id, name, body, effective_instant, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)')
        .run(policy.id, policy.name, JSON.stringify(policy), policy.effectiveInstant, policy.createdAt, createdBy);
      return this.bumpBundleVersion();
    })();
  }

  list(): Policy[] {
    return (this.db.prepare('SELECT body FROM policies ORDER BY created_at, id').pluck().all() as string[]).map((b) => JSON.parse(b) as Policy);
  }

  get(id: string): Policy | undefined {
    const body = this.db.prepare('SELECT body FROM policies WHERE id = ?').pluck().get(id) as string | undefined;
    return body ? (JSON.parse(body) as Policy) : undefined;
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
