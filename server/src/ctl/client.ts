// A small typed client for the REST admin API, used by edictctl (and handy in tests).
import { API_PREFIX } from '../../../shared/src/constants.js';
import { EdictError, ERRORS, isErrorCode } from '../../../shared/src/errors.js';

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      throw new EdictError('EDICT_ERR_MALFORMED_JSON', `server answered ${res.status} with non-JSON`);
    }
    if (!res.ok) throw this.errorOf(res.status, data);
    return data as T;
  }

  /** A GET whose answer is a file (CSV, HTML, a zip): its bytes, or the API's error. */
  async download(path: string): Promise<Buffer> {
    const res = await this.send('GET', path);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (!res.ok) {
      let data: unknown;
      try {
        data = JSON.parse(bytes.toString('utf8'));
      } catch {
        data = undefined;
      }
      throw this.errorOf(res.status, data);
    }
    return bytes;
  }

  private errorOf(status: number, data: unknown): EdictError {
    const e = (data as { error?: { code?: string; message?: string } })?.error;
    const code = e?.code && isErrorCode(e.code) ? e.code : 'EDICT_ERR_INTERNAL';
    // The server's message already starts with the catalogue text; keep only the detail after it.
    const base = ERRORS[code].message;
    const detail = e?.message === base ? undefined : e?.message?.startsWith(`${base}: `) ? e.message.slice(base.length + 2) : (e?.message ?? `HTTP ${status}`);
    return new EdictError(code, detail);
  }

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
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
    return res;
  }
}
