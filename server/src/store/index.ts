// The one place a store backend is chosen and constructed (the composition root of the store
// boundary). Services and routes import only ./types.js; the SQLite implementation is imported
// here and nowhere else outside its folder (test/unit/server/architecture.test.ts checks that).
import { SqliteStore } from './sqlite/store.js';
import type { Store } from './types.js';

export type * from './types.js';
export { measureRawInsertRate } from './sqlite/raw-insert-rate.js';
export { flushSeed, seedFleet, SEEDED_BAN_ID, timeDeviceScan, timeFsync } from './sqlite/bench-seed.js';
export { backupDatabase, restoreDatabase } from './sqlite/backup.js';

export interface StoreConfig {
  dataDir: string;
  /** Errors of background work (WAL checkpoints) that no caller is waiting for. */
  onBackgroundError?: (message: string) => void;
}

/** Opens the configured store, applying pending migrations; a bad database is an EDICT_ERR_CONFIG. */
export async function openStore(config: StoreConfig): Promise<Store> {
  return SqliteStore.open(config.dataDir, config.onBackgroundError);
}
