// Regression: building a compliance report over a large fleet held the event loop from start to
// end (7.8 s for 50,000 devices in the dashboard benchmark): SQLite answers synchronously, so the
// store's promises resolved as microtasks and the chunk loop never let a timer, a socket or an
// agent's frame run; rendering the CSV (about a second) held it too. Each chunk of devices, and of
// CSV rows, now gives the loop a turn. Checked without timing: a setImmediate chain counts the
// turns the loop got while the report was being built. On SQLite whatever the suite's database (its seed and synchronous answers).
import { afterAll, expect, test } from '@jest/globals';
import path from 'node:path';
import { loadSigningKey } from '../../server/src/keys.js';
import { PolicyService } from '../../server/src/policy/service.js';
import { buildComplianceReport } from '../../server/src/reports/compliance-report.js';
import { renderCsv, renderCsvAsync } from '../../server/src/reports/render.js';
import { openStore, seedFleet, SEEDED_BAN_ID } from '../../server/src/store/index.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

test('a fleet-wide report lets the event loop run between chunks of devices', async () => {
  const dir = tempDir('edict-report-loop-');
  seedFleet(path.join(dir, 'edict.db'), { devices: 2_000, events: 4_000, violatingShare: 0.3, banPublishedDaysAgo: 3 });
  const store = await openStore({ kind: 'sqlite', dataDir: dir });
  try {
    const policies = await PolicyService.create(store, loadSigningKey(path.join(dir, 'signing-key.pem'), true));
    const now = new Date().toISOString();
    let turns = 0;
    let building = true;
    const tick = () => {
      if (!building) return;
      turns++;
      setImmediate(tick);
    };
    const report = buildComplianceReport(store, policies, { asOf: now, knownAt: now, asOfGiven: now, knownAtGiven: null, policy: SEEDED_BAN_ID, tool: null, tag: null });
    setImmediate(tick);
    const r = await report.finally(() => (building = false));
    expect(r.rows).toHaveLength(2_000);
    // 2,000 devices are four chunks of 500: the loop got a turn in each.
    expect(turns).toBeGreaterThanOrEqual(4);
    // The CSV is rendered with turns too, to the same bytes.
    turns = 0;
    building = true;
    setImmediate(tick);
    const csv = await renderCsvAsync(r).finally(() => (building = false));
    expect(csv).toBe(renderCsv(r));
    expect(turns).toBeGreaterThanOrEqual(2);
  } finally {
    await store.close();
  }
}, 60_000);
