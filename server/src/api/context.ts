// What every REST route module receives.
import type { AgentGateway } from '../gateway/agent-gateway.js';
import type { Logger } from '../log.js';
import type { PolicyService } from '../policy/service.js';
import type { Store } from '../store/index.js';

export interface ApiContext {
  store: Store;
  policies: PolicyService;
  gateway: AgentGateway;
  log: Logger;
}
