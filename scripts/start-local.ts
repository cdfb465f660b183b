// `npm start`: the whole system on one machine. Starts edict-server on embedded SQLite with its
// data under the project (data/ by default), seeds the sample Claude Code ban, enrolls a local
// agent on first run and starts it, then prints where everything is (the dashboard URL first). Ctrl-C stops both; a second
// `npm start` reuses the data (same database, same enrolled device).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { projectRoot } from './project-root.js';
import { ApiClient } from '../server/src/ctl/client.js';
import { DEFAULT_PORT } from '../server/src/constants.js';
import { SAMPLE_POLICY, SAMPLE_POLICY_NAME } from './sample-policy.js';

const root = projectRoot();
const dist = path.join(root, 'dist');
const SERVER_CLI = path.join(dist, 'server', 'src', 'cli.js');
const AGENT_CLI = path.join(dist, 'agent', 'src', 'cli.js');

const o = new Command('npm start')
  .option('--data <dir>', 'data folder for server and agent', process.env.EDICT_DATA_DIR ?? path.join(root, 'data'))
  .option('--port <n>', 'server port (0 = any free port)', process.env.EDICT_PORT ?? String(DEFAULT_PORT))
  .parse()
  .opts<{ data: string; port: string }>();

const dataDir = path.resolve(o.data);
const serverData = path.join(dataDir, 'server');
const agentState = path.join(dataDir, 'agent');
const children: ChildProcess[] = [];
let stopping = false;

function prefixOutput(child: ChildProcess, tag: string, sink: (s: string) => void = () => {}): void {
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      sink(text);
      for (const line of text.split('\n').filter(Boolean)) process.stdout.write(`[${tag}] ${line}\n`);
    });
  }
}

async function startServer(): Promise<string> {
  const child = spawn(process.execPath, [SERVER_CLI, '--data', serverData, '--port', o.port, '--host', '127.0.0.1', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  prefixOutput(child, 'server', (s) => (out += s));
  return new Promise((resolve, reject) => {
    const check = setInterval(() => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearInterval(check);
        resolve(m[1]);
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(check);
      if (!stopping) reject(new Error(`edict-server exited (${code}) before it was ready`));
    });
  });
}

async function ensureEnrolled(api: ApiClient, url: string): Promise<void> {
  const file = path.join(agentState, 'enrollment.json');
  if (existsSync(file)) {
    // Same data, so the device credential is still valid; only the port may have changed.
    const e = JSON.parse(readFileSync(file, 'utf8')) as { serverUrl: string };
    if (e.serverUrl !== url) writeFileSync(file, JSON.stringify({ ...e, serverUrl: url }, null, 2) + '\n', { mode: 0o600 });
    return;
  }
  const { token } = await api.request<{ token: string }>('POST', '/enrollment-tokens', { label: 'npm start local agent', maxUses: 1, ttlHours: 1 });
  await promisify(execFile)(process.execPath, [AGENT_CLI, '--state-dir', agentState, 'enroll', '--server', url, '--token', token]);
}

async function ensureSamplePolicy(api: ApiClient): Promise<void> {
  const { items } = await api.request<{ items: { name: string }[] }>('GET', '/policies');
  if (items.some((p) => p.name === SAMPLE_POLICY_NAME)) return;
  const draft = await api.request<{ id: string }>('POST', '/policies', SAMPLE_POLICY);
  await api.request('POST', `/policies/${draft.id}/publish`);
}

function ensureAgentConfig(): void {
  mkdirSync(agentState, { recursive: true, mode: 0o700 });
  const file = path.join(agentState, 'agent.json');
  if (!existsSync(file)) {
    writeFileSync(file, JSON.stringify({ logLevel: 'warn', scan: { inventoryIntervalMs: 5 * 60_000 } }, null, 2) + '\n');
  }
}

async function stopAll(code: number): Promise<never> {
  stopping = true;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const t = setTimeout(() => c.kill('SIGKILL'), 5000);
          c.once('exit', () => (clearTimeout(t), resolve()));
          c.kill('SIGTERM');
        }),
    ),
  );
  process.stdout.write('Edict stopped.\n');
  process.exit(code);
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

try {
  mkdirSync(serverData, { recursive: true, mode: 0o700 });
  const url = await startServer();
  const tokenFile = path.join(serverData, 'admin-token');
  const api = new ApiClient(url, readFileSync(tokenFile, 'utf8').trim());
  await ensureSamplePolicy(api);
  ensureAgentConfig();
  await ensureEnrolled(api, url);
  const agent = spawn(process.execPath, [AGENT_CLI, '--state-dir', agentState, 'run'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(agent);
  prefixOutput(agent, 'agent');
  for (const c of children) {
    c.once('exit', (code) => {
      if (!stopping) {
        process.stdout.write(`a component exited unexpectedly (code ${code}); stopping\n`);
        void stopAll(1);
      }
    });
  }
  // The server serves the dashboard it was built with (npm run build bundles it into dist/dashboard).
  const dashboard = ((await fetch(`${url}/`).catch(() => undefined))?.headers.get('content-type') ?? '').startsWith('text/html');
  const rel = (p: string) => {
    const r = path.relative(process.cwd(), p);
    return r && !r.startsWith('..') ? r : p;
  };
  process.stdout.write(
    [
      '',
      'Edict is running locally.',
      `  API:          ${url}/api/v1   (OpenAPI: ${url}/api/v1/openapi.json)`,
      dashboard ? `  Dashboard:    ${url}/   (sign in with the admin token below)` : `  Dashboard:    not built; run npm run build (the API and edictctl work meanwhile)`,
      `  Admin token:  ${tokenFile}`,
      `  Try:          npm run -s edictctl -- --server ${url} --token-file ${rel(tokenFile)} violations`,
      `  Agent status: npm run -s edict-agent -- --state-dir ${rel(agentState)} status`,
      `  Data:         ${dataDir}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
} catch (err) {
  process.stderr.write(`npm start failed: ${(err as Error).message}\n`);
  await stopAll(1);
}
