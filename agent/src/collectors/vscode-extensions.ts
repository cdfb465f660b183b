// VS Code and its forks (Insiders, VSCodium, Cursor, Windsurf, Trae, Kiro, Qoder...) and their
// remote servers (~/.vscode-server etc.): `<root>/extensions/extensions.json` is what the editor
// loads; extension folders `<publisher>.<name>-<version>[-<platform>]` not listed there (or listed
// in `.obsolete`) are leftovers and count for less, or not at all when marked obsolete.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import { CONFIDENCE } from './confidence.js';
import { tolerate } from './problems.js';
import type { Collector, ScanContext } from './types.js';

/** Per-user editor roots; each has an `extensions` folder. Forks follow VS Code's `~/.<name>` convention. */
export const EDITOR_ROOTS = [
  '.vscode', '.vscode-insiders', '.vscode-oss', '.vscode-server', '.vscode-server-insiders', '.vscode-remote',
  '.cursor', '.cursor-server', '.windsurf', '.windsurf-server', '.windsurf-next', '.trae', '.trae-cn', '.trae-server',
  '.kiro', '.kiro-server', '.qoder', '.qoder-server', '.lingma', '.positron', '.void',
];

interface ExtensionsJsonEntry {
  identifier?: { id?: string };
  version?: string;
  relativeLocation?: string;
  location?: { path?: string; fsPath?: string } | string;
}

export const vscodeExtensionsCollector: Collector = {
  id: 'vscode-extension',
  sources: ['vscode-extension'],
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const out: Detection[] = [];
    if (!ctx.index.vscode.size) return out;
    for (const u of ctx.users) {
      for (const root of EDITOR_ROOTS) out.push(...scanExtensionsDir(path.join(u.home, root, 'extensions'), u.user, ctx));
    }
    return out;
  },
};

/** Detections for one `extensions` folder. Exported for tests. */
export function scanExtensionsDir(dir: string, user: string, ctx: Pick<ScanContext, 'index'>): Detection[] {
  let folders: string[];
  try {
    folders = readdirSync(dir);
  } catch (err) {
    tolerate(err, dir); // this editor is not installed for this user
    return [];
  }
  const obsolete = readJson<Record<string, boolean>>(path.join(dir, '.obsolete')) ?? {};
  const listed = readJson<ExtensionsJsonEntry[]>(path.join(dir, 'extensions.json'));
  const out: Detection[] = [];
  const reported = new Set<string>();
  for (const e of Array.isArray(listed) ? listed : []) {
    const id = e.identifier?.id?.toLowerCase();
    const toolId = id ? ctx.index.vscode.get(id) : undefined;
    if (!id || !toolId) continue;
    const folder = e.relativeLocation ?? path.basename(typeof e.location === 'string' ? e.location : (e.location?.fsPath ?? e.location?.path ?? ''));
    if (folder && obsolete[folder]) continue;
    reported.add(folder);
    out.push(hit(toolId, id, path.join(dir, folder || id), user, e.version, CONFIDENCE.ideExtension));
  }
  for (const folder of folders) {
    if (reported.has(folder) || obsolete[folder]) continue;
    const m = /^([a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9._-]*?)-(\d+\.\d+\.\d+[^-]*)(-[a-z0-9]+-[a-z0-9]+)?$/i.exec(folder);
    const toolId = m ? ctx.index.vscode.get(m[1].toLowerCase()) : undefined;
    if (!m || !toolId) continue;
    out.push(hit(toolId, m[1].toLowerCase(), path.join(dir, folder), user, m[2], listed ? CONFIDENCE.ideExtensionFolder : CONFIDENCE.ideExtension));
  }
  return out;
}

function hit(toolId: string, id: string, p: string, user: string, version: string | undefined, confidence: number): Detection {
  return { toolId, kind: 'installed', user, evidence: { source: 'vscode-extension', signature: `vscode-extension:${id}`, path: p, ...(version ? { version } : {}) }, confidence };
}

function readJson<T>(file: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    tolerate(err, file); // absent: older editors have no extensions.json
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined; // being rewritten by the editor: the folders still count
  }
}
