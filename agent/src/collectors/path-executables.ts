// Executables by name on PATH and in users' bin folders, at the catalog's tool-specific install
// paths, and — by content — every native executable in users' own bin folders (a renamed portable
// copy). A hit is traced to its real file: inside the tool's npm package, matching the tool's
// install-path patterns, or identified by content, it is strong evidence. A bare name match is
// weak; a `#!` script or a native binary whose content says it is something else is a lookalike
// and is not reported. System PATH folders are searched by name only (hashing all of /usr/bin on
// every inventory is not worth it; running copies are still caught by content in processes.ts).
import { closeSync, openSync, readdirSync, readSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import type { CatalogIndex } from '../matcher.js';
import type { UserHome } from '../platform/index.js';
import { CONFIDENCE } from './confidence.js';
import { identifyContent, isNativeExecutable } from './content-identity.js';
import { expandGlob, expandHome, ownerName, statOrUndefined } from './fs-util.js';
import { userNpmBinDirs } from './npm-roots.js';
import { tolerate } from './problems.js';
import type { Collector, ScanContext } from './types.js';

/** How much of a `#!` script is read to see which package it launches: wrappers are tiny. */
const SCRIPT_SNIFF_BYTES = 64 * 1024;
/** Windows launches these extensions by bare name. */
const WIN_EXTS = ['', '.exe', '.cmd', '.ps1'];
/** Users' own bin folders, where portable copies land; every native file in them is identified by content. */
const USER_BIN_DIRS = ['~/.local/bin', '~/bin'];

export const pathExecutablesCollector: Collector = {
  id: 'path',
  sources: ['path'],
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const out: Detection[] = [];
    const seen = new Set<string>();
    const add = (d: Detection | undefined) => {
      if (d && !seen.has(key(d))) (seen.add(key(d)), out.push(d));
    };
    const dirs: { dir: string; user?: UserHome }[] = ctx.pathDirs.map((dir) => ({ dir }));
    for (const u of ctx.users) {
      for (const d of [...USER_BIN_DIRS.map((b) => expandHome(b, u.home)), ...userNpmBinDirs(u)]) dirs.push({ dir: d, user: u });
    }
    for (const { dir, user } of dirs) {
      for (const [name, toolIds] of ctx.index.executables) {
        for (const ext of process.platform === 'win32' ? WIN_EXTS : ['']) {
          const file = path.join(dir, name + ext);
          const st = statOrUndefined(file);
          if (!st?.isFile() || (process.platform !== 'win32' && (st.mode & 0o111) === 0)) continue;
          for (const toolId of toolIds) add(await judge(ctx, toolId, file, `executable:${name}`, user, CONFIDENCE.executableName));
        }
      }
    }
    for (const tool of ctx.index.tools) {
      for (const pattern of tool.signatures.knownPaths) {
        // `~` patterns are per user; absolute ones are system-wide and belong to the file's owner.
        const targets = pattern.startsWith('~') ? ctx.users.map((u) => ({ p: expandHome(pattern, u.home), u })) : [{ p: pattern, u: undefined }];
        for (const { p, u } of targets) {
          for (const file of expandGlob(p)) add(await judge(ctx, tool.id, file, `path:${pattern}`, u, CONFIDENCE.knownPath, true));
        }
      }
    }
    if (ctx.index.hasContentSignatures) {
      for (const u of ctx.users) {
        for (const b of USER_BIN_DIRS) {
          const dir = expandHome(b, u.home);
          let entries: string[];
          try {
            entries = readdirSync(dir);
          } catch (err) {
            tolerate(err, dir); // the user has no such folder
            continue;
          }
          for (const e of entries) {
            const real = realOrUndefined(path.join(dir, e));
            if (!real || !statOrUndefined(real)?.isFile()) continue;
            const id = await identifyContent(real, ctx.index);
            if (id) add(contentDetection(id, real, u.user));
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

function contentDetection(id: { toolId: string; via: 'hash' | 'markers'; sha256: string; signature: string }, file: string, user: string): Detection {
  return {
    toolId: id.toolId,
    kind: 'installed',
    user,
    evidence: { source: 'path', signature: id.signature, path: file, sha256: id.sha256 },
    confidence: id.via === 'hash' ? CONFIDENCE.contentHash : CONFIDENCE.contentMarkers,
  };
}

async function judge(ctx: ScanContext, toolId: string, file: string, signature: string, user: UserHome | undefined, weak: number, toolSpecificPath = false): Promise<Detection | undefined> {
  const index = ctx.index;
  const real = realOrUndefined(file);
  if (!real) return undefined; // dangling link: nothing installed behind it
  const owner = user?.user ?? ownerName(real, ctx.platform, 'unknown');
  const strong = (confidence: number, extra: { version?: string } = {}): Detection => ({
    toolId,
    kind: 'installed',
    user: owner,
    evidence: { source: 'path', signature, path: real, ...extra },
    confidence,
  });
  const pkg = index.packageOf(real);
  if (pkg) return pkg.toolId === toolId ? strong(CONFIDENCE.executableTraced, pkg.version ? { version: pkg.version } : {}) : undefined;
  const exe = index.exeMatch(real);
  if (exe) return exe.toolId === toolId ? strong(CONFIDENCE.executableTraced, versionFromPath(real)) : undefined;
  if (statOrUndefined(real)?.isFile() && isNativeExecutable(real)) {
    const id = await identifyContent(real, index);
    if (id) return id.toolId === toolId ? contentDetection(id, real, owner) : undefined;
    // A native binary that the catalog can identify by content but that does not carry the
    // tool's markers is another program with the same name (e.g. another vendor's `copilot`).
    if (!toolSpecificPath && hasContentSignature(index, toolId)) return undefined;
  } else if (!toolSpecificPath && isForeignScript(real, index, toolId)) {
    return undefined;
  }
  return strong(weak, toolSpecificPath ? versionFromPath(real) : {});
}

function hasContentSignature(index: CatalogIndex, toolId: string): boolean {
  const s = index.tool(toolId)?.signatures;
  return !!s && (s.contentMarkers.length > 0 || s.contentHashes.length > 0);
}

function realOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch (err) {
    tolerate(err, p); // dangling link or vanished file
    return undefined;
  }
}

/** `…/claude/versions/2.1.197` → version 2.1.197 (native installer layout). */
function versionFromPath(p: string): { version?: string } {
  const m = /[\\/]versions[\\/](\d+\.\d+\.\d+[^\\/]*)$/.exec(p);
  return m ? { version: m[1] } : {};
}

/** A `#!` script that names none of the tool's npm packages and matches none of its paths is a lookalike. */
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
  } catch (err) {
    tolerate(err, file); // unreadable: keep the weak name match rather than hide it
    return false;
  }
  if (!head.startsWith('#!')) return false;
  const packages = index.tool(toolId)?.signatures.npmPackages ?? [];
  if (packages.some((p) => head.includes(p))) return false;
  // A launcher script that execs a file in the tool's own layout (e.g. /usr/share/cursor/bin/cursor).
  return !index.exePatterns.some((p) => p.toolId === toolId && head.split(/\s+/).some((w) => p.re.test(w.replace(/["']/g, ''))));
}
