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
import { loadOrCreateSigningKey } from './keys.js';
import { PolicyService } from './policy/service.js';
import { BoundaryScheduler } from './scheduler.js';
import { Store } from './store/index.js';

export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  policies: PolicyService;
  compliance: ComplianceService;
  exceptions: ExceptionService;
  scheduler: BoundaryScheduler;
  gateway: AgentGateway;
  /** Path of the file holding the first admin token (written only when it was created). */
  adminTokenFile: string;
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
  const store = Store.open(config.dataDir);
  const adminTokenFile = path.join(config.dataDir, 'admin-token');
  ensureAdminToken(store, adminTokenFile, log);

  const key = loadOrCreateSigningKey(config.dataDir);
  const policies = new PolicyService(store, key);
  const compliance = new ComplianceService(store, policies);
  const exceptions = new ExceptionService(store, policies, compliance);
  const gateway = new AgentGateway({ store, policies, compliance, exceptions }, log, opts.pingIntervalMs);
  const scheduler = new BoundaryScheduler(store, policies, compliance, exceptions, log);
  scheduler.start();
  const api = buildApi({ store, policies, compliance, exceptions, gateway, key, log }, EDICT_VERSION);
  gateway.attach(api.server);

  try {
    await api.listen({ host: config.host, port: config.port });
  } catch (err) {
    scheduler.stop();
    gateway.close();
    store.close();
    throw err;
  }
  const port = (api.server.address() as AddressInfo).port;
  const url = config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.info({ url, dataDir: config.dataDir, version: EDICT_VERSION }, 'edict-server listening');

  let closed = false;
  return {
    url,
    port,
    store,
    policies,
    compliance,
    exceptions,
    scheduler,
    gateway,
    adminTokenFile,
    async close() {
      if (closed) return;
      closed = true;
      scheduler.stop();
      gateway.close();
      await api.close();
      store.close();
    },
  };
}

/**
 * On first start, creates an admin token and writes it (mode 0600) where the operator can read it.
 * The file is written inside the transaction: if it cannot be written, no token is stored either,
 * and the next start tries again (a token nobody can read would lock the admin out).
 */
function ensureAdminToken(store: Store, file: string, log: Logger): void {
  if (store.tokens.countActiveApiTokens('admin') > 0) return;
  const { id } = store.tx(() => {
    const t = store.tokens.createApiToken('admin', 'initial');
    store.audit.append('system', 'api-token.create', t.id, { role: 'admin', label: 'initial' });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, t.token + '\n', { mode: SECRET_FILE_MODE });
    chmodSync(tmp, SECRET_FILE_MODE);
    renameSync(tmp, file);
    return t;
  });
  log.info({ tokenId: id, file }, 'created the initial admin token');
}
