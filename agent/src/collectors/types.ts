// The one small interface every collector implements. A collector looks at one source (npm
// globals, PATH, processes, config folders...) and returns detections with their evidence.
// Adding a source is adding a file and listing it in collectors/index.ts.
import type { Detection } from '../../../shared/src/protocol/index.js';
import type { Logger } from '../log.js';
import type { CatalogIndex } from '../matcher.js';
import type { Platform, UserHome } from '../platform/index.js';

export interface ScanContext {
  index: CatalogIndex;
  platform: Platform;
  /** Homes to scan: every human user's when running as root, else the agent user's. */
  users: UserHome[];
  /** The agent's PATH entries. */
  pathDirs: string[];
  /** npm prefixes configured by the admin in addition to the ones discovered. */
  extraNpmPrefixes: string[];
  /** The agent's own pid, never reported. */
  selfPid: number;
  log?: Logger;
}

export interface Collector {
  id: string;
  /** inventory: installs and traces on disk; process: what is running now. */
  phase: 'inventory' | 'process';
  /** The `evidence.source` values of its detections (a failed run declares none of them absent). */
  sources: readonly string[];
  /**
   * Returns what it found. A place that is not there is skipped silently; any other error is
   * passed to `tolerate()` (collectors/problems.ts), which marks this run as incomplete.
   */
  collect(ctx: ScanContext): Promise<Detection[]>;
}
