// Policy service: drafts (create, edit), publishing (freezes a numbered version with its stage
// instants resolved), retiring, the tool catalog, and the three signed parts agents receive: the
// catalog and the policies in force (identical for every device: signed once per version, the
// same bytes sent to all) and each device's own part (id, tags, exceptions: small, re-signed only
// when that device's tags or exceptions change). Keeps in memory the policies in force, the
// catalog, the part versions and every published version (for "which policies were in force at
// instant t"). Emits 'changed' with the part whenever agents must be told; the gateway fans it out.
import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { BUILTIN_CATALOG } from '../../../shared/src/catalog/builtin.js';
import type { Tool } from '../../../shared/src/catalog/schema.js';
import { EdictError } from '../../../shared/src/errors.js';
import { evaluateTool, resolveInstants, type Subject, type ToolVerdict } from '../../../shared/src/policy/evaluate.js';
import type { PartName, Policy, PolicyPart, PolicySpec, SignedBundle } from '../../../shared/src/policy/schema.js';
import { signPart } from '../../../shared/src/policy/signing.js';
import type { PolicyMessage } from '../../../shared/src/protocol/index.js';
import type { SigningKey } from '../keys.js';
import { newId } from '../secrets.js';
import type { DeviceRow, PolicyRow, Store } from '../store/index.js';

interface VersionSpan {
  policy: Policy;
  fromMs: number;
  /** When a later version or the retirement ended it (Infinity: still in force). */
  untilMs: number;
  retiredAt: string | null;
}

/** A signed part ready to send: its version and the exact `policy` frame text (as bytes, shared by every send). */
export interface SignedPart {
  version: number;
  signed: SignedBundle;
  frame: Buffer;
}

/** `changed`: which part changed, and the devices it concerns (undefined = every device). */
export class PolicyService extends EventEmitter<{ changed: [PartName, string[] | undefined] }> {
  private activeCache: Policy[] = [];
  private catalogCache: Tool[] = [];
  private catalogVersion = 0;
  private policiesVersion = 0;
  private spans: VersionSpan[] = [];
  private everBannedCache = new Set<string>();
  private signedCatalog?: SignedPart;
  private signedPolicies?: SignedPart;
  private readonly deviceParts = new Map<string, SignedPart>();
  /** Parts signed so far, by kind (health, benchmark: identical content is signed once). */
  readonly signatures = { catalog: 0, policies: 0, device: 0 };

  private constructor(
    private readonly store: Store,
    private readonly key: SigningKey,
  ) {
    super();
  }

  static async create(store: Store, key: SigningKey): Promise<PolicyService> {
    const s = new PolicyService(store, key);
    await store.tx(async (r) => {
      if (await r.policies.seedBuiltinTools(BUILTIN_CATALOG)) await r.policies.bumpPartVersion('catalog');
    });
    await s.reload();
    return s;
  }

  private async reload(): Promise<void> {
    // The versions first, then the content (which may be newer): read side by side on PostgreSQL's
    // pool (separate snapshots), a publish committing in between would leave the new version number
    // on the old content, and catchUp would then never see the cache as stale.
    const [catalogVersion, policiesVersion] = await Promise.all([this.store.policies.partVersion('catalog'), this.store.policies.partVersion('policies')]);
    const [active, catalog, history] = await Promise.all([this.store.policies.active(), this.store.policies.tools(), this.store.policies.history()]);
    // Two reloads at once (a notice and a catch-up) can end out of order: never go back to older versions.
    if (catalogVersion < this.catalogVersion || policiesVersion < this.policiesVersion) return;
    this.activeCache = active;
    this.catalogCache = catalog;
    this.catalogVersion = catalogVersion;
    this.policiesVersion = policiesVersion;
    const spans: VersionSpan[] = [];
    const byPolicy = new Map<string, { policy: Policy; retiredAt: string | null }[]>();
    for (const h of history) byPolicy.set(h.policy.id, [...(byPolicy.get(h.policy.id) ?? []), h]);
    for (const versions of byPolicy.values()) {
      versions.sort((a, b) => a.policy.version - b.policy.version);
      versions.forEach((v, i) => {
        const next = versions[i + 1];
        const retired = v.retiredAt ? Date.parse(v.retiredAt) : Infinity;
        spans.push({ policy: v.policy, fromMs: Date.parse(v.policy.publishedAt), untilMs: Math.min(next ? Date.parse(next.policy.publishedAt) : Infinity, retired), retiredAt: v.retiredAt });
      });
    }
    this.spans = spans;
    this.everBannedCache = new Set(spans.flatMap((s) => s.policy.tools));
  }

