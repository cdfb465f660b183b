// The catalog through the real REST API (server on port 0, temporary SQLite): admins add and
// override tools (stored as custom, bundle version bumped, audited) and delete custom ones, which
// brings the built-in entry back. Bad tools are refused with the validation error and change nothing.
import { startTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.close();
});

const custom = {
  displayName: 'Acme Coder',
  vendor: 'Acme',
  category: ['cli-agent'],
  signatures: { npmPackages: ['@acme/coder'], childEnvMarkers: ['ACME_CODER=1'], contentMarkers: [['acme-coder-runtime']] },
};

test('PUT adds a custom tool, bumps the catalog version and audits; DELETE removes it', async () => {
  const v0 = (await s.api('GET', '/health')).body.versions.catalog;
  const put = await s.api('PUT', '/tools/acme-coder', custom);
  expect(put.status).toBe(201);
  expect(put.body).toMatchObject({ source: 'custom', tool: { id: 'acme-coder', signatures: { npmPackages: ['@acme/coder'], executables: [] } } });
  expect(put.body.catalogVersion).toBeGreaterThan(v0);
  const list = await s.api('GET', '/tools');
  expect(list.body.items.map((t: { id: string }) => t.id)).toContain('acme-coder');
  expect((await s.api('GET', '/tools/acme-coder')).body.source).toBe('custom');
  const audit = await s.api('GET', '/audit?limit=1000');
  expect(audit.body.items.map((e: { action: string; subject: string }) => `${e.action}:${e.subject}`)).toContain('tool.create:acme-coder');
  const del = await s.api('DELETE', '/tools/acme-coder');
  expect(del.body).toMatchObject({ id: 'acme-coder', result: 'deleted' });
  expect((await s.api('GET', '/tools/acme-coder')).status).toBe(404);
});

test('overriding a built-in tool, then deleting the override, restores the built-in', async () => {
  const builtin = (await s.api('GET', '/tools/claude-code')).body;
  expect(builtin.source).toBe('builtin');
  const over = await s.api('PUT', '/tools/claude-code', { ...builtin.tool, signatures: { ...builtin.tool.signatures, executables: ['claude', 'cc-renamed'] } });
  expect(over.status).toBe(200);
  expect((await s.api('GET', '/tools/claude-code')).body).toMatchObject({ source: 'custom', tool: { signatures: { executables: ['claude', 'cc-renamed'] } } });
  expect((await s.api('DELETE', '/tools/claude-code')).body.result).toBe('reverted');
  expect((await s.api('GET', '/tools/claude-code')).body).toEqual({ ...builtin, updatedAt: expect.any(String) });
  // a built-in that is not overridden cannot be deleted
  expect((await s.api('DELETE', '/tools/claude-code')).status).toBe(404);
});

test('bad tools are refused and change nothing', async () => {
  const v0 = (await s.api('GET', '/health')).body.versions.catalog;
  const badRegex = await s.api('PUT', '/tools/bad', { ...custom, signatures: { exePathPatterns: ['(unclosed'] } });
  expect(badRegex.status).toBe(400);
  expect(badRegex.body.error.code).toBe('EDICT_ERR_VALIDATION');
  const idMismatch = await s.api('PUT', '/tools/one', { ...custom, id: 'two' });
  expect(idMismatch.status).toBe(400);
  const unknownField = await s.api('PUT', '/tools/x', { ...custom, signatures: { npmPackages: ['a'], notAField: 1 } });
  expect(unknownField.status).toBe(400);
  expect((await s.api('PUT', '/tools/x', custom, 'not-a-token')).status).toBe(401);
  expect((await s.api('GET', '/health')).body.versions.catalog).toBe(v0);
  expect((await s.api('GET', '/tools/bad')).status).toBe(404);
});
