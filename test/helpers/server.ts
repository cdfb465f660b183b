// Test servers: a real Edict server on port 0 with a temporary database (SQLite in its data folder,
// or a fresh PostgreSQL database when the suite runs with EDICT_TEST_STORE=postgres), in-process
// (startTestServer) or as a separate OS process that can be killed (spawnServerProcess).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, type RunningServer } from '../../server/src/app.js';
import { loadServerConfig } from '../../server/src/config.js';
import { SERVER_CLI } from './paths.js';
import { storeEnv, storeFlags, testDb, type TestDb } from './store.js';
import { tempDir } from './tmp.js';
import { waitFor } from './wait.js';

export interface TestServer extends RunningServer {
  adminToken: string;
  dataDir: string;
  /** A second plain connection to the server's database, for looking at rows directly. */
  sql: TestDb;
  api<T = any>(method: string, p: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
}

export async function api<T = any>(baseUrl: string, token: string | undefined, method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${baseUrl}/api/v1${p}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Creates a policy draft and publishes it; returns the published version. */
export async function publishPolicy(server: { api: TestServer['api'] }, spec: unknown): Promise<any> {
  const draft = await server.api('POST', '/policies', spec);
  if (draft.status !== 201) throw new Error(`draft refused: ${JSON.stringify(draft.body)}`);
  const pub = await server.api('POST', `/policies/${draft.body.id}/publish`);
  if (pub.status !== 200) throw new Error(`publish refused: ${JSON.stringify(pub.body)}`);
  return pub.body;
}

export async function startTestServer(opts: { dataDir?: string; pingIntervalMs?: number } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDir('edict-server-');
  const config = loadServerConfig({ flags: { port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', ...(await storeFlags(dataDir)) } });
  const s = await startServer(config, { pingIntervalMs: opts.pingIntervalMs });
  const adminToken = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const sql = testDb(dataDir);
  const close = s.close.bind(s);
  return Object.assign(s, {
    adminToken,
    dataDir,
    sql,
    close: async () => {
      await sql.close();
      await close();
    },
    api: <T = any>(method: string, p: string, body?: unknown, token: string = adminToken) => api<T>(s.url, token, method, p, body),
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `edict-server` as its own process and waits for its "listening" line. */
export async function spawnServerProcess(dataDir: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  // A moved clock: pass fakeClockEnv(…) (test/helpers/fake-clock.ts) in `env`.
  const child = spawn(process.execPath, [SERVER_CLI, '--port', String(port), '--host', '127.0.0.1', '--data', dataDir, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(await storeEnv(dataDir)), ...env },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  // A generous bound: on a loaded machine a fresh PostgreSQL database's migrations alone have taken
  // over 20 s (CI's PostgreSQL pass, with other test runs on the same 2 cores).
  const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(out)?.[1], 'edict-server to listen', 45_000).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}; exit ${child.exitCode ?? 'none'}; its output: ${out.slice(-1500) || '(none)'}`);
  });
  return { child, url, output: () => out };
}

/** A free loopback port (bound and released), for a server that must come back on the same port. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}