  /**
   * Re-reads policies and catalog and tells agents about `part` (call after a change committed in
   * the store). A change made on this node is also announced to the other nodes of a cluster
   * (`fromPeer`: the change came from another node's notice, so it is not announced again).
   */
  async refresh(part: PartName, deviceIds?: string[], fromPeer = false): Promise<void> {
    await this.reload();
    if (part === 'device') for (const id of deviceIds ?? []) this.deviceParts.delete(id);
    this.emit('changed', part, deviceIds);
    if (!fromPeer) {
      const version = part === 'catalog' ? this.catalogVersion : part === 'policies' ? this.policiesVersion : undefined;
      await this.store.cluster.notify({ kind: 'part', part, ...(version !== undefined ? { version } : {}), ...(deviceIds ? { deviceIds } : {}) }).catch(() => undefined);
    }
  }

  /** Raises one device's part version inside the caller's transaction; call refresh('device', [id]) after the commit. */
  async touchDeviceInTx(deviceId: string): Promise<void> {
    await this.store.devices.bumpPartVersion(deviceId);
  }

  /**
   * Re-reads policies and catalog when the database holds other versions than this node's cache: a
   * change committed whose refresh has not run here yet (a compliance job queued by a publish can be
   * picked up by the scheduler's next tick before the publish's own refresh ends), or one made on
   * another node whose nudge has not arrived. Refreshed as a nudge would (agents are sent the part),
   * so the cluster's periodic catch-up, which compares these same versions, never finds the cache
   * current while this node's agents still lack the part.
   */
  async catchUp(): Promise<void> {
    const [catalog, policies] = await Promise.all([this.store.policies.partVersion('catalog'), this.store.policies.partVersion('policies')]);
    if (catalog !== this.catalogVersion) await this.refresh('catalog', undefined, true);
    if (policies !== this.policiesVersion) await this.refresh('policies', undefined, true);
  }

  /**
   * catchUp for a derivation inside a transaction (a compliance reconcile): re-reads the policies,
   * within the caller's transaction, when the database holds a newer version than this node's
   * cache. Agents are told afterwards, as a nudge would tell them, from outside the transaction's
   * context (what the fan-out reads must not join it).
   */
  async catchUpInTx(): Promise<void> {
    if ((await this.store.policies.partVersion('policies')) === this.policiesVersion) return;
    const catalogBefore = this.catalogVersion;
    await this.reload();
    // reload takes the catalog too: a new catalog version must reach agents as well.
    this.unannounced.add('policies');
    if (this.catalogVersion !== catalogBefore) this.unannounced.add('catalog');
    if (this.announcing) return;
    this.announcing = true;
    this.outside.runInAsyncScope(() =>
      setImmediate(() => {
        this.announcing = false;
        const parts = [...this.unannounced];
        this.unannounced.clear();
        for (const part of parts) {
          try {
            this.emit('changed', part, undefined);
          } catch {
            // A listener's own failure; the cluster's periodic catch-up compares what agents confirmed.
          }
        }
      }),
    );
  }

  /** Made with the service, outside any transaction: announcements from catchUpInTx run in its context. */
  private readonly outside = new AsyncResource('edict.policy-announce');
  private announcing = false;
  private readonly unannounced = new Set<PartName>();

  /** Current part versions (what a fully up-to-date agent holds, device part aside). */
  versions(): { catalog: number; policies: number } {
    return { catalog: this.catalogVersion, policies: this.policiesVersion };
  }
  active(): readonly Policy[] {
    return this.activeCache;
  }
  catalog(): readonly Tool[] {
    return this.catalogCache;
  }

  /** The published versions in force at an instant (each policy's latest version published by then, unless retired by then). */
  policiesAt(atMs: number): Policy[] {
    return this.spans.filter((s) => s.fromMs <= atMs && atMs < s.untilMs).map((s) => s.policy);
  }

  /** Whether any published version ever named the tool (a tool never banned has no compliance state). */
  everBanned(toolId: string): boolean {
    return this.everBannedCache.has(toolId);
  }

  bannedToolsEver(): string[] {
    return [...this.everBannedCache].sort();
  }

