// Assembles one Edict server: store, policy service, agent gateway and REST API on one HTTP
// listener. `startServer` resolves once listening; `drain()` (before a stop) refuses new agents and
// lets connected ones finish and move to another node; `close()` stops accepting, drops agents and
// closes the database. On PostgreSQL several such nodes share one database (a ClusterLink: notices
// between nodes, one leader for schedules). Used by the CLI, `npm start` and every integration test.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { EdictError } from '../../shared/src/errors.js';
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
import { loadSigningKey, type SigningKey } from './keys.js';
import { Readiness } from './cluster/readiness.js';
import { ClusterSync } from './cluster/sync.js';
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
  readiness: Readiness;
  cluster: ClusterSync;
  /** Path of the file holding the first admin token (written only when it was created). */
  adminTokenFile: string;
  /** The daily rollup behind the burn-down chart (tests run it on demand). */
  rollup: DailyRollup;
  /** Not ready any more; agents finish in-flight reports and are sent to another node (before close). */
  drain(timeoutMs?: number): Promise<{ closed: number; left: number }>;
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
  const nodeId = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const store = await openStore({
    kind: config.store,
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    poolSize: config.databasePoolSize,
    nodeId,
    onBackgroundError: (message) => log.error({ message }, 'store background work failed'),
  });
  const adminTokenFile = path.join(config.dataDir, 'admin-token');
  let scheduler: BoundaryScheduler | undefined;
  let readiness: Readiness | undefined;
  let sync: ClusterSync | undefined;
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
    const key = await checkSigningKey(store, config.signingKeyFile);
    await ensureAdminToken(store, adminTokenFile, log);
    await store.cluster.start();
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
    readiness = new Readiness(store, log);
    gateway.readiness = readiness;
    sync = new ClusterSync(store, policies, compliance, exceptions, gateway, log);
    sync.start();
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
      {
        store,
        policies,
        compliance,
        exceptions,
        devices,
        rollouts,
        gateway,
        tokens,
        usage,
        reports,
        audit,
        key,
        readiness,
        log,
        sessions,
        overview,
        rollup,
        exports: exportsSvc,
        previews: new PreviewRuns(store, policies, compliance),
        dashboardDir: findDashboardDir(),
      },
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
    sync?.stop();
    readiness?.stop();
    compliance?.stop();
    await gateway?.close();
    await api?.close().catch(() => undefined);
    await store.close();
    throw err;
  }
  const [c, g, sch, a, u, au, rd, sy, ro, ov, ex] = [compliance, gateway, scheduler, api, usage!, audit!, readiness, sync, rollup!, overview!, exportsSvc!];
  const port = (a.server.address() as AddressInfo).port;
  const url = config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.info({ url, dataDir: config.dataDir, version: EDICT_VERSION, store: store.kind, node: nodeId, leader: store.cluster.isLeader }, 'edict-server listening');

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
    readiness: rd,
    cluster: sy,
    adminTokenFile,
    rollup: ro,
    async drain(timeoutMs = config.drainTimeoutMs) {
      rd.draining = true;
      const r = await g.drain(timeoutMs);
      log.info(r, 'drained agent connections');
      return r;
    },
    async close() {
      if (closed) return;
      closed = true;
      sch.stop();
      sy.stop();
      rd.stop();
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
  const lost = new Error('another node made the initial admin token');
  let made: { id: string } | undefined;
  try {
    made = await store.tx(async (r) => {
      const t = await r.tokens.createApiToken('admin', 'initial');
      // The audit append serialises writers (one chain head): nodes starting together on an empty
      // database pass here one at a time, and any but the first sees another token and backs out.
      await r.audit.append('system', 'api-token.create', t.id, { role: 'admin', label: 'initial' });
      if ((await r.tokens.countActiveApiTokens('admin')) > 1) throw lost;
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, t.token + '\n', { mode: SECRET_FILE_MODE });
      chmodSync(tmp, SECRET_FILE_MODE);
      renameSync(tmp, file);
      return t;
    });
  } catch (err) {
    if (err !== lost) throw err;
    log.info('another node created the initial admin token (see its data folder)');
    return;
  }
  log.info({ tokenId: made.id, file }, 'created the initial admin token');
}

/**
 * The signing key: the file named by signingKeyFile, made only by the first node of a database that
 * has none recorded. The database keeps the key's id (public), never the key: a node given another
 * key is refused, so agents never get parts signed by a key they did not pin.
 */
async function checkSigningKey(store: Store, file: string): Promise<SigningKey> {
  const recorded = await store.policies.meta('signing_key_id');
  const key = loadSigningKey(file, !recorded);
  if (!recorded && (await store.policies.claimMeta('signing_key_id', key.keyId))) return key;
  const expected = recorded ?? (await store.policies.meta('signing_key_id'));
  if (expected !== key.keyId) {
    throw new EdictError('EDICT_ERR_CONFIG', `signing key ${file} (id ${key.keyId}) is not the key this database's agents pinned (id ${expected}): give every node the same key file`);
  }
  return key;
}
