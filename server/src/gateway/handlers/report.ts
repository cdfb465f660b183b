// report: commits a batch in one transaction, then acks. Detection events are classified against
// the policies in force at their observed instant; acknowledgements, exception requests, notices
// and enforcement steps become timeline facts; every event that can change a device's compliance
// state recomputes it at the event's instant. Replayed event ids are counted, not stored.
import type { Report, ReportEvent } from '../../../../shared/src/protocol/index.js';
import { MAX_FUTURE_SKEW_MS } from '../../constants.js';
import type { Handler } from './index.js';

export const handleReport: Handler<Report> = (ctx, conn, msg) => {
  const now = Date.now();
  const deviceId = conn.deviceId;
  const device = ctx.store.devices.get(deviceId);
  const tags = device?.tags ?? [];
  // An agent's clock can be wrong; an observation cannot come from the future.
  const clamp = (e: ReportEvent) => {
    const claimed = Date.parse(e.observedAt);
    return new Date(claimed > now + MAX_FUTURE_SKEW_MS ? now : claimed).toISOString();
  };
  const result = ctx.store.tx(() => {
    let accepted = 0;
    for (const event of msg.events) {
      const at = clamp(event);
      let isNew: boolean;
      let recompute: string | undefined;
      switch (event.type) {
        case 'detection': {
          const v = ctx.policies.verdict({ toolId: event.detection.toolId, deviceId, tags, user: event.detection.user }, Date.parse(at));
          isNew = ctx.store.detections.insert(deviceId, msg.batchId, { event, observedAt: at, stage: v.stage, policyId: v.policy?.id ?? null });
          if (event.detection.kind !== 'usage') recompute = `detection-${event.state}`;
          break;
        }
        case 'acknowledgement':
          isNew = ctx.store.compliance.addAcknowledgement(event.eventId, deviceId, event.toolId, event.user, event.stage, at);
          if (isNew) ctx.store.compliance.fact(deviceId, event.toolId, at, 'acknowledged', `acknowledged by ${event.user}`, { user: event.user, stage: event.stage }, event.eventId);
          recompute = 'acknowledged';
          break;
        case 'exception-request':
          isNew = ctx.exceptions.recordRequest(deviceId, { ...event, observedAt: at });
          break;
        case 'notice':
          isNew = ctx.store.compliance.fact(deviceId, event.toolId, at, 'notice-shown', `${event.reason} notice to ${event.user}`, {
            user: event.user, stage: event.stage, locale: event.locale, channel: event.channel, delivered: event.delivered,
          }, event.eventId);
          break;
        case 'enforcement':
          isNew = ctx.store.compliance.fact(deviceId, event.toolId, at, 'enforcement', `${event.step} pid ${event.pid}`, {
            user: event.user, pid: event.pid, step: event.step, ...(event.secondsLeft !== undefined ? { secondsLeft: event.secondsLeft } : {}),
          }, event.eventId);
          break;
      }
      if (isNew) accepted++;
      const toolId = event.type === 'detection' ? event.detection.toolId : event.toolId;
      if (isNew && recompute) ctx.compliance.recompute(deviceId, toolId, at, recompute, { eventId: event.eventId });
    }
    return { accepted, duplicates: msg.events.length - accepted };
  });
  conn.send({ type: 'ack', batchId: msg.batchId, ...result });
  conn.log.info({ batchId: msg.batchId, ...result }, 'report committed');
};
