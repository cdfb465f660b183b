// Compiles the tool catalog into lookup tables the collectors use: npm, IDE-extension, python and
// OS-package names, path and command-line regexes, content markers and env markers. Built once per
// catalog (scanner.ts reuses it while the catalog is unchanged); collectors never hard-code a tool.
// `packageOf` walks from any file up to the npm package that contains it, which is how renamed bin
// links and node scripts are traced back to a catalogued package.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Tool } from '../../shared/src/catalog/schema.js';

export interface CompiledPattern {
  toolId: string;
  re: RegExp;
  source: string;
}

export interface PackageHit {
  toolId: string;
  name: string;
  version?: string;
  dir: string;
}

export interface MarkerRule {
  toolId: string;
  /** Every one of these strings must occur in the file. */
  all: string[];
}

export interface EnvMarker {
  toolId: string;
  name: string;
  /** Exact value required; undefined = any value. */
  value?: string;
  /** As written in the catalog, used as the evidence signature. */
  source: string;
}

export interface UninstallRule {
  toolId: string;
  displayName: RegExp;
  publisher?: RegExp;
  source: string;
}

/** How far up from a file `packageOf` looks for a package.json (deepest known: pnpm's .pnpm store layout). */
const PACKAGE_WALK_LIMIT = 12;

export class CatalogIndex {
  readonly tools: readonly Tool[];
  readonly npm = new Map<string, string>();
  readonly executables = new Map<string, string[]>();
  readonly processNames = new Map<string, string[]>();
  readonly exePatterns: CompiledPattern[] = [];
  readonly cmdPatterns: CompiledPattern[] = [];
  readonly vscode = new Map<string, string>();
  readonly jetbrains = new Map<string, string>();
  readonly python = new Map<string, string>();
  readonly linuxPackages = new Map<string, string>();
  readonly macBundleIds = new Map<string, string>();
  readonly appImagePatterns: CompiledPattern[] = [];
  readonly uninstall: UninstallRule[] = [];
  readonly shortcutPatterns: CompiledPattern[] = [];
  readonly markers: MarkerRule[] = [];
  /** Every distinct marker string, searched for in one pass over a file. */
  readonly markerStrings: string[] = [];
  readonly hashes = new Map<string, string>();
  readonly envMarkers: EnvMarker[] = [];
  readonly envMarkerNames = new Set<string>();

  constructor(catalog: readonly Tool[]) {
    this.tools = catalog;
    const markerSet = new Set<string>();
    for (const t of catalog) {
      const s = t.signatures;
      for (const n of s.npmPackages) this.npm.set(n, t.id);
      for (const n of s.executables) push(this.executables, n.toLowerCase(), t.id);
      for (const n of s.processNames) push(this.processNames, n.toLowerCase(), t.id);
      for (const p of s.exePathPatterns) this.exePatterns.push(compile(t.id, p));
      for (const p of s.cmdlinePatterns) this.cmdPatterns.push(compile(t.id, p));
      for (const n of s.vscodeExtensions) this.vscode.set(n.toLowerCase(), t.id);
      for (const n of s.jetbrainsPlugins) this.jetbrains.set(n, t.id);
      for (const n of s.pythonPackages) this.python.set(normalizePythonName(n), t.id);
      for (const n of s.linuxPackages) this.linuxPackages.set(n, t.id);
      for (const n of s.macBundleIds) this.macBundleIds.set(n.toLowerCase(), t.id);
      for (const p of s.appImagePatterns) this.appImagePatterns.push(compile(t.id, p));
      for (const u of s.windowsUninstall) {
        this.uninstall.push({
          toolId: t.id,
          displayName: new RegExp(u.displayName, 'i'),
          ...(u.publisher ? { publisher: new RegExp(u.publisher, 'i') } : {}),
          source: u.publisher ? `${u.displayName} / ${u.publisher}` : u.displayName,
        });
      }
      for (const p of s.windowsShortcuts) this.shortcutPatterns.push(compile(t.id, p));
      for (const set of s.contentMarkers) {
        this.markers.push({ toolId: t.id, all: set });
        for (const m of set) markerSet.add(m);
      }
      for (const h of s.contentHashes) this.hashes.set(h, t.id);
      for (const m of s.childEnvMarkers) {
        const eq = m.indexOf('=');
        const name = eq < 0 ? m : m.slice(0, eq);
        this.envMarkers.push({ toolId: t.id, name, ...(eq < 0 ? {} : { value: m.slice(eq + 1) }), source: m });
        this.envMarkerNames.add(name);
      }
    }
    this.markerStrings = [...markerSet];
  }

  tool(id: string): Tool | undefined {
    return this.tools.find((t) => t.id === id);
  }

  /** True when the catalog has anything that content identity could find. */
  get hasContentSignatures(): boolean {
    return this.markers.length > 0 || this.hashes.size > 0;
  }

  /**
   * The catalogued npm package containing `file`, if any (nearest package.json with a known name).
   * `root` prefixes every path looked at (a container's `/proc/<pid>/root`); the returned `dir` is
   * as the process sees it.
   */
  packageOf(file: string, root = ''): PackageHit | undefined {
    let dir = path.dirname(file);
    for (let i = 0; i < PACKAGE_WALK_LIMIT; i++) {
      const pj = root + path.join(dir, 'package.json');
      if (existsSync(pj)) {
        const pkg = readPackageJson(pj);
        const toolId = pkg?.name ? this.npm.get(pkg.name) : undefined;
        if (toolId && pkg?.name) return { toolId, name: pkg.name, version: pkg.version, dir };
        // Platform sub-packages (e.g. @anthropic-ai/claude-code-linux-x64) sit inside the main one: keep walking.
      }
      const parent = path.dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
    return undefined;
  }

  exeMatch(exe: string): CompiledPattern | undefined {
    return this.exePatterns.find((p) => p.re.test(exe));
  }

  cmdMatch(cmd: string): CompiledPattern | undefined {
    return this.cmdPatterns.find((p) => p.re.test(cmd));
  }

  /** Tool whose marker rule is fully contained in `found`. */
  markerMatch(found: ReadonlySet<string>): MarkerRule | undefined {
    return this.markers.find((r) => r.all.every((m) => found.has(m)));
  }
}

function compile(toolId: string, source: string): CompiledPattern {
  return { toolId, re: new RegExp(source, 'i'), source };
}

function push(map: Map<string, string[]>, key: string, id: string): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(id)) list.push(id);
  } else map.set(key, [id]);
}

/** PEP 503: lower case, runs of `-`, `_`, `.` become one `-`. */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function readPackageJson(file: string): { name?: string; version?: string } | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
    return { name: typeof v.name === 'string' ? v.name : undefined, version: typeof v.version === 'string' ? v.version : undefined };
  } catch {
    return undefined; // an unreadable package.json is not evidence of anything
  }
}
