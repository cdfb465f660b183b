// Validates an agent frame without holding the event loop: the JSON is parsed at once (a frame is
// at most MAX_FRAME_BYTES), then a report's events are checked against their schema a slice at a
// time, yielding in between. Errors are the same EdictErrors, with the same messages, as
// parseAgentMessage gives (`events.3.detection.toolId: …`).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { z } from 'zod';
import { MAX_EVENTS_PER_REPORT } from '../../../shared/src/constants.js';
import { EdictError } from '../../../shared/src/errors.js';
import { parseAgentMessage, ReportEvent, Uuid, type AgentMessage, type Report } from '../../../shared/src/protocol/index.js';
import { VALIDATE_SLICE_EVENTS } from '../constants.js';

const ReportEnvelope = z.strictObject({ type: z.literal('report'), batchId: Uuid, events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_REPORT) });

function describe(error: z.ZodError, prefix: (string | number)[] = []): string {
  return error.issues
    .slice(0, 10)
    .map((i) => {
      const p = [...prefix, ...i.path];
      return `${p.length ? p.join('.') : '(root)'}: ${i.message}`;
    })
    .join('; ');
}

export async function parseAgentFrame(raw: string): Promise<AgentMessage> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new EdictError('EDICT_ERR_MALFORMED_JSON', (err as Error).message);
  }
  const v = value as { type?: unknown; events?: unknown };
  if (typeof value !== 'object' || value === null || Array.isArray(value) || v.type !== 'report') return parseAgentMessage(raw);
  const env = ReportEnvelope.safeParse(value);
  if (!env.success) throw new EdictError('EDICT_ERR_INVALID_MESSAGE', describe(env.error));
  const events: unknown[] = [];
  for (let i = 0; i < env.data.events.length; i++) {
    if (i > 0 && i % VALIDATE_SLICE_EVENTS === 0) await yieldToLoop();
    const r = ReportEvent.safeParse(env.data.events[i]);
    if (!r.success) throw new EdictError('EDICT_ERR_INVALID_MESSAGE', describe(r.error, ['events', i]));
    events.push(r.data);
  }
  return { ...env.data, events } as Report;
}
