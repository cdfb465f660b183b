// One authenticated agent connection: the device it belongs to, whether hello has happened, its
// rate limit, its bad-message count, and the queue that handles its frames one at a time in arrival
// order (handlers are async). Once the server decides to close it (`closing`), nothing it sent
// afterwards, or that is still queued, is processed. Sending goes through here so every frame is
// schema-typed.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { ERRORS, type ErrorCode, type ErrorSpec } from '../../../shared/src/errors.js';
import type { ServerMessage } from '../../../shared/src/protocol/index.js';
import { AGENT_MSG_BURST, AGENT_MSG_PER_SEC } from '../constants.js';
import type { Logger } from '../log.js';
import { TokenBucket } from './rate-limit.js';

export class AgentConnection {
  helloDone = false;
  badMessages = 0;
  alive = true;
  /** Set when the server decided to close this connection (or it closed): drop everything after. */
  closing = false;
  /** Frames dropped because they came after the decision to close. */
  dropped = 0;
  private queue: Promise<void> = Promise.resolve();
  readonly bucket = new TokenBucket(AGENT_MSG_BURST, AGENT_MSG_PER_SEC);

  constructor(
    readonly ws: WebSocket,
    readonly deviceId: string,
    readonly log: Logger,
    /** The TCP connection under the WebSocket (for connection caps). */
    readonly socket?: Socket,
  ) {}

  /** Runs fn after every frame received before it was handled (per-connection order). */
  enqueue(fn: () => Promise<void>): void {
    this.queue = this.queue.then(() => (this.closing ? (this.dropped++, undefined) : fn()));
  }

  send(msg: ServerMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** Sends a pre-encoded message (a policy part shared by many sends) as a text frame. */
  sendFrame(frame: Buffer): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame, { binary: false });
  }

  /** Sends an error frame; closes the connection when the catalogue gives the code a close code. */
  fail(code: ErrorCode, detail?: string, ref?: string): void {
    if (this.closing) return;
    const spec: ErrorSpec = ERRORS[code];
    const message = detail ? `${spec.message}: ${detail}` : spec.message;
    this.send({ type: 'error', code, message: message.slice(0, 2000), ...(ref ? { ref } : {}) });
    if (spec.wsClose) {
      this.closing = true;
      this.ws.close(spec.wsClose, code);
    }
  }
}
