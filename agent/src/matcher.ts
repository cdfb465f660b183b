// Compiles the tool catalog into lookup tables the collectors use: npm names, executable and
// process names, path and command-line regexes. Built once per catalog version; collectors never
// hard-code a tool. `packageOf` walks from any file up to the npm package that contains it, which
// is how renamed bin links and node scripts are traced back to a catalogued package.
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

export class CatalogIndex {
  readonly tools: readonly Tool[];
  readonly npm = new Map<string, string>();
  readonly executables = new Map<string, string[]>();
  readonly processNames = new Map<string, string[]>();
  readonly exePatterns: CompiledPattern[] = [];
  readonly cmdPatterns: CompiledPattern[] = [];

  constructor(catalog: readonly Tool[]) {
    this.tools = catalog;
    for (const t of catalog) {
      const s = t.signatures;
      for (const n of s.npmPackages) this.npm.set(n, t.id);
      for (const n of s.executables) push(this.executables, n.toLowerCase(), t.id);
      for (const n of s.processNames) push(this.processNames, n.toLowerCase(), t.id);
      for (const p of s.exePathPatterns) this.exePatterns.push({ toolId: t.id, re: new RegExp(p, 'i'), source: p });
      for (const p of s.cmdlinePatterns) this.cmdPatterns.push({ toolId: t.id, re: new RegExp(p, 'i'), source: p });
    }
  }

  tool(id: string): Tool | undefined {
    return this.tools.find((t) => t.id === id);
  }

  /** The catalogued npm package containing `file`, if any (nearest package.json with a known name). */
  packageOf(file: string): PackageHit | undefined {
    let dir = path.dirname(file);
    for (let i = 0; i < 12; i++) {
      const pj = path.join(dir, 'package.json');
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
}

function push(map: Map<string, string[]>, key: string, id: string): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(id)) list.push(id);
  } else map.set(key, [id]);
}

export function readPackageJson(file: string): { name?: string; version?: string } | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
    return { name: typeof v.name === 'string' ? v.name : undefined, version: typeof v.version === 'string' ? v.version : undefined };
  } catch {
    return undefined; // an unreadable package.json is not evidence of anything
  }
}
