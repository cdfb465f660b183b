// edict-agent commands: enroll, run, scan --once [--json], status [--json], ack,
// request-exception. Every command works from the state folder (--state-dir,
// EDICT_AGENT_STATE_DIR, or the platform default). Each command loads only the modules it needs
// (dynamic import), so the long-running `run` never holds the code of the others. Loaded by cli.ts.
import { Command } from 'commander';
import { EdictError } from '../../shared/src/errors.js';
import { EDICT_VERSION_LINE } from '../../shared/src/version.js';
import { loadAgentConfig } from './config.js';
import { STATE_DIR_MODE, STATUS_LAST_SENT } from './constants.js';
import { loadTrust } from './connection/trust.js';
import { createAgentLogger } from './log.js';
import { defaultStateDir, statePaths } from './paths.js';
import { enrollmentState, loadEnrollment } from './state/enrollment.js';
import { ensureDir } from './state/json-file.js';
import type { SubmitOutcome } from './requests/submit.js';

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
  .option('--force', 'replace an existing enrollment (the old device stays on the server until revoked)')
  .action(async (o: { server: string; token: string; force?: boolean }) => {
    const { enroll } = await import('./enroll.js');
    const { paths, config } = context();
    const held = loadEnrollment(paths.enrollment);
    if (held && !o.force) {
      throw new EdictError('EDICT_ERR_ALREADY_ENROLLED', `${paths.dir} is enrolled as device ${held.deviceId} with ${held.serverUrl} since ${held.enrolledAt}; use --force to replace it`);
    }
    const trust = trustFor(config);
    ensureDir(paths.dir, STATE_DIR_MODE);
    const e = await enroll(o.server, o.token, paths.enrollment, trust);
    if (held) process.stdout.write(`replaced the enrollment of device ${held.deviceId}; restart the agent service to use the new one\n`);
    process.stdout.write(`enrolled as ${e.deviceId} with ${e.serverUrl}; credential stored in ${paths.enrollment}\n`);
  });

program
  .command('run')
  .description('run the agent: scan on schedule, report to the server, apply policy. Not enrolled yet: enrolls from EDICT_SERVER and EDICT_ENROLL_TOKEN when set')
  .option('--wait-for-enrollment', 'as a service: when not enrolled and no EDICT_SERVER / EDICT_ENROLL_TOKEN are set, wait (saying so) instead of exiting')
  .action(async (o: { waitForEnrollment?: boolean }) => {
    const [{ EdictAgent }, { enrollUntilDone, takeEnrollSettings }, { awaitEnrollment }] = await Promise.all([
      import('./agent.js'),
      import('./auto-enroll.js'),
      import('./await-enrollment.js'),
    ]);
    const { paths, config, log } = context();
    const trust = trustFor(config);
    // Taken out of the environment before anything else runs (children never see the token).
    const settings = takeEnrollSettings(process.env);
    const stopping = new AbortController();
    let agent: InstanceType<typeof EdictAgent> | undefined;
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

    // A corrupt enrollment.json is set aside here (logged); the credential is then lost.
    const state = enrollmentState(paths.enrollment, log);
    let enrollment = state.enrollment;
    const problem = state.enrollment ? undefined : state.problem;
    if (!enrollment && settings) {
      ensureDir(paths.dir, STATE_DIR_MODE, log);
      enrollment = await enrollUntilDone(settings, paths.enrollment, trust, log, stopping.signal);
      if (!enrollment) return;
    } else if (!enrollment) {
      // A lost credential always waits (exiting would be a restart loop under the service manager);
      // a folder never enrolled waits only as a service (--wait-for-enrollment).
      if (problem !== 'needs-re-enrollment' && !o.waitForEnrollment) {
        throw new EdictError('EDICT_ERR_NOT_ENROLLED', `no enrollment in ${paths.dir} (run edict-agent enroll, or set EDICT_SERVER and EDICT_ENROLL_TOKEN)`);
      }
      process.stdout.write(`edict-agent: ${problem === 'needs-re-enrollment' ? 'this device needs re-enrollment' : 'not enrolled'}; waiting (see the log line above, and edict-agent status)\n`);
      enrollment = await awaitEnrollment(paths, log, () => stopping.signal.aborted);
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
    const [{ BUILTIN_CATALOG }, { buildScanContext, scan }, { loadVerifiedPolicy }] = await Promise.all([
      import('../../shared/src/catalog/builtin.js'),
      import('./scanner.js'),
      import('./state/agent-state.js'),
    ]);
    const { paths, config, log } = context();
    // The catalog from the verified policy bundle when enrolled; the built-in one otherwise.
    const key = loadEnrollment(paths.enrollment, undefined, false)?.serverPublicKey;
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

/** Employee requests: a refusal is one clear line with a stable code (exit status 1). */
function say(outcome: SubmitOutcome, done: string): void {
  process.stdout.write(outcome.outcome === 'accepted' ? `${done}\n` : `Your request is recorded; ${outcome.why}.\n`);
}

program
  .command('ack <tool>')
  .description('acknowledge the notice about a banned tool (tells your IT department you have read it)')
  .action(async (tool: string) => {
    const { submitRequest } = await import('./requests/submit.js');
    const { paths } = context();
    const outcome = await submitRequest(paths, { kind: 'ack', toolId: tool });
    say(outcome, `Acknowledged the notice about ${tool}. The agent is sending it to your IT department.`);
  });

program
  .command('request-exception <tool>')
  .description('ask your IT department for an exception to the ban of a tool')
  .requiredOption('--reason <text>', 'why you need it (your words are sent as written)')
  .action(async (tool: string, o: { reason: string }) => {
    const { submitRequest } = await import('./requests/submit.js');
    const { paths } = context();
    const outcome = await submitRequest(paths, { kind: 'exception-request', toolId: tool, reason: o.reason });
    say(outcome, `Exception request for ${tool} sent to your IT department; you will get a notice with the decision.`);
  });

program
  .command('status')
  .description('show connection, policy in force, detections and the last messages sent')
  .option('--json', 'print one JSON object')
  .option('--last <n>', 'how many sent messages to show', String(STATUS_LAST_SENT))
  .action(async (o: { json?: boolean; last: string }) => {
    const { readStatus, renderStatus } = await import('./status.js');
    const { paths } = context();
    const view = readStatus(paths, Math.max(0, Number(o.last) || STATUS_LAST_SENT));
    process.stdout.write(o.json ? JSON.stringify(view, null, 2) + '\n' : renderStatus(view));
    if (view.access === 'denied') process.exitCode = 1;
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
