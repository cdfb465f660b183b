// Regression: `edict-agent enroll` on a state folder that was already enrolled silently replaced
// the device's credential (a second device on the server, the first one orphaned). Now it refuses
// and names the device it would replace, unless --force is given.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { enrollAgent } from '../helpers/agent.js';
import { AGENT_CLI } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  cleanupTempDirs();
});

test('enroll on an enrolled folder refuses and names the device; --force replaces it', async () => {
  const setup = await enrollAgent(server.url, server.adminToken);
  const file = path.join(setup.stateDir, 'enrollment.json');
  const before = readFileSync(file, 'utf8');
  const token = (await server.api('POST', '/enrollment-tokens', { label: 'second', maxUses: 1 })).body.token as string;
  const enroll = (...extra: string[]) =>
    promisify(execFile)(process.execPath, [AGENT_CLI, '--state-dir', setup.stateDir, 'enroll', '--server', server.url, '--token', token, ...extra]).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
  const refused = await enroll();
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(new RegExp(`EDICT_ERR_ALREADY_ENROLLED: .* is enrolled as device ${setup.deviceId} with ${server.url.replace(/[.:/]/g, '\\$&')} since .*; use --force to replace it`));
  expect(readFileSync(file, 'utf8')).toBe(before);
  expect((await server.api('GET', '/devices')).body.items).toHaveLength(1); // the token was not spent

  const forced = await enroll('--force');
  expect(forced.code).toBe(0);
  expect(forced.stdout).toContain(`replaced the enrollment of device ${setup.deviceId}`);
  const newId = /enrolled as (\S+)/.exec(forced.stdout)![1];
  expect(newId).not.toBe(setup.deviceId);
  expect(JSON.parse(readFileSync(file, 'utf8')).deviceId).toBe(newId);
});
