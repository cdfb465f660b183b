// report: classifies each event against the policies in force at its observed instant, commits
// the batch in one transaction, and only then acks. Replayed event ids are counted, not stored.
import type { Report } from '../../../../shared/src/protocol/index.js';
import { MAX_FUTURE_SKEW_MS } from '../../constants.js';
import type { ClassifiedEvent } from '../../store/detections.js';
import type { Handler } from './index.js';

export const handleReport: Handler<Report> = (ctx, conn, msg) => {
  const now = Date.now();
  const classified: ClassifiedEvent[] = msg.events.map((event) => {
    // An agent's clock can be wrong; an observation cannot come from the future.
    const claimed = Date.parse(event.observedAt);
    const observedMs = claimed > now + MAX_FUTURE_SKEW_MS ? now : claimed;
    const verdict = ctx.policies.verdict(event.detection.toolId, observedMs);
    return {
      event,
      observedAt: new Date(observedMs).toISOString(),
      stage: verdict.stage,
      policyId: verdict.policy?.id ?? null,
    };
  });
  const result = ctx.store.detections.insertBatch(conn.deviceId, msg.batchId, classified);
  conn.send({ type: 'ack', batchId: msg.batchId, ...result });
  conn.log.info({ batchId: msg.batchId, ...result }, 'report committed');
};
