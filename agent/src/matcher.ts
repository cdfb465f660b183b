// Compiles the tool catalog into lookup tables the collectors use: npm, IDE-extension, python and
// OS-package names, path and command-line regexes, content markers and env markers. Built once per
// catalog (scanner.ts reuses it while the catalog is unchanged); collectors never hard-code a tool.
// `packageOf` walks from any file up to the npm package that contains it, which is how renamed bin
// links and node scripts are traced back to a catalogued package; `runnerInvocation` reads the
// package a package runner (npx, npm exec, pnpm dlx, yarn dlx, bunx) was asked to run.
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Tool } from '../../shared/src/catalog/schema.js';
import { tolerate } from './collectors/problems.js';

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
      if (isFile(pj)) {
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

/** Interpreters whose first non-flag argument is the real program (traced to its package). */
export const SCRIPT_HOSTS: ReadonlySet<string> = new Set(['node', 'nodejs', 'bun', 'node.exe', 'bun.exe']);

/** Executables that can be a package runner themselves (pnpm and bun ship native builds). */
const RUNNER_EXES = new Set(['bun', 'bunx', 'pnpm', 'pnpx', 'yarn', 'npm', 'npx', 'bun.exe', 'pnpm.exe']);
/** How a runner's program shows in argv[0] or as the script of a node process. */
const RUNNER_NAMES: Record<string, string> = {
  npx: 'npx', 'npx-cli.js': 'npx', pnpx: 'pnpx', bunx: 'bunx',
  npm: 'npm', 'npm-cli.js': 'npm', pnpm: 'pnpm', 'pnpm.cjs': 'pnpm', 'pnpm.js': 'pnpm',
  yarn: 'yarn', 'yarn.js': 'yarn', 'yarn.cjs': 'yarn', bun: 'bun',
};
/** Sub-commands that fetch and run a package: `npm exec|x`, `pnpm dlx`, `yarn dlx`, `bun x`. */
const RUNNER_VERBS: Record<string, readonly string[]> = { npm: ['exec', 'x'], pnpm: ['dlx'], yarn: ['dlx'], bun: ['x'], npx: [], pnpx: [], bunx: [] };
/** Runner flags whose value is the next argument (`-p PKG` names the package explicitly). */
const RUNNER_VALUE_FLAGS = new Set(['-p', '--package', '-c', '--call', '--registry', '--cache', '--userconfig', '--prefix', '-w', '--workspace']);

export interface RunnerHit {
  toolId: string;
  /** npx, npm, pnpm, pnpx, yarn, bun or bunx. */
  runner: string;
  /** The package name as catalogued (version spec removed). */
  name: string;
}

/**
 * The catalogued package a package runner runs, when the process IS the runner: its executable is
 * node / bun or a runner binary, and its own program (argv[0], or the script node runs) is npx, npm,
 * pnpm, yarn or bun. A terminal multiplexer, a shell or a grep whose arguments merely contain
 * `npx @anthropic-ai/claude-code` is none of these. npm rewrites its title to `npm exec PKG`, which
 * argv[0] then shows. `words` is the command line split on white space.
 */
export function runnerInvocation(exeBase: string, words: readonly string[], index: CatalogIndex): RunnerHit | undefined {
  if (!words.length || !(SCRIPT_HOSTS.has(exeBase) || RUNNER_EXES.has(exeBase))) return undefined;
  let argv = words;
  let runner = RUNNER_NAMES[base(argv[0]!)];
  if (!runner && SCRIPT_HOSTS.has(base(argv[0]!))) {
    // `node [flags] /usr/bin/npx …`: the script is the program.
    const i = argv.findIndex((w, k) => k > 0 && !w.startsWith('-'));
    if (i > 0) {
      runner = RUNNER_NAMES[base(argv[i]!)];
      argv = argv.slice(i);
    }
  }
  if (!runner) return undefined;
  let rest = argv.slice(1);
  const verbs = RUNNER_VERBS[runner] ?? [];
  if (verbs.length) {
    // `npm exec`, `pnpm dlx`…: the verb is the first non-flag argument.
    const v = rest.findIndex((w) => !w.startsWith('-'));
    if (v < 0 || !verbs.includes(rest[v]!)) return undefined;
    rest = rest.slice(v + 1);
  }
  let spec: string | undefined;
  for (let i = 0; i < rest.length && !spec; i++) {
    const w = rest[i]!;
    if (w === '--') {
      spec = rest[i + 1];
      break;
    }
    const eq = /^--package=(.+)$/.exec(w);
    if (eq) spec = eq[1];
    else if (w === '-p' || w === '--package') spec = rest[i + 1];
    else if (RUNNER_VALUE_FLAGS.has(w)) i++;
    else if (!w.startsWith('-')) spec = w;
  }
  if (!spec) return undefined;
  const name = packageNameOfSpec(spec);
  const toolId = index.npm.get(name);
  return toolId ? { toolId, runner, name } : undefined;
}

/** `@scope/name@1.2.3` → `@scope/name`; `name@latest` → `name`. */
export function packageNameOfSpec(spec: string): string {
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
  return at > 0 ? spec.slice(0, at) : spec;
}

function base(word: string): string {
  return path.basename(word).toLowerCase().replace(/\.cmd$/, '');
}

/**
 * Resolves symlinks in `p` the way the process whose root is `root` sees them (`/proc/<pid>/root`
 * for another mount namespace or a container; '' for ours): every link target, absolute or
 * relative, is interpreted inside that root, and `..` never climbs above it, so a link cannot lead
 * the agent out of the container into its own files. Returns the path as the process sees it, or
 * `p` unchanged when too many links are chained (a loop).
 */
export function resolveInRoot(p: string, root: string): string {
  const MAX_LINKS = 40;
  let todo = p.split('/').filter(Boolean);
  let done: string[] = [];
  let links = 0;
  while (todo.length) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = '/' + [...done, part].join('/');
    let target: string;
    try {
      target = readlinkSync(root + candidate);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EINVAL') {
        done.push(part); // not a link
        continue;
      }
      tolerate(err, root + candidate);
      // Absent or unreadable: nothing more can be resolved; keep the rest as written.
      return '/' + [...done, part, ...todo].join('/');
    }
    if (++links > MAX_LINKS) return p;
    if (target.startsWith('/')) done = [];
    todo = [...target.split('/').filter(Boolean), ...todo];
  }
  return '/' + done.join('/');
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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    tolerate(err, file); // absent; a read error is a problem of the running collector
    return undefined;
  }
  try {
    const v = JSON.parse(text) as { name?: unknown; version?: unknown };
    return { name: typeof v.name === 'string' ? v.name : undefined, version: typeof v.version === 'string' ? v.version : undefined };
  } catch {
    return undefined; // a package.json that is not JSON names no package: not evidence of anything
  }
}

function isFile(p: string): boolean {
  try {
    // throwIfNoEntry: a missing file (the usual answer on the walk up) costs no exception.
    return statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch (err) {
    tolerate(err, p);
    return false;
  }
}
