// `edict-server migrate` for PostgreSQL: applies pending migrations under the migration lock.
import { appliedMigrations, checkConnection, createSql, migrate } from './connection.js';

export async function migratePostgres(url: string): Promise<{ ran: string[]; applied: string[] }> {
  const sql = createSql({ url, poolSize: 1, applicationName: 'edict-server migrate' });
  try {
    await checkConnection(sql, url);
    const ran = await migrate(sql);
    return { ran, applied: await appliedMigrations(sql) };
  } finally {
    await sql.end({ timeout: 2 });
  }
}
