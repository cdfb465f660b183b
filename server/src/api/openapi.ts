// GET /openapi.json: the REST API as OpenAPI 3.1, built from the operations table
// (operations.ts): every operation with the roles that may call it (`x-roles`), its query
// parameters and request body (from the same zod schemas the routes validate with), its success
// status and its error codes. test/unit/server/openapi-roles.test.ts fails when a route the server
// registers is missing here.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { API_PREFIX } from '../../../shared/src/constants.js';
import { ERRORS } from '../../../shared/src/errors.js';
import type { ApiContext } from './context.js';
import { OPERATIONS, type Operation } from './operations.js';

const AUTH_ERRORS = ['EDICT_ERR_UNAUTHENTICATED', 'EDICT_ERR_BAD_CREDENTIAL', 'EDICT_ERR_TOKEN_EXPIRED', 'EDICT_ERR_TOKEN_REVOKED', 'EDICT_ERR_FORBIDDEN'];

export function buildOpenApi(version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, op] of Object.entries(OPERATIONS) as [string, Operation][]) {
    const [method, p] = key.split(' ');
    const access = op.access;
    const roles = Array.isArray(access) ? access : [];
    const query = op.query ? (z.toJSONSchema(op.query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] }) : undefined;
    const pathParams = [...p.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const errors = [...(Array.isArray(access) ? AUTH_ERRORS : []), 'EDICT_ERR_VALIDATION', ...(op.errors ?? [])];
    (paths[p] ??= {})[method.toLowerCase()] = {
      operationId: key,
      summary: op.summary,
      description: `Access: ${Array.isArray(access) ? `roles ${access.join(', ')}` : access === 'public' ? 'anyone (no token)' : 'an enrollment token in the body'}.`,
      'x-roles': roles,
      ...(Array.isArray(access) ? { security: [{ bearer: [] }, { session: [] }] } : { security: [] }),
      parameters: [
        ...pathParams,
        ...Object.entries(query?.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: query?.required?.includes(name) ?? false, schema })),
      ],
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(op.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses: {
        [String(op.status ?? 200)]: { description: 'success' },
        default: {
          description: `error: ${[...new Set(errors)].join(', ')}`,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Edict admin API', version },
    servers: [{ url: API_PREFIX }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'edict_session' } },
      schemas: {
        Error: {
          type: 'object',
          properties: { error: { type: 'object', properties: { code: { type: 'string', enum: Object.keys(ERRORS) }, message: { type: 'string' } } } },
        },
      },
    },
  };
}

export function openApiRoutes(app: FastifyInstance, ctx: ApiContext, version: string): void {
  const doc = buildOpenApi(version);
  app.get('/openapi.json', ctx.op('GET /openapi.json'), async () => doc);
}
