// report (agent → server): a batch of events from the agent's durable outbox. Each event has a
// unique id made by the agent; the server stores each id once, so a batch replayed after a lost
// ack changes nothing. The server answers with ack only after the whole batch is committed.
// Event types: detection (a tool found or gone), notice (a notice was shown to a user),
// acknowledgement, exception-request (both from the employee), enforcement (a stop-action step),
// gap (events the agent's bounded outbox had to drop while the server was unreachable).
import { z } from 'zod';
import { MAX_EVENTS_PER_REPORT, MAX_TEXT_CHARS } from '../../constants.js';
import { Detection, Stage, Timestamp, ToolId, Uuid } from '../common.js';

const EventBase = {
  eventId: Uuid,
  /** When it happened, on the agent's server-corrected clock. */
  observedAt: Timestamp,
};
const OsUser = z.string().min(1).max(256);
/** Which tool and which OS user an employee-side event is about. */
const About = { toolId: ToolId, user: OsUser };

export const DetectionEvent = z.strictObject({
  ...EventBase,
  type: z.literal('detection'),
  /** `present`: the tool was found; `absent`: a detection reported before is gone. */
  state: z.enum(['present', 'absent']),
  /** Stage the agent evaluated locally from its cached policy at observedAt. */
  stage: Stage,
  detection: Detection,
});
export type DetectionEvent = z.infer<typeof DetectionEvent>;

export const NoticeEvent = z.strictObject({
  ...EventBase,
  type: z.literal('notice'),
  ...About,
  stage: Stage,
  /** Why it was shown. */
  reason: z.enum(['stage-change', 'reminder', 'stop-warning', 'exception-decision']),
  locale: z.enum(['en', 'zh-CN']),
  /** The OS channel used, e.g. `freedesktop-dbus`; `none` when no session could be reached. */
  channel: z.string().min(1).max(50),
  delivered: z.boolean(),
});
export type NoticeEvent = z.infer<typeof NoticeEvent>;

export const AcknowledgementEvent = z.strictObject({
  ...EventBase,
  type: z.literal('acknowledgement'),
  ...About,
  stage: Stage,
});
export type AcknowledgementEvent = z.infer<typeof AcknowledgementEvent>;

export const ExceptionRequestEvent = z.strictObject({
  ...EventBase,
  type: z.literal('exception-request'),
  ...About,
  /** The employee's own words. */
  reason: z.string().min(1).max(MAX_TEXT_CHARS),
});
export type ExceptionRequestEvent = z.infer<typeof ExceptionRequestEvent>;

export const EnforcementEvent = z.strictObject({
  ...EventBase,
  type: z.literal('enforcement'),
  ...About,
  pid: z.number().int().positive(),
  /** warned: countdown shown · terminated: SIGTERM sent · killed: SIGKILL sent · exited: it ended · skipped: pid gone or reused · cancelled: countdown stopped (e.g. exception granted). */
  step: z.enum(['warned', 'terminated', 'killed', 'exited', 'skipped', 'cancelled']),
  /** Seconds left in the countdown, for `warned`. */
  secondsLeft: z.number().int().nonnegative().optional(),
});
export type EnforcementEvent = z.infer<typeof EnforcementEvent>;


/**
 * What the agent's outbox had to drop to stay within its size bound while it could not deliver:
 * after collapsing events about the same finding, the oldest events were dropped and counted here.
 * `observedAt` is when the gap was recorded; `from`/`to` the period the dropped events covered.
 */
export const GapEvent = z.strictObject({
  ...EventBase,
  type: z.literal('gap'),
  /** Why: the outbox reached its size bound. */
  reason: z.literal('outbox-full'),
  /** How many events were dropped. */
  dropped: z.number().int().positive(),
  /** observedAt of the oldest and newest dropped event. */
  from: Timestamp,
  to: Timestamp,
  /** Dropped events per event type (acknowledgements and exception requests are never dropped). */
  byType: z.strictObject({
    detection: z.number().int().positive().optional(),
    notice: z.number().int().positive().optional(),
    enforcement: z.number().int().positive().optional(),
  }),
  /** Tools the dropped events were about (the server records the gap in each one's timeline). */
  tools: z.array(ToolId).max(200),
});
export type GapEvent = z.infer<typeof GapEvent>;

export const ReportEvent = z.discriminatedUnion('type', [DetectionEvent, NoticeEvent, AcknowledgementEvent, ExceptionRequestEvent, EnforcementEvent, GapEvent]);
export type ReportEvent = z.infer<typeof ReportEvent>;

export const Report = z.strictObject({
  type: z.literal('report'),
  batchId: Uuid,
  events: z.array(ReportEvent).min(1).max(MAX_EVENTS_PER_REPORT),
});
export type Report = z.infer<typeof Report>;
