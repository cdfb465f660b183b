// Every collector the agent runs, in order. Adding a source means adding a file and a line here.
import { configDirsCollector } from './config-dirs.js';
import { npmGlobalsCollector } from './npm-globals.js';
import { pathExecutablesCollector } from './path-executables.js';
import { processesCollector } from './processes.js';
import type { Collector } from './types.js';

export type { Collector, ScanContext } from './types.js';

export const COLLECTORS: readonly Collector[] = [npmGlobalsCollector, pathExecutablesCollector, configDirsCollector, processesCollector];
