// A small typed client for the REST admin API, used by edictctl (and handy in tests).
import { API_PREFIX } from '../../../shared/src/constants.js';
import { EdictError, ERRORS, isErrorCode } from '../../../shared/src/errors.js';

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    const url = new URL(API_PREFIX + path, this.baseUrl);
    try {
      res = await fetch(url, {
        method,
        headers: {
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      throw new EdictError('EDICT_ERR_SERVER_UNREACHABLE', `${url.origin}: ${String((err as Error).cause ?? (err as Error).message)}`);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      throw new EdictError('EDICT_ERR_MALFORMED_JSON', `server answered ${res.status} with non-JSON`);
    }
    if (!res.ok) {
      const e = (data as { error?: { code?: string; message?: string } })?.error;
      const code = e?.code && isErrorCode(e.code) ? e.code : 'EDICT_ERR_INTERNAL';
      // The server's message already starts with the catalogue text; keep only the detail after it.
      const base = ERRORS[code].message;
      const detail = e?.message === base ? undefined : e?.message?.startsWith(`${base}: `) ? e.message.slice(base.length + 2) : (e?.message ?? `HTTP ${res.status}`);
      throw new EdictError(code, detail);
    }
    return data as T;
  }
}
