// Every REST operation in one table: which roles may call it, its query and body schemas, its
// success status and the errors it can answer. Routes take their role check and their input
// schemas from here, the OpenAPI document is built from here, and docs/roles.md is checked against
// it, so what is enforced, what is documented and what is tested cannot drift apart.
import { z } from 'zod';
import { Tool } from '../../../shared/src/catalog/schema.js';
import { MAX_TEXT_CHARS } from '../../../shared/src/constants.js';
import { ComplianceState } from '../../../shared/src/policy/compliance.js';
import { PolicySpec } from '../../../shared/src/policy/schema.js';
import { ShortText, Stage, Timestamp, ToolId } from '../../../shared/src/protocol/common.js';
import { ENROLLMENT_TOKEN_DEFAULT_MAX_USES, ENROLLMENT_TOKEN_DEFAULT_TTL_HOURS, LIST_MAX_LIMIT } from '../constants.js';
import type { Role } from '../store/index.js';
import { PageParams } from './paging.js';

export const ROLES = ['admin', 'auditor', 'helpdesk'] as const satisfies readonly Role[];
const READERS: Role[] = ['admin', 'auditor', 'helpdesk'];
const ADMIN: Role[] = ['admin'];
const DECIDERS: Role[] = ['admin', 'helpdesk'];

/** Who may call: roles of a bearer API token (or a dashboard session), or `public`, or `enrollment` (a token in the body). */
export type Access = Role[] | 'public' | 'enrollment';

export interface Operation {
  summary: string;
  access: Access;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Success status (default 200). */
  status?: number;
  /** Error codes this operation answers with besides the auth ones, for the document. */
  errors?: string[];
}

/** A date people type: an ISO instant, or a local date-time with its IANA zone (never a bare date). */
const TypedInstant = z.string().min(1).max(100);
const Id = z.string().min(1).max(64);

