// The REST admin API on a real server (port 0, temporary database): authentication and roles,
// enrollment tokens (expiry, revocation, use count), validation errors that name every field,
// malformed and oversized bodies, policy creation, OpenAPI. Bad requests change nothing.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { PROTOCOL_VERSION } from '../../../shared/src/protocol/version.js';
import { api, startTestServer, type TestServer } from '../../helpers/server.js';
import { cleanupTempDirs } from '../../helpers/tmp.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  cleanupTempDirs();
});

const SPEC = {
  name: 'Claude Code ban',
  tools: ['claude-code'],
  reason: { en: 'Covert collection', 'zh-CN': '隐蔽收集' },
  stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai' } },
  replacements: [{ toolId: 'qoder', installUrl: 'https://qoder.com' }],
};

describe('authentication and roles', () => {
  test('no token → 401 UNAUTHENTICATED; unknown token → 401 BAD_CREDENTIAL', async () => {
    expect(await api(server.url, undefined, 'GET', '/devices')).toMatchObject({ status: 401, body: { error: { code: 'EDICT_ERR_UNAUTHENTICATED' } } });
    expect(await api(server.url, 'edict_adm_nope', 'GET', '/devices')).toMatchObject({ status: 401, body: { error: { code: 'EDICT_ERR_BAD_CREDENTIAL' } } });
  });
  test('an auditor reads but may not create policies', async () => {
    const auditor = (await server.store.tokens.createApiToken('auditor', 'audit-team')).token;
    expect((await api(server.url, auditor, 'GET', '/policies')).status).toBe(200);
    expect(await api(server.url, auditor, 'POST', '/policies', SPEC)).toMatchObject({ status: 403, body: { error: { code: 'EDICT_ERR_FORBIDDEN' } } });
  });
  test('a device credential is not an API token', async () => {
    const token = (await server.api('POST', '/enrollment-tokens', {})).body.token;
    const dev = (await api(server.url, undefined, 'POST', '/enroll', { token, hostname: 'h' })).body;
    expect((await api(server.url, dev.credential, 'GET', '/devices')).status).toBe(401);
  });
  test('health needs no token', async () => {
    expect((await api(server.url, undefined, 'GET', '/health')).body).toMatchObject({ ok: true, protocolVersion: PROTOCOL_VERSION });
  });
});

describe('API tokens', () => {
  test('created with a role, shown once, stored hashed, listed with last use; the last admin token cannot be revoked', async () => {
    const created = await server.api('POST', '/tokens', { role: 'helpdesk', name: 'helpdesk-wang', expiresAt: '2099-01-01T00:00 Asia/Shanghai' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ role: 'helpdesk', name: 'helpdesk-wang', token: expect.stringMatching(/^edict_hlp_/), expiresAt: '2098-12-31T16:00:00.000Z' });
    const stored = (await server.sql.value('SELECT token_hash FROM api_tokens WHERE id = ?', created.body.id)) as string;
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect((await api(server.url, created.body.token, 'GET', '/devices')).status).toBe(200);
    const list = (await server.api('GET', '/tokens')).body.items;
    expect(JSON.stringify(list)).not.toContain(created.body.token);
    expect(list.find((t: any) => t.id === created.body.id)).toMatchObject({ state: 'active', createdBy: 'admin:initial', lastUsedAt: expect.any(String) });
    const initial = list.find((t: any) => t.name === 'initial');
    expect(initial).toMatchObject({ role: 'admin', state: 'active' });
    // The initial admin token is the only admin: it cannot be revoked...
    expect((await server.api('DELETE', `/tokens/${initial.id}`)).body.error.code).toBe('EDICT_ERR_LAST_ADMIN_TOKEN');
    // ...until there is another one.
    const second = (await server.api('POST', '/tokens', { role: 'admin', name: 'second-admin' })).body;
    expect((await server.api('DELETE', `/tokens/${created.body.id}`, undefined, second.token)).status).toBe(204);
    expect((await api(server.url, created.body.token, 'GET', '/devices')).body.error.code).toBe('EDICT_ERR_TOKEN_REVOKED');
    const audit = (await server.api('GET', '/audit?limit=1000')).body.items.filter((e: any) => e.action.startsWith('api-token.'));
    expect(audit.map((e: any) => [e.actor, e.action, e.detail.name])).toEqual(
      expect.arrayContaining([
        ['admin:initial', 'api-token.create', 'helpdesk-wang'],
        ['admin:second-admin', 'api-token.revoke', 'helpdesk-wang'],
      ]),
    );
    await server.api('DELETE', `/tokens/${second.id}`);
  });
  test('bad token requests: unknown role, a bare-date expiry, a past expiry, an unknown id — each one clear error', async () => {
    expect((await server.api('POST', '/tokens', { role: 'root', name: 'x' })).body.error).toMatchObject({ code: 'EDICT_ERR_VALIDATION', message: expect.stringMatching(/role/) });
    expect((await server.api('POST', '/tokens', { role: 'auditor', name: 'x', expiresAt: '2099-01-01' })).body.error.message).toMatch(/bare date/);
    expect((await server.api('POST', '/tokens', { role: 'auditor', name: 'x', expiresAt: '2000-01-01T00:00:00Z' })).body.error.message).toMatch(/future/);
    expect((await server.api('DELETE', '/tokens/tok_nope')).body.error.code).toBe('EDICT_ERR_NOT_FOUND');
  });
});

