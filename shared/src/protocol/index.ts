// The agent protocol: one schema per message (messages/*.ts), grouped by direction. Both ends
// validate everything they receive with `parseAgentMessage` / `parseServerMessage`, which turn
// every kind of bad input into an EdictError with a stable code.
import { z } from 'zod';
import { EdictError } from '../errors.js';
import { Ack } from './messages/ack.js';
import { ErrorMessage } from './messages/error.js';
import { ExceptionDecision } from './messages/exception-decision.js';
import { CollectorError, Heartbeat } from './messages/heartbeat.js';
import { Hello } from './messages/hello.js';
import { PolicyMessage } from './messages/policy.js';
import { PolicyApplied } from './messages/policy-applied.js';
import { Report } from './messages/report.js';
import { Welcome } from './messages/welcome.js';

export { PROTOCOL_VERSION } from './version.js';
export * from './common.js';
export { Ack, CollectorError, ErrorMessage, ExceptionDecision, Heartbeat, Hello, PolicyApplied, PolicyMessage, Report, Welcome };
export { AcknowledgementEvent, DetectionEvent, EnforcementEvent, ExceptionRequestEvent, GapEvent, NoticeEvent, ReportEvent } from './messages/report.js';

/** Messages an agent sends, by type. */
export const AGENT_MESSAGES = { hello: Hello, report: Report, heartbeat: Heartbeat, 'policy-applied': PolicyApplied } as const;
/** Messages a server sends, by type. */
export const SERVER_MESSAGES = {
  welcome: Welcome,
  policy: PolicyMessage,
  ack: Ack,
  error: ErrorMessage,
  'exception-decision': ExceptionDecision,
} as const;

export type AgentMessage = { [K in keyof typeof AGENT_MESSAGES]: z.infer<(typeof AGENT_MESSAGES)[K]> }[keyof typeof AGENT_MESSAGES];
export type ServerMessage = { [K in keyof typeof SERVER_MESSAGES]: z.infer<(typeof SERVER_MESSAGES)[K]> }[keyof typeof SERVER_MESSAGES];

function parseWith<T>(raw: string, table: Record<string, z.ZodType>): T {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new EdictError('EDICT_ERR_MALFORMED_JSON', (err as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EdictError('EDICT_ERR_INVALID_MESSAGE', 'a message is a JSON object');
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') throw new EdictError('EDICT_ERR_INVALID_MESSAGE', 'missing string field "type"');
  const schema = Object.prototype.hasOwnProperty.call(table, type) ? table[type] : undefined;
  if (!schema) throw new EdictError('EDICT_ERR_UNKNOWN_MESSAGE_TYPE', JSON.stringify(type).slice(0, 80));
  const result = schema.safeParse(value);
  if (!result.success) throw new EdictError('EDICT_ERR_INVALID_MESSAGE', describeIssues(result.error));
  return result.data as T;
}

/** One line naming every bad field, e.g. `events.0.detection.toolId: Invalid string`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

export function parseAgentMessage(raw: string): AgentMessage {
  return parseWith<AgentMessage>(raw, AGENT_MESSAGES);
}

export function parseServerMessage(raw: string): ServerMessage {
  return parseWith<ServerMessage>(raw, SERVER_MESSAGES);
}
