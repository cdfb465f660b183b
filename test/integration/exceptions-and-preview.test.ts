// Ban lifecycle on a real server (port 0, temporary database) with an agent speaking the real
// protocol over WebSocket: staged stage changes recorded at their instants by the node-cron
// boundary scheduler, the impact preview of a draft matching what happens once it is published,
// exceptions granted (exempt) and expiring (back to violating), and employee requests approved
// and denied, each visible in the device's timeline and delivered to the device.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { verifyPart } from '../../shared/src/policy/signing.js';
import { connectRaw, enrollDevice, hello, report, type RawPeer } from '../helpers/raw-agent.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { zoned, zonedMs } from '../helpers/time.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
afterAll(async () => {
  await server?.close();
  cleanupTempDirs();
});
beforeAll(async () => {
  server = await startTestServer();
});

async function device(hostname: string): Promise<{ id: string; peer: RawPeer; publicKey: string }> {
  const token = (await server.api('POST', '/enrollment-tokens', {})).body.token;
  const r = await fetch(`${server.url}/api/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, hostname }) });
  const e = (await r.json()) as { deviceId: string; credential: string; serverPublicKey: string };
  const peer = await connectRaw(server.url, e.credential);
  peer.send(hello());
  await peer.next('welcome');
  return { id: e.deviceId, peer, publicKey: e.serverPublicKey };
}

async function reportClaude(peer: RawPeer, user = 'alice'): Promise<void> {
  const r = report(1);
  r.events[0].detection.user = user;
  const n = peer.received.length;
  peer.send(r);
  await peer.next('ack', n);
}

const stateOf = async (deviceId: string) =>
  (await server.api('GET', '/compliance?toolId=claude-code')).body.items.find((i: any) => i.deviceId === deviceId)?.state ?? 'clear';
const timeline = async (deviceId: string) => (await server.api('GET', `/devices/${deviceId}/timeline?toolId=claude-code`)).body.items as any[];

const BASE = { tools: ['claude-code'], reason: { en: 'Covert collection', 'zh-CN': '隐蔽收集' }, replacements: [{ toolId: 'qoder' }] };

describe('impact preview and stage boundaries', () => {
  test('the preview of a draft matches what happens when it is published, now and at each stage date', async () => {
    const d = await device('preview-host');
    await reportClaude(d.peer);
    const now = Date.now();
    const noticeMs = zonedMs(now + 4000);
    const enforceMs = zonedMs(now + 8000);
    const draft = await server.api('POST', '/policies', {
      ...BASE,
      name: 'staged',
      scope: { devices: [d.id] },
      stages: { notice: zoned(now + 4000), enforce: zoned(now + 8000) },
    });
    expect(draft.status).toBe(201);
    const preview = (await server.api('GET', `/policies/${draft.body.id}/preview`)).body;
    const byLabel = Object.fromEntries(preview.points.map((p: any) => [p.label, p]));
    const predicted = (label: string) => byLabel[label].devices.find((x: any) => x.deviceId === d.id)?.state;
    expect([predicted('now'), predicted('notice'), predicted('enforce')]).toEqual(['clear', 'noticed', 'violating']);
    expect(byLabel.enforce.devices.find((x: any) => x.deviceId === d.id).users).toEqual(['alice']);
    expect(byLabel.notice.at).toBe(new Date(noticeMs).toISOString());

    const n = d.peer.received.length;
    await server.api('POST', `/policies/${draft.body.id}/publish`);
    const pushed = await d.peer.next('policy', n);
    const v = verifyPart(pushed.signed, d.publicKey);
    expect(pushed.part).toBe('policies');
    expect(v.ok && v.part.part === 'policies' && v.part.policies.some((p) => p.id === draft.body.id)).toBe(true);
    expect(await stateOf(d.id)).toBe(predicted('now'));

    await waitFor(async () => (await stateOf(d.id)) === 'violating', 'enforce boundary', 20_000);
    const changes = (await timeline(d.id)).filter((t) => t.kind === 'state');
    expect(changes.map((t) => [t.toState, t.at, t.cause])).toEqual([
      ['noticed', new Date(noticeMs).toISOString(), 'stage-boundary'],
      ['violating', new Date(enforceMs).toISOString(), 'stage-boundary'],
    ]);
    // As-of reports reproduce the history from the timeline.
    const asOf = async (ms: number) => (await server.api('GET', `/compliance?toolId=claude-code&asOf=${new Date(ms).toISOString()}`)).body.items.find((i: any) => i.deviceId === d.id)?.state;
    expect(await asOf(noticeMs - 1)).toBe('clear');
    expect(await asOf(noticeMs + 1)).toBe('noticed');
    expect(await asOf(enforceMs)).toBe('violating');
    d.peer.ws.close();
  }, 60_000);
});

describe('exceptions', () => {
  let d: { id: string; peer: RawPeer; publicKey: string };
  beforeAll(async () => {
    d = await device('exception-host');
    await publishPolicy(server, { ...BASE, name: 'enforced', scope: { devices: [d.id] }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai' } } });
    await reportClaude(d.peer);
    await waitFor(async () => (await stateOf(d.id)) === 'violating', 'violating');
  });
  afterAll(() => d.peer.ws.close());

  test('granted → exempt (and in the device bundle); expired → violating again; both in the timeline', async () => {
    const expiresMs = zonedMs(Date.now() + 4000);
    const n = d.peer.received.length;
    const g = await server.api('POST', '/exceptions', { toolId: 'claude-code', deviceId: d.id, reason: 'migration in progress', expiresAt: new Date(expiresMs).toISOString() });
    expect(g.status).toBe(201);
    expect(await stateOf(d.id)).toBe('exempt');
    const pushed = await d.peer.next('policy', n);
    const v = verifyPart(pushed.signed, d.publicKey);
    expect(pushed.part).toBe('device');
    expect(v.ok && v.part.part === 'device' && v.part.exceptions.map((e) => e.id)).toEqual([g.body.id]);

    await waitFor(async () => (await stateOf(d.id)) === 'violating', 'exception expiry', 20_000);
    const tl = await timeline(d.id);
    const kinds = tl.map((t) => (t.kind === 'state' ? `${t.fromState}->${t.toState}` : t.kind));
    expect(kinds).toEqual(expect.arrayContaining(['exception-granted', 'violating->exempt', 'exception-expired', 'exempt->violating']));
    const back = tl.find((t) => t.kind === 'state' && t.toState === 'violating' && t.fromState === 'exempt');
    expect(back.at).toBe(new Date(expiresMs).toISOString());
    expect(back.cause).toBe('exception-expired');
    expect((await server.api('GET', `/exceptions?deviceId=${d.id}`)).body.items[0].status).toBe('expired');
  }, 40_000);

  test("an employee's request is approved (decision reaches the device) or denied; replays add nothing", async () => {
    const ask = (reason: string) => ({
      type: 'report',
      batchId: randomUUID(),
      events: [{ eventId: randomUUID(), type: 'exception-request', observedAt: new Date().toISOString(), toolId: 'claude-code', user: 'alice', reason }],
    });
    const first = ask('I maintain the Claude Code integration tests');
    let n = d.peer.received.length;
    d.peer.send(first);
    await d.peer.next('ack', n);
    d.peer.send(first); // replay
    const requested = (await server.api('GET', `/exceptions?deviceId=${d.id}&status=requested`)).body.items;
    expect(requested).toHaveLength(1);
    expect(requested[0]).toMatchObject({ user: 'alice', reason: 'I maintain the Claude Code integration tests', requestEvent: first.events[0].eventId });

    n = d.peer.received.length;
    const approved = await server.api('POST', `/exceptions/${requested[0].id}/approve`, { expiresAt: new Date(Date.now() + 3600_000).toISOString(), note: 'until the migration ends' });
    expect(approved.body.status).toBe('granted');
    const decision = await d.peer.next('exception-decision', n);
    expect(decision).toMatchObject({ requestId: first.events[0].eventId, granted: true, note: 'until the migration ends', user: 'alice' });
    expect(await stateOf(d.id)).toBe('exempt');

    const second = ask('please');
    n = d.peer.received.length;
    d.peer.send(second);
    await d.peer.next('ack', n);
    const pending = (await server.api('GET', `/exceptions?deviceId=${d.id}&status=requested`)).body.items[0];
    n = d.peer.received.length;
    await server.api('POST', `/exceptions/${pending.id}/deny`, { note: 'use Qoder' });
    expect(await d.peer.next('exception-decision', n)).toMatchObject({ requestId: second.events[0].eventId, granted: false, note: 'use Qoder' });
    const kinds = (await timeline(d.id)).map((t) => t.kind);
    expect(kinds.filter((k) => k === 'exception-requested')).toHaveLength(2);
    expect(kinds).toEqual(expect.arrayContaining(['exception-granted', 'exception-denied']));
    // Helpdesk may decide, auditors may not.
    const auditor = (await server.store.tokens.createApiToken('auditor', 'a')).token;
    expect((await server.api('POST', `/exceptions/${pending.id}/deny`, {}, auditor)).body.error.code).toBe('EDICT_ERR_FORBIDDEN');
  }, 30_000);

  test('an acknowledgement in the notice stage moves noticed → acknowledged', async () => {
    const e = await device('ack-host');
    await publishPolicy(server, { ...BASE, name: 'noticed', scope: { devices: [e.id] }, stages: { enforce: { at: '2099-01-01T00:00', timeZone: 'UTC' } } });
    await reportClaude(e.peer, 'bob');
    await waitFor(async () => (await stateOf(e.id)) === 'noticed', 'noticed');
    const n = e.peer.received.length;
    e.peer.send({ type: 'report', batchId: randomUUID(), events: [{ eventId: randomUUID(), type: 'acknowledgement', observedAt: new Date().toISOString(), toolId: 'claude-code', user: 'bob', stage: 'notice' }] });
    await e.peer.next('ack', n);
    expect(await stateOf(e.id)).toBe('acknowledged');
    const tl = await timeline(e.id);
    expect(tl.map((t) => t.kind)).toEqual(expect.arrayContaining(['acknowledged']));
    expect(tl.find((t) => t.toState === 'acknowledged').cause).toBe('acknowledged');
    e.peer.ws.close();
  });
});
