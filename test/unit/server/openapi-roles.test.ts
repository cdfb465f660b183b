// The role table holds everywhere: every operation of the OpenAPI document is called by every kind
// of caller (no token, admin, auditor, helpdesk, an expired token, a revoked token, a device
// credential, and a dashboard session of each role, with and without its CSRF token) against a
// real server, and answers as documented: the roles it declares get through
// (whatever the answer to the made-up ids and bodies), the others get 403, and bad credentials get
// their own 401 code. Every route the server registers is in the document, and docs/roles.md says
// the same as the table the routes enforce.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REGISTERED_ROUTES } from '../../../server/src/api/index.js';
import { OPERATIONS } from '../../../server/src/api/operations.js';
import { ROOT } from '../../helpers/paths.js';
import { enrollDevice } from '../../helpers/raw-agent.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { cleanupTempDirs } from '../../helpers/tmp.js';

let server: TestServer;
const callers: Record<string, string | undefined> = {};
/** Dashboard sessions: the cookie and CSRF token of a session made from a token of that role. */
const sessions: Record<string, { cookie: string; csrf: string }> = {};

async function newSession(token: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const cookie = /^(edict_session=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1];
  return { cookie, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
}

/** One call as a bearer token or a session (cookie, with or without CSRF); an event stream is cut after its headers. */
async function call(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; code?: string }> {
  const headers: Record<string, string> = {};
  const viaSession = who.endsWith('-session') || who.endsWith('-session-no-csrf');
  if (viaSession) {
    const role = who.split('-')[0];
    // Signing out ends the session it is made with: that call gets a session of its own.
    const s = method === 'DELETE' && url === '/session' ? await newSession(callers[role]!) : sessions[role];
    headers.cookie = s.cookie;
    if (!who.endsWith('-no-csrf')) headers['x-edict-csrf'] = s.csrf;
  } else if (callers[who]) headers.authorization = `Bearer ${callers[who]}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const ctrl = new AbortController();
  const res = await fetch(`${server.url}/api/v1${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: ctrl.signal });
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    ctrl.abort();
    return { status: res.status };
  }
  const text = await res.text();
  let code: string | undefined;
  try {
    code = text ? JSON.parse(text)?.error?.code : undefined;
  } catch {
    code = undefined;
  }
  return { status: res.status, code };
}

beforeAll(async () => {
  server = await startTestServer();
  callers.none = undefined;
  callers.admin = server.adminToken;
  for (const role of ['auditor', 'helpdesk'] as const) callers[role] = (await server.api('POST', '/tokens', { role, name: `${role}-walker` })).body.token;
  const expired = (await server.api('POST', '/tokens', { role: 'admin', name: 'expired-one', expiresAt: new Date(Date.now() + 3600_000).toISOString() })).body;
  await server.sql.run('UPDATE api_tokens SET expires_at = ? WHERE id = ?', '2001-01-01T00:00:00.000Z', expired.id);
  callers.expired = expired.token;
  const revoked = (await server.api('POST', '/tokens', { role: 'admin', name: 'revoked-one' })).body;
  expect((await server.api('DELETE', `/tokens/${revoked.id}`)).status).toBe(204);
  callers.revoked = revoked.token;
  callers.device = (await enrollDevice(server.url, server.adminToken, 'walker-device')).credential;
  for (const role of ['admin', 'auditor', 'helpdesk']) sessions[role] = await newSession(callers[role]!);
});
afterAll(async () => {
  await server.close();
  cleanupTempDirs();
});

describe('every operation × every caller', () => {
  const doc = () => server.api('GET', '/openapi.json');

  test('the document declares roles, parameters and responses for every operation', async () => {
    const paths = (await doc()).body.paths as Record<string, Record<string, any>>;
    for (const [p, methods] of Object.entries(paths)) {
      for (const [m, op] of Object.entries(methods)) {
        expect([`${m.toUpperCase()} ${p}`, Array.isArray(op['x-roles'])]).toEqual([`${m.toUpperCase()} ${p}`, true]);
        expect(op.responses.default.description).toMatch(/error/);
        expect(Array.isArray(op.parameters)).toBe(true);
      }
    }
    expect(paths['/compliance'].get.parameters.map((x: any) => x.name)).toEqual(expect.arrayContaining(['asOf', 'toolId', 'limit', 'cursor']));
  });

  test('every registered route is documented, and every documented one is registered', () => {
    expect([...REGISTERED_ROUTES].filter((r) => !(r in OPERATIONS)).sort()).toEqual([]);
    expect(Object.keys(OPERATIONS).filter((k) => !REGISTERED_ROUTES.has(k)).sort()).toEqual([]);
  });

  test('each caller gets the documented answer', async () => {
    const paths = (await doc()).body.paths as Record<string, Record<string, any>>;
    const failures: string[] = [];
    for (const [p, methods] of Object.entries(paths)) {
      for (const [m, op] of Object.entries(methods)) {
        const method = m.toUpperCase();
        const url = p.replace(/\{\w+\}/g, 'x-made-up-id');
        const body = ['POST', 'PUT'].includes(method) ? {} : undefined;
        const roles = op['x-roles'] as string[];
        const open = op.security.length === 0;
        for (const who of [...Object.keys(callers), 'admin-session', 'auditor-session', 'helpdesk-session', 'admin-session-no-csrf', 'auditor-session-no-csrf']) {
          const r = await call(who, method, url, body);
          const code = r.code;
          const role = who.split('-')[0];
          let expected: string;
          if (open) expected = 'passes';
          else if (who === 'none') expected = 'EDICT_ERR_UNAUTHENTICATED';
          else if (who === 'device') expected = 'EDICT_ERR_BAD_CREDENTIAL';
          else if (who === 'expired') expected = 'EDICT_ERR_TOKEN_EXPIRED';
          else if (who === 'revoked') expected = 'EDICT_ERR_TOKEN_REVOKED';
          // A session's write without its CSRF token is refused before anything else is looked at.
          else if (who.endsWith('-no-csrf') && method !== 'GET') expected = 'EDICT_ERR_CSRF';
          else expected = roles.includes(role) ? 'passes' : 'EDICT_ERR_FORBIDDEN';
          const got = r.status === 401 || r.status === 403 ? code : 'passes';
          if (got !== expected) failures.push(`${method} ${url} as ${who}: expected ${expected}, got ${r.status} ${code ?? ''}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);
});

test('docs/roles.md is the table the server enforces', () => {
  const md = readFileSync(path.join(ROOT, 'docs', 'roles.md'), 'utf8');
  for (const [k, op] of Object.entries(OPERATIONS)) {
    const a = op.access as unknown;
    const cell = (r: string) => (Array.isArray(a) ? (a.includes(r) ? 'yes' : '—') : 'yes');
    const line = `| \`${k}\` | ${cell('admin')} | ${cell('auditor')} | ${cell('helpdesk')} | ${a === 'public' ? 'yes' : a === 'enrollment' ? 'with an enrollment token' : '—'} |`;
    expect([k, md.includes(line)]).toEqual([k, true]);
  }
  const documented = [...md.matchAll(/^\| `([A-Z]+ [^`]+)` \|/gm)].map((m) => m[1]);
  expect(documented.filter((k) => !(k in OPERATIONS))).toEqual([]);
});
