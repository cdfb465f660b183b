// The agent WebSocket gateway at /agent/v1. Authenticates the device credential on the HTTP
// upgrade (a bad one never gets a WebSocket), caps frame size, rate-limits, pings and drops
// dead peers, validates every frame against the protocol schemas and dispatches by type.
// Frames of one connection are handled one at a time, in order; nothing a peer sends after the
// server decided to close it is processed.
// Invariant: a bad frame is answered with an error code and changes nothing in the store.
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { AGENT_WS_PATH, HEARTBEAT_INTERVAL_MS, MAX_FRAME_BYTES } from '../../../shared/src/constants.js';
import { EdictError, ERRORS, type ErrorCode } from '../../../shared/src/errors.js';
import { AGENT_MAX_BAD_MESSAGES, HELLO_TIMEOUT_MS, PING_SLICE_MS } from '../constants.js';
import type { Logger } from '../log.js';
import { bearerToken } from '../api/auth.js';
import { AgentConnection } from './connection.js';
import { decisionMessage } from './decision.js';
import { ConnectionCaps, DEFAULT_CAP_LIMITS, type CapLimits } from './connection-caps.js';
import { FanOut } from './fanout.js';
import { parseAgentFrame } from './parse.js';
import { Presence } from './presence.js';
import { HANDLERS, type GatewayContext } from './handlers/index.js';
import { ConnectionRegistry } from './registry.js';
import type { Readiness } from '../cluster/readiness.js';

export class AgentGateway {
  readonly registry = new ConnectionRegistry();
  /** Every open connection, including ones still waiting for hello (the registry holds only greeted ones). */
  private readonly open = new Set<AgentConnection>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly pingTimer: NodeJS.Timeout;
  private readonly ctx: GatewayContext;
  readonly presence: Presence;
  readonly fanout: FanOut;
  readonly caps: ConnectionCaps;
  /** Set by the app: whether the node may take agents now. */
  readiness?: Readiness;
  private draining = false;

  constructor(
    ctx: Omit<GatewayContext, 'registry' | 'presence' | 'fanout' | 'caps'>,
    private readonly log: Logger,
    pingIntervalMs = HEARTBEAT_INTERVAL_MS,
    capLimits: CapLimits = DEFAULT_CAP_LIMITS,
  ) {
    this.caps = new ConnectionCaps(log.child({ component: 'net' }), capLimits);
    this.presence = new Presence(ctx.store, log);
    this.fanout = new FanOut(this.registry, ctx.policies, log);
    this.ctx = { ...ctx, registry: this.registry, presence: this.presence, fanout: this.fanout, caps: this.caps };
    this.pingTimer = setInterval(() => void this.pingAll(), pingIntervalMs);
    this.pingTimer.unref();
    // A change reaches agents through the paced fan-out, never inside the request that made it.
    ctx.policies.on('changed', (part, deviceIds) => this.fanout.mark(part, deviceIds));
    ctx.exceptions.sink = {
      sendDecision: (row) => {
        const conn = this.registry.get(row.deviceId);
        if (!conn) return false;
        conn.send(decisionMessage(row));
        return true;
      },
    };
  }

  attach(server: Server): void {
    this.caps.attach(server);
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  /** Counters and gauges for GET /health's detail. */
  detail(): Record<string, unknown> {
    return {
      connections: { agents: this.registry.size, open: this.open.size, ...this.caps.open },
      caps: { ...this.caps.counters },
      fanout: { pending: this.fanout.pending, ...this.fanout.stats },
      presence: { ...this.presence.stats },
      ingest: { pending: this.ctx.ingest.pending, ...this.ctx.ingest.stats },
      signatures: { ...this.ctx.policies.signatures },
    };
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    void this.upgrade(req, socket, head).catch((err) => {
      if (err instanceof EdictError) {
        if (err.code === 'EDICT_ERR_UNAVAILABLE') this.readiness?.markUnreachable(err.message);
        return refuseUpgrade(socket, err.http, err.code);
      }
      this.log.error({ err }, 'agent upgrade failed');
      refuseUpgrade(socket, 500, 'EDICT_ERR_INTERNAL');
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== AGENT_WS_PATH) return refuseUpgrade(socket, 404, 'EDICT_ERR_NOT_FOUND');
    // Not ready (database unreachable, or draining): the agent goes to another node, or retries.
    if (this.draining || (this.readiness && !this.readiness.ready)) return refuseUpgrade(socket, 503, 'EDICT_ERR_UNAVAILABLE');
    const credential = bearerToken(req.headers.authorization);
    if (!credential) return refuseUpgrade(socket, 401, 'EDICT_ERR_UNAUTHENTICATED');
    const device = await this.ctx.store.devices.findByCredential(credential);
    if (!device) {
      this.log.warn({ remote: req.socket.remoteAddress }, 'agent upgrade refused: bad credential');
      return refuseUpgrade(socket, 401, 'EDICT_ERR_BAD_CREDENTIAL');
    }
    if (device.revokedAt) return refuseUpgrade(socket, 403, 'EDICT_ERR_DEVICE_REVOKED');
    if (socket.destroyed) return;
    if (!this.caps.admitAgent(req.socket)) return refuseUpgrade(socket, 503, 'EDICT_ERR_TOO_MANY_CONNECTIONS');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, device.id, req.socket));
  }

