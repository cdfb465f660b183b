// Policy service: drafts (create, edit), publishing (freezes a numbered version with its stage
// instants resolved), retiring, the tool catalog, and the signed bundle each device receives
// (policies in force, catalog, the device's tags and exceptions). Emits 'changed' with the new
// bundle version whenever agents must be told; the gateway pushes per-device bundles then.
import { EventEmitter } from 'node:events';
import { BUILTIN_CATALOG } from '../../../shared/src/catalog/builtin.js';
import type { Tool } from '../../../shared/src/catalog/schema.js';
import { EdictError } from '../../../shared/src/errors.js';
import { evaluateTool, resolveInstants, type Subject, type ToolVerdict } from '../../../shared/src/policy/evaluate.js';
import type { Policy, PolicyBundle, PolicySpec, SignedBundle } from '../../../shared/src/policy/schema.js';
import { signBundle } from '../../../shared/src/policy/signing.js';
import type { SigningKey } from '../keys.js';
import { newId } from '../secrets.js';
import type { Store } from '../store/index.js';
import type { PolicyRow } from '../store/policies.js';

/** `changed`: the new bundle version, and the devices it concerns (undefined = every device). */
export class PolicyService extends EventEmitter<{ changed: [number, string[] | undefined] }> {
  private activeCache: Policy[] = [];
  private catalogCache: Tool[] = [];
  private versionCache = 0;
  private readonly bundles = new Map<string, { version: number; signed: SignedBundle }>();

  constructor(
    private readonly store: Store,
    private readonly key: SigningKey,
  ) {
    super();
    store.policies.seedBuiltinTools(BUILTIN_CATALOG);
    this.reload();
  }

  private reload(): void {
    this.activeCache = this.store.policies.active();
    this.catalogCache = this.store.policies.tools();
    this.versionCache = this.store.policies.bundleVersion();
  }

  /** Re-reads policies and catalog and tells agents (call after a change committed in the store). */
  refresh(deviceIds?: string[]): void {
    this.reload();
    this.emit('changed', this.versionCache, deviceIds);
  }

  /**
   * Raises the bundle version inside the caller's transaction, so the change and "agents must
   * fetch a new bundle" commit together; call refresh() after the commit.
   */
  touchInTx(): void {
    this.store.policies.touchBundle();
  }

  /** Raises the bundle version now (stage boundary) and tells agents. */
  touch(deviceIds?: string[]): void {
    this.store.tx(() => this.touchInTx());
    this.refresh(deviceIds);
  }

  version(): number {
    return this.versionCache;
  }
  active(): readonly Policy[] {
    return this.activeCache;
  }
  catalog(): readonly Tool[] {
    return this.catalogCache;
  }

  private checkTools(spec: PolicySpec): void {
    const known = new Set(this.catalogCache.map((t) => t.id));
    const unknown = [...spec.tools, ...spec.replacements.map((r) => r.toolId)].filter((id) => !known.has(id));
    if (unknown.length) throw new EdictError('EDICT_ERR_UNKNOWN_TOOL', unknown.join(', '));
  }

  createDraft(spec: PolicySpec, actor: string): PolicyRow {
    this.checkTools(spec);
    const id = newId('pol');
    this.store.tx(() => {
      this.store.policies.createDraft({ id, name: spec.name, draft: spec, createdBy: actor });
      this.store.audit.append(actor, 'policy.draft.create', id, { name: spec.name, tools: spec.tools });
    });
    return this.store.policies.get(id)!;
  }

  /** Edits the draft of a policy; a published version stays frozen until the policy is published again. */
  updateDraft(id: string, spec: PolicySpec, actor: string): PolicyRow {
    const row = this.require(id);
    if (row.status === 'retired') throw new EdictError('EDICT_ERR_VALIDATION', `policy ${id} is retired`);
    this.checkTools(spec);
    this.store.tx(() => {
      this.store.policies.updateDraft(id, spec);
      this.store.audit.append(actor, 'policy.draft.update', id, { name: spec.name });
    });
    return this.store.policies.get(id)!;
  }

  /**
   * Freezes the current draft as the next numbered version and pushes it to agents. `inTx` runs in
   * the same transaction with the new version already in force (e.g. recomputing compliance), so a
   * crash never leaves a published ban without its consequences recorded.
   */
  publish(id: string, actor: string, inTx?: (policy: Policy) => void, now = new Date()): Policy {
    const row = this.require(id);
    if (row.status === 'retired') throw new EdictError('EDICT_ERR_VALIDATION', `policy ${id} is retired`);
    this.checkTools(row.draft);
    const policy = this.asPublished(id, row.draft, (row.latestVersion ?? 0) + 1, now);
    this.inTransaction(() => {
      this.store.policies.publish(policy, actor);
      this.store.audit.append(actor, 'policy.publish', id, { version: policy.version, tools: policy.tools, instants: policy.instants, scope: policy.scope });
      this.reload();
      inTx?.(policy);
    });
    this.refresh();
    return policy;
  }

