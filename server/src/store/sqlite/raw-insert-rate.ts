// The physical floor for ingest, measured by the server benchmark in the same run as the server:
// the rows and indexes of detection_events inserted by one process in 100-row transactions with
// the server's pragmas (WAL, synchronous=FULL), with nothing else going on; event ids are
// time-ordered, as agents make them (shared/src/event-id.ts). Ingest is judged against this rate,
// so the figure tracks the disk and machine the benchmark runs on.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { eventId } from '../../../../shared/src/event-id.js';

const DDL = `
CREATE TABLE detection_events (
  event_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, batch_id TEXT NOT NULL, tool_id TEXT NOT NULL,
  detection_key TEXT NOT NULL, kind TEXT NOT NULL, os_user TEXT NOT NULL, state TEXT NOT NULL,
  evidence TEXT NOT NULL, confidence REAL NOT NULL, observed_at TEXT NOT NULL, received_at TEXT NOT NULL,
  agent_stage TEXT NOT NULL, stage TEXT NOT NULL, policy_id TEXT);
CREATE INDEX detection_events_device ON detection_events(device_id, observed_at);
CREATE INDEX detection_events_tool_stage ON detection_events(tool_id, stage);
CREATE INDEX detection_events_key ON detection_events(device_id, detection_key, observed_at);`;

/** Inserts `rows` detection-event rows in `perTx`-row transactions into a fresh file; returns rows per second. */
export function measureRawInsertRate(file: string, rows = 20_000, perTx = 100, devices = 100): number {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(DDL);
    const ins = db.prepare('INSERT INTO detection_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const evidence = JSON.stringify({ source: 'npm-global', signature: 'npm:@anthropic-ai/claude-code', path: '/home/sim/r1/node_modules/@anthropic-ai/claude-code-0', version: '2.1.197' });
    const txn = db.transaction((base: number) => {
      const now = new Date().toISOString();
      const batch = randomUUID();
      for (let i = 0; i < perTx; i++) {
        const n = base + i;
        const device = `dev_${n % devices}`;
        ins.run(eventId(), device, batch, 'claude-code', `claude-code|installed|sim|/home/sim/p${n}`, 'installed', 'sim', 'present', evidence, 0.95, now, now, 'none', 'none', null);
      }
    });
    const t0 = performance.now();
    for (let done = 0; done < rows; done += perTx) txn(done);
    return rows / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  }
}
