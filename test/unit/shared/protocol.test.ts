// The protocol schemas: every message round-trips, and every kind of bad input becomes an
// EdictError with the right code.
import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { EdictError } from '../../../shared/src/errors.js';
import { parseAgentMessage, parseServerMessage, PROTOCOL_VERSION } from '../../../shared/src/protocol/index.js';
import { hello, report } from '../../helpers/raw-agent.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof EdictError ? err.code : 'not an EdictError';
  }
  return undefined;
}

describe('agent → server', () => {
  test('valid hello, report and heartbeat parse unchanged', () => {
    const msgs = [hello(), report(2), { type: 'heartbeat', sentAt: new Date().toISOString(), health: { outboxPending: 0, lastScanAt: null, uptimeSec: 5, collectorErrors: [{ collector: 'python-package', code: 'EACCES', message: 'permission denied', count: 1, since: new Date().toISOString() }] } }];
    for (const m of msgs) expect(parseAgentMessage(JSON.stringify(m))).toEqual(m);
  });
  test.each([
    ['not JSON', '{', 'EDICT_ERR_MALFORMED_JSON'],
    ['an array', '[]', 'EDICT_ERR_INVALID_MESSAGE'],
    ['null', 'null', 'EDICT_ERR_INVALID_MESSAGE'],
    ['no type', '{"a":1}', 'EDICT_ERR_INVALID_MESSAGE'],
    ['unknown type', '{"type":"shell"}', 'EDICT_ERR_UNKNOWN_MESSAGE_TYPE'],
    ['a server-only type from an agent', JSON.stringify({ type: 'ack', batchId: randomUUID(), accepted: 1, duplicates: 0 }), 'EDICT_ERR_UNKNOWN_MESSAGE_TYPE'],
    ['prototype key as type', '{"type":"constructor"}', 'EDICT_ERR_UNKNOWN_MESSAGE_TYPE'],
    ['hello without version', JSON.stringify({ ...hello(), protocolVersion: undefined }), 'EDICT_ERR_INVALID_MESSAGE'],
    ['report with no events', JSON.stringify({ ...report(1), events: [] }), 'EDICT_ERR_INVALID_MESSAGE'],
    ['report with 501 events', JSON.stringify(report(501)), 'EDICT_ERR_INVALID_MESSAGE'],
    ['event id not a uuid', JSON.stringify({ ...report(1), events: [{ ...report(1).events[0], eventId: 'x' }] }), 'EDICT_ERR_INVALID_MESSAGE'],
    ['confidence above 1', JSON.stringify({ ...report(1), events: [{ ...report(1).events[0], detection: { ...report(1).events[0].detection, confidence: 2 } }] }), 'EDICT_ERR_INVALID_MESSAGE'],
    ['an undocumented evidence field', JSON.stringify({ ...report(1), events: [{ ...report(1).events[0], detection: { ...report(1).events[0].detection, evidence: { source: 's', signature: 's', env: 'HOME=/x' } } }] }), 'EDICT_ERR_INVALID_MESSAGE'],
  ])('%s → %s', (_label, raw, code) => {
    expect(codeOf(() => parseAgentMessage(raw))).toBe(code);
  });
  test('the error names the bad field', () => {
    try {
      parseAgentMessage(JSON.stringify({ ...hello(), device: { ...(hello().device as object), platform: 'amiga' } }));
    } catch (err) {
      expect((err as EdictError).detail).toContain('device.platform');
    }
    expect.assertions(1);
  });
});

describe('server → agent', () => {
  test('welcome, ack and error parse; an agent message does not', () => {
    const welcome = { type: 'welcome', protocolVersion: PROTOCOL_VERSION, deviceId: 'dev_1', serverTime: new Date().toISOString(), heartbeatIntervalMs: 30000 };
    expect(parseServerMessage(JSON.stringify(welcome))).toEqual(welcome);
    const err = { type: 'error', code: 'EDICT_ERR_RATE_LIMITED', message: 'slow down' };
    expect(parseServerMessage(JSON.stringify(err))).toEqual(err);
    expect(codeOf(() => parseServerMessage(JSON.stringify(hello())))).toBe('EDICT_ERR_UNKNOWN_MESSAGE_TYPE');
  });
  test('a policy message must carry a signed bundle; a bare bundle is refused', () => {
    const bundle = { version: 2, issuedAt: new Date().toISOString(), device: { id: 'd', tags: [] }, catalog: [], policies: [], exceptions: [] };
    expect(codeOf(() => parseServerMessage(JSON.stringify({ type: 'policy', bundle })))).toBe('EDICT_ERR_INVALID_MESSAGE');
    expect(codeOf(() => parseServerMessage(JSON.stringify({ type: 'policy', signed: { bundleJson: JSON.stringify(bundle), keyId: 'k' } })))).toBe('EDICT_ERR_INVALID_MESSAGE');
  });
});
