// The physical floor for ingest on PostgreSQL, measured by `npm run bench:server -- --nodes 3` in
// the same run as the cluster: the rows of detection_events, with the same columns and indexes, in a
// scratch table of the same database, inserted by one connection in `perTx`-row transactions
// (postgres.js multi-row VALUES), with nothing else going on. Event ids are time-ordered, as agents
// make them (shared/src/event-id.ts). Ingest is judged against this rate.
import { randomUUID } from 'node:crypto';
import { eventId } from '../../../../shared/src/event-id.js';
import { createSql } from './connection.js';

const DDL = (t: string) => `
CREATE TABLE ${t} (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE, event_id text COLLATE "C" PRIMARY KEY, device_id text COLLATE "C" NOT NULL, batch_id text NOT NULL,
  tool_id text COLLATE "C" NOT NULL, detection_key text COLLATE "C" NOT NULL, kind text NOT NULL, os_user text NOT NULL, state text NOT NULL,
  evidence text NOT NULL, confidence double precision NOT NULL, observed_at timestamptz NOT NULL, received_at timestamptz NOT NULL,
  agent_stage text NOT NULL, stage text NOT NULL, policy_id text);
CREATE INDEX ON ${t}(tool_id, stage);
CREATE INDEX ON ${t}(device_id, detection_key, observed_at);
CREATE INDEX ON ${t}(device_id, tool_id, observed_at);
CREATE INDEX ON ${t}(observed_at, event_id);
CREATE INDEX ON ${t}(device_id, observed_at, event_id);
CREATE INDEX ON ${t}(tool_id, observed_at, event_id);`;

/** Inserts `rows` rows in `perTx`-row transactions into a scratch table; returns rows per second. */
export async function measurePgRawInsertRate(url: string, rows = 20_000, perTx = 100, devices = 100): Promise<number> {
  const sql = createSql({ url, poolSize: 1, applicationName: 'edict raw insert rate' });
  const table = `raw_rate_${process.pid}_${Date.now()}`;
  try {
    await sql.unsafe(DDL(table));
    const evidence = JSON.stringify({ source: 'npm-global', signature: 'npm:@anthropic-ai/claude-code', path: '/home/sim/r1/node_modules/@anthropic-ai/claude-code-0', version: '2.1.197' });
    const t0 = performance.now();
    for (let done = 0; done < rows; done += perTx) {
      const now = new Date().toISOString();
      const batch = randomUUID();
      const chunk = Array.from({ length: perTx }, (_, i) => {
        const n = done + i;
        return {
          event_id: eventId(),
          device_id: `dev_${n % devices}`,
          batch_id: batch,
          tool_id: 'claude-code',
          detection_key: `claude-code|installed|sim|/home/sim/p${n}`,
          kind: 'installed',
          os_user: 'sim',
          state: 'present',
          evidence,
          confidence: 0.95,
          observed_at: now,
          received_at: now,
          agent_stage: 'none',
          stage: 'none',
          policy_id: null,
        };
      });
      await sql.begin((t) => t`INSERT INTO ${t(table)} ${t(chunk)}`);
    }
    return rows / ((performance.now() - t0) / 1000);
  } finally {
    await sql.unsafe(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await sql.end({ timeout: 2 });
  }
}
