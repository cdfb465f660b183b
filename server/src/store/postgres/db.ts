// The query helper every PostgreSQL repository uses: native SQL with $n parameters, run on the
// transaction of the caller's async context when there is one (Store.tx), else on the pool.
// Statements are prepared once per connection (postgres.js caches them by text).
import type { AnySql } from './connection.js';

type Param = string | number | boolean | null | undefined;

export class Db {
  constructor(private readonly current: () => AnySql) {}

  get sql(): AnySql {
    return this.current();
  }

  async all<T>(text: string, args: readonly Param[] = []): Promise<T[]> {
    return (await this.current().unsafe(text, args.map((a) => (a === undefined ? null : a)) as never[], { prepare: true })) as unknown as T[];
  }

  async one<T>(text: string, args: readonly Param[] = []): Promise<T | undefined> {
    return (await this.all<T>(text, args))[0];
  }

  /** The first column of the first row. */
  async value<T>(text: string, args: readonly Param[] = []): Promise<T | undefined> {
    const row = await this.one<Record<string, unknown>>(text, args);
    return row ? (Object.values(row)[0] as T) : undefined;
  }

  /** Runs a write; returns how many rows it touched. */
  async run(text: string, args: readonly Param[] = []): Promise<number> {
    const r = (await this.current().unsafe(text, args.map((a) => (a === undefined ? null : a)) as never[], { prepare: true })) as unknown as { count: number };
    return r.count ?? 0;
  }
}