export const Schemas = {
  enroll: z.strictObject({ token: z.string().min(1).max(200), hostname: ShortText }),
  enrollmentTokenCreate: z.strictObject({
    label: z.string().min(1).max(200).default('enrollment'),
    ttlHours: z.number().int().min(1).max(24 * 365).default(ENROLLMENT_TOKEN_DEFAULT_TTL_HOURS),
    maxUses: z.number().int().min(1).max(1_000_000).default(ENROLLMENT_TOKEN_DEFAULT_MAX_USES),
    /** Tags every device enrolled with this token starts with (e.g. a group in an MDM profile). */
    tags: z.array(z.string().min(1).max(64)).max(100).default([]),
  }),
  tokenCreate: z.strictObject({ role: z.enum(ROLES), name: z.string().min(1).max(100), expiresAt: TypedInstant.optional() }),
  page: z.strictObject(PageParams),
  devices: z.strictObject({
    ...PageParams,
    search: z.string().min(1).max(200).optional(),
    tag: z.string().min(1).max(64).optional(),
    /** Platform as agents report it. */
    os: z.enum(['linux', 'darwin', 'win32']).optional(),
    /** Compliance state: the device's most pressing one over `tool`, the ban's tools (`policy`), or every tool. */
    state: ComplianceState.optional(),
    /** Without `state`: devices where this tool is installed or running now. */
    tool: z.string().min(1).max(64).optional(),
    /** Only devices in this ban's scope (its latest published version, else its draft); its tools for `state`. */
    policy: Id.optional(),
    /** Last seen more than N days ago, or never. */
    notSeenDays: z.coerce.number().int().min(1).max(3650).optional(),
    /** Last seen within the last N days. */
    seenWithinDays: z.coerce.number().int().min(1).max(3650).optional(),
  }),
  tags: z.strictObject({ tags: z.array(z.string().min(1).max(64)).max(100) }),
  timeline: z.strictObject({
    toolId: z.string().max(64).optional(),
    /** Oldest first; at most `limit` entries (default 1,000) after `cursor` (the `next` of the previous page). */
    limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).default(LIST_MAX_LIMIT),
    cursor: z.string().min(1).max(400).optional(),
  }),
  detections: z.strictObject({
    deviceId: z.string().max(64).optional(),
    toolId: z.string().max(64).optional(),
    stage: Stage.optional(),
    state: z.enum(['present', 'absent']).optional(),
    limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).default(100),
    /** The `next` of the previous page (an event id); `after` is the older name for it. */
    cursor: z.string().max(64).optional(),
    after: z.string().max(64).optional(),
    current: z.enum(['true', 'false']).optional(),
  }),
  violations: z.strictObject({ ...PageParams, deviceId: z.string().max(64).optional(), toolId: z.string().max(64).optional() }),
  compliance: z.strictObject({
    ...PageParams,
    asOf: TypedInstant.optional(),
    toolId: z.string().max(64).optional(),
    deviceId: z.string().max(64).optional(),
    state: ComplianceState.optional(),
  }),
  exceptions: z.strictObject({ ...PageParams, deviceId: z.string().max(64).optional(), status: z.enum(['requested', 'granted', 'denied', 'revoked', 'expired']).optional() }),
  exceptionGrant: z.strictObject({
    toolId: ToolId,
    deviceId: Id,
    user: z.string().min(1).max(256).optional(),
    reason: z.string().min(1).max(MAX_TEXT_CHARS),
    expiresAt: Timestamp,
  }),
  exceptionApprove: z.strictObject({ expiresAt: Timestamp, note: z.string().max(MAX_TEXT_CHARS).optional() }),
  exceptionDeny: z.strictObject({ note: z.string().max(MAX_TEXT_CHARS).optional() }),
  audit: z.strictObject({
    limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).default(100),
    /** The `next` of the previous page (a sequence number); `after` is the older name for it. */
    cursor: z.coerce.number().int().min(0).optional(),
    after: z.coerce.number().int().min(0).optional(),
    /** `asc` (default: oldest first, the chain's order) or `desc` (newest first; then `cursor` pages backwards). */
    order: z.enum(['asc', 'desc']).default('asc'),
    actor: z.string().min(1).max(200).optional(),
    /** An action or its start (`exception.` for every exception decision). */
    action: z.string().min(1).max(100).optional(),
    subject: z.string().min(1).max(200).optional(),
    /** Entries at or after / before these instants (ISO with offset, or local date-time and zone). */
    from: TypedInstant.optional(),
    to: TypedInstant.optional(),
  }),
  auditVerify: z.strictObject({
    async: z.enum(['true', 'false']).default('false'),
    fresh: z.enum(['true', 'false']).default('false'),
  }),
  summary: z.strictObject({
    /** "Not seen for N days" counts (default 7). */
    staleDays: z.coerce.number().int().min(1).max(365).default(7),
  }),
  preview: z.strictObject({
    /** Devices listed per point, the most pressing first (all are counted). */
    devicesLimit: z.coerce.number().int().min(0).max(LIST_MAX_LIMIT).default(100),
    /** `true`: computed in the background; 202 `{status: 'running'}` until done, then the result with `status: 'done'` (ask again). */
    async: z.enum(['true', 'false']).default('false'),
  }),
  signIn: z.strictObject({ token: z.string().min(1).max(500) }),
  reportExport: z.strictObject({
    asOf: TypedInstant,
    knownAt: TypedInstant.optional(),
    policy: Id.optional(),
    tool: z.string().min(1).max(64).optional(),
    tag: z.string().min(1).max(64).optional(),
    format: z.enum(['csv', 'json', 'html', 'zip']),
  }),
  report: z.strictObject({
    asOf: TypedInstant,
    knownAt: TypedInstant.optional(),
    policy: Id.optional(),
    tool: z.string().min(1).max(64).optional(),
    tag: z.string().min(1).max(64).optional(),
    format: z.enum(['csv', 'json', 'html', 'zip']).default('json'),
  }),
  policySpec: PolicySpec,
  tool: Tool,
};

