// The privacy check itself: it reads docs/privacy.md's tables, accepts real agent messages, flags
// any field the doc does not list (so it can fail), and the doc stays in step with the protocol
// schemas in both directions (every field an agent message can carry is explained; nothing is
// explained that does not exist).
import { describe, expect, test } from '@jest/globals';
import { z } from 'zod';
import { AGENT_MESSAGES } from '../../../shared/src/protocol/index.js';
import { documentedFields, fieldPaths, undocumentedFields } from '../../helpers/privacy.js';

// Verbatim from docs/protocol.md's full example (what `sent.jsonl` holds), plus one event of each newer kind.
const hello = { type: 'hello', protocolVersion: 2, agentVersion: '0.1.0', device: { hostname: 'vm', platform: 'linux', osRelease: 'Debian GNU/Linux 12', arch: 'x64' }, held: { catalog: null, policies: null, device: null }, sentAt: '2026-11-21T05:32:06.642Z' };
const report = {
  type: 'report',
  batchId: '9809405c-cbbf-47e9-84a3-4b743e24fd66',
  events: [
    { eventId: '5c3e9241-85d4-4d8b-83b8-a96b82bb771a', type: 'detection', state: 'present', observedAt: '2026-11-21T05:32:06.653Z', stage: 'enforce', detection: { toolId: 'claude-code', kind: 'installed', user: 'alice', evidence: { source: 'npm-global', signature: 'npm:@anthropic-ai/claude-code', path: '/home/alice/.npm-global/lib/node_modules/@anthropic-ai/claude-code', version: '2.1.197' }, confidence: 0.95 } },
    { eventId: '6c3e9241-85d4-4d8b-83b8-a96b82bb771a', type: 'notice', observedAt: '2026-11-21T05:32:07.000Z', toolId: 'claude-code', user: 'alice', stage: 'notice', reason: 'stage-change', locale: 'zh-CN', channel: 'freedesktop-dbus', delivered: true },
    { eventId: '7c3e9241-85d4-4d8b-83b8-a96b82bb771a', type: 'enforcement', observedAt: '2026-11-21T05:32:08.000Z', toolId: 'claude-code', user: 'alice', pid: 4242, step: 'warned', secondsLeft: 300 },
    { eventId: '8c3e9241-85d4-4d8b-83b8-a96b82bb771a', type: 'exception-request', observedAt: '2026-11-21T05:32:09.000Z', toolId: 'claude-code', user: 'alice', reason: 'migration until 31 July' },
    { eventId: '9c3e9241-85d4-4d8b-83b8-a96b82bb771a', type: 'gap', observedAt: '2026-11-22T05:00:00.000Z', reason: 'outbox-full', dropped: 120, from: '2026-11-21T06:00:00.000Z', to: '2026-11-21T09:00:00.000Z', byType: { detection: 118, notice: 2 }, tools: ['claude-code'] },
  ],
};
const heartbeat = {
  type: 'heartbeat',
  sentAt: '2026-11-21T05:32:36.642Z',
  health: { outboxPending: 0, lastScanAt: null, uptimeSec: 30, collectorErrors: [{ collector: 'python-package', code: 'EACCES', message: "EACCES: permission denied, scandir '/home/alice/.venv/lib'", count: 1, since: '2026-11-21T05:32:30.000Z' }] },
};

describe('documentedFields', () => {
  test('reads the tables of the fields section', () => {
    const doc = documentedFields();
    expect(doc.has('report.events[].detection.evidence.path')).toBe(true);
    expect(doc.has('hello.device.hostname')).toBe(true);
    expect(doc.has('heartbeat.health.uptimeSec')).toBe(true);
    expect(doc.has('report.events[].locale')).toBe(true);
  });

  test('ignores backticks outside the first column and tables outside the section', () => {
    const md = ['# x', '| `outside.before` | a |', '## Every field the agent can send', '| field | a |', '| --- | --- |', '| `a.b` | uses `a.c` |', '| `a.list[].x` | |', 'text `a.d`', '## Never', '| `a.e` | |'].join('\n');
    expect([...documentedFields(md)].sort()).toEqual(['a.b', 'a.list[].x']);
    expect(() => documentedFields('# nothing here')).toThrow(/no "## Every field/);
  });
});

describe('undocumentedFields', () => {
  test('real agent messages pass', () => {
    for (const m of [hello, report, heartbeat]) expect(undocumentedFields(m)).toEqual([]);
  });

  test('fails on an extra field, at any depth, naming its path', () => {
    expect(undocumentedFields({ ...hello, device: { ...hello.device, macAddress: '00:11:22:33:44:55' } })).toEqual(['hello.device.macAddress']);
    const leaky = structuredClone(report);
    (leaky.events[0] as { detection: { evidence: Record<string, unknown> } }).detection.evidence.environ = { HOME: '/home/alice' };
    expect(undocumentedFields(leaky)).toEqual(['report.events[].detection.evidence.environ', 'report.events[].detection.evidence.environ.HOME']);
    expect(undocumentedFields({ ...heartbeat, health: { ...heartbeat.health, processes: [{ name: 'firefox' }] } })).toEqual(['heartbeat.health.processes', 'heartbeat.health.processes[].name']);
  });

  test('an unknown message type is entirely undocumented; a non-message is flagged', () => {
    expect(undocumentedFields({ type: 'telemetry', urls: ['https://example.com'] })).toEqual(['telemetry.type', 'telemetry.urls']);
    expect(undocumentedFields(['not', 'a', 'message'])).toEqual(['(not a message: no string `type`)']);
  });

  test('field paths: lists marked with [], nested lists too', () => {
    expect(fieldPaths({ type: 't', a: [{ b: [[{ c: 1 }]] }] })).toEqual(['t.type', 't.a', 't.a[].b', 't.a[].b[][].c']);
  });
});

// Fields an agent message can carry, from the zod schemas (JSON Schema form), in the doc's path notation.
type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; oneOf?: JsonSchema[] };
function schemaPaths(s: JsonSchema, prefix: string, out = new Set<string>()): Set<string> {
  for (const alt of [s, ...(s.anyOf ?? []), ...(s.oneOf ?? [])]) {
    if (alt !== s) schemaPaths(alt, prefix, out);
    for (const [k, v] of Object.entries(alt.properties ?? {})) {
      const p = `${prefix}.${k}`;
      out.add(p);
      schemaPaths(v, p, out);
      if (v.items) schemaPaths(v.items, `${p}[]`, out);
    }
  }
  return out;
}

describe('docs/privacy.md and the protocol agree', () => {
  const fromSchemas = new Set<string>();
  for (const [type, schema] of Object.entries(AGENT_MESSAGES)) {
    for (const p of schemaPaths(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, type)) fromSchemas.add(p);
  }

  test('every field an agent message can carry is documented', () => {
    // The walk reaches every event kind (a vacuous pass would prove nothing).
    for (const p of ['hello.device.arch', 'heartbeat.health.lastScanAt', 'report.events[].detection.evidence.sha256', 'report.events[].locale', 'report.events[].secondsLeft', 'report.events[].byType.detection', 'heartbeat.health.collectorErrors[].since']) expect(fromSchemas).toContain(p);
    expect([...fromSchemas].filter((p) => !documentedFields().has(p))).toEqual([]);
  });

  test('nothing is documented that no agent message has', () => {
    expect([...documentedFields()].filter((p) => !fromSchemas.has(p))).toEqual([]);
  });
});
