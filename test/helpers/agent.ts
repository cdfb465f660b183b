// Test agents: enroll a real agent state folder against a test server and run `edict-agent` as
// a real process with a test config (fast schedules, scan limited to temporary homes).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AGENT_CLI } from './paths.js';
import { api } from './server.js';
import { tempDir } from './tmp.js';

const run = promisify(execFile);

export interface AgentSetup {
  stateDir: string;
  configFile: string;
  deviceId: string;
}

export interface AgentScanConfig {
  homes?: { user: string; home: string }[];
  extraNpmPrefixes?: string[];
  processIntervalMs?: number;
  inventoryIntervalMs?: number;
}

/** A PATH for spawned agents without the developer's own bin folders (tests must not depend on them). */
export const CLEAN_PATH = ['/usr/local/bin', '/usr/bin', '/bin'].join(path.delimiter);

/** Enrolls with `serverUrl` (or several, comma-separated: the agent fails over between them). `extra`: other agent.json sections (e.g. `{ outbox: { maxBytes } }`). */
export async function enrollAgent(serverUrl: string, adminToken: string, scanCfg: AgentScanConfig = {}, extra: Record<string, unknown> = {}): Promise<AgentSetup> {
  const stateDir = tempDir('edict-agent-');
  const configFile = path.join(stateDir, 'agent.json');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(
    configFile,
    JSON.stringify({
      logLevel: 'info',
      scan: {
        processIntervalMs: scanCfg.processIntervalMs ?? 250,
        inventoryIntervalMs: scanCfg.inventoryIntervalMs ?? 2000,
        homes: scanCfg.homes ?? [{ user: 'nobody-test', home: tempDir('edict-home-') }],
        extraNpmPrefixes: scanCfg.extraNpmPrefixes ?? [],
      },
      ...extra,
    }),
  );
  const token = (await api(serverUrl.split(',')[0], adminToken, 'POST', '/enrollment-tokens', { label: 'test' })).body.token as string;
  const { stdout } = await run(process.execPath, [AGENT_CLI, '--state-dir', stateDir, 'enroll', '--server', serverUrl, '--token', token]);
  const deviceId = /enrolled as (\S+)/.exec(stdout)![1];
  return { stateDir, configFile, deviceId };
}

export interface AgentProcess {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export function runAgent(setup: AgentSetup, env: NodeJS.ProcessEnv = {}): AgentProcess {
  const child = spawn(process.execPath, [AGENT_CLI, '--state-dir', setup.stateDir, '--config', setup.configFile, 'run'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: CLEAN_PATH, ...env },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return {
    child,
    output: () => out,
    stop: () => stopChild(child),
  };
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill(signal);
  });
}

export async function agentJson(setup: AgentSetup, ...args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, [AGENT_CLI, '--state-dir', setup.stateDir, '--config', setup.configFile, ...args, '--json'], {
    env: { ...process.env, PATH: CLEAN_PATH },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}
