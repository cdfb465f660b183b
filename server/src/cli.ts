#!/usr/bin/env node
// edict-server: starts the Edict server. Config from --config FILE, EDICT_SERVER_* environment
// variables and flags, validated once; a bad config exits 78 naming every bad field.
import { Command } from 'commander';
import { EdictError } from '../../shared/src/errors.js';
import { EDICT_VERSION_LINE } from '../../shared/src/version.js';
import { startServer } from './app.js';
import { loadServerConfig } from './config.js';
import { EXIT_CONFIG } from './constants.js';

const program = new Command('edict-server')
  .description('Edict server: agent gateway, admin API, policy store')
  .version(EDICT_VERSION_LINE)
  .option('--config <file>', 'JSON config file')
  .option('--port <n>', 'listen port (0 = any free port)')
  .option('--host <addr>', 'listen address')
  .option('--data <dir>', 'data directory (SQLite database, admin token)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
  .showHelpAfterError();

program.parse();
const o = program.opts<{ config?: string; port?: string; host?: string; data?: string; logLevel?: string }>();

try {
  const config = loadServerConfig({
    file: o.config,
    env: process.env,
    flags: { port: o.port, host: o.host, dataDir: o.data, logLevel: o.logLevel },
  });
  const server = await startServer(config);
  // One plain line for people and scripts (npm start and tests read it).
  process.stdout.write(`edict-server listening on ${server.url} (admin token file: ${server.adminTokenFile})\n`);
  const stop = (signal: string) => {
    process.stdout.write(`edict-server stopping (${signal})\n`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
} catch (err) {
  if (err instanceof EdictError) {
    process.stderr.write(`edict-server: ${err.code}: ${err.message}\n`);
    process.exit(err.code === 'EDICT_ERR_CONFIG' ? EXIT_CONFIG : 1);
  }
  process.stderr.write(`edict-server: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
}
