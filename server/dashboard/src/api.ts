// The dashboard's one way to the server: fetch against /api/v1 with the session cookie (sent by the
// browser, never readable by this code), the CSRF token on every write, and errors turned into
// ApiError with the server's code, message and per-field messages (shown at each form field).
export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
  }
}

let csrf: string | null = null;
export function setCsrf(token: string | null): void {
  csrf = token;
}

/** Fired when the server says the session is gone (signed out elsewhere, expired, token revoked). */
export const SIGNED_OUT_EVENT = 'edict:signed-out';

export type Query = Record<string, string | number | boolean | undefined | null>;

export function qs(q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '' && v !== false) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export async function api<T = any>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-edict-csrf'] = csrf;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}${qs(query)}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', (err as Error).message);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = json?.error ?? {};
    const err = new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? text.slice(0, 200), e.fields ?? []);
    if (res.status === 401 && path !== '/session') window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT, { detail: err.code }));
    throw err;
  }
  return json as T;
}

/** Field path → message, for showing server validation errors at their fields. */
export type FieldErrors = Record<string, string>;

export function fieldErrors(err: unknown): FieldErrors {
  const out: FieldErrors = {};
  if (err instanceof ApiError) for (const f of err.fields) out[f.path] ??= f.message;
  return out;
}

/** The message for a field: its own path, or any path under it (`scope.tags` also shows `scope.tags.2`). */
export function errorAt(errors: FieldErrors, ...paths: string[]): string | undefined {
  for (const p of paths) {
    if (errors[p]) return errors[p];
    const sub = Object.keys(errors).find((k) => k.startsWith(p + '.'));
    if (sub) return `${sub.slice(p.length + 1)}: ${errors[sub]}`;
  }
  return undefined;
}
