// Devices and their enrollment: enrollment tokens (created, revoked), enrollment itself (a token
// use counted and the device created in one transaction), tags (policy scope; the device's states
// are reconciled and a new bundle pushed in the same commit), and revocation (the live connection
// is cut). Every change is in the audit log. Routes call these; they never open transactions.
import { EdictError } from '../../../shared/src/errors.js';
import type { ComplianceService } from '../compliance/service.js';
import type { PolicyService } from '../policy/service.js';
import { newId, newSecret } from '../secrets.js';
import type { DeviceRow, EnrollmentTokenRow, Store } from '../store/index.js';

export class DeviceService {
  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly compliance: ComplianceService,
  ) {}

  async createEnrollmentToken(input: { label: string; ttlHours: number; maxUses: number; tags: string[] }, actor: string): Promise<EnrollmentTokenRow & { token: string }> {
    return this.store.tx(async (r) => {
      const t = await r.tokens.createEnrollmentToken(input.label, input.ttlHours, input.maxUses, input.tags);
      await r.audit.append(actor, 'enrollment-token.create', t.id, { label: t.label, expiresAt: t.expiresAt, maxUses: t.maxUses, tags: t.tags });
      return t;
    });
  }

  async revokeEnrollmentToken(id: string, actor: string): Promise<void> {
    const ok = await this.store.tx(async (r) => {
      const revoked = await r.tokens.revokeEnrollmentToken(id);
      if (revoked) await r.audit.append(actor, 'enrollment-token.revoke', id);
      return revoked;
    });
    if (!ok) throw new EdictError('EDICT_ERR_NOT_FOUND', `enrollment token ${id}`);
  }

  /** Trades an enrollment token for a new device and its credential (shown only here); the device starts with the token's tags. */
  async enroll(token: string, hostname: string): Promise<{ deviceId: string; credential: string }> {
    const deviceId = newId('dev');
    const credential = newSecret('dev');
    await this.store.tx(async (r) => {
      const t = await r.tokens.consumeEnrollmentToken(token);
      await r.devices.create(deviceId, hostname, credential, t.id, t.tags);
      await r.audit.append(`enrollment:${t.id}`, 'device.enroll', deviceId, { hostname, tags: t.tags });
    });
    return { deviceId, credential };
  }

  async setTags(deviceId: string, tags: readonly string[], actor: string): Promise<DeviceRow> {
    if (!(await this.store.devices.get(deviceId))) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${deviceId}`);
    // Scope may now match differently: a new bundle for the device and its states, all in one commit.
    await this.store.tx(async (r) => {
      await r.devices.setTags(deviceId, tags, actor);
      await r.audit.append(actor, 'device.tags', deviceId, { tags });
      await this.policies.touchDeviceInTx(deviceId);
      await this.compliance.reconcileDevice(deviceId, new Date().toISOString(), 'device-tags');
    });
    await this.policies.refresh('device', [deviceId]);
    return (await this.store.devices.get(deviceId))!;
  }

  /** Revokes a device's credential; the caller cuts its live connection. */
  async revoke(deviceId: string, actor: string): Promise<DeviceRow> {
    const ok = await this.store.tx(async (r) => {
      const revoked = await r.devices.revoke(deviceId);
      if (revoked) await r.audit.append(actor, 'device.revoke', deviceId);
      return revoked;
    });
    if (!ok) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${deviceId} (or already revoked)`);
    // Whichever node holds its connection cuts it (this node's route cuts a local one).
    await this.store.cluster.notify({ kind: 'revoked', deviceId }).catch(() => undefined);
    return (await this.store.devices.get(deviceId))!;
  }
}
