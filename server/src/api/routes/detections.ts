// Detection events as agents reported them (the evidence record), paged by (observedAt, eventId).
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { parseInput } from '../validate.js';

export function detectionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/detections', ctx.op('GET /detections'), async (req) => {
    const q = parseInput(Schemas.detections, req.query);
    const items = await ctx.store.detections.list({ ...q, after: q.cursor ?? q.after, currentOnly: q.current === 'true' });
    return { items, next: items.length === q.limit ? items[items.length - 1].eventId : null };
  });
}
