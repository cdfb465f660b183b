// A raw WebSocket peer speaking the agent protocol by hand, for tests that need to send exactly
// the bytes a real agent never would (bad JSON, wrong versions, oversized frames, replays).
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '../../shared/src/protocol/version.js';
import { api } from './server.js';
import { waitFor } from './wait.js';

export interface RawPeer {
  ws: WebSocket;
  received: any[];
  closed: { code: number; reason: string } | null;
  send(msg: unknown): void;
  next(type: string, after?: number): Promise<any>;
}

export async function enrollDevice(url: string, adminToken: string, hostname = 'raw-host', tags: string[] = []): Promise<{ deviceId: string; credential: string }> {
  const token = (await api(url, adminToken, 'POST', '/enrollment-tokens', { label: 'raw', ...(tags.length ? { tags } : {}) })).body.token;
  const r = await api(url, undefined, 'POST', '/enroll', { token, hostname });
  return r.body;
}

export function connectRaw(url: string, credential?: string): Promise<RawPeer> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/agent/v1', credential ? { headers: { Authorization: `Bearer ${credential}` } } : {});
  const peer: RawPeer = {
    ws,
    received: [],
    closed: null,
    send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
    next: (type, after = 0) => waitFor(() => peer.received.slice(after).find((m) => m.type === type), `a ${type} frame`, 10_000, 20),
  };
  ws.on('message', (d) => peer.received.push(JSON.parse(d.toString())));
  ws.on('close', (code, reason) => (peer.closed = { code, reason: reason.toString() }));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(peer));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => reject(Object.assign(new Error(`upgrade refused ${res.statusCode}`), { status: res.statusCode, body: JSON.parse(body) })));
    });
    ws.once('error', reject);
  });
}

export function hello(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    agentVersion: 'test',
    device: { hostname: 'raw-host', platform: 'linux', osRelease: 'test', arch: 'x64' },
    held: { catalog: null, policies: null, device: null },
    sentAt: new Date().toISOString(),
    ...overrides,
  };
}

export function report(n = 1, toolId = 'claude-code'): { type: 'report'; batchId: string; events: any[] } {
  return {
    type: 'report',
    batchId: randomUUID(),
    events: Array.from({ length: n }, (_, i) => ({
      eventId: randomUUID(),
      type: 'detection',
      state: 'present',
      observedAt: new Date().toISOString(),
      stage: 'none',
      detection: { toolId, kind: 'installed', user: 'alice', evidence: { source: 'npm-global', signature: 'npm:@anthropic-ai/claude-code', path: `/opt/p${i}` }, confidence: 0.95 },
    })),
  };
}
