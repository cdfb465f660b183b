#!/usr/bin/env node
// edict-agent: enroll, run, scan --once [--json], status [--json]. Every command works from the
// state folder (--state-dir, EDICT_AGENT_STATE_DIR, or the platform default).
import { mkdirSync } from 'node:fs';
import { Command } from 'commander';
import { BUILTIN_CATALOG } from '../../shared/src/catalog/builtin.js';
import { EdictError } from '../../shared/src/errors.js';
import { EDICT_VERSION_LINE } from '../../shared/src/version.js';
import { EdictAgent } from './agent.js';
import { loadAgentConfig } from './config.js';
import { STATE_DIR_MODE, STATUS_LAST_SENT } from './constants.js';
import { enrollUntilDone, takeEnrollSettings, waitForEnrollSettings } from './auto-enroll.js';
import { loadTrust } from './connection/trust.js';
import { enroll } from './enroll.js';
import { createAgentLogger } from './log.js';
import { defaultStateDir, statePaths } from './paths.js';
import { buildScanContext, scan } from './scanner.js';
import { loadVerifiedPolicy } from './state/agent-state.js';
import { loadEnrollment } from './state/enrollment.js';
import { writeRequest } from './requests/spool.js';
import { readStatus, renderStatus } from './status.js';

const EXIT_CONFIG = 78;

const program = new Command('edict-agent')
  .description('Edict agent: finds banned tools on this machine, shows notices, reports to the Edict server')
  .version(EDICT_VERSION_LINE)
  .option('--state-dir <dir>', 'state folder (enrollment, policy cache, outbox, sent-message log)')
  .option('--config <file>', 'agent config file (default: agent.json in the state folder)')
  .showHelpAfterError();

function context() {
  const g = program.opts<{ stateDir?: string; config?: string }>();
  const paths = statePaths(g.stateDir ?? defaultStateDir());
  const config = loadAgentConfig(g.config ?? paths.config, !!g.config);
  return { paths, config, log: createAgentLogger(config.logLevel) };
}

/** The CAs for the server connection: the config's caFile, else EDICT_CA_FILE from the environment. */
function trustFor(config: { caFile?: string }) {
  return loadTrust(config.caFile ?? (process.env.EDICT_CA_FILE?.trim() || undefined));
}

program
  .command('enroll')
  .description('enroll this device with an Edict server')
  .requiredOption('--server <url>', 'server URL, e.g. https://edict.example.com; several servers (nodes): comma-separated, the agent fails over between them')
  .requiredOption('--token <token>', 'enrollment token from your IT admin')
  .action(async (o: { server: string; token: string }) => {
    const { paths, config } = context();
    const trust = trustFor(config);
    mkdirSync(paths.dir, { recursive: true, mode: STATE_DIR_MODE });
    const e = await enroll(o.server, o.token, paths.enrollment, trust);
    process.stdout.write(`enrolled as ${e.deviceId} with ${e.serverUrl}; credential stored in ${paths.enrollment}\n`);
  });

program
  .command('run')
  .description('run the agent: scan on schedule, report to the server, apply policy. Not enrolled yet: enrolls from EDICT_SERVER and EDICT_ENROLL_TOKEN when set')
  .option('--wait-for-enrollment', 'as a service: when not enrolled and no EDICT_SERVER / EDICT_ENROLL_TOKEN are set, wait (saying so) instead of exiting')
  .action(async (o: { waitForEnrollment?: boolean }) => {
    const { paths, config, log } = context();
    const trust = trustFor(config);
    // Taken out of the environment before anything else runs (children never see the token).
    const settings = takeEnrollSettings(process.env);
    const stopping = new AbortController();
    let agent: EdictAgent | undefined;
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      stopping.abort();
      if (!agent) return process.exit(0);
      agent.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));

    let enrollment = loadEnrollment(paths.enrollment, log);
    if (!enrollment) {
      if (!settings && !o.waitForEnrollment) {
        throw new EdictError('EDICT_ERR_NOT_ENROLLED', `no enrollment in ${paths.dir} (run edict-agent enroll, or set EDICT_SERVER and EDICT_ENROLL_TOKEN)`);
      }
      mkdirSync(paths.dir, { recursive: true, mode: STATE_DIR_MODE });
      if (!settings) {
        process.stdout.write(`edict-agent: not enrolled; waiting for EDICT_SERVER and EDICT_ENROLL_TOKEN (see the log line above)\n`);
        await waitForEnrollSettings(paths.dir, log, stopping.signal);
        return;
      }
      enrollment = await enrollUntilDone(settings, paths.enrollment, trust, log, stopping.signal);
      if (!enrollment) return;
    }
    agent = new EdictAgent({ paths, config, enrollment, log, trust });
    await agent.start();
    process.stdout.write(`edict-agent ${EDICT_VERSION_LINE} running (device ${enrollment.deviceId}, server ${enrollment.serverUrl})\n`);
  });

