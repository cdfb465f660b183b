// Jest global teardown: stops the throw-away PostgreSQL cluster test/pg-global-setup.js started.
export default async function teardown() {
  globalThis.__edictPgCluster?.stop();
}
