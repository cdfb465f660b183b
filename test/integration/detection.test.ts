// Acceptance: the real npm-published tools, installed once (test/.cache) and laid out in temporary
// homes the way each install channel lays them out, are reported by a real `edict-agent scan --once
// --json` process with their catalog id and the right OS user; a renamed copy of the real Claude
// Code binary, running, is reported as claude-code running; lookalikes and a clean home are not
// reported. Every process spawned here is killed in afterAll.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureRealTool, REPO_ROOT, type RealTool } from '../helpers/real-tools.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist/agent/src/cli.js');
const TOOLS = ['@anthropic-ai/claude-code', '@openai/codex', '@google/gemini-cli', '@qwen-code/qwen-code', '@qoder-ai/qodercli'] as const;

interface Det {
  toolId: string;
  kind: string;
  user: string;
  confidence: number;
  evidence: { source: string; signature: string; path?: string; pid?: number; version?: string; sha256?: string };
}

let tmp: string;
const real: Record<string, RealTool> = {};
const children: ChildProcess[] = [];

async function scan(homes: { user: string; home: string }[]): Promise<{ detections: Det[]; errors: unknown[]; users: string[] }> {
  const state = mkdtempSync(path.join(tmp, 'state-'));
  const config = path.join(state, 'agent.json');
  writeFileSync(config, JSON.stringify({ scan: { homes } }));
  const { stdout } = await run(process.execPath, [CLI, '--state-dir', state, '--config', config, 'scan', '--once', '--json'], { maxBuffer: 8 * 1024 * 1024 });
  return JSON.parse(stdout);
}

/** Hard-links a cached install into place (fast, no 250 MB copy); bin symlinks stay relative. */
function placePrefix(tool: RealTool, dest: string): void {
  mkdirSync(path.dirname(dest), { recursive: true });
  execFileSync('cp', ['-al', tool.prefix, dest]);
}

/** Starts `file args` and stops it at once (SIGSTOP) so it stays in /proc without doing anything. */
function startStopped(file: string, args: string[], opts: { uid?: number; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const c = spawn(file, args, { stdio: 'ignore', env: opts.env ?? { PATH: process.env.PATH }, ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}) });
  process.kill(c.pid!, 'SIGSTOP');
  children.push(c);
  return c;
}

function startRunning(file: string, args: string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH }): ChildProcess {
  const c = spawn(file, args, { stdio: 'ignore', env });
  children.push(c);
  return c;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'edict-detect-'));
  chmodSync(tmp, 0o755);
  for (const t of TOOLS) real[t] = await ensureRealTool(t);
}, 20 * 60_000);