  /** Instants in [fromIso, toIso] at which the ban of a tool can change: publishes, retirements, stage dates in force. */
  changePoints(toolId: string, fromIso: string, toIso: string): { at: string; cause: string }[] {
    const out: { at: string; cause: string }[] = [];
    const inWindow = (iso: string | undefined | null) => !!iso && iso >= fromIso && iso <= toIso;
    for (const s of this.spans) {
      if (!s.policy.tools.includes(toolId)) continue;
      if (inWindow(s.policy.publishedAt)) out.push({ at: s.policy.publishedAt, cause: 'policy-published' });
      if (s.untilMs !== Infinity && s.retiredAt && Date.parse(s.retiredAt) === s.untilMs && inWindow(s.retiredAt)) out.push({ at: s.retiredAt, cause: 'policy-retired' });
      for (const [stage, at] of Object.entries(s.policy.instants)) {
        const ms = Date.parse(at);
        if (stage !== 'monitor' && inWindow(at) && ms >= s.fromMs && ms < s.untilMs) out.push({ at, cause: 'stage-boundary' });
      }
    }
    return out;
  }

  private checkTools(spec: PolicySpec): void {
    const known = new Set(this.catalogCache.map((t) => t.id));
    const unknown = [...spec.tools, ...spec.replacements.map((r) => r.toolId)].filter((id) => !known.has(id));
    if (unknown.length) throw new EdictError('EDICT_ERR_UNKNOWN_TOOL', unknown.join(', '));
  }

  async createDraft(spec: PolicySpec, actor: string): Promise<PolicyRow> {
    this.checkTools(spec);
    const id = newId('pol');
    await this.store.tx(async (r) => {
      await r.policies.createDraft({ id, name: spec.name, draft: spec, createdBy: actor });
      await r.audit.append(actor, 'policy.draft.create', id, { name: spec.name, tools: spec.tools });
    });
    return (await this.store.policies.get(id))!;
  }

  /** Edits the draft of a policy; a published version stays frozen until the policy is published again. */
  async updateDraft(id: string, spec: PolicySpec, actor: string): Promise<PolicyRow> {
    const row = await this.require(id);
    if (row.status === 'retired') throw new EdictError('EDICT_ERR_VALIDATION', `policy ${id} is retired`);
    this.checkTools(spec);
    await this.store.tx(async (r) => {
      await r.policies.updateDraft(id, spec);
      await r.audit.append(actor, 'policy.draft.update', id, { name: spec.name });
    });
    return (await this.store.policies.get(id))!;
  }

  /**
   * Freezes the current draft as the next numbered version and pushes it to agents. In the same
   * transaction it queues the recompute of every affected device's state at the publish instant, so
   * a crash never leaves a published ban without its consequences on the way.
   */
  async publish(id: string, actor: string, now = new Date()): Promise<Policy & { rolloutPart: number }> {
    await this.require(id);
    let policy!: Policy;
    const rolloutPart = await this.store.tx(async (r) => {
      // The row stays locked until commit: two nodes publishing one policy number their versions in turn.
      const row = (await r.policies.getForUpdate(id))!;
      if (row.status === 'retired') throw new EdictError('EDICT_ERR_VALIDATION', `policy ${id} is retired`);
      this.checkTools(row.draft);
      policy = this.asPublished(id, row.draft, (row.latestVersion ?? 0) + 1, now);
      const previous = (await r.policies.versions(id)).at(-1);
      const part = await r.policies.bumpPartVersion('policies');
      await r.policies.insertVersion(policy, actor, part);
      await r.audit.append(actor, 'policy.publish', id, { version: policy.version, tools: policy.tools, instants: policy.instants, scope: policy.scope, policiesPart: part });
      await r.compliance.addJob({ at: policy.publishedAt, cause: 'policy-published', tools: [...new Set([...policy.tools, ...(previous?.tools ?? [])])] });
      return part;
    });
    await this.refresh('policies');
    return { ...policy, rolloutPart };
  }

  /** The policy as it would be if published at `now` (also used by the impact preview). */
  asPublished(id: string, spec: PolicySpec, version: number, now: Date): Policy {
    return { ...spec, id, version, publishedAt: now.toISOString(), instants: resolveInstants(spec, now) };
  }

  async retire(id: string, actor: string): Promise<void> {
    const row = await this.require(id);
    if (row.status === 'retired') return;
    const at = new Date().toISOString();
    const tools = (await this.store.policies.versions(id)).at(-1)?.tools ?? [];
    await this.store.tx(async (r) => {
      await r.policies.markRetired(id, at);
      await r.policies.bumpPartVersion('policies');
      await r.audit.append(actor, 'policy.retire', id, {});
      if (tools.length) await r.compliance.addJob({ at, cause: 'policy-retired', tools });
    });
    await this.refresh('policies');
  }

