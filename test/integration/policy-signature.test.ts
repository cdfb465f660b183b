// Signed policy parts, against a real agent. The agent pins the server's key at enrollment and
// refuses a part edited on disk, a forged policy message (another key), an altered one (bytes
// changed under a genuine signature), a replayed older version, a device part made for another
// device and a message whose signed text holds another part — keeping the policy in force each time
// and saying why in `status`.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { createPrivateKey } from 'node:crypto';
import { signPart } from '../../shared/src/policy/signing.js';
import { PROTOCOL_VERSION } from '../../shared/src/protocol/version.js';
import { agentJson, enrollAgent, runAgent, type AgentProcess, type AgentSetup } from '../helpers/agent.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
let setup: AgentSetup;
let agent: AgentProcess | undefined;
const BAN = (name: string) => ({ name, tools: ['claude-code'], reason: { en: 'r' }, stages: { enforce: { at: '2030-01-01T00:00', timeZone: 'UTC' } } });
const files = () => ({
  current: path.join(setup.stateDir, 'policy-policies.json'),
  previous: path.join(setup.stateDir, 'policy-policies.prev.json'),
  device: path.join(setup.stateDir, 'policy-device.json'),
  enrollment: path.join(setup.stateDir, 'enrollment.json'),
});

beforeAll(async () => {
  server = await startTestServer();
  setup = await enrollAgent(server.url, server.adminToken);
  agent = runAgent(setup);
  await publishPolicy(server, BAN('first'));
  await waitFor(async () => (await agentJson(setup, 'status')).policy?.bans.length === 1, 'first policy');
  await publishPolicy(server, BAN('second'));
  await waitFor(async () => (await agentJson(setup, 'status')).policy?.bans.length === 2, 'second policy');
  await agent.stop();
  agent = undefined;
});
afterAll(async () => {
  await agent?.stop();
  await server?.close();
  cleanupTempDirs();
});

function pointAgentAt(url: string): void {
  const e = JSON.parse(readFileSync(files().enrollment, 'utf8'));
  writeFileSync(files().enrollment, JSON.stringify({ ...e, serverUrl: url }));
}

test('a part edited on disk is refused; the previous good one stays in force', async () => {
  const good = readFileSync(files().current, 'utf8');
  const signed = JSON.parse(good);
  const held = JSON.parse(signed.bundleJson);
  // Someone moves the ban's date a year out, keeping the signature.
  writeFileSync(files().current, JSON.stringify({ ...signed, bundleJson: signed.bundleJson.replace('2030-01-01', '2031-01-01') }));
  try {
    const s = await agentJson(setup, 'status');
    expect(s.policyRefusals.map((r: any) => r.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/altered or forged/)]));
    // In force now: the previous good part (policy-policies.prev.json), not the edited one.
    const previous = JSON.parse(JSON.parse(readFileSync(files().previous, 'utf8')).bundleJson);
    expect(previous.version).toBeLessThan(held.version);
    expect(s.policy.version).toBe(previous.version);
    expect(s.policy.bans.map((b: any) => b.effective)).not.toContain('2031-01-01T00:00 UTC');
    // An unsigned file is refused the same way.
    writeFileSync(files().current, signed.bundleJson);
    expect((await agentJson(setup, 'status')).policyRefusals.map((r: any) => r.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/not a signed policy part/)]));
  } finally {
    writeFileSync(files().current, good);
  }
  expect((await agentJson(setup, 'status')).policy.version).toBe(held.version);
});

test('forged, altered, replayed, misaddressed and mislabelled policy messages are refused; the policy in force stays', async () => {
  const current = JSON.parse(readFileSync(files().current, 'utf8'));
  const older = JSON.parse(readFileSync(files().previous, 'utf8'));
  const held = JSON.parse(current.bundleJson);
  const heldDevice = JSON.parse(JSON.parse(readFileSync(files().device, 'utf8')).bundleJson);
  const rogueKey = generateKeyPairSync('ed25519');
  const forged = signPart({ ...held, version: held.version + 5, policies: [] }, rogueKey.privateKey, rogueKey.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  const altered = { ...current, bundleJson: JSON.stringify({ ...held, version: held.version + 1, policies: [] }) };
  const rogueForgedKeyId = { ...forged, keyId: current.keyId }; // claims the real key id, still a wrong signature
  // Genuinely signed by the server's key, but made for another device.
  const serverKey = createPrivateKey(readFileSync(path.join(server.dataDir, 'signing-key.pem'), 'utf8'));
  const enrollment = JSON.parse(readFileSync(files().enrollment, 'utf8'));
  const otherDevice = signPart({ ...heldDevice, version: heldDevice.version + 1, device: { id: 'dev_someone_else', tags: [] } }, serverKey, enrollment.serverPublicKey);

  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const sentAll = new Promise<void>((resolve) => {
    wss.on('connection', (ws) => {
      ws.once('message', () => {
        ws.send(JSON.stringify({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, deviceId: heldDevice.device.id, serverTime: new Date().toISOString(), heartbeatIntervalMs: 30000 }));
        for (const signed of [forged, rogueForgedKeyId, altered, older]) ws.send(JSON.stringify({ type: 'policy', part: 'policies', signed }));
        ws.send(JSON.stringify({ type: 'policy', part: 'device', signed: otherDevice }));
        ws.send(JSON.stringify({ type: 'policy', part: 'catalog', signed: current })); // a policies part sent as the catalog
        resolve();
      });
    });
  });
  pointAgentAt(`http://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  agent = runAgent(setup);
  try {
    await sentAll;
    const s = await waitFor(async () => {
      const st = await agentJson(setup, 'status');
      return st.policyRefusals.length >= 6 ? st : undefined;
    }, 'six refusals');
    const reasons = s.policyRefusals.map((r: any) => r.reason);
    expect(reasons).toEqual([
      expect.stringMatching(/unknown key/),
      expect.stringMatching(/altered or forged/),
      expect.stringMatching(/altered or forged/),
      expect.stringMatching(new RegExp(`version ${held.version - 1} is older than the held version ${held.version}`)),
      expect.stringMatching(/made for device dev_someone_else/),
      expect.stringMatching(/signed text holds the policies part/),
    ]);
    expect(s.policy.version).toBe(held.version);
    expect(s.policy.bans.map((b: any) => b.name)).toEqual(['first', 'second']);
    expect(readFileSync(files().current, 'utf8')).toBe(JSON.stringify(current, null, 2) + '\n');
    expect(agent.output()).toMatch(/policy part refused/);
  } finally {
    await agent.stop();
    agent = undefined;
    wss.close();
    pointAgentAt(server.url);
  }
});
