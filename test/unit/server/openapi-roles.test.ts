// The role table holds everywhere: every operation of the OpenAPI document is called by every kind
// of caller (no token, admin, auditor, helpdesk, an expired token, a revoked token, a device
// credential) against a real server, and answers as documented: the roles it declares get through
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
import { api, startTestServer, type TestServer } from '../../helpers/server.js';
import { cleanupTempDirs } from '../../helpers/tmp.js';

let server: TestServer;
const callers: Record<string, string | undefined> = {};

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
        for (const [who, token] of Object.entries(callers)) {
          const r = await api(server.url, token, method, url, body);
          const code = r.body?.error?.code;
          let expected: string;
          if (open) expected = 'passes';
          else if (who === 'none') expected = 'EDICT_ERR_UNAUTHENTICATED';
          else if (who === 'device') expected = 'EDICT_ERR_BAD_CREDENTIAL';
          else if (who === 'expired') expected = 'EDICT_ERR_TOKEN_EXPIRED';
          else if (who === 'revoked') expected = 'EDICT_ERR_TOKEN_REVOKED';
          else expected = roles.includes(who) ? 'passes' : 'EDICT_ERR_FORBIDDEN';
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