/** "METHOD /path" (OpenAPI path syntax) → operation. */
export const OPERATIONS = {
  'GET /health': { summary: 'For load balancers: 200 when this node is ready, 503 with the reasons when not (database unreachable, draining); node, protocol and part versions, counters', access: 'public' },
  'GET /ready': { summary: 'Readiness: 200 when this node can take agents and admins, 503 while its database is unreachable or it is draining', access: 'public' },
  'POST /session': {
    summary: 'Dashboard sign-in: trade an API token for a session cookie (edict_session: HttpOnly, SameSite=Strict, expiring); answers the role and the CSRF token every write with the cookie must send in x-edict-csrf',
    access: 'public',
    body: Schemas.signIn,
    status: 201,
    errors: ['EDICT_ERR_BAD_CREDENTIAL', 'EDICT_ERR_TOKEN_EXPIRED', 'EDICT_ERR_TOKEN_REVOKED', 'EDICT_ERR_CSRF'],
  },
  'GET /session': { summary: 'Who is calling: role, token name, and (with a session cookie) its CSRF token and expiry', access: READERS, errors: ['EDICT_ERR_SESSION_ENDED'] },
  'DELETE /session': { summary: 'Dashboard sign-out: ends the session and clears the cookie', access: READERS, status: 204, errors: ['EDICT_ERR_SESSION_ENDED', 'EDICT_ERR_CSRF'] },
  'GET /openapi.json': { summary: 'This document', access: 'public' },
  'GET /keys': { summary: "The server's public signing key (policy parts, evidence packs, audit checkpoints), for offline verification", access: 'public' },
  'POST /enroll': { summary: 'Trade an enrollment token for a device credential', access: 'enrollment', body: Schemas.enroll, status: 201, errors: ['EDICT_ERR_ENROLLMENT_TOKEN_INVALID', 'EDICT_ERR_ENROLLMENT_TOKEN_EXPIRED'] },
  'GET /enrollment-tokens': { summary: 'List enrollment tokens (no secrets)', access: ADMIN, query: Schemas.page },
  'POST /enrollment-tokens': { summary: 'Create an enrollment token (with tags its devices inherit); the secret is returned once', access: ADMIN, body: Schemas.enrollmentTokenCreate, status: 201 },
  'DELETE /enrollment-tokens/{id}': { summary: 'Revoke an enrollment token', access: ADMIN, status: 204, errors: ['EDICT_ERR_NOT_FOUND'] },
  'GET /tokens': { summary: 'List API tokens: role, name, creator, expiry, last use, revocation (no secrets)', access: ADMIN, query: Schemas.page },
  'POST /tokens': { summary: 'Create an API token with a role; the secret is returned once', access: ADMIN, body: Schemas.tokenCreate, status: 201 },
  'DELETE /tokens/{id}': { summary: 'Revoke an API token (ends its dashboard sessions; the last admin token cannot be revoked)', access: ADMIN, status: 204, errors: ['EDICT_ERR_NOT_FOUND', 'EDICT_ERR_LAST_ADMIN_TOKEN'] },
  'GET /devices': { summary: 'Devices by hostname, paged; search by hostname, filter by tag, OS, compliance state, tool, ban scope and last seen', access: READERS, query: Schemas.devices, errors: ['EDICT_ERR_NOT_FOUND'] },
  'GET /devices/{id}': { summary: 'One device: facts, connection, health, confirmed policy parts', access: READERS, errors: ['EDICT_ERR_NOT_FOUND'] },
  'POST /devices/{id}/revoke': { summary: "Revoke a device's credential and drop its connection", access: ADMIN, errors: ['EDICT_ERR_NOT_FOUND'] },
  'PUT /devices/{id}/tags': { summary: "Set a device's tags (policy scope); recorded in its tag history", access: ADMIN, body: Schemas.tags, errors: ['EDICT_ERR_NOT_FOUND'] },
  'GET /devices/{id}/timeline': { summary: "A device's timeline: state changes with their cause, notices, acknowledgements, exceptions", access: READERS, query: Schemas.timeline, errors: ['EDICT_ERR_NOT_FOUND'] },
  'GET /detections': { summary: 'Detection events, paged (filters: deviceId, toolId, stage, state, current)', access: READERS, query: Schemas.detections },
  'GET /violations': { summary: 'Devices violating a ban now (recorded compliance state `violating`: enforce or hard stage, not exempt), with what is present', access: READERS, query: Schemas.violations },
  'GET /compliance': { summary: 'State of every device × banned tool, now or as of an instant, paged', access: READERS, query: Schemas.compliance },
  'GET /summary': { summary: 'Every ban in force: stage, next date, devices in scope by compliance state and how many of each were not seen for staleDays days, rollout; exception requests waiting', access: READERS, query: Schemas.summary },
  'GET /summary/stream': { summary: 'The summary as Server-Sent Events (`event: summary`), pushed again whenever it changes (the dashboard overview)', access: READERS, query: Schemas.summary },
  'GET /policies/{id}/burndown': { summary: "The burn-down: devices in the ban's scope by state at the end of each day (in the ban's zone) from its first publish to today, from the daily rollup", access: READERS, errors: ['EDICT_ERR_NOT_FOUND'] },
  'GET /policies': { summary: 'Policies (draft, status, latest published version), paged', access: READERS, query: Schemas.page },
  'POST /policies': { summary: 'Create a policy draft (agents see nothing until it is published)', access: ADMIN, body: Schemas.policySpec, status: 201, errors: ['EDICT_ERR_UNKNOWN_TOOL'] },
  'GET /policies/{id}': { summary: 'One policy with every published version', access: READERS, errors: ['EDICT_ERR_NOT_FOUND'] },
  'PUT /policies/{id}': { summary: "Replace a policy's draft", access: ADMIN, body: Schemas.policySpec, errors: ['EDICT_ERR_NOT_FOUND', 'EDICT_ERR_UNKNOWN_TOOL'] },
  'POST /policies/{id}/publish': { summary: 'Freeze the draft as the next version; answers at once with the rollout id, agents get it through the paced fan-out', access: ADMIN, errors: ['EDICT_ERR_NOT_FOUND'] },
  'POST /policies/{id}/retire': { summary: 'End a policy', access: ADMIN, errors: ['EDICT_ERR_NOT_FOUND'] },
  'GET /policies/{id}/preview': {
    summary: 'Impact of the draft now and at each stage date, from current detections: counts of every device × tool, the most pressing devicesLimit listed; with async=true built in the background (202 while running; ask again)',
    access: READERS,
    query: Schemas.preview,
    errors: ['EDICT_ERR_NOT_FOUND'],
  },
  'GET /policies/{id}/rollout': { summary: 'Rollout of the latest version: devices that confirmed it (delivered), connected and not yet (pending), offline', access: READERS, errors: ['EDICT_ERR_NOT_FOUND'] },
  'GET /exceptions': { summary: 'Exceptions, paged (filters: deviceId, status)', access: READERS, query: Schemas.exceptions },
  'POST /exceptions': { summary: 'Grant an exception for a device (optionally one OS user) until expiresAt', access: DECIDERS, body: Schemas.exceptionGrant, status: 201, errors: ['EDICT_ERR_NOT_FOUND'] },
  'POST /exceptions/{id}/approve': { summary: "Approve an employee's request", access: DECIDERS, body: Schemas.exceptionApprove, errors: ['EDICT_ERR_NOT_FOUND'] },
  'POST /exceptions/{id}/deny': { summary: "Deny an employee's request", access: DECIDERS, body: Schemas.exceptionDeny, errors: ['EDICT_ERR_NOT_FOUND'] },
  'POST /exceptions/{id}/revoke': { summary: 'End a granted exception now', access: DECIDERS, errors: ['EDICT_ERR_NOT_FOUND'] },
  'GET /tools': { summary: 'The tool catalog (built-in and custom), paged', access: READERS, query: Schemas.page },
  'GET /tools/{id}': { summary: 'One tool and whether it is built-in or custom', access: READERS, errors: ['EDICT_ERR_NOT_FOUND'] },
  'PUT /tools/{id}': { summary: 'Add or override a tool (stored as custom); sent to agents with the next catalog part', access: ADMIN, body: Schemas.tool },
  'DELETE /tools/{id}': { summary: 'Remove a custom tool; a built-in of the same id comes back', access: ADMIN, errors: ['EDICT_ERR_NOT_FOUND'] },
  'GET /audit': { summary: 'Audit log entries, paged, oldest or newest first; filters: actor, action (prefix), subject, from, to', access: READERS, query: Schemas.audit },
  'GET /audit/verify': { summary: 'Verify the audit hash chain and every signed checkpoint; with async=true in the background (202 while running, the verdict kept while the head is unchanged; fresh=true verifies again)', access: READERS, query: Schemas.auditVerify },
  'GET /audit/checkpoints': { summary: 'The signed checkpoints of the audit chain head the server made (every AUDIT_CHECKPOINT_EVERY_MS while the log grows, and with every evidence pack)', access: READERS },
  'GET /audit/checkpoint': { summary: 'A checkpoint of the chain head signed now, to keep outside the server (`edictctl audit checkpoint --out FILE`)', access: READERS },
  'POST /reports/compliance/exports': { summary: 'Start building a compliance report or evidence pack in the background (parameters checked at once); poll it, then download its file', access: READERS, body: Schemas.reportExport, status: 202, errors: ['EDICT_ERR_NOT_FOUND'] },
  'GET /reports/compliance/exports/{id}': { summary: 'A report export started by this token: queued, running, done (file name, size) or failed', access: READERS, errors: ['EDICT_ERR_NOT_FOUND'] },
  'GET /reports/compliance/exports/{id}/file': { summary: 'The file of a finished report export (attachment)', access: READERS, errors: ['EDICT_ERR_NOT_FOUND'] },
  'GET /reports/compliance': { summary: 'Compliance report as of an instant (and as known at another): CSV, JSON, printable HTML, or a signed evidence pack (zip)', access: READERS, query: Schemas.report, errors: ['EDICT_ERR_NOT_FOUND'] },
} as const satisfies Record<string, Operation>;

export type OperationKey = keyof typeof OPERATIONS;

/** The OpenAPI path of a fastify route path (`/devices/:id` → `/devices/{id}`). */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:(\w+)/g, '{$1}');
}
