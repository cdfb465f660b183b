// Cursor paging, the same for every list: `limit` (default 100, at most 1,000) and `cursor` (opaque,
// from the previous page's `next`) in the query; `{ items, next }` in the answer, `next` null on the
// last page. A cursor is the sort key of the last row, so a page costs one indexed range read
// however deep it is, and rows added meanwhile never shift a page.
import { z } from 'zod';
import { EdictError } from '../../../shared/src/errors.js';
import { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT } from '../constants.js';

export const PageParams = {
  limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).default(LIST_DEFAULT_LIMIT),
  cursor: z.string().min(1).max(4000).optional(),
};

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The sort key a cursor carries; a cursor this API did not make is a validation error. */
export function decodeCursor<K extends (string | number)[]>(cursor: string | undefined, arity: number): K | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== arity || !key.every((k) => typeof k === 'string' || typeof k === 'number')) {
    throw new EdictError('EDICT_ERR_VALIDATION', 'cursor: not a cursor from this list (pass the `next` of the previous page)');
  }
  return key as K;
}

export function page<T>(items: T[], limit: number, keyOf: (last: T) => (string | number)[]): { items: T[]; next: string | null } {
  return { items, next: items.length === limit && items.length ? encodeCursor(keyOf(items[items.length - 1])) : null };
}

/** Pages a small list kept in memory (policies, tokens, the catalog) the same way, by a string key. */
export function pageInMemory<T>(all: T[], q: { limit: number; cursor?: string }, keyOf: (t: T) => string): { items: T[]; next: string | null } {
  const after = decodeCursor<[string]>(q.cursor, 1)?.[0];
  const sorted = [...all].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const items = sorted.filter((t) => after === undefined || keyOf(t) > after).slice(0, q.limit);
  return page(items, q.limit, (t) => [keyOf(t)]);
}
