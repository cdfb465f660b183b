// Linux packages: dpkg (the status file), rpm (asked for catalogued names only, and only when its
// database is readable; otherwise skipped), snaps (/snap/<name>), flatpaks (system and per-user
// app folders) and AppImage files in the usual download/application folders. The parsing is pure
// and exported so tests run it on real files in temporary folders.
import { execFile } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Detection } from '../../../shared/src/protocol/index.js';
import type { CatalogIndex } from '../matcher.js';
import type { PackageSources } from '../platform/index.js';
import { CONFIDENCE } from './confidence.js';
import { statOrUndefined } from './fs-util.js';
import { reportProblem, tolerate } from './problems.js';
import type { Collector, ScanContext } from './types.js';

const run = promisify(execFile);

/** `rpm -q` for a dozen names answers in well under a second; a hung rpm must not stall the scan. */
const RPM_TIMEOUT_MS = 20_000;
/** Where people keep AppImages (per user): AppImageLauncher's default, downloads, personal bin folders. */
const APPIMAGE_DIRS = ['~/Applications', '~/Downloads', '~/.local/bin', '~/bin', '~/Desktop', '~'];
/** Owner of system packages: installed for every user of the machine. */
const SYSTEM_USER = 'root';

export const linuxPackagesCollector: Collector = {
  id: 'linux-package',
  sources: ['linux-package'],
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const src = ctx.platform.packageSources();
    const out: Detection[] = [];
    if (ctx.index.linuxPackages.size) {
      if (src.dpkgStatus) out.push(...dpkgDetections(src.dpkgStatus, ctx.index));
      out.push(...(await rpmDetections(src, ctx)));
      if (src.snapDir) out.push(...snapDetections(src.snapDir, ctx.index));
      for (const dir of src.flatpakDirs) out.push(...flatpakDetections(dir, SYSTEM_USER, ctx.index));
      for (const u of ctx.users) out.push(...flatpakDetections(path.join(u.home, '.local/share/flatpak/app'), u.user, ctx.index));
    }
    if (ctx.index.appImagePatterns.length) {
      for (const u of ctx.users) {
        for (const d of APPIMAGE_DIRS) out.push(...appImageDetections(d === '~' ? u.home : path.join(u.home, d.slice(2)), u.user, ctx.index));
      }
    }
    return out;
  },
};

/** Installed packages from a dpkg status file: name → version (only `install ok installed`). */
export function parseDpkgStatus(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const stanza of text.split(/\n\n+/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const status = /^Status:\s*(.+)$/m.exec(stanza)?.[1];
    if (!name || !status || !/\binstalled$/.test(status.trim()) || /not-installed|config-files/.test(status)) continue;
    out.set(name, /^Version:\s*(\S+)/m.exec(stanza)?.[1] ?? '');
  }
  return out;
}

export function dpkgDetections(statusFile: string, index: CatalogIndex): Detection[] {
  let text: string;
  try {
    text = readFileSync(statusFile, 'utf8');
  } catch (err) {
    tolerate(err, statusFile); // not a dpkg system
    return [];
  }
  const installed = parseDpkgStatus(text);
  const out: Detection[] = [];
  for (const [name, toolId] of index.linuxPackages) {
    const version = installed.get(name);
    if (version !== undefined) out.push(pkgHit(toolId, `dpkg:${name}`, statusFile, SYSTEM_USER, version, CONFIDENCE.osPackage));
  }
  return out;
}

