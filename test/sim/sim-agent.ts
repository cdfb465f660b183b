// One simulated agent: enrolls for real (POST /enroll), connects to /agent/v1 with its device
// credential from a chosen loopback source address, speaks docs/protocol.md (hello, welcome,
// signed policy bundles verified against the pinned key, reports acked after commit, heartbeats)
// and keeps figures the fleet controller reads. No agent code is reused: this is a second,
// independent implementation of the wire contract, so a drift between doc and server shows here.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { PartVersions } from '../../shared/src/policy/schema.js';
import { verifyPart } from '../../shared/src/policy/signing.js';
import { eventId } from '../../shared/src/event-id.js';
import { PROTOCOL_VERSION } from '../../shared/src/protocol/version.js';

/**
 * EDICT_SIM_PROTOCOL=1 makes the simulator speak protocol 1 (hello with `policyVersion`; policy
 * frames ignored), so bench:server can measure a server build from before protocol 2 in the same run.
 */
const legacyV1 = () => process.env.EDICT_SIM_PROTOCOL === '1';

export interface SimEnrollment {
  deviceId: string;
  credential: string;
  serverPublicKey: string;
}

export interface SimEventSpec {
  /** How many events in the report. */
  count: number;
  /** Tool every event is about. */
  toolId?: string;
  /** `distinct`: one finding per event (paths differ); `same`: every event about one finding. */
  findings?: 'distinct' | 'same';
  /** observedAt of the events (default now). */
  observedAt?: string;
  state?: 'present' | 'absent';
  kind?: 'installed' | 'running';
  /** Prefix making paths unique across reports of one agent. */
  pathPrefix?: string;
}

export interface AckResult {
  accepted: number;
  duplicates: number;
  ms: number;
}

export class SimAgent {
  ws?: WebSocket;
  deviceId = '';
  /** Versions of the policy parts this agent verified and holds. */
  held: PartVersions = { catalog: null, policies: null, device: null };
  /** When it verified its current policies part. */
  policyVerifiedAt = 0;
  policyRefusals = 0;
  private confirmQueued = false;
  /** policy frames received, by part. */
  policyFrames = { catalog: 0, policies: 0, device: 0 };