afterAll(() => {
  for (const c of children) {
    try {
      process.kill(c.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

const brief = (ds: Det[]) => ds.map((d) => `${d.toolId}|${d.kind}|${d.user}`).sort();

test('real npm tools in each channel layout are reported with their catalog id and user', async () => {
  const homes = {
    alice: path.join(tmp, 'home/alice'), // npm --prefix ~/.npm-global (claude-code, native binary)
    bob: path.join(tmp, 'home/bob'), // nvm node dir (codex)
    carol: path.join(tmp, 'home/carol'), // volta image of a scoped package (gemini-cli)
    dave: path.join(tmp, 'home/dave'), // custom prefix from ~/.npmrc (qwen-code)
    erin: path.join(tmp, 'home/erin'), // pnpm global store with the '+' scope spelling (qodercli)
  };
  placePrefix(real['@anthropic-ai/claude-code'], path.join(homes.alice, '.npm-global'));
  placePrefix(real['@openai/codex'], path.join(homes.bob, '.nvm/versions/node/v20.20.2'));
  placePrefix(real['@google/gemini-cli'], path.join(homes.carol, '.volta/tools/image/packages/@google/gemini-cli'));
  placePrefix(real['@qwen-code/qwen-code'], path.join(homes.dave, 'tools/npm'));
  writeFileSync(path.join(homes.dave, '.npmrc'), 'prefix=~/tools/npm\n');
  const pnpmRoot = path.join(homes.erin, '.local/share/pnpm/global/5/node_modules');
  const store = path.join(pnpmRoot, '.pnpm/@qoder-ai+qodercli@1.1.52/node_modules/@qoder-ai');
  mkdirSync(store, { recursive: true });
  execFileSync('cp', ['-al', path.join(real['@qoder-ai/qodercli'].root, '@qoder-ai/qodercli'), path.join(store, 'qodercli')]);
  mkdirSync(path.join(pnpmRoot, '@qoder-ai'), { recursive: true });
  symlinkSync(path.join(store, 'qodercli'), path.join(pnpmRoot, '@qoder-ai/qodercli'));

  const r = await scan(Object.entries(homes).map(([user, home]) => ({ user, home })));
  expect(r.errors).toEqual([]);
  const installed = r.detections.filter((d) => d.kind === 'installed' && d.evidence.source === 'npm-global');
  expect(brief(installed)).toEqual(['claude-code|installed|alice', 'codex-cli|installed|bob', 'gemini-cli|installed|carol', 'qoder|installed|erin', 'qwen-code|installed|dave']);
  for (const d of installed) {
    expect(d.evidence.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(d.confidence).toBeGreaterThanOrEqual(0.9);
  }
  // nothing else about these homes is invented (no usage, no other tools)
  expect(r.detections.filter((d) => d.evidence.path?.startsWith(tmp)).every((d) => d.kind === 'installed')).toBe(true);
}, 120_000);

test('real tools running from their install (node scripts traced to package.json, native binary by path)', async () => {
  const home = path.join(tmp, 'home/frank');
  placePrefix(real['@google/gemini-cli'], path.join(home, '.npm-global'));
  placePrefix(real['@openai/codex'], path.join(home, 'codex-prefix'));
  // a renamed bin link: ~/bin/g -> gemini.js, run by node
  mkdirSync(path.join(home, 'bin'), { recursive: true });
  symlinkSync(path.join(home, '.npm-global/lib/node_modules/@google/gemini-cli/bundle/gemini.js'), path.join(home, 'bin/g'));
  const gem = startStopped(process.execPath, [path.join(home, 'bin/g'), '--version']);
  const codexNative = path.join(home, 'codex-prefix/lib/node_modules/@openai/codex/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex');
  const cdx = startStopped(codexNative, ['--version']);
  const r = await scan([{ user: 'frank', home }]);
  const running = r.detections.filter((d) => d.kind === 'running');
  expect(running.find((d) => d.evidence.pid === gem.pid)).toMatchObject({ toolId: 'gemini-cli', user: 'root', evidence: { signature: 'npm-package:@google/gemini-cli' } });
  expect(running.find((d) => d.evidence.pid === cdx.pid)).toMatchObject({ toolId: 'codex-cli', evidence: { path: codexNative } });
}, 120_000);

test('a renamed copy of the real Claude Code binary in another folder, running, is claude-code running (content identity)', async () => {
  const dir = path.join(tmp, 'opt/misc tools');
  mkdirSync(dir, { recursive: true });
  chmodSync(path.dirname(dir), 0o755);
  chmodSync(dir, 0o755);
  const src = path.join(real['@anthropic-ai/claude-code'].root, '@anthropic-ai/claude-code/bin/claude.exe');
  const exact = path.join(dir, 'report-helper');
  copyFileSync(src, exact);
  // A modified copy: different hash, still the tool (found by its embedded markers).
  const patched = path.join(dir, 'zz');
  copyFileSync(src, patched);
  appendFileSync(patched, Buffer.from('edict-test-padding'));
  chmodSync(exact, 0o755);
  chmodSync(patched, 0o755);
  const nobody = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
  const asRoot = process.getuid?.() === 0;
  const a = startStopped(exact, ['--version'], asRoot ? { uid: nobody } : {});
  const b = startStopped(patched, ['--version']);
  const r = await scan([{ user: 'nobody', home: path.join(tmp, 'home/none') }]);
  const da = r.detections.find((d) => d.evidence.pid === a.pid);
  const db = r.detections.find((d) => d.evidence.pid === b.pid);
  expect(da).toMatchObject({ toolId: 'claude-code', kind: 'running', user: asRoot ? 'nobody' : expect.any(String), evidence: { path: exact, signature: expect.stringMatching(/^sha256:/) } });
  expect(da!.confidence).toBeGreaterThanOrEqual(0.95);
  expect(db).toMatchObject({ toolId: 'claude-code', kind: 'running', evidence: { path: patched, signature: expect.stringMatching(/^content-markers:/) } });
  expect(db!.evidence.sha256).toMatch(/^[0-9a-f]{64}$/);
}, 120_000);

test('lookalikes and a clean home are not reported', async () => {
  const home = path.join(tmp, 'home/zed');
  // a project folder named .claude (not in the home root)
  mkdirSync(path.join(home, 'src/app/.claude'), { recursive: true });
  writeFileSync(path.join(home, 'src/app/.claude/settings.json'), '{}');
  // a package called claude-code-helper, installed globally, with a bin named claude
  const helper = path.join(home, '.npm-global/lib/node_modules/claude-code-helper');
  mkdirSync(helper, { recursive: true });
  writeFileSync(path.join(helper, 'package.json'), JSON.stringify({ name: 'claude-code-helper', version: '1.0.0', bin: { 'claude-helper': 'index.js' } }));
  writeFileSync(path.join(helper, 'index.js'), '// mentions @anthropic-ai/claude-code CLAUDE_CODE_ENTRYPOINT CLAUDE_CODE_EXECPATH\nsetInterval(() => {}, 1000);\n');
  // a shell script named claude that is not the tool, on the user's bin folder
  mkdirSync(path.join(home, '.local/bin'), { recursive: true });
  const script = path.join(home, '.local/bin/claude');
  writeFileSync(script, '#!/bin/sh\n# my notes helper (runs as comm=claude under /bin/sh)\nsleep 60\n');
  chmodSync(script, 0o755);
  // a node server.js
  const app = path.join(home, 'src/app');
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'my-app', version: '0.0.1' }));
  writeFileSync(path.join(app, 'server.js'), 'setInterval(() => {}, 1000);\n');
  const server = startRunning(process.execPath, [path.join(app, 'server.js')]);
  const helperProc = startRunning(process.execPath, [path.join(helper, 'index.js')]);
  const shellClaude = startRunning(script, []);
  // Each child has exec'd its program (before that /proc shows the test runner's command line).
  await waitFor(() => [server, helperProc, shellClaude].every((c) => readFileSync(`/proc/${c.pid}/cmdline`, 'utf8').includes(c === shellClaude ? script : c === server ? 'server.js' : 'index.js')), 'the children to start');
  const r = await scan([{ user: 'zed', home }]);
  const ours = new Set([server.pid, helperProc.pid, shellClaude.pid]);
  const inHome = r.detections.filter((d) => d.evidence.path?.startsWith(home));
  const fromOurs = r.detections.filter((d) => d.evidence.pid !== undefined && ours.has(d.evidence.pid));
  expect(inHome).toEqual([]);
  expect(fromOurs).toEqual([]);
  // A clean machine: only inventory of this home plus the live process list, and nothing found
  // other than processes that other test suites may be running at the same time.
  expect(r.detections.filter((d) => d.kind !== 'running')).toEqual([]);
}, 120_000);
