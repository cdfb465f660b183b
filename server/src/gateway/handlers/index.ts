// The one map from agent message type to its handler. Adding a message type means adding a
// schema in shared/src/protocol/messages and a handler here; the gateway needs no change.
// Handlers are async; the gateway runs one connection's handlers one at a time, in order.
import type { AgentMessage } from '../../../../shared/src/protocol/index.js';
import type { ComplianceService } from '../../compliance/service.js';
import type { ExceptionService } from '../../compliance/exceptions.js';
import type { IngestPipeline } from '../../ingest/pipeline.js';
import type { PolicyService } from '../../policy/service.js';
import type { Store } from '../../store/index.js';
import type { AgentConnection } from '../connection.js';
import type { ConnectionCaps } from '../connection-caps.js';
import type { FanOut } from '../fanout.js';
import type { Presence } from '../presence.js';
import type { ConnectionRegistry } from '../registry.js';
import { handleHeartbeat } from './heartbeat.js';
import { handleHello } from './hello.js';
import { handlePolicyApplied } from './policy-applied.js';
import { handleReport } from './report.js';

export interface GatewayContext {
  store: Store;
  policies: PolicyService;
  compliance: ComplianceService;
  exceptions: ExceptionService;
  ingest: IngestPipeline;
  registry: ConnectionRegistry;
  presence: Presence;
  fanout: FanOut;
  caps: ConnectionCaps;
}

export type Handler<M> = (ctx: GatewayContext, conn: AgentConnection, msg: M) => Promise<void>;

type HandlerMap = { [T in AgentMessage['type']]: Handler<Extract<AgentMessage, { type: T }>> };

export const HANDLERS: HandlerMap = {
  hello: handleHello,
  report: handleReport,
  heartbeat: handleHeartbeat,
  'policy-applied': handlePolicyApplied,
};
