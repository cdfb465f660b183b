// Exceptions service: employee requests (from agent events), admin grants, approvals, denials,
// revocations and expiry. Every step is a timeline fact and an audit entry; every change that
// affects enforcement recomputes the device's state and pushes a new bundle to the device.
import { EdictError } from '../../../shared/src/errors.js';
import type { ExceptionRequestEvent } from '../../../shared/src/protocol/index.js';
import type { PolicyService } from '../policy/service.js';
import { newId } from '../secrets.js';
import type { ExceptionRow } from '../store/exceptions.js';
import type { Store } from '../store/index.js';
import type { ComplianceService } from './service.js';

export interface DecisionSink {
  /** Delivers a decision to the device if connected; returns whether it was sent. */
  sendDecision(row: ExceptionRow): boolean;
}

export class ExceptionService {
  sink?: DecisionSink;

  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly compliance: ComplianceService,
  ) {}

  /** Stores an employee's request (inside the report transaction); a replayed event adds nothing (returns false). */
  recordRequest(deviceId: string, e: ExceptionRequestEvent): boolean {
    const inserted = this.store.exceptions.insert({
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
    if (inserted) this.store.compliance.fact(deviceId, e.toolId, e.observedAt, 'exception-requested', `requested by ${e.user}`, { user: e.user, reason: e.reason }, e.eventId);
    return inserted;
  }

  /** An admin or helpdesk grants an exception directly. */
  grant(input: { toolId: string; deviceId: string; user?: string; reason: string; expiresAt: string }, actor: string): ExceptionRow {
    if (!this.store.devices.get(input.deviceId)) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${input.deviceId}`);
    this.checkExpiry(input.expiresAt);
    const id = newId('exc');
    const now = new Date().toISOString();
    this.store.tx(() => {
      this.store.exceptions.insert({
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
        expiresAt: input.expiresAt,
      });
      this.afterDecision(id, 'exception-granted', actor, now);
      this.policies.touchInTx();
    });
    this.policies.refresh([input.deviceId]);
    return this.store.exceptions.get(id)!;
  }

  approve(id: string, input: { expiresAt: string; note?: string }, actor: string): ExceptionRow {
    const row = this.requireStatus(id, ['requested']);
    this.checkExpiry(input.expiresAt);
    const now = new Date().toISOString();
    this.store.tx(() => {
      this.store.exceptions.decide(id, 'granted', actor, input.note ?? null, input.expiresAt);
      this.afterDecision(id, 'exception-granted', actor, now);
      this.policies.touchInTx();
    });
    this.policies.refresh([row.deviceId]);
    return this.deliver(id);
  }

  deny(id: string, input: { note?: string }, actor: string): ExceptionRow {
    this.requireStatus(id, ['requested']);
    const now = new Date().toISOString();
    this.store.tx(() => {
      this.store.exceptions.decide(id, 'denied', actor, input.note ?? null, null);
      this.afterDecision(id, 'exception-denied', actor, now);
    });
    return this.deliver(id);
  }

  revoke(id: string, actor: string): ExceptionRow {
    const row = this.requireStatus(id, ['granted']);
    const now = new Date().toISOString();
    this.store.tx(() => {
      this.store.exceptions.end(id, 'revoked', actor, now);
      this.afterDecision(id, 'exception-revoked', actor, now);
      this.policies.touchInTx();
    });
    this.policies.refresh([row.deviceId]);
    return this.store.exceptions.get(id)!;
  }

  /** Ends a granted exception at its expiry instant (called by the scheduler, and at start-up for missed ones). */
  expire(id: string): void {
    const row = this.store.exceptions.get(id);
    if (!row || row.status !== 'granted' || !row.expiresAt) return;
    this.store.tx(() => {
      this.store.exceptions.end(id, 'expired', 'system', row.expiresAt!);
      this.store.compliance.fact(row.deviceId, row.toolId, row.expiresAt!, 'exception-expired', 'expiry reached', { exceptionId: id }, null);
      this.store.audit.append('system', 'exception.expire', id, { deviceId: row.deviceId, toolId: row.toolId });
      this.compliance.recompute(row.deviceId, row.toolId, row.expiresAt!, 'exception-expired', { exceptionId: id });
      this.policies.touchInTx();
    });
    this.policies.refresh([row.deviceId]);
  }

  private afterDecision(id: string, kind: string, actor: string, at: string): void {
    const row = this.store.exceptions.get(id)!;
    this.store.compliance.fact(row.deviceId, row.toolId, at, kind, `by ${actor}`, { exceptionId: id, user: row.user, expiresAt: row.expiresAt, note: row.decisionNote }, null);
    this.store.audit.append(actor, kind.replace('exception-', 'exception.'), id, { deviceId: row.deviceId, toolId: row.toolId, user: row.user, expiresAt: row.expiresAt });
    this.compliance.recompute(row.deviceId, row.toolId, at, kind, { exceptionId: id });
  }

  private deliver(id: string): ExceptionRow {
    const row = this.store.exceptions.get(id)!;
    if (row.requestEvent && this.sink?.sendDecision(row)) this.store.exceptions.markDecisionSent(id);
    return this.store.exceptions.get(id)!;
  }

  private requireStatus(id: string, allowed: ExceptionRow['status'][]): ExceptionRow {
    const row = this.store.exceptions.get(id);
    if (!row) throw new EdictError('EDICT_ERR_NOT_FOUND', `exception ${id}`);
    if (!allowed.includes(row.status)) throw new EdictError('EDICT_ERR_VALIDATION', `exception ${id} is ${row.status}`);
    return row;
  }

  private checkExpiry(expiresAt: string): void {
    if (!(Date.parse(expiresAt) > Date.now())) throw new EdictError('EDICT_ERR_VALIDATION', 'expiresAt must be in the future');
  }
}
