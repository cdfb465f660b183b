// GET /openapi.json: the REST API described as OpenAPI 3.1. Request bodies come from the same
// zod schemas the routes validate with (z.toJSONSchema), so the document cannot drift from them.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { API_PREFIX } from '../../../shared/src/constants.js';
import { ERRORS } from '../../../shared/src/errors.js';
import { Tool } from '../../../shared/src/catalog/schema.js';
import { PolicySpec } from '../../../shared/src/policy/schema.js';

type Op = { summary: string; roles: string; body?: z.ZodType; status?: number };

const OPS: Record<string, Record<string, Op>> = {
  '/health': { get: { summary: 'Liveness, protocol and policy versions', roles: 'none' } },
  '/enroll': {
    post: {
      summary: 'Trade an enrollment token for a device credential',
      roles: 'enrollment token in body',
      body: z.object({ token: z.string(), hostname: z.string() }),
      status: 201,
    },
  },
  '/enrollment-tokens': {
    get: { summary: 'List enrollment tokens (no secrets)', roles: 'admin' },
    post: {
      summary: 'Create an enrollment token; the secret is returned once',
      roles: 'admin',
      body: z.object({ label: z.string().optional(), ttlHours: z.number().int().optional(), maxUses: z.number().int().optional() }),
      status: 201,
    },
  },
  '/enrollment-tokens/{id}': { delete: { summary: 'Revoke an enrollment token', roles: 'admin', status: 204 } },
  '/devices': { get: { summary: 'List devices with connection state', roles: 'admin, auditor, helpdesk' } },
  '/devices/{id}': { get: { summary: 'Show one device', roles: 'admin, auditor, helpdesk' } },
  '/devices/{id}/revoke': { post: { summary: "Revoke a device's credential and drop its connection", roles: 'admin' } },
  '/detections': { get: { summary: 'Detection events (filters: deviceId, toolId, stage, state, limit, after)', roles: 'admin, auditor, helpdesk' } },
  '/violations': { get: { summary: 'Present detections in the enforce stage', roles: 'admin, auditor, helpdesk' } },
  '/policies': {
    get: { summary: 'Policies (draft, status, latest published version) and the bundle version', roles: 'admin, auditor, helpdesk' },
    post: { summary: 'Create a policy draft (agents see nothing until it is published)', roles: 'admin', body: PolicySpec, status: 201 },
  },
  '/policies/{id}': {
    get: { summary: 'Show one policy with every published version', roles: 'admin, auditor, helpdesk' },
    put: { summary: "Replace a policy's draft", roles: 'admin', body: PolicySpec },
  },
  '/policies/{id}/publish': { post: { summary: 'Freeze the draft as the next version, sign it into every bundle and push it', roles: 'admin' } },
  '/policies/{id}/retire': { post: { summary: 'End a policy', roles: 'admin' } },
  '/policies/{id}/preview': { get: { summary: 'Impact of the draft now and at each stage date, from current detections', roles: 'admin, auditor, helpdesk' } },
  '/exceptions': {
    get: { summary: 'Exceptions (filters: deviceId, status)', roles: 'admin, auditor, helpdesk' },
    post: {
      summary: 'Grant an exception for a device (optionally one OS user) until expiresAt',
      roles: 'admin, helpdesk',
      body: z.object({ toolId: z.string(), deviceId: z.string(), user: z.string().optional(), reason: z.string(), expiresAt: z.string() }),
      status: 201,
    },
  },
  '/exceptions/{id}/approve': { post: { summary: "Approve an employee's request", roles: 'admin, helpdesk', body: z.object({ expiresAt: z.string(), note: z.string().optional() }) } },
  '/exceptions/{id}/deny': { post: { summary: "Deny an employee's request", roles: 'admin, helpdesk', body: z.object({ note: z.string().optional() }) } },
  '/exceptions/{id}/revoke': { post: { summary: 'End a granted exception now', roles: 'admin, helpdesk' } },
  '/compliance': { get: { summary: 'State of every device x banned tool, now or as of a past instant (asOf, toolId)', roles: 'admin, auditor, helpdesk' } },
  '/devices/{id}/timeline': { get: { summary: "A device's timeline: every state change with its cause, notices, acknowledgements, exceptions", roles: 'admin, auditor, helpdesk' } },
  '/devices/{id}/tags': { put: { summary: "Set a device's tags (policy scope)", roles: 'admin', body: z.object({ tags: z.array(z.string()) }) } },
  '/tools': { get: { summary: 'The tool catalog (built-in and custom)', roles: 'admin, auditor, helpdesk' } },
  '/tools/{id}': {
    get: { summary: 'Show one tool and whether it is built-in or custom', roles: 'admin, auditor, helpdesk' },
    put: { summary: 'Add or override a tool (stored as custom); pushed to connected agents at once', roles: 'admin', body: Tool },
    delete: { summary: 'Remove a custom tool; a built-in of the same id comes back', roles: 'admin' },
  },
  '/audit': { get: { summary: 'Audit log entries (limit, after)', roles: 'admin, auditor, helpdesk' } },
  '/audit/verify': { get: { summary: 'Verify the audit hash chain', roles: 'admin, auditor, helpdesk' } },
};

export function buildOpenApi(version: string): unknown {
  const paths: Record<string, unknown> = {};
  for (const [p, methods] of Object.entries(OPS)) {
    const item: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(methods)) {
      item[method] = {
        summary: op.summary,
        description: `Roles: ${op.roles}.`,
        ...(op.roles.includes('admin') ? { security: [{ bearer: [] }] } : {}),
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(op.body, { io: 'input' }) } } } } : {}),
        responses: {
          [String(op.status ?? 200)]: { description: 'success' },
          default: { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      };
    }
    paths[p] = item;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Edict admin API', version },
    servers: [{ url: API_PREFIX }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          properties: { error: { type: 'object', properties: { code: { type: 'string', enum: Object.keys(ERRORS) }, message: { type: 'string' } } } },
        },
      },
    },
  };
}

export function openApiRoutes(app: FastifyInstance, version: string): void {
  const doc = buildOpenApi(version);
  app.get('/openapi.json', async () => doc);
}