program
  .command('scan')
  .description('scan this machine once and print what would be reported (no network)')
  .option('--once', 'scan once and exit (the only mode; kept for clarity)')
  .option('--json', 'print one JSON object')
  .action(async (o: { json?: boolean }) => {
    const { paths, config, log } = context();
    // The catalog from the verified policy bundle when enrolled; the built-in one otherwise.
    const key = loadEnrollment(paths.enrollment)?.serverPublicKey;
    const catalog = loadVerifiedPolicy(paths, key, () => {})?.bundle.catalog ?? BUILTIN_CATALOG;
    const ctx = buildScanContext(catalog, config, log);
    const result = await scan(ctx, ['inventory', 'process']);
    if (o.json) {
      process.stdout.write(JSON.stringify({ ...result, users: ctx.users.map((u) => u.user) }, null, 2) + '\n');
      return;
    }
    process.stdout.write(`Scanned ${ctx.users.length} home(s) and running processes at ${result.scannedAt}\n`);
    if (!result.detections.length) process.stdout.write('No catalogued tools found.\n');
    for (const d of result.detections) {
      process.stdout.write(`${d.toolId}\t${d.kind}\t${d.user}\t${d.evidence.version ?? '-'}\t${d.evidence.path ?? '-'}\t(${d.evidence.signature}, confidence ${d.confidence})\n`);
    }
    for (const e of result.errors) process.stdout.write(`warning: collector ${e.collector} failed: ${e.message}\n`);
  });

/** Employee requests: any failure is one clear line with a stable code. */
function handOver(write: () => unknown): void {
  try {
    write();
  } catch (err) {
    throw new EdictError('EDICT_ERR_REQUEST_REFUSED', (err as Error).message);
  }
}

program
  .command('ack <tool>')
  .description('acknowledge the notice about a banned tool (tells your IT department you have read it)')
  .action((tool: string) => {
    const { paths } = context();
    handOver(() => writeRequest(paths.dir, { kind: 'ack', toolId: tool }));
    process.stdout.write(`Acknowledged the notice about ${tool}. The agent sends it to your IT department within a few seconds.\n`);
  });

program
  .command('request-exception <tool>')
  .description('ask your IT department for an exception to the ban of a tool')
  .requiredOption('--reason <text>', 'why you need it (your words are sent as written)')
  .action((tool: string, o: { reason: string }) => {
    const { paths } = context();
    handOver(() => writeRequest(paths.dir, { kind: 'exception-request', toolId: tool, reason: o.reason }));
    process.stdout.write(`Exception request for ${tool} recorded. The agent sends it to your IT department; you will get a notice with the decision.\n`);
  });

program
  .command('status')
  .description('show connection, policy in force, detections and the last messages sent')
  .option('--json', 'print one JSON object')
  .option('--last <n>', 'how many sent messages to show', String(STATUS_LAST_SENT))
  .action((o: { json?: boolean; last: string }) => {
    const { paths } = context();
    const view = readStatus(paths, Math.max(0, Number(o.last) || STATUS_LAST_SENT));
    process.stdout.write(o.json ? JSON.stringify(view, null, 2) + '\n' : renderStatus(view));
  });

// No top-level await: the packaged agent is one CommonJS bundle (Node single executable).
program.parseAsync().catch((err: unknown) => {
  if (err instanceof EdictError) {
    process.stderr.write(`edict-agent: ${err.code}: ${err.message}\n`);
    process.exit(err.code === 'EDICT_ERR_CONFIG' ? EXIT_CONFIG : 1);
  }
  process.stderr.write(`edict-agent: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
