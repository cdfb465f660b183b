// Jest global setup: when the suite runs on PostgreSQL (EDICT_TEST_STORE=postgres) and no database
// was given (EDICT_TEST_DATABASE_URL), starts a throw-away cluster (scripts/pg-cluster.ts, built by
// `npm test`'s pretest) for the whole run; test/pg-global-teardown.js stops and removes it.
export default async function setup() {
  if (process.env.EDICT_TEST_STORE !== 'postgres' || process.env.EDICT_TEST_DATABASE_URL) return;
  const { startPgCluster } = await import('../dist/scripts/pg-cluster.js');
  const cluster = await startPgCluster({ maxConnections: 400 });
  globalThis.__edictPgCluster = cluster;
  process.env.EDICT_TEST_DATABASE_URL = cluster.url();
  process.stderr.write(`\nPostgreSQL test cluster on 127.0.0.1:${cluster.port} (${cluster.dir})\n`);
}
