// Windows installed programs: the Uninstall registry keys (HKLM, WOW6432Node, each loaded user's
// HKU) as printed by `reg query <key> /s`, matched by DisplayName (and Publisher when the catalog
// says so). The parser is a pure function over reg.exe's text output, tested on fixtures because
// no Windows host is available here. Per-user keys (HKU\<SID>) are attributed to that SID's profile.
import type { Detection } from '../../../shared/src/protocol/index.js';
import type { CatalogIndex } from '../matcher.js';
import { CONFIDENCE } from './confidence.js';
import type { Collector, ScanContext } from './types.js';

export interface UninstallEntry {
  key: string;
  values: Record<string, string>;
}

export const windowsUninstallCollector: Collector = {
  id: 'windows-uninstall',
  sources: ['windows-uninstall'],
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    if (!ctx.index.uninstall.length) return [];
    const text = await ctx.platform.uninstallRegistryText();
    return text ? uninstallDetections(parseRegQuery(text), ctx.index) : [];
  },
};

/** `reg query … /s` output → one entry per key with its values (REG_SZ / REG_EXPAND_SZ / REG_DWORD as text). */
export function parseRegQuery(text: string): UninstallEntry[] {
  const out: UninstallEntry[] = [];
  let current: UninstallEntry | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^HKEY_[A-Z_]+\\/.test(raw)) {
      current = { key: raw.trim(), values: {} };
      out.push(current);
      continue;
    }
    // Value lines: 4 spaces, name, 4 spaces, REG_TYPE, 4 spaces, data (names and data may contain single spaces).
    const m = /^ {4}(.*?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/.exec(raw);
    if (m && current) current.values[m[1]] = (m[3] ?? '').trimEnd();
  }
  return out.filter((e) => Object.keys(e.values).length > 0);
}

export function uninstallDetections(entries: readonly UninstallEntry[], index: CatalogIndex): Detection[] {
  const out: Detection[] = [];
  for (const e of entries) {
    const name = e.values.DisplayName;
    if (!name) continue;
    const rule = index.uninstall.find((r) => r.displayName.test(name) && (!r.publisher || r.publisher.test(e.values.Publisher ?? '')));
    if (!rule) continue;
    const sid = /^HKEY_USERS\\(S-[\d-]+)\\/.exec(e.key)?.[1];
    const user = /^HKEY_CURRENT_USER\\/.test(e.key) ? 'current-user' : sid ? `sid:${sid}` : 'all-users';
    out.push({
      toolId: rule.toolId,
      kind: 'installed',
      user,
      evidence: {
        source: 'windows-uninstall',
        signature: `uninstall:${rule.source}`,
        path: e.values.InstallLocation || e.key,
        ...(e.values.DisplayVersion ? { version: e.values.DisplayVersion } : {}),
      },
      confidence: CONFIDENCE.windowsUninstall,
    });
  }
  return out;
}