  /** Runs fn in a transaction; on failure the caches are re-read so they match what was rolled back. */
  private inTransaction(fn: () => void): void {
    try {
      this.store.tx(fn);
    } catch (err) {
      this.reload();
      throw err;
    }
  }

  /** The policy as it would be if published at `now` (also used by the impact preview). */
  asPublished(id: string, spec: PolicySpec, version: number, now: Date): Policy {
    return { ...spec, id, version, publishedAt: now.toISOString(), instants: resolveInstants(spec, now) };
  }

  retire(id: string, actor: string, inTx?: () => void): void {
    const row = this.require(id);
    if (row.status === 'retired') return;
    this.inTransaction(() => {
      this.store.policies.retire(id);
      this.store.audit.append(actor, 'policy.retire', id, {});
      this.reload();
      inTx?.();
    });
    this.refresh();
  }

  /** Version and catalog in force (what the tools routes show). */
  current(): { version: number; catalog: readonly Tool[] } {
    return { version: this.versionCache, catalog: this.catalogCache };
  }

  /** Adds or overrides a catalog tool (stored as custom); agents get it with the next bundle. */
  putTool(tool: Tool, actor: string): { created: boolean; tool: Tool; source: 'custom' } {
    const existed = !!this.store.policies.toolRow(tool.id);
    this.store.tx(() => {
      this.store.policies.putCustomTool(tool);
      this.store.audit.append(actor, existed ? 'tool.override' : 'tool.create', tool.id, { displayName: tool.displayName });
    });
    this.refresh();
    return { created: !existed, tool, source: 'custom' };
  }

  /** Removes an admin's custom tool entry: back to the built-in one where there is one. */
  deleteTool(id: string, actor: string): { id: string; result: 'reverted' | 'deleted' } {
    const row = this.store.policies.toolRow(id);
    if (!row || row.source !== 'custom') throw new EdictError('EDICT_ERR_NOT_FOUND', `custom tool ${id}`);
    const inUse = this.activeCache.some((p) => p.tools.includes(id) || p.replacements.some((r) => r.toolId === id));
    const builtin = BUILTIN_CATALOG.find((t) => t.id === id);
    if (inUse && !builtin) throw new EdictError('EDICT_ERR_VALIDATION', `tool ${id} is used by a policy in force`);
    const result = this.store.tx(() => {
      const r = this.store.policies.deleteCustomTool(id, builtin);
      this.store.audit.append(actor, 'tool.delete', id, { result: r });
      return r;
    });
    this.refresh();
    return { id, result };
  }

  require(id: string): PolicyRow {
    const row = this.store.policies.get(id);
    if (!row) throw new EdictError('EDICT_ERR_NOT_FOUND', `policy ${id}`);
    return row;
  }

  /** The signed bundle for one device, cached until the bundle version changes. */
  bundleFor(deviceId: string): SignedBundle {
    const cached = this.bundles.get(deviceId);
    if (cached && cached.version === this.versionCache) return cached.signed;
    const device = this.store.devices.get(deviceId);
    const now = new Date().toISOString();
    const bundle: PolicyBundle = {
      version: this.versionCache,
      issuedAt: now,
      device: { id: deviceId, tags: device?.tags ?? [] },
      policies: this.activeCache,
      catalog: this.catalogCache,
      exceptions: this.store.exceptions.inForce(deviceId, now).map((e) => ({ id: e.id, toolId: e.toolId, ...(e.user ? { user: e.user } : {}), expiresAt: e.expiresAt! })),
    };
    const signed = signBundle(bundle, this.key.privateKey, this.key.publicKeyPem);
    this.bundles.set(deviceId, { version: this.versionCache, signed });
    return signed;
  }

  /** Stage, action and exception for a subject at an instant, from the policies in force. */
  verdict(subject: Subject, atMs: number): ToolVerdict {
    const exceptions = this.store.exceptions
      .inForce(subject.deviceId, new Date(atMs).toISOString())
      .map((e) => ({ id: e.id, toolId: e.toolId, ...(e.user ? { user: e.user } : {}), expiresAt: e.expiresAt! }));
    return evaluateTool(this.activeCache, subject, atMs, exceptions);
  }
}
