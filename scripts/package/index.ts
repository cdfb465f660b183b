// `npm run package`: builds, offline, everything an IT admin rolls out into dist/packages/:
// the single-file Linux agent, edict-agent .deb/.rpm, edict-server .deb/.rpm, and the macOS and
// Windows layouts with the steps to finish them there. Version, commit and SOURCE_DATE_EPOCH
// come from package.json and git, so two builds of one commit give the same package contents.
// Options: --out DIR (default dist/packages).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../project-root.js';
import { readBuildInfo, type BuildInfo } from './build-info.js';
import { bundleAgent, bundleServer } from './bundle.js';
import { buildDeb } from './deb.js';
import { agentSpec, serverSpec } from './layouts.js';
import { buildRpm } from './rpm.js';
import { buildSea } from './sea.js';

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

function step<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  const t0 = Date.now();
  process.stdout.write(`package: ${what} … `);
  return Promise.resolve(fn()).then((r) => {
    process.stdout.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    return r;
  });
}

function copy(from: string, to: string, mode = 0o644): void {
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(from, to);
  chmodSync(to, mode);
}

function layoutMacos(root: string, out: string, info: BuildInfo, bundle: string): void {
  const dir = path.join(out, 'macos');
  rmSync(dir, { recursive: true, force: true });
  copy(bundle, path.join(dir, 'edict-agent.cjs'));
  copy(path.join(root, 'installers/macos/com.edict.agent.plist'), path.join(dir, 'root/Library/LaunchDaemons/com.edict.agent.plist'));
  mkdirSync(path.join(dir, 'root/usr/local/bin'), { recursive: true });
  copy(path.join(root, 'installers/macos/preinstall'), path.join(dir, 'scripts/preinstall'), 0o755);
  copy(path.join(root, 'installers/macos/postinstall'), path.join(dir, 'scripts/postinstall'), 0o755);
  copy(path.join(root, 'installers/macos/entitlements.plist'), path.join(dir, 'entitlements.plist'));
  copy(path.join(root, 'installers/macos/README.md'), path.join(dir, 'README.md'));
  writeFileSync(path.join(dir, 'VERSION'), info.version + '\n');
}

function layoutWindows(root: string, out: string, info: BuildInfo, bundle: string): void {
  const dir = path.join(out, 'windows');
  rmSync(dir, { recursive: true, force: true });
  copy(bundle, path.join(dir, 'edict-agent.cjs'));
  for (const f of ['install-service.ps1', 'uninstall-service.ps1', 'EdictAgent.xml', 'README.md']) copy(path.join(root, 'installers/windows', f), path.join(dir, f));
  writeFileSync(path.join(dir, 'VERSION'), info.version + '\n');
}

async function main(): Promise<void> {
  const root = projectRoot();
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const out = path.resolve(outIdx >= 0 ? args[outIdx + 1] : path.join(root, 'dist', 'packages'));
  if (!existsSync(path.join(root, 'dist/agent/src/cli.js'))) throw new Error('run `npm run build` first (npm run package does)');
  for (const tool of ['dpkg-deb', 'rpmbuild']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} not found (Debian: apt-get install ${tool === 'rpmbuild' ? 'rpm' : 'dpkg'})`);
    }
  }
  const info = readBuildInfo(root);
  process.stdout.write(`package: edict ${info.version}, commit ${info.commit}, SOURCE_DATE_EPOCH ${info.sourceDateEpoch}, Node ${info.nodeVersion}\n`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(path.join(os.tmpdir(), 'edict-package-'));
  try {
    const agentBundle = path.join(out, 'edict-agent.cjs');
    await step('bundle agent (esbuild)', () => bundleAgent(root, info, agentBundle));
    const sea = path.join(out, 'edict-agent');
    await step('single executable (Node SEA + postject)', () => buildSea(root, agentBundle, sea));
    const shown = execFileSync(sea, ['--version'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } }).trim();
    if (shown !== `${info.version} (commit ${info.commit})`) throw new Error(`the single executable reports "${shown}"`);
    const aSpec = agentSpec(root, info, sea);
    await step('edict-agent .deb', () => buildDeb(aSpec, out, info.sourceDateEpoch));
    await step('edict-agent .rpm', () => buildRpm(aSpec, out, info.sourceDateEpoch));
    const serverBundle = path.join(work, 'server');
    await step('bundle server and edictctl (esbuild)', () => bundleServer(root, info, serverBundle));
    const sSpec = serverSpec(root, info, serverBundle);
    await step('edict-server .deb', () => buildDeb(sSpec, out, info.sourceDateEpoch));
    await step('edict-server .rpm', () => buildRpm(sSpec, out, info.sourceDateEpoch));
    await step('macOS and Windows layouts', () => {
      layoutMacos(root, out, info, agentBundle);
      layoutWindows(root, out, info, agentBundle);
    });
    writeFileSync(path.join(out, 'BUILD-INFO.json'), JSON.stringify(info, null, 2) + '\n');
    const files = readdirSync(out).filter((f) => statSync(path.join(out, f)).isFile() && f !== 'SHA256SUMS').sort();
    const sums: string[] = [];
    for (const f of files) sums.push(`${await sha256(path.join(out, f))}  ${f}`);
    writeFileSync(path.join(out, 'SHA256SUMS'), sums.join('\n') + '\n');
    for (const f of files) process.stdout.write(`  ${f.padEnd(40)} ${(statSync(path.join(out, f)).size / 1e6).toFixed(1).padStart(6)} MB\n`);
    process.stdout.write(`package: done in ${out}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`package: ${(err as Error).message ?? err}\n`);
  process.exit(1);
});
