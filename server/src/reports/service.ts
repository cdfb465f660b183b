// Reports for auditors: parses the instants people type (an ISO instant, or a local date-time
// with its zone; never a bare date), builds the compliance report as of one instant and as known
// at another (default: now; never later than now), renders it, and for an evidence pack signs a
// checkpoint of the audit chain and a manifest with the server's key. Each report made is audited.
import { EdictError } from '../../../shared/src/errors.js';
import { parseInstant } from '../../../shared/src/policy/instant.js';
import { EDICT_VERSION } from '../../../shared/src/version.js';
import type { AuditService } from '../audit/service.js';
import type { SigningKey } from '../keys.js';
import type { PolicyService } from '../policy/service.js';
import type { Store } from '../store/index.js';
import { buildComplianceReport, type ReportParameters } from './compliance-report.js';
import { buildPack } from './pack.js';
import { renderCsvAsync, renderHtml, renderJson } from './render.js';

export interface ReportRequest {
  asOf: string;
  knownAt?: string;
  policy?: string;
  tool?: string;
  tag?: string;
}

export class ReportService {
  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly audit: AuditService,
    private readonly key: SigningKey,
  ) {}

  parameters(q: ReportRequest, now = new Date()): ReportParameters {
    const asOf = parseInstant(q.asOf, 'asOf');
    const knownAt = q.knownAt ? parseInstant(q.knownAt, 'knownAt') : now;
    if (knownAt.getTime() > now.getTime()) throw new EdictError('EDICT_ERR_VALIDATION', `knownAt: ${knownAt.toISOString()} is in the future; what the server will know then is not known yet`);
    return {
      asOf: asOf.toISOString(),
      knownAt: knownAt.toISOString(),
      asOfGiven: q.asOf,
      knownAtGiven: q.knownAt ?? null,
      policy: q.policy ?? null,
      tool: q.tool ?? null,
      tag: q.tag ?? null,
    };
  }

  async compliance(q: ReportRequest, format: 'csv' | 'json' | 'html' | 'zip', actor: string): Promise<{ parameters: ReportParameters; body: string | Buffer }> {
    const parameters = this.parameters(q);
    const report = await buildComplianceReport(this.store, this.policies, parameters);
    let body: string | Buffer;
    if (format === 'csv') body = await renderCsvAsync(report);
    else if (format === 'html') body = renderHtml(report);
    else if (format === 'json') body = renderJson(report);
    else {
      const checkpoint = await this.audit.checkpoint(true);
      body = buildPack(report, {
        serverVersion: EDICT_VERSION,
        generatedAt: new Date().toISOString(),
        auditHead: checkpoint ? { seq: checkpoint.seq, hash: checkpoint.hash } : null,
        auditCheckpoint: checkpoint,
        privateKey: this.key.privateKey,
        publicKeyPem: this.key.publicKeyPem,
      });
    }
    await this.store.audit.append(actor, 'report.compliance', parameters.policy ?? 'all', { format, ...parameters, rows: report.summary.rows });
    return { parameters, body };
  }
}
