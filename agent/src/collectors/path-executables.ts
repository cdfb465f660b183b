// Executables by name on PATH, in users' bin folders and at the catalog's known install paths.
// A hit is traced to its real file: inside the tool's npm package or matching the tool's install
// path patterns it is strong evidence; a bare name match is weak, and a small script that never
// mentions the tool's package is a lookalike and is not reported.
import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import type { CatalogIndex } from '../matcher.js';
import type { UserHome } from '../platform/index.js';
import { expandGlob, expandHome, ownerName, statOrUndefined } from './fs-util.js';
import { userNpmBinDirs } from './npm-roots.js';
import type { Collector, ScanContext } from './types.js';

const SCRIPT_SNIFF_BYTES = 64 * 1024;
const WIN_EXTS = ['', '.exe', '.cmd', '.ps1'];

export const pathExecutablesCollector: Collector = {
  id: 'path',
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const out: Detection[] = [];
    const seen = new Set<string>();
    const dirs: { dir: string; user?: UserHome }[] = ctx.pathDirs.map((dir) => ({ dir }));
    for (const u of ctx.users) {
      for (const d of [path.join(u.home, '.local', 'bin'), path.join(u.home, 'bin'), ...userNpmBinDirs(u)]) dirs.push({ dir: d, user: u });
    }
    for (const { dir, user } of dirs) {
      for (const [name, toolIds] of ctx.index.executables) {
        for (const ext of process.platform === 'win32' ? WIN_EXTS : ['']) {
          const file = path.join(dir, name + ext);
          const st = statOrUndefined(file);
          if (!st?.isFile() || (process.platform !== 'win32' && (st.mode & 0o111) === 0)) continue;
          for (const toolId of toolIds) {
            const d = judge(ctx, ctx.index, toolId, file, `executable:${name}`, user);
            if (d && !seen.has(key(d))) (seen.add(key(d)), out.push(d));
          }
        }
      }
    }
    for (const tool of ctx.index.tools) {
      for (const pattern of tool.signatures.knownPaths) {
        for (const u of ctx.users) {
          for (const file of expandGlob(expandHome(pattern, u.home))) {
            const d = judge(ctx, ctx.index, tool.id, file, `path:${pattern}`, u, 0.85);
            if (d && !seen.has(key(d))) (seen.add(key(d)), out.push(d));
          }
        }
      }
    }
    return out;
  },
};

function key(d: Detection): string {
  return `${d.toolId}|${d.user}|${d.evidence.path}`;
}

function judge(ctx: ScanContext, index: CatalogIndex, toolId: string, file: string, signature: string, user: UserHome | undefined, knownPathConfidence?: number): Detection | undefined {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return undefined; // dangling link: nothing installed behind it
  }
  const owner = user?.user ?? ownerName(real, ctx.platform, 'unknown');
  const pkg = index.packageOf(real);
  if (pkg && pkg.toolId === toolId) {
    return { toolId, kind: 'installed', user: owner, evidence: { source: 'path', signature, path: real, ...(pkg.version ? { version: pkg.version } : {}) }, confidence: 0.9 };
  }
  const exe = index.exeMatch(real);
  if (exe && exe.toolId === toolId) {
    return { toolId, kind: 'installed', user: owner, evidence: { source: 'path', signature, path: real, ...versionFromPath(real) }, confidence: 0.9 };
  }
  if (isForeignScript(real, index, toolId)) return undefined;
  return { toolId, kind: 'installed', user: owner, evidence: { source: 'path', signature, path: real }, confidence: knownPathConfidence ?? 0.5 };
}

/** `…/claude/versions/2.1.197` → version 2.1.197 (native installer layout). */
function versionFromPath(p: string): { version?: string } {
  const m = /[\\/]versions[\\/](\d+\.\d+\.\d+[^\\/]*)$/.exec(p);
  return m ? { version: m[1] } : {};
}

/** A small `#!` script that names none of the tool's npm packages is a lookalike, not the tool. */
function isForeignScript(file: string, index: CatalogIndex, toolId: string): boolean {
  let head: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(SCRIPT_SNIFF_BYTES);
      const n = readSync(fd, buf, 0, buf.length, 0);
      head = buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return false; // unreadable: keep the weak name match rather than hide it
  }
  if (!head.startsWith('#!')) return false;
  const packages = index.tool(toolId)?.signatures.npmPackages ?? [];
  return !packages.some((p) => head.includes(p));
}
