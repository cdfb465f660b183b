// Running processes, matched by: resolved executable path (patterns, or inside the tool's npm
// package), the script a node/bun process runs (traced to its package.json name), command-line
// patterns, content identity of the executable (hash / embedded markers, cached per file version),
// marker variables in the environment of the tool's child processes, and — weakest — the name.
// Only pids not seen before are read closely (process-tracker.ts decides which, and notices exec()
// and pid reuse). Only matching processes leave this module: the process list, command lines and
// environments are never stored or sent.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import type { CatalogIndex } from '../matcher.js';
import type { ProcessSnapshot, ProcessSource } from '../platform/index.js';
import { CONFIDENCE } from './confidence.js';
import { identifyContent } from './content-identity.js';
import { ProcessTracker, trackerFor as trackerOf } from './process-tracker.js';
import type { Collector, ScanContext } from './types.js';

/** Interpreters whose first non-flag argument is the real program (traced to its package). */
const SCRIPT_HOSTS = new Set(['node', 'nodejs', 'bun', 'node.exe', 'bun.exe']);

/** The tracker of this catalog (process-tracker.ts): what each pid was, so a poll reads only new ones. */
export function trackerFor(index: CatalogIndex): ProcessTracker {
  return trackerOf(index, () => new ProcessTracker(matchProcess, detection));
}

export const processesCollector: Collector = {
  id: 'process',
  phase: 'process',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const tracker = trackerFor(ctx.index);
    await tracker.poll(ctx, ctx.platform.processSource());
    return tracker.detections();
  },
};

export function detection(ctx: ScanContext, source: ProcessSource, p: ProcessSnapshot, toolId: string, signature: string, confidence: number, extra: { version?: string; sha256?: string } = {}): Detection {
  const user = p.uid !== undefined ? (ctx.platform.userName(p.uid) ?? `uid:${p.uid}`) : 'unknown';
  const container = source.container?.(p.pid);
  return {
    toolId,
    kind: 'running',
    user,
    evidence: {
      source: 'process',
      signature,
      ...(p.exe ? { path: p.exe } : {}),
      pid: p.pid,
      ...(extra.version ? { version: extra.version } : {}),
      ...(extra.sha256 ? { sha256: extra.sha256 } : {}),
      ...(container ? { container } : {}),
    },
    confidence,
  };
}

/** Everything one process matches, strongest first (the scanner keeps the strongest per place). */
export async function matchProcess(ctx: ScanContext, p: ProcessSnapshot, source: ProcessSource): Promise<Detection[]> {
  const { index } = ctx;
  const hit = (toolId: string, signature: string, confidence: number, extra?: { version?: string; sha256?: string }) => [detection(ctx, source, p, toolId, signature, confidence, extra)];
  const root = source.rootOf?.(p.pid) ?? '';

  if (p.exe) {
    const pattern = index.exeMatch(p.exe);
    if (pattern) return hit(pattern.toolId, `exe-path:${pattern.source}`, CONFIDENCE.exePath);
    const pkg = index.packageOf(p.exe, root);
    if (pkg) return hit(pkg.toolId, `npm-package:${pkg.name}`, CONFIDENCE.npmPackage, { version: pkg.version });
  }
  const exeBase = path.basename(p.exe ?? '').toLowerCase();
  const isHost = SCRIPT_HOSTS.has(exeBase) || (!p.exe && SCRIPT_HOSTS.has(p.name.toLowerCase()));
  if (isHost) {
    const script = scriptArg(p.cmd);
    if (script) {
      const abs = path.isAbsolute(script) ? script : path.join(source.cwd?.(p.pid) ?? '/', script);
      const pkg = index.packageOf(realInRoot(abs, root), root);
      if (pkg) return hit(pkg.toolId, `npm-package:${pkg.name}`, CONFIDENCE.npmPackage, { version: pkg.version });
    }
  }
  if (p.cmd) {
    const pattern = index.cmdMatch(p.cmd);
    if (pattern) return hit(pattern.toolId, `cmdline:${pattern.source}`, CONFIDENCE.cmdline);
  }
  if (p.exe) {
    const id = await identifyContent(source.exeHandle?.(p.pid) ?? root + p.exe, index);
    if (id) return hit(id.toolId, id.signature, id.via === 'hash' ? CONFIDENCE.contentHash : CONFIDENCE.contentMarkers, { sha256: id.sha256 });
  }
  // Name only: the executable file itself must carry the name (a script named like the tool runs
  // under its interpreter, so its exe is sh/bash and does not count). A node process whose title
  // was set to the tool's name is the legacy Node build of a CLI.
  const byExe = exeBase ? index.processNames.get(exeBase.replace(/\.exe$/, '')) : undefined;
  if (byExe) return hit(byExe[0], `process-name:${exeBase}`, CONFIDENCE.processName);
  const byTitle = index.processNames.get(p.name.toLowerCase());
  if (byTitle && (!p.exe || isHost)) return hit(byTitle[0], `process-title:${p.name}`, CONFIDENCE.processTitle);
  return [];
}

/** The script argument of `node [flags] script …` (flags taking a value, like `-r x`, are skipped with it). */
function scriptArg(cmd: string | undefined): string | undefined {
  if (!cmd) return undefined;
  const parts = cmd.split(/\s+/).slice(1);
  for (let i = 0; i < parts.length; i++) {
    const a = parts[i];
    if (!a) continue;
    if (a === '-r' || a === '--require' || a === '--import' || a === '--loader') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

/** Real path of `p` as the process sees it (resolved inside its root, returned without the root prefix). */
function realInRoot(p: string, root: string): string {
  // Inside another mount namespace realpath would follow /proc/<pid>/root back to our own "/":
  // use the path as given there (open/stat through the prefix still resolve inside the container).
  if (root) return p;
  try {
    return realpathSync(p);
  } catch {
    return p; // not a file path (e.g. an npx package spec); packageOf will find nothing
  }
}
