// Assembles one Edict server: store, policy service, agent gateway and REST API on one HTTP
// listener. `startServer` resolves once listening; `close()` stops accepting, drops agents and
// closes the database. Used by the CLI, `npm start` and every integration test.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { EDICT_VERSION } from '../../shared/src/version.js';
import { buildApi } from './api/index.js';
import type { ServerConfig } from './config.js';
import { SECRET_FILE_MODE } from './constants.js';
import { AgentGateway } from './gateway/agent-gateway.js';
import { createLogger, type Logger } from './log.js';
import { ExceptionService } from './compliance/exceptions.js';
import { ComplianceService } from './compliance/service.js';
import { DeviceService } from './devices/service.js';
import { Rollouts } from './policy/rollouts.js';
import { TokenUsage } from './api/auth.js';
import { AuditService } from './audit/service.js';
import { ReportService } from './reports/service.js';
import { TokenService } from './tokens/service.js';
import { loadOrCreateSigningKey } from './keys.js';
import { PolicyService } from './policy/service.js';
import { BoundaryScheduler } from './scheduler.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { DashboardSessions } from './api/sessions.js';
import { LiveOverview } from './dashboard/overview.js';
import { DailyRollup } from './dashboard/rollup.js';
import { findDashboardDir } from './dashboard/static.js';
import { ReportExports } from './reports/exports.js';
import { PreviewRuns } from './compliance/preview.js';
import { openStore, type Store } from './store/index.js';

export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  policies: PolicyService;
  compliance: ComplianceService;
  exceptions: ExceptionService;
  ingest: IngestPipeline;
  scheduler: BoundaryScheduler;
  gateway: AgentGateway;
  /** Path of the file holding the first admin token (written only when it was created). */
  adminTokenFile: string;
  /** The daily rollup behind the burn-down chart (tests run it on demand). */
  rollup: DailyRollup;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Ping interval for agent connections (tests shorten it). */
  pingIntervalMs?: number;
}

export async function startServer(config: ServerConfig, opts: StartOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openStore({ dataDir: config.dataDir, onBackgroundError: (message) => log.error({ message }, 'store background work failed') });
  const adminTokenFile = path.join(config.dataDir, 'admin-token');
  let scheduler: BoundaryScheduler | undefined;
  let compliance: ComplianceService | undefined;
  let gateway: AgentGateway | undefined;
  let api: ReturnType<typeof buildApi> | undefined;
  let policies: PolicyService;
  let exceptions: ExceptionService;
  let ingest: IngestPipeline;
  let usage: TokenUsage | undefined;
  let audit: AuditService | undefined;
  let overview: LiveOverview | undefined;
  let rollup: DailyRollup | undefined;
  let exportsSvc: ReportExports | undefined;
  let sessionPurge: NodeJS.Timeout | undefined;
  try {
    await ensureAdminToken(store, adminTokenFile, log);
    const key = loadOrCreateSigningKey(config.dataDir);
    policies = await PolicyService.create(store, key);
    compliance = new ComplianceService(store, policies, log);
    exceptions = new ExceptionService(store, policies, compliance);
    ingest = new IngestPipeline(store, policies, compliance, exceptions, log);
    gateway = new AgentGateway({ store, policies, compliance, exceptions, ingest }, log, opts.pingIntervalMs, {
      pendingTotal: config.maxPendingConnections,
      pendingPerSource: config.maxPendingPerSource,
      unhelloedTotal: config.maxUnhelloedConnections,
      unhelloedPerSource: config.maxUnhelloedPerSource,
      pendingTimeoutMs: config.pendingTimeoutMs,
    });
    scheduler = new BoundaryScheduler(store, policies, compliance, exceptions, log);
    await scheduler.start();
    const devices = new DeviceService(store, policies, compliance);
    const rollouts = new Rollouts(store, policies, gateway);
    usage = new TokenUsage(store.tokens);
    const tokens = new TokenService(store, usage);
    audit = new AuditService(store, key, log);
    audit.start();
    const reports = new ReportService(store, policies, audit, key);
    const secureCookies = (config.publicUrl ?? '').startsWith('https:');
    const sessions = new DashboardSessions(store, usage, secureCookies);
    // A revoked token's dashboard sessions end with it.
    tokens.on('revoked', (id) => void sessions.endForToken(id).catch((err) => log.error({ err }, 'ending the sessions of a revoked token failed')));
    // Sessions that ended or expired a week ago are of no use to anyone: removed hourly.
    sessionPurge = setInterval(() => void sessions.purgeOld().catch((err) => log.error({ err }, 'purging old sessions failed')), 3600_000);
    sessionPurge.unref();
    overview = new LiveOverview(store, policies, rollouts, log);
    rollup = new DailyRollup(store, policies, log);
    rollup.start();
    exportsSvc = new ReportExports(reports, config.dataDir, log);
    api = buildApi(
      { store, policies, compliance, exceptions, devices, rollouts, gateway, tokens, usage, reports, audit, key, log, sessions, overview, rollup, exports: exportsSvc, previews: new PreviewRuns(store, policies, compliance), dashboardDir: findDashboardDir() },
      EDICT_VERSION,
    );
    gateway.attach(api.server);
    await api.listen({ host: config.host, port: config.port });
  } catch (err) {
    clearInterval(sessionPurge);
    audit?.stop();
    rollup?.stop();
    overview?.close();
    exportsSvc?.close();
    await usage?.stop().catch(() => undefined);
    scheduler?.stop();
    compliance?.stop();
    await gateway?.close();
    await api?.close().catch(() => undefined);
    await store.close();
    throw err;
  }
  const [c, g, sch, a, u, au, ro, ov, ex] = [compliance, gateway, scheduler, api, usage!, audit!, rollup!, overview!, exportsSvc!];
  const port = (a.server.address() as AddressInfo).port;
  const url = config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.info({ url, dataDir: config.dataDir, version: EDICT_VERSION }, 'edict-server listening');

  let closed = false;
  return {
    url,
    port,
    store,
    policies,
    compliance: c,
    exceptions,
    ingest,
    scheduler: sch,
    gateway: g,
    adminTokenFile,
    rollup: ro,
    async close() {
      if (closed) return;
      closed = true;
      sch.stop();
      c.stop();
      au.stop();
      ro.stop();
      ov.close();
      ex.close();
      clearInterval(sessionPurge);
      await g.close();
      await a.close();
      await u.stop().catch(() => undefined);
      await ro.idle().catch(() => undefined);
      await store.close();
    },
  };
}

/**
 * On first start, creates an admin token and writes it (mode 0600) where the operator can read it.
 * The file is written inside the transaction: if it cannot be written, no token is stored either,
 * and the next start tries again (a token nobody can read would lock the admin out).
 */
async function ensureAdminToken(store: Store, file: string, log: Logger): Promise<void> {
  if ((await store.tokens.countActiveApiTokens('admin')) > 0) return;
  const { id } = await store.tx(async (r) => {
    const t = await r.tokens.createApiToken('admin', 'initial');
    await r.audit.append('system', 'api-token.create', t.id, { role: 'admin', label: 'initial' });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, t.token + '\n', { mode: SECRET_FILE_MODE });
    chmodSync(tmp, SECRET_FILE_MODE);
    renameSync(tmp, file);
    return t;
  });
  log.info({ tokenId: id, file }, 'created the initial admin token');
}