describe('enrollment', () => {
  test('devices enrolled with a tagged token start with its tags, recorded in their tag history', async () => {
    const t = (await server.api('POST', '/enrollment-tokens', { label: 'mdm profile', tags: ['eng', 'shanghai', 'eng'] })).body;
    expect(t.tags).toEqual(['eng', 'shanghai']);
    const d = (await api(server.url, undefined, 'POST', '/enroll', { token: t.token, hostname: 'tagged-1' })).body;
    const shown = (await server.api('GET', `/devices/${d.deviceId}`)).body;
    expect(shown.tags).toEqual(['eng', 'shanghai']);
    expect(shown.tagHistory).toEqual([expect.objectContaining({ tags: ['eng', 'shanghai'], cause: 'enrolled' })]);
    await server.api('PUT', `/devices/${d.deviceId}/tags`, { tags: ['ops'] });
    const later = (await server.api('GET', `/devices/${d.deviceId}`)).body.tagHistory;
    expect(later.map((h: any) => [h.tags, h.cause])).toEqual([[['eng', 'shanghai'], 'enrolled'], [['ops'], 'admin:initial']]);
    const bad = await server.api('POST', '/enrollment-tokens', { tags: ['', 'x'.repeat(65)] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/tags\.0.*tags\.1/);
  });

  test('a token is single-shown, stored hashed, and trades for a device credential', async () => {
    const created = await server.api('POST', '/enrollment-tokens', { label: 'wave 1', maxUses: 2 });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^edict_enr_/);
    const stored = (await server.sql.value('SELECT token_hash FROM enrollment_tokens WHERE id = ?', created.body.id)) as string;
    expect(stored).not.toContain(created.body.token);
    expect(JSON.stringify((await server.api('GET', '/enrollment-tokens')).body)).not.toContain(created.body.token);
    const r = await api(server.url, undefined, 'POST', '/enroll', { token: created.body.token, hostname: 'laptop-1' });
    expect(r.status).toBe(201);
    expect(r.body.credential).toMatch(/^edict_dev_/);
    const devCred = (await server.sql.value('SELECT credential_hash FROM devices WHERE id = ?', r.body.deviceId)) as string;
    expect(devCred).toMatch(/^[0-9a-f]{64}$/);
  });
  test('a used-up, revoked, expired or unknown token is refused and creates no device', async () => {
    const devices = () => server.sql.value('SELECT count(*) FROM devices');
    const once = (await server.api('POST', '/enrollment-tokens', { maxUses: 1 })).body;
    expect((await api(server.url, undefined, 'POST', '/enroll', { token: once.token, hostname: 'a' })).status).toBe(201);
    const before = await devices();
    expect((await api(server.url, undefined, 'POST', '/enroll', { token: once.token, hostname: 'b' })).body.error.code).toBe('EDICT_ERR_ENROLLMENT_TOKEN_INVALID');
    const revoked = (await server.api('POST', '/enrollment-tokens', {})).body;
    expect((await server.api('DELETE', `/enrollment-tokens/${revoked.id}`)).status).toBe(204);
    expect((await api(server.url, undefined, 'POST', '/enroll', { token: revoked.token, hostname: 'c' })).body.error.code).toBe('EDICT_ERR_ENROLLMENT_TOKEN_INVALID');
    const expired = (await server.api('POST', '/enrollment-tokens', { ttlHours: 1 })).body;
    await server.sql.run('UPDATE enrollment_tokens SET expires_at = ? WHERE id = ?', '2000-01-01T00:00:00.000Z', expired.id);
    expect(await api(server.url, undefined, 'POST', '/enroll', { token: expired.token, hostname: 'd' })).toMatchObject({ status: 401, body: { error: { code: 'EDICT_ERR_ENROLLMENT_TOKEN_EXPIRED' } } });
    expect((await api(server.url, undefined, 'POST', '/enroll', { token: 'edict_enr_unknown', hostname: 'e' })).body.error.code).toBe('EDICT_ERR_ENROLLMENT_TOKEN_INVALID');
    expect(await devices()).toBe(before);
  });
});

