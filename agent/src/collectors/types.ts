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
  collect(ctx: ScanContext): Promise<Detection[]>;
}
