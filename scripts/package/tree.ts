// A package's file tree, described once and laid out for dpkg-deb and rpmbuild alike: every
// entry has an absolute install path, a mode, and its bytes (from a file or given inline).
// Staging sets every mtime to SOURCE_DATE_EPOCH so the archives do not depend on when or where
// they were built.
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TreeFile {
  /** Absolute install path, e.g. /usr/bin/edict-agent. */
  path: string;
  mode: number;
  from?: string;
  content?: string | Buffer;
  /** Admin-edited config: kept on upgrade and remove (deb conffile, rpm %config(noreplace)). */
  conffile?: boolean;
}

export interface PackageSpec {
  name: string;
  version: string;
  /** One line. */
  summary: string;
  /** Paragraphs for the long description. */
  description: string;
  files: TreeFile[];
  /** Folders the package owns (created empty if no file is in them). */
  dirs: string[];
  deb: { depends: string[]; recommends?: string[]; section: string };
  rpm: { requires: string[]; group: string };
  /** Shell function library prepended to every maintainer script. */
  scriptLib: string;
  /** Function names for each step; see installers/linux/*-scripts.sh. */
  steps: { configure: string; stop: string; removed: string; purge: string };
}

export const MAINTAINER = 'Edict maintainers <edict@example.com>';
export const LICENSE = 'Proprietary';

/** Where systemd units go: /lib/systemd/system for dpkg (found by deb-systemd-helper on every
 * Debian/Ubuntu, usr-merged or not), /usr/lib/systemd/system for rpm. Specs use the former. */
export function rpmPath(p: string): string {
  return p.startsWith('/lib/systemd/') ? `/usr${p}` : p;
}

/** Writes the tree under `root` (which must be empty); `map` turns install paths into this format's. */
export function stageTree(spec: PackageSpec, root: string, epoch: number, map: (p: string) => string = (p) => p): void {
  for (const d of spec.dirs) mkdirSync(path.join(root, map(d)), { recursive: true });
  for (const f of spec.files) {
    const dest = path.join(root, map(f.path));
    mkdirSync(path.dirname(dest), { recursive: true });
    if (f.from) copyFileSync(f.from, dest);
    else writeFileSync(dest, f.content ?? '');
    chmodSync(dest, f.mode);
  }
  setTimes(root, epoch);
}

/** Folders 0755, every mtime = epoch (depth first, so setting a child does not move its parent). */
export function setTimes(dir: string, epoch: number): void {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) {
      chmodSync(p, 0o755);
      setTimes(p, epoch);
    } else utimesSync(p, epoch, epoch);
  }
  utimesSync(dir, epoch, epoch);
}
