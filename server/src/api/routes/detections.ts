// Detections as reported by agents, and violations (present detections in the enforce stage).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Stage } from '../../../../shared/src/protocol/common.js';
import { LIST_MAX_LIMIT } from '../../constants.js';
import { READERS, requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../validate.js';

const Query = z.strictObject({
  deviceId: z.string().max(64).optional(),
  toolId: z.string().max(64).optional(),
  stage: Stage.optional(),
  state: z.enum(['present', 'absent']).optional(),
  limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).default(100),
  /** The `next` of the previous page (an event id); `after` is the older name for it. */
  cursor: z.string().max(64).optional(),
  after: z.string().max(64).optional(),
  current: z.enum(['true', 'false']).optional(),
});

export function detectionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const readers = requireRole(ctx.store.tokens, READERS);
  app.get('/detections', { preHandler: readers }, async (req) => {
    const q = parseInput(Query, req.query);
    const items = await ctx.store.detections.list({ ...q, after: q.cursor ?? q.after, currentOnly: q.current === 'true' });
    return { items, next: items.length === q.limit ? items[items.length - 1].eventId : null };
  });
  app.get('/violations', { preHandler: readers }, async (req) => {
    const q = parseInput(Query.omit({ stage: true, state: true, current: true }), req.query);
    // Current violations: findings whose latest event says present and enforced; installs and runs only.
    const items = await ctx.store.detections.list({ ...q, after: q.cursor ?? q.after, stage: 'enforce', state: 'present', currentOnly: true, installsAndRunsOnly: true });
    return { items, next: items.length === q.limit ? items[items.length - 1].eventId : null };
  });
}
