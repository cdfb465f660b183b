// Running processes (ps-list), matched by: resolved executable path (patterns, or inside the
// tool's npm package), the script a node/bun process runs (traced to its package), command-line
// patterns, and — weakest — the executable's name. Only matching processes leave this module;
// the full process list is never stored or sent.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import psList from 'ps-list';
import type { Detection } from '../../../shared/src/protocol/index.js';
import type { Collector, ScanContext } from './types.js';

const SCRIPT_HOSTS = new Set(['node', 'nodejs', 'bun', 'node.exe', 'bun.exe']);

export interface ProcessInfo {
  pid: number;
  name: string;
  cmd?: string;
  uid?: number;
  exe?: string;
}

export const processesCollector: Collector = {
  id: 'process',
  phase: 'process',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const procs = await psList({ all: true });
    const out: Detection[] = [];
    for (const p of procs) {
      if (p.pid === ctx.selfPid) continue;
      const info: ProcessInfo = { pid: p.pid, name: p.name, cmd: p.cmd, uid: p.uid, exe: ctx.platform.processExe(p.pid) ?? p.path };
      const d = matchProcess(ctx, info);
      if (d) out.push(d);
    }
    return out;
  },
};

export function matchProcess(ctx: ScanContext, p: ProcessInfo): Detection | undefined {
  const { index } = ctx;
  const user = p.uid !== undefined ? (ctx.platform.userName(p.uid) ?? `uid:${p.uid}`) : 'unknown';
  const hit = (toolId: string, signature: string, confidence: number, version?: string): Detection => ({
    toolId,
    kind: 'running',
    user,
    evidence: { source: 'process', signature, ...(p.exe ? { path: p.exe } : {}), pid: p.pid, ...(version ? { version } : {}) },
    confidence,
  });

  if (p.exe) {
    const pattern = index.exeMatch(p.exe);
    if (pattern) return hit(pattern.toolId, `exe-path:${pattern.source}`, 0.95);
    const pkg = index.packageOf(p.exe);
    if (pkg) return hit(pkg.toolId, `npm-package:${pkg.name}`, 0.95, pkg.version);
  }
  const exeBase = path.basename(p.exe ?? '').toLowerCase();
  if (SCRIPT_HOSTS.has(exeBase) || SCRIPT_HOSTS.has(p.name.toLowerCase())) {
    const script = scriptArg(p.cmd);
    if (script) {
      const pkg = index.packageOf(realOrSelf(script));
      if (pkg) return hit(pkg.toolId, `npm-package:${pkg.name}`, 0.95, pkg.version);
    }
  }
  if (p.cmd) {
    const pattern = index.cmdMatch(p.cmd);
    if (pattern) return hit(pattern.toolId, `cmdline:${pattern.source}`, 0.9);
  }
  // Name only: the executable file itself must carry the name (a script named like the tool runs
  // under its interpreter, so its exe is sh/bash and does not count). A node process whose title
  // was set to the tool's name is the legacy Node build of a CLI.
  const byExe = exeBase ? index.processNames.get(exeBase.replace(/\.exe$/, '')) : undefined;
  if (byExe) return hit(byExe[0], `process-name:${exeBase}`, 0.6);
  const byTitle = index.processNames.get(p.name.toLowerCase());
  if (byTitle && (!p.exe || SCRIPT_HOSTS.has(exeBase))) return hit(byTitle[0], `process-name:${p.name}`, p.exe ? 0.7 : 0.5);
  return undefined;
}

/** The script argument of `node [flags] script …`. */
function scriptArg(cmd: string | undefined): string | undefined {
  if (!cmd) return undefined;
  const parts = cmd.split(/\s+/).slice(1);
  return parts.find((a) => a && !a.startsWith('-'));
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p; // not a file path (e.g. an npx package spec); packageOf will find nothing
  }
}