  private onConnection(ws: WebSocket, deviceId: string, socket: Socket): void {
    const conn = new AgentConnection(ws, deviceId, this.log.child({ deviceId }), socket);
    this.open.add(conn);
    const helloTimer = setTimeout(() => {
      if (!conn.helloDone) conn.fail('EDICT_ERR_HELLO_REQUIRED', 'no hello in time');
    }, HELLO_TIMEOUT_MS);
    ws.on('pong', () => (conn.alive = true));
    ws.on('message', (data, isBinary) => this.onMessage(conn, isBinary ? null : data.toString()));
    ws.on('error', (err) => {
      // ws closes the socket itself (e.g. 1009 for an oversized frame); we only record why.
      conn.log.warn({ err: err.message, code: (err as { code?: string }).code }, 'agent socket error');
    });
    ws.on('close', (code) => {
      conn.closing = true;
      clearTimeout(helloTimer);
      this.open.delete(conn);
      if (this.registry.get(deviceId) === conn) this.ctx.policies.forgetDevice(deviceId);
      this.registry.unregister(conn);
      conn.log.info({ code, dropped: conn.dropped }, 'agent disconnected');
    });
  }

  /** On receipt: the rate limit is checked at once; the frame is then handled in its turn. */
  private onMessage(conn: AgentConnection, raw: string | null): void {
    if (conn.closing) {
      conn.dropped++;
      return;
    }
    if (!conn.bucket.take()) return conn.fail('EDICT_ERR_RATE_LIMITED');
    conn.enqueue(() => this.handle(conn, raw));
  }

  private async handle(conn: AgentConnection, raw: string | null): Promise<void> {
    try {
      if (raw === null) throw new EdictError('EDICT_ERR_MALFORMED_JSON', 'binary frames are not accepted');
      const msg = await parseAgentFrame(raw);
      if (conn.closing) return;
      if (!conn.helloDone && msg.type !== 'hello') throw new EdictError('EDICT_ERR_HELLO_REQUIRED');
      await (HANDLERS[msg.type] as (c: GatewayContext, a: AgentConnection, m: typeof msg) => Promise<void>)(this.ctx, conn, msg);
    } catch (err) {
      if (err instanceof EdictError && err.code === 'EDICT_ERR_UNAVAILABLE') {
        // Nothing of it was committed: refuse with a retryable error and close; the agent sends it again.
        this.readiness?.markUnreachable(err.message);
        return conn.fail(err.code, err.detail, batchIdOf(raw));
      }
      if (err instanceof EdictError) {
        conn.log.warn({ code: err.code, detail: err.detail }, 'agent message refused');
        if (++conn.badMessages > AGENT_MAX_BAD_MESSAGES) return conn.fail('EDICT_ERR_RATE_LIMITED', 'too many bad messages');
        return conn.fail(err.code, err.detail, batchIdOf(raw));
      }
      conn.log.error({ err }, 'agent message handler failed');
      conn.fail('EDICT_ERR_INTERNAL');
    }
  }

  private pinging = false;

  /**
   * Pings every connection and drops those that missed the previous ping. In slices of
   * PING_SLICE_MS with the event loop free in between: one synchronous pass over 19,000 sockets
   * held it ~380 ms (the longest stall of the fan-out benchmark's CPU profile).
   */
  private async pingAll(): Promise<void> {
    if (this.pinging) return;
    this.pinging = true;
    try {
      let sliceStart = performance.now();
      for (const conn of [...this.open]) {
        if (performance.now() - sliceStart > PING_SLICE_MS) {
          await yieldToLoop();
          sliceStart = performance.now();
        }
        if (conn.ws.readyState !== conn.ws.OPEN) continue; // closed meanwhile
        if (!conn.alive) {
          conn.log.warn('agent missed a ping; dropping');
          conn.ws.terminate();
          continue;
        }
        conn.alive = false;
        conn.ws.ping();
      }
    } finally {
      this.pinging = false;
    }
  }

  /** Ends a device's live connection, e.g. after its credential is revoked. */
  disconnect(deviceId: string, code: ErrorCode): void {
    this.registry.get(deviceId)?.fail(code);
  }

  /**
   * Before a stop: refuses new agents, lets each connection finish the frames it already sent (an
   * in-flight report is committed and acknowledged), then closes it with EDICT_ERR_UNAVAILABLE so
   * the agent reconnects, after its jittered backoff, to another node. Resolves when every
   * connection has closed or `timeoutMs` passed.
   */
  async drain(timeoutMs: number): Promise<{ closed: number; left: number }> {
    this.draining = true;
    const n = this.open.size;
    for (const conn of this.open) conn.enqueue(async () => conn.fail('EDICT_ERR_UNAVAILABLE', 'this server is stopping; use another'));
    const deadline = Date.now() + timeoutMs;
    while (this.open.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return { closed: n - this.open.size, left: this.open.size };
  }

  async close(): Promise<void> {
    clearInterval(this.pingTimer);
    this.fanout.stop();
    for (const conn of this.open) conn.ws.terminate();
    this.wss.close();
    await this.presence.stop();
  }
}

/** The batchId of a refused report, so the agent knows which batch will never be accepted. */
function batchIdOf(raw: string | null): string | undefined {
  try {
    const id = (JSON.parse(raw ?? '') as { batchId?: unknown }).batchId;
    return typeof id === 'string' && id.length <= 100 ? id : undefined;
  } catch {
    return undefined; // not JSON at all: there is no batch to name
  }
}

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' };

function refuseUpgrade(socket: Duplex, status: number, code: ErrorCode): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message: ERRORS[code].message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
