#!/usr/bin/env node
// edict-server: starts the Edict server (the default command), or backs up / restores its SQLite
// database, applies database migrations, exports a deployment to a portable file, or imports such a
// file into an empty PostgreSQL database (moving from the embedded store to several nodes). Config
// from --config FILE, EDICT_SERVER_* environment variables and flags, validated once; a bad config
// exits 78 with one line naming every bad field. SIGTERM/SIGINT first drain agent connections
// (they finish in-flight reports and move to another node), then the server closes.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { EdictError } from '../../shared/src/errors.js';
import { EDICT_VERSION_LINE } from '../../shared/src/version.js';
import { startServer } from './app.js';
import { loadServerConfig } from './config.js';
import { EXIT_CONFIG } from './constants.js';
import { backupDatabase, exportStore, importStore, migrateStore, restoreDatabase, type StoreConfig } from './store/index.js';

const program = new Command('edict-server')
  .description('Edict server: agent gateway, admin API, policy store')
  .version(EDICT_VERSION_LINE)
  .option('--config <file>', 'JSON config file')
  .option('--port <n>', 'listen port (0 = any free port)')
  .option('--host <addr>', 'listen address')
  .option('--data <dir>', 'data directory (SQLite database, admin token, signing key)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
  .showHelpAfterError();

type Opts = { config?: string; port?: string; host?: string; data?: string; logLevel?: string };

function config() {
  const o = program.opts<Opts>();
  return loadServerConfig({ file: o.config, env: process.env, flags: { port: o.port, host: o.host, dataDir: o.data, logLevel: o.logLevel } });
}

function storeConfig(): StoreConfig & { kind: 'sqlite' | 'postgres' } {
  const c = config();
  return { kind: c.store, dataDir: c.dataDir, databaseUrl: c.databaseUrl, poolSize: 2, nodeId: 'edict-server-cli' };
}

/** backup/restore copy the SQLite file; a PostgreSQL deployment is backed up with PostgreSQL's tools. */
function sqliteOnly(what: string) {
  const c = config();
  if (c.store === 'postgres') throw new EdictError('EDICT_ERR_CONFIG', `${what} works on the embedded SQLite store; on PostgreSQL use pg_dump / pg_restore (or edict-server export)`);
  return c;
}

function fail(err: unknown): never {
  if (err instanceof EdictError) {
    process.stderr.write(`edict-server: ${err.code}: ${err.message}\n`);
    process.exit(err.code === 'EDICT_ERR_CONFIG' ? EXIT_CONFIG : 1);
  }
  process.stderr.write(`edict-server: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
}

/** The pid of a server running on this data folder, if any (its pid file names a live process). */
function runningServer(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'server.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

program
  .command('serve', { isDefault: true })
  .description('run the server (the default)')
  .action(async () => {
    try {
      const cfg = config();
      const server = await startServer(cfg);
      const pidFile = path.join(cfg.dataDir, 'server.pid');
      writeFileSync(pidFile, `${process.pid}\n`);
      // One plain line for people and scripts (npm start and tests read it).
      process.stdout.write(`edict-server listening on ${server.url} (admin token file: ${server.adminTokenFile})\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`edict-server stopping (${signal}): draining agent connections\n`);
        server
          .drain()
          .then(() => server.close())
          .then(
          () => {
            rmSync(pidFile, { force: true });
            process.exit(0);
          },
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    } catch (err) {
      fail(err);
    }
  });

program
  .command('backup')
  .description('a consistent copy of the database, taken while the server runs (VACUUM INTO), checked with integrity_check')
  .requiredOption('--to <file>', 'the new backup file')
  .action((o: { to: string }) => {
    try {
      const r = backupDatabase(sqliteOnly('backup').dataDir, path.resolve(o.to));
      process.stdout.write(`backup written to ${path.resolve(o.to)} (${r.bytes} bytes, as of ${r.at}); integrity_check ok. Keep signing-key.pem from the data folder with it.\n`);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('restore')
  .description('replace the database with a backup (the server must be stopped; the replaced database is kept beside it)')
  .requiredOption('--from <file>', 'a backup made by `edict-server backup`')
  .action((o: { from: string }) => {
    try {
      const dataDir = sqliteOnly('restore').dataDir;
      const pid = runningServer(dataDir);
      if (pid) throw new EdictError('EDICT_ERR_VALIDATION', `the server is running on ${dataDir} (pid ${pid}); stop it first (systemctl stop edict-server)`);
      const r = restoreDatabase(dataDir, path.resolve(o.from));
      process.stdout.write(`restored ${path.resolve(o.from)} into ${dataDir}${r.replaced ? `; the previous database is kept as ${r.replaced}` : ''}\n`);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('migrate')
  .description('apply pending database migrations and say which ran (the server also does this at start)')
  .action(async () => {
    try {
      const c = storeConfig();
      const r = await migrateStore(c);
      process.stdout.write(`${c.kind} database migrated: ${r.ran.length ? `applied ${r.ran.join(', ')}` : 'nothing to apply'} (${r.applied.length} migrations in all)\n`);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('export')
  .description('write the whole database (every table, every row) to a portable file, for import into PostgreSQL')
  .requiredOption('--out <file>', 'export file to write (JSON Lines; holds credential hashes: keep it private)')
  .action(async (o: { out: string }) => {
    try {
      const c = storeConfig();
      const r = await exportStore(c, path.resolve(o.out));
      const rows = Object.values(r.counts).reduce((a, b) => a + b, 0);
      process.stdout.write(`exported ${rows} rows from the ${c.kind} database to ${r.file} (audit head ${r.auditHead ?? 'none'})\n`);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('import')
  .description('load an export file into an empty PostgreSQL database (store: postgres, databaseUrl); all or nothing')
  .requiredOption('--in <file>', 'an export file written by edict-server export')
  .action(async (o: { in: string }) => {
    try {
      const c = storeConfig();
      const r = await importStore(c, path.resolve(o.in));
      const rows = Object.values(r.counts).reduce((a, b) => a + b, 0);
      process.stdout.write(
        `imported ${rows} rows into ${c.kind}; audit chain verified, head ${r.auditHead ?? 'none'}. ` +
          `Give every node the signing key file of the old server (signingKeyFile): agents trust only that key.\n`,
      );
    } catch (err) {
      fail(err);
    }
  });

await program.parseAsync();
