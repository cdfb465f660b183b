// Ordered list of SQLite migrations. Append new ones at the end; never reorder or edit landed ones.
import * as initial from './20261121T0600-initial.js';
import * as serverCore from './20261130T0300-server-core.js';
import * as rollouts from './20261130T0500-rollouts.js';
import * as auditors from './20261130T0700-auditors.js';
import * as dashboard from './20261201T0900-dashboard.js';

export interface Migration {
  id: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [initial, serverCore, rollouts, auditors, dashboard];
