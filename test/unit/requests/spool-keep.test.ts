// Crash safety of the spool: with keepValid a taken request stays on disk until the agent has
// queued its event (removeRequest), and reading it again yields the same request id, which the
// agent uses as the event id, so the server stores it once.
import { afterAll, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { ensureSpool, removeRequest, takeRequests, writeRequest } from '../../../agent/src/requests/spool.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);

test('keepValid leaves the file until removeRequest; a second take returns the same request id', () => {
  const state = tempDir();
  ensureSpool(state);
  writeRequest(state, { kind: 'ack', toolId: 'claude-code' });
  writeRequest(state, { kind: 'exception-request', toolId: 'claude-code', reason: 'integration tests' });
  const first = takeRequests(state, { keepValid: true });
  expect(first).toHaveLength(2);
  for (const t of first) expect(existsSync(t.file)).toBe(true);
  const again = takeRequests(state, { keepValid: true }); // as after a crash before the outbox write
  expect(again.map((t) => t.request.requestId)).toEqual(first.map((t) => t.request.requestId));
  expect(first.every((t) => typeof t.request.requestId === 'string')).toBe(true);
  for (const t of first) removeRequest(t.file);
  expect(takeRequests(state, { keepValid: true })).toEqual([]);
});
