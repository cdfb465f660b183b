// Policy service: creates policies (validating tool ids against the catalog), builds the bundle
// agents receive, and tells subscribers (the agent gateway) whenever the bundle changes.
import { EventEmitter } from 'node:events';
import { BUILTIN_CATALOG } from '../../../shared/src/catalog/builtin.js';
import type { Tool } from '../../../shared/src/catalog/schema.js';
import { EdictError } from '../../../shared/src/errors.js';
import { evaluateTool, zonedToInstant, type ToolVerdict } from '../../../shared/src/policy/evaluate.js';
import type { Policy, PolicyBundle, PolicySpec } from '../../../shared/src/policy/schema.js';
import { newId } from '../secrets.js';
import type { Store } from '../store/index.js';

export class PolicyService extends EventEmitter<{ changed: [PolicyBundle] }> {
  private bundle: PolicyBundle;

  constructor(private readonly store: Store) {
    super();
    store.policies.seedBuiltinTools(BUILTIN_CATALOG);
    this.bundle = this.build();
  }

  current(): PolicyBundle {
    return this.bundle;
  }

  private build(): PolicyBundle {
    return {
      version: this.store.policies.bundleVersion(),
      issuedAt: new Date().toISOString(),
      policies: this.store.policies.list(),
      catalog: this.store.policies.tools(),
    };
  }

  create(spec: PolicySpec, actor: string): Policy {
    const known = new Set(this.bundle.catalog.map((t) => t.id));
    const unknown = [...spec.tools, ...spec.replacements.map((r) => r.toolId)].filter((id) => !known.has(id));
    if (unknown.length) throw new EdictError('EDICT_ERR_UNKNOWN_TOOL', unknown.join(', '));
    const policy: Policy = {
      ...spec,
      id: newId('pol'),
      effectiveInstant: zonedToInstant(spec.effective).toISOString(),
      createdAt: new Date().toISOString(),
    };
    this.store.tx(() => {
      this.store.policies.create(policy, actor);
      this.store.audit.append(actor, 'policy.create', policy.id, { name: policy.name, tools: policy.tools, effective: policy.effective });
    });
    this.bundle = this.build();
    this.emit('changed', this.bundle);
    return policy;
  }

  /**
   * Adds or overrides a catalog tool (stored as `custom`, winning over a built-in of the same id),
   * then pushes the new bundle: agents pick up the signatures without an upgrade.
   */
  putTool(tool: Tool, actor: string): { tool: Tool; source: 'custom'; created: boolean } {
    const before = this.store.policies.toolRow(tool.id);
    this.store.tx(() => {
      this.store.policies.putCustomTool(tool);
      this.store.audit.append(actor, before ? 'tool.override' : 'tool.create', tool.id, { previousSource: before?.source ?? null, displayName: tool.displayName });
    });
    this.bundle = this.build();
    this.emit('changed', this.bundle);
    return { tool, source: 'custom', created: !before };
  }

  /** Removes an admin's custom tool: reverts to the built-in entry when there is one. */
  deleteTool(id: string, actor: string): { id: string; result: 'reverted' | 'deleted' } {
    const row = this.store.policies.toolRow(id);
    if (!row || row.source !== 'custom') throw new EdictError('EDICT_ERR_NOT_FOUND', `no custom tool ${id} (built-in tools can be overridden, not deleted)`);
    const builtin = BUILTIN_CATALOG.find((t) => t.id === id);
    if (!builtin) {
      const users = this.bundle.policies.filter((p) => p.tools.includes(id) || p.replacements.some((r) => r.toolId === id));
      if (users.length) throw new EdictError('EDICT_ERR_UNKNOWN_TOOL', `tool ${id} is named by ${users.map((p) => p.id).join(', ')}; it cannot leave the catalog`);
    }
    let result: 'reverted' | 'deleted' = 'deleted';
    this.store.tx(() => {
      result = this.store.policies.deleteCustomTool(id, builtin);
      this.store.audit.append(actor, result === 'reverted' ? 'tool.revert' : 'tool.delete', id, {});
    });
    this.bundle = this.build();
    this.emit('changed', this.bundle);
    return { id, result };
  }

  /** The stage the policies in force put `toolId` in at `atMs`. */
  verdict(toolId: string, atMs: number): ToolVerdict {
    return evaluateTool(this.bundle.policies, toolId, atMs);
  }
}
