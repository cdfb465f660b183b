// Exceptions service: employee requests (from agent events), admin grants, approvals, denials,
// revocations and expiry. Every step is a timeline fact and an audit entry; every change that
// affects enforcement reconciles the device's state and pushes a new bundle to the device.
import { EdictError } from '../../../shared/src/errors.js';
import type { ExceptionRequestEvent } from '../../../shared/src/protocol/index.js';
import type { PolicyService } from '../policy/service.js';
import { newId } from '../secrets.js';
import type { ExceptionRow, ExceptionStatus, Store } from '../store/index.js';
import type { ComplianceService } from './service.js';

export interface DecisionSink {
  /** Delivers a decision to the device if connected; returns whether it was sent. */
  sendDecision(row: ExceptionRow): boolean;
}

const canonical = (iso: string) => new Date(iso).toISOString();

export class ExceptionService {
  sink?: DecisionSink;

  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly compliance: ComplianceService,
  ) {}

  /** Stores an employee's request (inside the report transaction); a replayed event adds nothing (returns false). */
  async recordRequest(deviceId: string, e: ExceptionRequestEvent): Promise<boolean> {
    const inserted = await this.store.exceptions.insert({
      id: newId('exc'),
      toolId: e.toolId,
      deviceId,
      user: e.user,
      reason: e.reason,
      status: 'requested',
      requestedBy: `employee:${e.user}`,
      requestedAt: e.observedAt,
      requestEvent: e.eventId,
      expiresAt: null,
    });
    if (inserted) await this.store.compliance.fact(deviceId, e.toolId, e.observedAt, 'exception-requested', `requested by ${e.user}`, { user: e.user, reason: e.reason }, e.eventId);
    return inserted;
  }

  /** An admin or helpdesk grants an exception directly. */
  async grant(given: { toolId: string; deviceId: string; user?: string; reason: string; expiresAt: string }, actor: string): Promise<ExceptionRow> {
    // Instants are stored in one canonical form (toISOString), so they compare as text.
    const input = { ...given, expiresAt: canonical(given.expiresAt) };
    if (!(await this.store.devices.get(input.deviceId))) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${input.deviceId}`);
    this.checkExpiry(input.expiresAt);
    // Kept as the canonical instant (UTC, milliseconds): expiries are compared and ordered as text.
    const expiresAt = new Date(input.expiresAt).toISOString();
    const id = newId('exc');
    const now = new Date().toISOString();
    await this.store.tx(async (r) => {
      await r.exceptions.insert({
        id,
        toolId: input.toolId,
        deviceId: input.deviceId,
        user: input.user ?? null,
        reason: input.reason,
        status: 'granted',
        requestedBy: actor,
        requestedAt: now,
        requestEvent: null,
        decidedBy: actor,
        decidedAt: now,
        decisionNote: input.reason,
        expiresAt,
      });
      await this.afterDecision(id, 'exception-granted', actor, now);
      await this.policies.touchDeviceInTx(input.deviceId);
    });
    await this.policies.refresh('device', [input.deviceId]);
    return (await this.store.exceptions.get(id))!;
  }

  async approve(id: string, given: { expiresAt: string; note?: string }, actor: string): Promise<ExceptionRow> {
    const input = { ...given, expiresAt: canonical(given.expiresAt) };
    this.checkExpiry(input.expiresAt);
    let deviceId = '';
    await this.store.tx(async (r) => {
      deviceId = (await this.requireStatus(id, ['requested'])).deviceId;
      await r.exceptions.decide(id, 'granted', actor, input.note ?? null, new Date(input.expiresAt).toISOString());
      await this.afterDecision(id, 'exception-granted', actor, (await r.exceptions.get(id))!.decidedAt!);
      await this.policies.touchDeviceInTx(deviceId);
    });
    await this.policies.refresh('device', [deviceId]);
    return this.deliver(id);
  }

  async deny(id: string, input: { note?: string }, actor: string): Promise<ExceptionRow> {
    await this.store.tx(async (r) => {
      await this.requireStatus(id, ['requested']);
      await r.exceptions.decide(id, 'denied', actor, input.note ?? null, null);
      await this.afterDecision(id, 'exception-denied', actor, (await r.exceptions.get(id))!.decidedAt!);
    });
    return this.deliver(id);
  }

  async revoke(id: string, actor: string): Promise<ExceptionRow> {
    const now = new Date().toISOString();
    let deviceId = '';
    await this.store.tx(async (r) => {
      deviceId = (await this.requireStatus(id, ['granted'])).deviceId;
      await r.exceptions.end(id, 'revoked', actor, now);
      await this.afterDecision(id, 'exception-revoked', actor, now);
      await this.policies.touchDeviceInTx(deviceId);
    });
    await this.policies.refresh('device', [deviceId]);
    return (await this.store.exceptions.get(id))!;
  }

  /**
   * Ends a granted exception at its expiry instant (called by the scheduler, and at start-up for
   * missed ones). Nothing is pushed: the agent's copy carries the expiry and ends it on its own.
   */
  async expire(id: string): Promise<void> {
    const row = await this.store.exceptions.get(id);
    if (!row || row.status !== 'granted' || !row.expiresAt) return;
    await this.store.tx(async (r) => {
      // Conditional on it still being granted: ended once, whichever node gets there first.
      if (!(await r.exceptions.end(id, 'expired', 'system', row.expiresAt!))) return;
      await r.compliance.fact(row.deviceId, row.toolId, row.expiresAt!, 'exception-expired', 'expiry reached', { exceptionId: id }, null);
      await r.audit.append('system', 'exception.expire', id, { deviceId: row.deviceId, toolId: row.toolId });
      await this.compliance.reconcile(row.deviceId, row.toolId, row.expiresAt!, 'exception-expired', { exceptionId: id });
    });
  }

  private async afterDecision(id: string, kind: string, actor: string, at: string): Promise<void> {
    const row = (await this.store.exceptions.get(id))!;
    await this.store.compliance.fact(row.deviceId, row.toolId, at, kind, `by ${actor}`, { exceptionId: id, user: row.user, expiresAt: row.expiresAt, note: row.decisionNote }, null);
    // With the reason: an auditor reading the log sees why each exception exists.
    await this.store.audit.append(actor, kind.replace('exception-', 'exception.'), id, {
      deviceId: row.deviceId,
      toolId: row.toolId,
      user: row.user,
      expiresAt: row.expiresAt,
      reason: row.reason,
      ...(row.decisionNote && row.decisionNote !== row.reason ? { note: row.decisionNote } : {}),
    });
    await this.compliance.reconcile(row.deviceId, row.toolId, at, kind, { exceptionId: id });
  }

  private async deliver(id: string): Promise<ExceptionRow> {
    const row = (await this.store.exceptions.get(id))!;
    if (row.requestEvent) {
      if (this.sink?.sendDecision(row)) await this.store.exceptions.markDecisionSent(id);
      // Not connected here: the node that holds the device (if any) delivers it; else its next hello does.
      else await this.store.cluster.notify({ kind: 'decision', exceptionId: id, deviceId: row.deviceId }).catch(() => undefined);
    }
    return (await this.store.exceptions.get(id))!;
  }

  /** A decision another node made for a device connected here (cluster notice). */
  async deliverFromPeer(id: string): Promise<void> {
    const row = await this.store.exceptions.get(id);
    if (!row?.requestEvent || row.decisionSent || !['granted', 'denied'].includes(row.status)) return;
    if (this.sink?.sendDecision(row)) await this.store.exceptions.markDecisionSent(id);
  }

  private async requireStatus(id: string, allowed: ExceptionStatus[]): Promise<ExceptionRow> {
    const row = await this.store.exceptions.get(id);
    if (!row) throw new EdictError('EDICT_ERR_NOT_FOUND', `exception ${id}`);
    if (!allowed.includes(row.status)) throw new EdictError('EDICT_ERR_VALIDATION', `exception ${id} is ${row.status}`);
    return row;
  }

  private checkExpiry(expiresAt: string): void {
    if (!(Date.parse(expiresAt) > Date.now())) throw new EdictError('EDICT_ERR_VALIDATION', 'expiresAt: must be in the future');
  }
}