describe('policies', () => {
  test('a draft changes nothing for agents; publishing freezes version 1 with resolved instants and moves the policies part version', async () => {
    const v0 = (await server.api('GET', '/policies')).body.policiesVersion;
    const r = await server.api('POST', '/policies', SPEC);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'draft', latestVersion: null, published: null, draft: { name: SPEC.name } });
    expect((await server.api('GET', '/policies')).body.policiesVersion).toBe(v0);
    const pub = await server.api('POST', `/policies/${r.body.id}/publish`);
    expect(pub.status).toBe(200);
    expect(pub.body).toMatchObject({ id: r.body.id, version: 1, instants: { enforce: '2026-07-09T16:00:00.000Z' } });
    const list = (await server.api('GET', '/policies')).body;
    expect(list.policiesVersion).toBe(v0 + 1);
    expect(list.items.find((p: any) => p.id === r.body.id)).toMatchObject({ status: 'published', latestVersion: 1 });
    const shown = (await server.api('GET', `/policies/${r.body.id}`)).body;
    expect(shown.versions.map((v: any) => v.version)).toEqual([1]);
    expect((await server.api('GET', '/audit/verify')).body.ok).toBe(true);
  });
  test('every bad field is named; nothing is created', async () => {
    const before = (await server.api('GET', '/policies')).body.items.length;
    const r = await server.api('POST', '/policies', { ...SPEC, tools: [], stages: { enforce: { at: 'tomorrow', timeZone: 'Mars/Base' } }, extra: 1 });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('EDICT_ERR_VALIDATION');
    for (const field of ['tools', 'stages.enforce.at', 'stages.enforce.timeZone', 'extra']) expect(r.body.error.message).toContain(field);
    expect((await server.api('GET', '/policies')).body.items.length).toBe(before);
  });
  test('an unknown tool or replacement → 422 UNKNOWN_TOOL', async () => {
    const r = await server.api('POST', '/policies', { ...SPEC, replacements: [{ toolId: 'not-a-tool' }] });
    expect(r).toMatchObject({ status: 422, body: { error: { code: 'EDICT_ERR_UNKNOWN_TOOL' } } });
  });
  test('malformed JSON → 400 MALFORMED_JSON; oversized body → 413 FRAME_TOO_LARGE', async () => {
    expect((await server.api('POST', '/policies', '{"name": ')).body.error.code).toBe('EDICT_ERR_MALFORMED_JSON');
    const huge = JSON.stringify({ ...SPEC, name: 'x'.repeat(300 * 1024) });
    expect(await server.api('POST', '/policies', huge)).toMatchObject({ status: 413, body: { error: { code: 'EDICT_ERR_FRAME_TOO_LARGE' } } });
  });
});

test('unknown route → 404 NOT_FOUND; OpenAPI lists the routes with the policy schema', async () => {
  expect((await server.api('GET', '/nope')).body.error.code).toBe('EDICT_ERR_NOT_FOUND');
  const doc = (await api(server.url, undefined, 'GET', '/openapi.json')).body;
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/policies', '/devices', '/enroll', '/detections', '/violations']));
  expect(doc.paths['/policies'].post.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['name', 'tools', 'stages']));
});
