// The agent's WebSocket client. Connects with the device credential in the Authorization header,
// says hello, validates every server frame against the protocol schemas, and reconnects with a
// capped, jittered backoff whenever the connection drops or is refused. Given several server URLs
// (several nodes), it stays on the one that works and, when an attempt fails (unreachable,
// refused, dropped before it was up), moves to the next in turn. Every message it sends is
// validated first and written to the sent-message log, verbatim.
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { AGENT_WS_PATH, MAX_FRAME_BYTES } from '../../../shared/src/constants.js';
import { EdictError } from '../../../shared/src/errors.js';
import { AGENT_MESSAGES, parseServerMessage, type AgentMessage, type ServerMessage } from '../../../shared/src/protocol/index.js';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS } from '../constants.js';
import type { Logger } from '../log.js';
import type { SentLog } from '../state/sent-log.js';
import { Backoff } from './backoff.js';
import { describeTlsError, type Trust } from './trust.js';

export interface ClientEvents {
  open: [];
  message: [ServerMessage];
  close: [{ code: number; reason: string }];
  refused: [{ status: number; code?: string }];
}

export function agentSocketUrl(serverUrl: string): string {
  const u = new URL(serverUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = u.pathname.replace(/\/$/, '') + AGENT_WS_PATH;
  return u.toString();
}

export class AgentClient extends EventEmitter<ClientEvents> {
  private ws?: WebSocket;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private refusedSocket?: WebSocket;
  private readonly backoff = new Backoff(BACKOFF_BASE_MS, BACKOFF_CAP_MS);
  private readonly urls: string[];
  private index = 0;
  private opened = false;

  constructor(
    urls: string | readonly string[],
    private readonly credential: string,
    private readonly sentLog: SentLog,
    private readonly log: Logger,
    private readonly trust: Trust = {},
  ) {
    super();
    this.urls = [...new Set(typeof urls === 'string' ? [urls] : urls)];
    if (!this.urls.length) throw new EdictError('EDICT_ERR_CONFIG', 'no server URL to connect to');
  }

  /** The server URL in use (or tried next). */
  get url(): string {
    return this.urls[this.index];
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    this.opened = false;
    const ws = new WebSocket(this.url, {
      headers: { Authorization: `Bearer ${this.credential}` },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 15_000,
      ...(this.trust.ca ? { ca: this.trust.ca } : {}),
    });
    this.ws = ws;
    ws.on('open', () => {
      this.opened = true;
      this.backoff.reset();
      this.emit('open');
    });
    ws.on('message', (data) => {
      let msg: ServerMessage;
      try {
        msg = parseServerMessage(data.toString());
      } catch (err) {
        const e = err as EdictError;
        this.log.error({ code: e.code, detail: e.detail }, 'server sent a message the agent cannot accept; ignored');
        return;
      }
      this.emit('message', msg);
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
        } catch {
          code = undefined; // not an Edict server answering: report the status alone
        }
        this.log.warn({ status: res.statusCode, code }, 'server refused the connection');
        this.emit('refused', { status: res.statusCode ?? 0, code });
        // The close that terminate() causes must not overwrite why we were refused.
        this.refusedSocket = ws;
        ws.terminate();
        this.scheduleRetry();
      });
    });
    ws.on('error', (err) => {
      // An untrusted certificate does not fix itself: say so where an admin looks, not only at debug.
      const tlsProblem = describeTlsError(err, this.trust);
      if (tlsProblem) this.log.error({ code: (err as NodeJS.ErrnoException).code }, tlsProblem);
      else this.log.debug({ err: err.message }, 'connection error');
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      if (this.refusedSocket === ws) return this.scheduleRetry();
      this.emit('close', { code, reason: reason.toString() });
      this.scheduleRetry();
    });
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    // An attempt that never got up (or was refused) moves on to the next server; a connection that
    // was up and dropped tries the same server first (it refuses us if it is going away).
    if (!this.opened || this.refusedSocket === this.ws) this.index = (this.index + 1) % this.urls.length;
    const delay = this.backoff.next();
    this.log.info({ delayMs: delay, attempt: this.backoff.attempts, next: this.urls.length > 1 ? new URL(this.url).host : undefined }, 'reconnecting after backoff');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  /** Validates, logs to the sent-message log, then sends. Returns false when not connected. */
  send(msg: AgentMessage): boolean {
    const schema = AGENT_MESSAGES[msg.type];
    const checked = schema.safeParse(msg);
    if (!checked.success) throw new EdictError('EDICT_ERR_INVALID_MESSAGE', `agent refused to send an invalid ${msg.type}`);
    if (!this.connected) return false;
    this.sentLog.append(msg);
    this.ws!.send(JSON.stringify(msg));
    return true;
  }

  /** Drops the current connection (it will reconnect); used when an ack never comes. */
  recycle(): void {
    this.ws?.terminate();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.ws?.close(1000, 'agent stopping');
  }
}
