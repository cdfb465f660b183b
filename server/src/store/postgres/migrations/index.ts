// Ordered list of PostgreSQL migrations. Append new ones at the end; never reorder or edit landed ones.
import * as initial from './20261201T0900-initial.js';
import * as auditors from './20261201T0910-auditors.js';
import * as dashboard from './20261201T0920-dashboard.js';
import * as eventDeviceCheck from './20261201T0930-event-device-check.js';

export interface Migration {
  id: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [initial, auditors, dashboard, eventDeviceCheck];
