// macOS application bundles: every `*.app` in /Applications (and Utilities) and each user's
// ~/Applications, identified by CFBundleIdentifier in Contents/Info.plist (XML or binary), so a
// renamed "Qoder.app" is still told apart from another app of the same name. Runs wherever those
// folders exist; tests use fixtures because no macOS host is available here.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import type { CatalogIndex } from '../matcher.js';
import { CONFIDENCE } from './confidence.js';
import { ownerName } from './fs-util.js';
import { parsePlist } from './plist.js';
import { tolerate } from './problems.js';
import type { Collector, ScanContext } from './types.js';

export const macBundlesCollector: Collector = {
  id: 'mac-bundle',
  sources: ['mac-bundle'],
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const out: Detection[] = [];
    if (!ctx.index.macBundleIds.size) return out;
    for (const dir of ctx.platform.appBundleDirs()) out.push(...scanAppDir(dir, (p) => ownerName(p, ctx.platform, 'root'), ctx.index, ctx));
    for (const u of ctx.users) out.push(...scanAppDir(path.join(u.home, 'Applications'), () => u.user, ctx.index, ctx));
    return out;
  },
};

/** Bundle identity from an Info.plist file's bytes. */
export function bundleInfo(plist: Buffer): { id?: string; version?: string } {
  const v = parsePlist(plist);
  if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof Date || Buffer.isBuffer(v)) return {};
  const d = v as Record<string, unknown>;
  const id = typeof d.CFBundleIdentifier === 'string' ? d.CFBundleIdentifier : undefined;
  const version = typeof d.CFBundleShortVersionString === 'string' ? d.CFBundleShortVersionString : typeof d.CFBundleVersion === 'string' ? d.CFBundleVersion : undefined;
  return { ...(id ? { id } : {}), ...(version ? { version } : {}) };
}

export function scanAppDir(dir: string, userOf: (p: string) => string, index: CatalogIndex, ctx?: Pick<ScanContext, 'log'>): Detection[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    tolerate(err, dir); // no such folder (not macOS, or the user has no ~/Applications)
    return [];
  }
  const out: Detection[] = [];
  for (const e of entries) {
    if (!e.endsWith('.app')) continue;
    const app = path.join(dir, e);
    let info: { id?: string; version?: string };
    try {
      info = bundleInfo(readFileSync(path.join(app, 'Contents', 'Info.plist')));
    } catch (err) {
      ctx?.log?.debug({ app, err: (err as Error).message }, 'unreadable Info.plist');
      if ((err as NodeJS.ErrnoException).syscall) tolerate(err, app); // a read error; a broken plist is just not identifiable
      continue; // a broken bundle cannot be identified; its name alone is not evidence
    }
    const toolId = info.id ? index.macBundleIds.get(info.id.toLowerCase()) : undefined;
    if (!toolId || !info.id) continue;
    out.push({ toolId, kind: 'installed', user: userOf(app), evidence: { source: 'mac-bundle', signature: `bundle-id:${info.id}`, path: app, ...(info.version ? { version: info.version } : {}) }, confidence: CONFIDENCE.macBundle });
  }
  return out;
}
