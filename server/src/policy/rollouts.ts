// Rollout progress and the state of every ban at a glance. A publish is carried to agents by a new
// policies-part version; a device counts as delivered once its agent confirmed (policy-applied, or
// hello on reconnect) that it verified and enforces that version or a later one. Pending: connected
// and not confirmed yet; offline: not connected and not confirmed (it gets the part at its next
// hello). The summary of every ban in force is dashboard/overview.ts.
import { EdictError } from '../../../shared/src/errors.js';
import type { AgentGateway } from '../gateway/agent-gateway.js';
import type { Store } from '../store/index.js';
import type { PolicyService } from './service.js';

export interface RolloutProgress {
  policyId: string;
  version: number;
  /** The policies-part version that carries this policy version to agents. */
  rolloutPart: number;
  rolloutId: string;
  devices: number;
  delivered: number;
  pending: number;
  offline: number;
}

export class Rollouts {
  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly gateway: AgentGateway,
  ) {}

  async progress(policyId: string): Promise<RolloutProgress> {
    const row = await this.policies.require(policyId);
    if (!row.latestVersion) throw new EdictError('EDICT_ERR_NOT_FOUND', `policy ${policyId} has no published version`);
    const part = (await this.store.policies.rolloutPart(policyId, row.latestVersion)) ?? this.policies.versions().policies;
    const [devices, notConfirmed] = await Promise.all([this.store.devices.countActive(), this.store.devices.notConfirmed(part)]);
    let pending = 0;
    let offline = 0;
    let confirmedSinceFlush = 0;
    for (const id of notConfirmed) {
      // Confirmations not yet written by the presence flush count too.
      if ((this.gateway.presence.appliedOf(id)?.policies ?? 0) >= part) confirmedSinceFlush++;
      else if (this.gateway.registry.isConnected(id)) pending++;
      else offline++;
    }
    return { policyId, version: row.latestVersion, rolloutPart: part, rolloutId: `${policyId}@${row.latestVersion}`, devices, delivered: devices - notConfirmed.length + confirmedSinceFlush, pending, offline };
  }
}
