// What every REST route module receives.
import type { ExceptionService } from '../compliance/exceptions.js';
import type { ComplianceService } from '../compliance/service.js';
import type { DeviceService } from '../devices/service.js';
import type { Rollouts } from '../policy/rollouts.js';
import type { AgentGateway } from '../gateway/agent-gateway.js';
import type { SigningKey } from '../keys.js';
import type { Logger } from '../log.js';
import type { PolicyService } from '../policy/service.js';
import type { Store } from '../store/index.js';

export interface ApiContext {
  store: Store;
  policies: PolicyService;
  compliance: ComplianceService;
  exceptions: ExceptionService;
  devices: DeviceService;
  rollouts: Rollouts;
  gateway: AgentGateway;
  key: SigningKey;
  log: Logger;
}
