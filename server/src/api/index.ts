// The REST admin API under /api/v1 (fastify). One route module per resource; every error leaves
// as { error: { code, message } } with the catalogue's HTTP status.
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { API_PREFIX } from '../../../shared/src/constants.js';
import { EdictError, ERRORS, type ErrorCode, type FieldError } from '../../../shared/src/errors.js';
import { KEEP_ALIVE_MS, REQUEST_TIMEOUT_MS, REST_BODY_LIMIT_BYTES } from '../constants.js';
import { guard } from './auth.js';
import type { ApiContext, ApiServices } from './context.js';
import { openApiPath, type OperationKey } from './operations.js';
import { openApiRoutes } from './openapi.js';
import { auditRoutes } from './routes/audit.js';
import { complianceRoutes } from './routes/compliance.js';
import { exceptionRoutes } from './routes/exceptions.js';
import { detectionRoutes } from './routes/detections.js';
import { deviceRoutes } from './routes/devices.js';
import { enrollRoutes } from './routes/enroll.js';
import { enrollmentTokenRoutes } from './routes/enrollment-tokens.js';
import { healthRoutes } from './routes/health.js';
import { policyRoutes } from './routes/policies.js';
import { reportRoutes } from './routes/reports.js';
import { tokenRoutes } from './routes/tokens.js';
import { sessionRoutes } from './routes/session.js';
import { overviewRoutes } from './routes/overview.js';
import { dashboardRoutes } from '../dashboard/static.js';
import { toolRoutes } from './routes/tools.js';

/**
 * Errors thrown with a one-field detail (`expiresAt: must be in the future`, from services that
 * check one field) name that field too, so the dashboard can show them at the field.
 */
function fieldsFromDetail(err: EdictError): FieldError[] | undefined {
  if (err.code !== 'EDICT_ERR_VALIDATION' || !err.detail) return undefined;
  const m = /^([A-Za-z][\w]*(?:\.[\w]+)*): (.+)$/s.exec(err.detail);
  return m ? [{ path: m[1], message: m[2] }] : undefined;
}

/** The routes the server registered ("METHOD /path" in OpenAPI syntax), for the check that each is documented. */
export const REGISTERED_ROUTES = new Set<string>();

export function buildApi(services: ApiServices, version: string): FastifyInstance {
  const ctx: ApiContext = { ...services, op: (key: OperationKey) => ({ preHandler: guard(services.store.tokens, services.usage, key, services.sessions) }) };
  // Per-request access lines are not wanted at info level; fastify's own warnings and errors still log.
  const httpLog = ctx.log.child({ component: 'http' }, { level: ctx.log.levelVal < 40 ? 'warn' : ctx.log.level });
  const app: FastifyInstance = Fastify({
    loggerInstance: httpLog as FastifyBaseLogger,
    bodyLimit: REST_BODY_LIMIT_BYTES,
    // A whole request must arrive in time; an idle keep-alive connection does not hold a descriptor long.
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_MS,
  });

  app.setErrorHandler((err: FastifyError | EdictError, req, reply) => {
    let code: ErrorCode;
    let message: string;
    if (err instanceof EdictError) {
      code = err.code;
      message = err.message;
    } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      code = 'EDICT_ERR_FRAME_TOO_LARGE';
      message = ERRORS[code].message;
    } else if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (err instanceof SyntaxError)) {
      code = 'EDICT_ERR_MALFORMED_JSON';
      message = `${ERRORS[code].message}: ${err.message}`;
    } else if (err.statusCode && err.statusCode < 500) {
      code = 'EDICT_ERR_VALIDATION';
      message = `${ERRORS[code].message}: ${err.message}`;
    } else {
      req.log.error({ err }, 'request failed');
      code = 'EDICT_ERR_INTERNAL';
      message = ERRORS[code].message;
    }
    const status = (ERRORS[code] as { http?: number }).http ?? 500;
    const fields = err instanceof EdictError ? (err.fields ?? fieldsFromDetail(err)) : undefined;
    void reply.code(status).send({ error: { code, message, ...(fields ? { fields } : {}) } });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'EDICT_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(API_PREFIX)) return; // the dashboard's static files are not API operations
    for (const m of [route.method].flat()) if (m !== 'HEAD') REGISTERED_ROUTES.add(`${m} ${openApiPath(route.url.replace(API_PREFIX, ''))}`);
  });
  void app.register(
    async (api) => {
      healthRoutes(api, ctx);
      sessionRoutes(api, ctx);
      overviewRoutes(api, ctx);
      enrollRoutes(api, ctx);
      enrollmentTokenRoutes(api, ctx);
      deviceRoutes(api, ctx);
      detectionRoutes(api, ctx);
      policyRoutes(api, ctx);
      exceptionRoutes(api, ctx);
      complianceRoutes(api, ctx);
      toolRoutes(api, ctx);
      auditRoutes(api, ctx);
      tokenRoutes(api, ctx);
      reportRoutes(api, ctx);
      openApiRoutes(api, ctx, version);
    },
    { prefix: API_PREFIX },
  );
  dashboardRoutes(app, ctx);
  app.addHook('preClose', async () => ctx.overview.close());
  return app;
}
