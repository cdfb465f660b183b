// Windows Start Menu shortcuts (.lnk, MS-SHLLINK format): a shortcut named like the tool, or whose
// target path matches the tool's executable patterns, in the machine-wide or a user's Start Menu.
// The .lnk parser is pure and tested on fixture files because no Windows host is available here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import type { CatalogIndex } from '../matcher.js';
import { CONFIDENCE } from './confidence.js';
import { tolerate } from './problems.js';
import type { Collector, ScanContext } from './types.js';

/** Start Menu trees are shallow (Programs/<Vendor>/<App>.lnk); deeper is not a Start Menu entry. */
const MAX_DEPTH = 3;
const USER_START_MENU = 'AppData/Roaming/Microsoft/Windows/Start Menu/Programs';

export const windowsShortcutsCollector: Collector = {
  id: 'windows-shortcut',
  sources: ['windows-shortcut'],
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    if (!ctx.index.shortcutPatterns.length && !ctx.index.exePatterns.length) return [];
    const out: Detection[] = [];
    for (const dir of ctx.platform.startMenuDirs()) out.push(...scanStartMenu(dir, 'all-users', ctx.index));
    for (const u of ctx.users) out.push(...scanStartMenu(path.join(u.home, USER_START_MENU), u.user, ctx.index));
    return out;
  },
};

export function scanStartMenu(dir: string, user: string, index: CatalogIndex, depth = 0): Detection[] {
  if (depth > MAX_DEPTH) return [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    tolerate(err, dir); // no Start Menu here (not Windows, or no such profile)
    return [];
  }
  const out: Detection[] = [];
  for (const e of entries) {
    const p = path.join(dir, e);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch (err) {
      tolerate(err, p); // vanished while listing
      continue;
    }
    if (isDir) {
      out.push(...scanStartMenu(p, user, index, depth + 1));
      continue;
    }
    if (!/\.lnk$/i.test(e)) continue;
    let target: string | undefined;
    try {
      target = parseLnk(readFileSync(p)).target;
    } catch {
      target = undefined; // not a shell link we can read: the name alone may still match
    }
    const byTarget = target ? index.exeMatch(target) : undefined;
    const byName = index.shortcutPatterns.find((r) => r.re.test(e.replace(/\.lnk$/i, '')));
    const rule = byTarget ?? byName;
    if (!rule) continue;
    out.push({
      toolId: rule.toolId,
      kind: 'installed',
      user,
      evidence: { source: 'windows-shortcut', signature: byTarget ? `shortcut-target:${rule.source}` : `shortcut-name:${rule.source}`, path: target ?? p },
      confidence: byTarget ? CONFIDENCE.knownPath : CONFIDENCE.windowsShortcut,
    });
  }
  return out;
}

// ---- MS-SHLLINK ---------------------------------------------------------------------------

const HAS_LINK_TARGET_ID_LIST = 0x1;
const HAS_LINK_INFO = 0x2;
const HAS_NAME = 0x4;
const HAS_RELATIVE_PATH = 0x8;
const HAS_WORKING_DIR = 0x10;
const HAS_ARGUMENTS = 0x20;
const HAS_ICON_LOCATION = 0x40;
const IS_UNICODE = 0x80;

export interface LnkInfo {
  /** LocalBasePath (+ CommonPathSuffix) from LinkInfo, else the relative path. */
  target?: string;
  relativePath?: string;
  workingDir?: string;
  arguments?: string;
}

/** Parses the parts of a .lnk file that name its target. Throws on a file that is not a shell link. */
export function parseLnk(b: Buffer): LnkInfo {
  if (b.length < 0x4c || b.readUInt32LE(0) !== 0x4c) throw new Error('lnk: bad header size');
  const flags = b.readUInt32LE(0x14);
  let at = 0x4c;
  if (flags & HAS_LINK_TARGET_ID_LIST) at += 2 + b.readUInt16LE(at);
  const info: LnkInfo = {};
  if (flags & HAS_LINK_INFO) {
    const size = b.readUInt32LE(at);
    const headerSize = b.readUInt32LE(at + 4);
    const liFlags = b.readUInt32LE(at + 8);
    if (liFlags & 0x1) {
      const base = cString(b, at + b.readUInt32LE(at + 16));
      const suffix = cString(b, at + b.readUInt32LE(at + 24));
      let unicodeBase: string | undefined;
      if (headerSize >= 0x24) unicodeBase = wString(b, at + b.readUInt32LE(at + 28));
      info.target = (unicodeBase || base) + suffix;
    }
    at += size;
  }
  const unicode = (flags & IS_UNICODE) !== 0;
  const readStr = (): string => {
    const n = b.readUInt16LE(at);
    const bytes = unicode ? n * 2 : n;
    const s = unicode ? b.toString('utf16le', at + 2, at + 2 + bytes) : b.toString('latin1', at + 2, at + 2 + bytes);
    at += 2 + bytes;
    return s;
  };
  if (flags & HAS_NAME) readStr();
  if (flags & HAS_RELATIVE_PATH) info.relativePath = readStr();
  if (flags & HAS_WORKING_DIR) info.workingDir = readStr();
  if (flags & HAS_ARGUMENTS) info.arguments = readStr();
  if (flags & HAS_ICON_LOCATION) readStr();
  if (!info.target && info.relativePath) info.target = info.relativePath;
  return info;
}

function cString(b: Buffer, at: number): string {
  const end = b.indexOf(0, at);
  return b.toString('latin1', at, end < 0 ? b.length : end);
}

function wString(b: Buffer, at: number): string {
  let end = at;
  while (end + 1 < b.length && (b[end] !== 0 || b[end + 1] !== 0)) end += 2;
  return b.toString('utf16le', at, end);
}
