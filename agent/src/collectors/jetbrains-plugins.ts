// JetBrains IDE plugins (IntelliJ, PyCharm, WebStorm, GoLand, Android Studio...). The folder name
// is not the plugin id: the id is `<id>` in META-INF/plugin.xml inside one of the plugin's jars
// (lib/*.jar), or in an unpacked META-INF folder. Per-user plugin folders on Linux, macOS and Windows.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import { CONFIDENCE } from './confidence.js';
import { expandGlob } from './fs-util.js';
import type { Collector, ScanContext } from './types.js';
import { readZipEntry } from './zip.js';
import { tolerate } from './problems.js';

/** Folders holding one sub-folder (or jar) per plugin, per OS and vendor layout. */
const PLUGIN_DIRS = [
  '~/.local/share/JetBrains/*',
  '~/.local/share/Google/AndroidStudio*',
  '~/Library/Application Support/JetBrains/*/plugins',
  '~/Library/Application Support/Google/AndroidStudio*/plugins',
  '~/AppData/Roaming/JetBrains/*/plugins',
  '~/AppData/Roaming/Google/AndroidStudio*/plugins',
];

export const jetbrainsPluginsCollector: Collector = {
  id: 'jetbrains-plugin',
  sources: ['jetbrains-plugin'],
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const out: Detection[] = [];
    if (!ctx.index.jetbrains.size) return out;
    for (const u of ctx.users) {
      for (const pattern of PLUGIN_DIRS) {
        for (const dir of expandGlob(path.join(u.home, pattern.slice(2)))) out.push(...scanPluginDir(dir, u.user, ctx));
      }
    }
    return out;
  },
};

/** Detections for one folder of plugins. Exported for tests. */
export function scanPluginDir(dir: string, user: string, ctx: Pick<ScanContext, 'index'>): Detection[] {
  const out: Detection[] = [];
  for (const entry of list(dir)) {
    const p = path.join(dir, entry);
    const xml = entry.endsWith('.jar') ? readZipEntry(p, 'META-INF/plugin.xml')?.toString('utf8') : pluginXmlOfFolder(p);
    if (!xml) continue;
    const { id, version } = parsePluginXml(xml);
    const toolId = id ? ctx.index.jetbrains.get(id) : undefined;
    if (!id || !toolId) continue;
    out.push({ toolId, kind: 'installed', user, evidence: { source: 'jetbrains-plugin', signature: `jetbrains-plugin:${id}`, path: p, ...(version ? { version } : {}) }, confidence: CONFIDENCE.jetbrainsPlugin });
  }
  return out;
}

function pluginXmlOfFolder(folder: string): string | undefined {
  try {
    return readFileSync(path.join(folder, 'META-INF', 'plugin.xml'), 'utf8');
  } catch (err) {
    tolerate(err, folder); // not unpacked: look in the plugin's jars
  }
  for (const jar of list(path.join(folder, 'lib'))) {
    if (!jar.endsWith('.jar')) continue;
    const xml = readZipEntry(path.join(folder, 'lib', jar), 'META-INF/plugin.xml');
    if (xml) return xml.toString('utf8');
  }
  return undefined;
}

/** `<id>` and `<version>` of the top-level `<idea-plugin>` (the first ones; dependencies come later and use other tags). */
export function parsePluginXml(xml: string): { id?: string; version?: string } {
  const body = xml.replace(/<!--[\s\S]*?-->/g, '');
  const id = /<id>\s*([^<]+?)\s*<\/id>/.exec(body)?.[1];
  const version = /<version>\s*([^<]+?)\s*<\/version>/.exec(body)?.[1];
  return { ...(id ? { id } : {}), ...(version ? { version } : {}) };
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    tolerate(err, dir); // no such folder for this IDE / user
    return [];
  }
}