  get policyVersion(): number | null {
    return this.held.policies;
  }
  welcomed = false;
  closed: { code: number; reason: string } | null = null;
  errors: { code: string; message: string }[] = [];
  private pending = new Map<string, { resolve: (a: AckResult) => void; reject: (e: Error) => void; t0: number }>();
  private enrollment?: SimEnrollment;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly url: string,
    readonly hostname: string,
    readonly localAddress?: string,
  ) {}

  async enroll(enrollToken: string): Promise<SimEnrollment> {
    const res = await fetch(`${this.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: enrollToken, hostname: this.hostname }),
    });
    const body = (await res.json()) as SimEnrollment & { error?: { code: string } };
    if (res.status !== 201) throw new Error(`enroll refused ${res.status} ${body.error?.code ?? ''}`);
    this.use(body);
    return body;
  }

  use(e: SimEnrollment): void {
    this.enrollment = e;
    this.deviceId = e.deviceId;
  }

  /** Opens the socket and completes hello → welcome. */
  connect(timeoutMs = 60_000): Promise<void> {
    const e = this.enrollment;
    if (!e) throw new Error('not enrolled');
    const ws = new WebSocket(this.url.replace(/^http/, 'ws') + '/agent/v1', {
      headers: { authorization: `Bearer ${e.credential}` },
      ...(this.localAddress ? { localAddress: this.localAddress } : {}),
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
    });
    this.ws = ws;
    this.closed = null;
    this.welcomed = false;
    ws.on('message', (d) => this.onFrame(d.toString()));
    // Errors after the handshake (a reset when the server dies) end in 'close'; never let them throw.
    ws.on('error', (err) => this.errors.push({ code: 'SIM_SOCKET', message: err.message }));
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const p of this.pending.values()) p.reject(new Error(`closed ${code}`));
      this.pending.clear();
      this.wake();
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no welcome in time')), timeoutMs);
      ws.once('open', () => {
        const device = { hostname: this.hostname, platform: 'linux', osRelease: 'sim', arch: 'x64' };
        const sentAt = new Date().toISOString();
        ws.send(
          JSON.stringify(
            legacyV1()
              ? { type: 'hello', protocolVersion: 1, agentVersion: 'sim', device, policyVersion: null, sentAt }
              : { type: 'hello', protocolVersion: PROTOCOL_VERSION, agentVersion: 'sim', device, held: this.held, sentAt },
          ),
        );
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(new Error(`upgrade refused ${res.statusCode}`));
      });
      this.until(() => this.welcomed || this.closed !== null).then(() => {
        clearTimeout(timer);
        if (this.welcomed) resolve();
        else reject(new Error(`closed before welcome: ${JSON.stringify(this.closed)}`));
      }, reject);
    });
  }

  private onFrame(raw: string): void {
    if (legacyV1() && raw.startsWith('{"type":"policy"')) return; // a protocol-1 bundle: not this simulator's business
    // A policy part this process already verified (the same bytes go to every agent) is recognised
    // by its signature without parsing its 20 KB again: the simulator must not cost what it measures.
    if (raw.startsWith('{"type":"policy"')) {
      const part = /^\{"type":"policy","part":"(\w+)"/.exec(raw)?.[1];
      // The signature follows the 20 KB bundle text: look for it from the end.
      const at = raw.lastIndexOf('"signature":"');
      const sig = at < 0 ? undefined : raw.slice(at + 13, raw.indexOf('"', at + 13));
      const known = sig ? verified.get(`${sig}|${this.enrollment?.serverPublicKey}`) : undefined;
      if (part && known) return this.onPolicy(part, known);
    }
    let msg: any;
    try {
      msg = JSON.parse(raw);
    } catch {
      this.errors.push({ code: 'SIM_BAD_JSON', message: raw.slice(0, 100) });
      return;
    }
    switch (msg.type) {
      case 'welcome':
        this.welcomed = true;
        break;
      case 'policy':
        this.onPolicy(msg.part, verifyOnce(msg.signed, this.enrollment!.serverPublicKey));
        break;
      case 'ack': {
        const p = this.pending.get(msg.batchId);
        if (p) {
          this.pending.delete(msg.batchId);
          p.resolve({ accepted: msg.accepted, duplicates: msg.duplicates, ms: performance.now() - p.t0 });
        }
        break;
      }
      case 'error': {
        this.errors.push({ code: msg.code, message: msg.message });
        const p = msg.ref ? this.pending.get(msg.ref) : undefined;
        if (p) {
          this.pending.delete(msg.ref);
          p.reject(new Error(msg.code));
        }
        break;
      }
    }
    this.wake();
  }

  private onPolicy(name: string, v: ReturnType<typeof verifyPart>): void {
    this.policyFrames[name as keyof SimAgent['policyFrames']]++;
    if (!v.ok || v.part.part !== name || (v.part.part === 'device' && v.part.device.id !== this.deviceId)) {
      this.policyRefusals++;
      return this.wake();
    }
    const part = v.part.part;
    if (this.held[part] === null || v.part.version >= this.held[part]!) {
      this.held = { ...this.held, [part]: v.part.version };
      if (part === 'policies') this.policyVerifiedAt = Date.now();
      // As the agent does: one confirmation for the parts that arrived together.
      if (!this.confirmQueued) {
        this.confirmQueued = true;
        setImmediate(() => {
          this.confirmQueued = false;
          if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'policy-applied', held: this.held, appliedAt: new Date().toISOString() }));
        });
      }
    }
    this.wake();
  }

  /** Sends one report and resolves with its ack (rejects on an error frame naming it, or close). */
  report(spec: SimEventSpec, batchId: string = randomUUID()): Promise<AckResult> {
    return this.sendReport({ type: 'report', batchId, events: makeEvents(spec) });
  }

  sendReport(msg: { type: 'report'; batchId: string; events: unknown[] }): Promise<AckResult> {
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return reject(new Error('not connected'));
      this.pending.set(msg.batchId, { resolve, reject, t0: performance.now() });
      this.ws.send(JSON.stringify(msg));
    });
  }

  /** Sends raw text (tests of peers that misbehave). */
  sendRaw(text: string): void {
    this.ws?.send(text);
  }

  heartbeat(): void {
    this.ws?.send(JSON.stringify({ type: 'heartbeat', sentAt: new Date().toISOString(), health: { outboxPending: 0, lastScanAt: null, uptimeSec: 1 } }));
  }

  close(): void {
    this.ws?.terminate();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves when `cond` holds (checked on every frame and close). */
  until(cond: () => boolean): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (cond()) {
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
    });
  }
}

/**
 * Verification shared by the agents of one simulator process: the catalog and policies parts are
 * the same bytes for every agent, so the process checks each distinct signed text once (a real
 * agent checks its own copy; the simulator must not spend the CPU the server is measured on).
 */
const verified = new Map<string, ReturnType<typeof verifyPart>>();
function verifyOnce(signed: { bundleJson: string; signature: string; keyId: string }, key: string): ReturnType<typeof verifyPart> {
  const k = `${signed.signature}|${key}`;
  let v = verified.get(k);
  if (!v) {
    v = verifyPart(signed, key);
    if (verified.size > 10_000) verified.clear();
    verified.set(k, v);
  }
  return v;
}

let seq = 0;
/** Detection events shaped like a real agent's (docs/protocol.md, report). */
export function makeEvents(spec: SimEventSpec): unknown[] {
  const observedAt = spec.observedAt ?? new Date().toISOString();
  const prefix = spec.pathPrefix ?? `r${++seq}`;
  return Array.from({ length: spec.count }, (_, i) => ({
    eventId: eventId(),
    type: 'detection',
    state: spec.state ?? 'present',
    observedAt,
    stage: 'none',
    detection: {
      toolId: spec.toolId ?? 'claude-code',
      kind: spec.kind ?? 'installed',
      user: 'sim',
      evidence: {
        source: 'npm-global',
        signature: 'npm:@anthropic-ai/claude-code',
        path: spec.findings === 'same' ? '/home/sim/.npm-global/lib/node_modules/@anthropic-ai/claude-code' : `/home/sim/${prefix}/node_modules/@anthropic-ai/claude-code-${i}`,
        version: '2.1.197',
      },
      confidence: 0.95,
    },
  }));
}
