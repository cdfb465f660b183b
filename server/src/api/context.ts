// What every REST route module receives: the services, and `op(key)`, the route options of one
// operation of operations.ts (its role check), so a route cannot be registered without one.
import type { RouteShorthandOptions } from 'fastify';
import type { AuditService } from '../audit/service.js';
import type { ExceptionService } from '../compliance/exceptions.js';
import type { ComplianceService } from '../compliance/service.js';
import type { DeviceService } from '../devices/service.js';
import type { AgentGateway } from '../gateway/agent-gateway.js';
import type { SigningKey } from '../keys.js';
import type { Logger } from '../log.js';
import type { Rollouts } from '../policy/rollouts.js';
import type { PolicyService } from '../policy/service.js';
import type { ReportService } from '../reports/service.js';
import type { Store } from '../store/index.js';
import type { TokenService } from '../tokens/service.js';
import type { TokenUsage } from './auth.js';
import type { LiveOverview } from '../dashboard/overview.js';
import type { DailyRollup } from '../dashboard/rollup.js';
import type { ReportExports } from '../reports/exports.js';
import type { PreviewRuns } from '../compliance/preview.js';
import type { DashboardSessions } from './sessions.js';
import type { OperationKey } from './operations.js';
import type { Readiness } from '../cluster/readiness.js';

export interface ApiServices {
  store: Store;
  policies: PolicyService;
  compliance: ComplianceService;
  exceptions: ExceptionService;
  devices: DeviceService;
  rollouts: Rollouts;
  gateway: AgentGateway;
  tokens: TokenService;
  usage: TokenUsage;
  reports: ReportService;
  audit: AuditService;
  key: SigningKey;
  readiness: Readiness;
  log: Logger;
  sessions: DashboardSessions;
  overview: LiveOverview;
  rollup: DailyRollup;
  exports: ReportExports;
  previews: PreviewRuns;
  /** Folder of the built dashboard (index.html and its assets), if it was built. */
  dashboardDir: string | null;
}

export interface ApiContext extends ApiServices {
  op(key: OperationKey): RouteShorthandOptions;
}