  /** Catalog version and catalog in force (what the tools routes show). */
  current(): { version: number; catalog: readonly Tool[] } {
    return { version: this.catalogVersion, catalog: this.catalogCache };
  }

  /** Adds or overrides a catalog tool (stored as custom); agents get it with the next bundle. */
  async putTool(tool: Tool, actor: string): Promise<{ created: boolean; tool: Tool; source: 'custom' }> {
    const existed = !!(await this.store.policies.toolRow(tool.id));
    await this.store.tx(async (r) => {
      await r.policies.putCustomTool(tool);
      await r.policies.bumpPartVersion('catalog');
      await r.audit.append(actor, existed ? 'tool.override' : 'tool.create', tool.id, { displayName: tool.displayName });
    });
    await this.refresh('catalog');
    return { created: !existed, tool, source: 'custom' };
  }

  /** Removes an admin's custom tool entry: back to the built-in one where there is one. */
  async deleteTool(id: string, actor: string): Promise<{ id: string; result: 'reverted' | 'deleted' }> {
    const row = await this.store.policies.toolRow(id);
    if (!row || row.source !== 'custom') throw new EdictError('EDICT_ERR_NOT_FOUND', `custom tool ${id}`);
    const inUse = this.activeCache.some((p) => p.tools.includes(id) || p.replacements.some((r) => r.toolId === id));
    const builtin = BUILTIN_CATALOG.find((t) => t.id === id);
    if (inUse && !builtin) throw new EdictError('EDICT_ERR_VALIDATION', `tool ${id} is used by a policy in force`);
    const result = await this.store.tx(async (r) => {
      const res = await r.policies.deleteCustomTool(id, builtin);
      await r.policies.bumpPartVersion('catalog');
      await r.audit.append(actor, 'tool.delete', id, { result: res });
      return res;
    });
    await this.refresh('catalog');
    return { id, result };
  }

  async require(id: string): Promise<PolicyRow> {
    const row = await this.store.policies.get(id);
    if (!row) throw new EdictError('EDICT_ERR_NOT_FOUND', `policy ${id}`);
    return row;
  }

  private sign(part: PolicyPart): SignedPart {
    const signed = signPart(part, this.key.privateKey, this.key.publicKeyPem);
    this.signatures[part.part]++;
    const msg: PolicyMessage = { type: 'policy', part: part.part, signed };
    return { version: part.version, signed, frame: Buffer.from(JSON.stringify(msg)) };
  }

  /** The catalog part in force, signed once per version. */
  catalogPart(): SignedPart {
    if (this.signedCatalog?.version !== this.catalogVersion) {
      this.signedCatalog = this.sign({ part: 'catalog', version: this.catalogVersion, issuedAt: new Date().toISOString(), tools: this.catalogCache });
    }
    return this.signedCatalog;
  }

  /** The policies part in force, signed once per version: the same bytes go to every device. */
  policiesPart(): SignedPart {
    if (this.signedPolicies?.version !== this.policiesVersion) {
      this.signedPolicies = this.sign({ part: 'policies', version: this.policiesVersion, issuedAt: new Date().toISOString(), policies: this.activeCache });
    }
    return this.signedPolicies;
  }

  /**
   * One device's part (id, tags, exceptions in force), cached until that device's part version
   * changes. `row`: the device's row when the caller has just read it.
   */
  async devicePart(deviceId: string, row?: DeviceRow): Promise<SignedPart> {
    const device = row?.id === deviceId ? row : await this.store.devices.get(deviceId);
    if (!device) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${deviceId}`);
    const cached = this.deviceParts.get(deviceId);
    if (cached?.version === device.partVersion) return cached;
    const now = new Date().toISOString();
    const exceptions = await this.store.exceptions.inForce(deviceId, now);
    const part = this.sign({
      part: 'device',
      version: device.partVersion,
      issuedAt: now,
      device: { id: deviceId, tags: device.tags },
      exceptions: exceptions.map((e) => ({ id: e.id, toolId: e.toolId, ...(e.user ? { user: e.user } : {}), expiresAt: e.expiresAt! })),
    });
    this.deviceParts.set(deviceId, part);
    return part;
  }

  /** Forgets a disconnected device's signed part (it is rebuilt on its next hello if needed). */
  forgetDevice(deviceId: string): void {
    this.deviceParts.delete(deviceId);
  }

  /** Stage and action for a subject at an instant, under the policy versions in force then (no exceptions). */
  stageAt(subject: Subject, atMs: number): ToolVerdict {
    return evaluateTool(this.policiesAt(atMs), subject, atMs);
  }
}