async function rpmDetections(src: PackageSources, ctx: ScanContext): Promise<Detection[]> {
  if (!src.rpmDb) return [];
  try {
    accessSync(src.rpmDb, constants.R_OK);
  } catch (err) {
    tolerate(err, src.rpmDb); // no rpm database (a Debian-family system); unreadable is a problem
    return [];
  }
  const names = [...ctx.index.linuxPackages.keys()];
  let stdout: string;
  try {
    stdout = (await run('rpm', ['-q', '--qf', '%{NAME} %{VERSION}-%{RELEASE}\\n', ...names], { timeout: RPM_TIMEOUT_MS })).stdout;
  } catch (err) {
    // rpm exits non-zero when any name is not installed; its stdout still lists the installed ones.
    // Not started (no rpm binary) is "not an rpm system"; killed (timeout) is a problem.
    const e = err as { stdout?: string; code?: unknown; killed?: boolean; signal?: string };
    if (typeof e.code === 'string') tolerate(err, 'rpm');
    else if (e.killed || e.signal) reportProblem('ETIMEDOUT', 'rpm -q', `rpm did not answer within ${RPM_TIMEOUT_MS} ms`);
    stdout = e.stdout ?? '';
    if (!stdout) ctx.log?.debug({ err: (err as Error).message }, 'rpm query found nothing or failed');
  }
  return parseRpmQuery(stdout, ctx.index).map(({ toolId, name, version }) => pkgHit(toolId, `rpm:${name}`, src.rpmDb!, SYSTEM_USER, version, CONFIDENCE.osPackage));
}

/** Lines `<name> <version>-<release>` from `rpm -q --qf`; "package X is not installed" lines are ignored. */
export function parseRpmQuery(stdout: string, index: CatalogIndex): { toolId: string; name: string; version: string }[] {
  const out: { toolId: string; name: string; version: string }[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) (\S+)$/.exec(line.trim());
    const toolId = m ? index.linuxPackages.get(m[1]) : undefined;
    if (m && toolId) out.push({ toolId, name: m[1], version: m[2] });
  }
  return out;
}

/** `/snap/<name>/current` → the revision it points at. */
export function snapDetections(snapDir: string, index: CatalogIndex): Detection[] {
  const out: Detection[] = [];
  for (const [name, toolId] of index.linuxPackages) {
    const dir = path.join(snapDir, name);
    if (!statOrUndefined(path.join(dir, 'current'))) continue;
    const meta = readText(path.join(dir, 'current', 'meta', 'snap.yaml'));
    const version = meta ? /^version:\s*['"]?([^'"\n]+)/m.exec(meta)?.[1] : undefined;
    out.push(pkgHit(toolId, `snap:${name}`, dir, SYSTEM_USER, version, CONFIDENCE.sandboxedPackage));
  }
  return out;
}

/** `<flatpak>/app/<app-id>/current/active` exists for an installed flatpak. */
export function flatpakDetections(appDir: string, user: string, index: CatalogIndex): Detection[] {
  const out: Detection[] = [];
  for (const [name, toolId] of index.linuxPackages) {
    const dir = path.join(appDir, name);
    if (statOrUndefined(path.join(dir, 'current'))) out.push(pkgHit(toolId, `flatpak:${name}`, dir, user, undefined, CONFIDENCE.sandboxedPackage));
  }
  return out;
}

export function appImageDetections(dir: string, user: string, index: CatalogIndex): Detection[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    tolerate(err, dir); // no such folder for this user
    return [];
  }
  const out: Detection[] = [];
  for (const e of entries) {
    if (!/\.appimage$/i.test(e)) continue;
    const rule = index.appImagePatterns.find((p) => p.re.test(e));
    if (!rule) continue;
    const p = path.join(dir, e);
    if (!statOrUndefined(p)?.isFile()) continue;
    const version = /-(\d+\.\d+(?:\.\d+)?)/.exec(e)?.[1];
    out.push(pkgHit(rule.toolId, `appimage:${rule.source}`, p, user, version, CONFIDENCE.appImage));
  }
  return out;
}

function pkgHit(toolId: string, signature: string, p: string, user: string, version: string | undefined, confidence: number): Detection {
  return { toolId, kind: 'installed', user, evidence: { source: 'linux-package', signature, path: p, ...(version ? { version } : {}) }, confidence };
}

function readText(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch (err) {
    tolerate(err, p); // metadata missing: report without a version
    return undefined;
  }
}

