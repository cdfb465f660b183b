// Connection caps: descriptors are held back for enrolled agents and the API. A TCP connection is
// "pending" from accept until it sends complete request headers (an API request) or completes an
// authenticated agent upgrade; an agent connection is "unhelloed" from the upgrade until its hello.
// Each kind is capped overall and per source address; a connection over a cap is closed at once, a
// pending one that stays silent or sends headers slowly is closed after PENDING_TIMEOUT_MS. Every
// refusal and timeout is counted (GET /api/v1/health, `detail.caps`) and logged, at most one line
// per cap and source every CAP_LOG_EVERY_MS with the number of refusals since.
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { CAP_LOG_EVERY_MS, PENDING_PER_SOURCE, PENDING_TIMEOUT_MS, PENDING_TOTAL, UNHELLOED_PER_SOURCE, UNHELLOED_TOTAL } from '../constants.js';
import type { Logger } from '../log.js';

type Phase = 'pending' | 'unhelloed';

export interface CapLimits {
  pendingTotal: number;
  pendingPerSource: number;
  unhelloedTotal: number;
  unhelloedPerSource: number;
  pendingTimeoutMs: number;
}

export const DEFAULT_CAP_LIMITS: CapLimits = {
  pendingTotal: PENDING_TOTAL,
  pendingPerSource: PENDING_PER_SOURCE,
  unhelloedTotal: UNHELLOED_TOTAL,
  unhelloedPerSource: UNHELLOED_PER_SOURCE,
  pendingTimeoutMs: PENDING_TIMEOUT_MS,
};

class Tally {
  total = 0;
  private readonly bySource = new Map<string, number>();
  count(src: string): number {
    return this.bySource.get(src) ?? 0;
  }
  add(src: string): void {
    this.total++;
    this.bySource.set(src, this.count(src) + 1);
  }
  remove(src: string): void {
    this.total--;
    const n = this.count(src) - 1;
    if (n > 0) this.bySource.set(src, n);
    else this.bySource.delete(src);
  }
}

export class ConnectionCaps {
  private readonly phase = new WeakMap<Socket, Phase>();
  private readonly tallies: Record<Phase, Tally> = { pending: new Tally(), unhelloed: new Tally() };
  private readonly lastLog = new Map<string, { at: number; suppressed: number }>();
  readonly counters = { pendingRefused: 0, pendingPerSourceRefused: 0, unhelloedRefused: 0, unhelloedPerSourceRefused: 0, pendingTimedOut: 0 };

  constructor(
    private readonly log: Logger,
    private readonly limits: CapLimits = DEFAULT_CAP_LIMITS,
  ) {}

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    // Complete headers of an API request: no longer pending (keep-alive idleness is the HTTP server's).
    server.on('request', (req: IncomingMessage) => this.leave(req.socket as Socket, 'pending'));
  }

  get open(): { pending: number; unhelloed: number } {
    return { pending: this.tallies.pending.total, unhelloed: this.tallies.unhelloed.total };
  }

  private source(socket: Socket): string {
    return socket.remoteAddress ?? 'unknown';
  }

  private onConnection(socket: Socket): void {
    const src = this.source(socket);
    const t = this.tallies.pending;
    if (t.total >= this.limits.pendingTotal) return this.refuse(socket, 'pendingRefused', src, `more than ${this.limits.pendingTotal} connections without a request`);
    if (t.count(src) >= this.limits.pendingPerSource) return this.refuse(socket, 'pendingPerSourceRefused', src, `more than ${this.limits.pendingPerSource} connections without a request from one address`);
    this.enter(socket, 'pending');
    socket.setTimeout(this.limits.pendingTimeoutMs, () => {
      if (this.phase.get(socket) !== 'pending') return;
      this.counters.pendingTimedOut++;
      this.note('pendingTimedOut', src, `a connection sent no complete request within ${this.limits.pendingTimeoutMs} ms; closed`);
      socket.destroy();
    });
    socket.once('close', () => {
      const p = this.phase.get(socket);
      if (p) this.leave(socket, p);
    });
  }

  /**
   * An agent upgrade was authenticated: may it open a session? (Checked before the WebSocket is
   * made; false means the caller refuses the upgrade.) On true the connection counts as unhelloed.
   */
  admitAgent(socket: Socket): boolean {
    const src = this.source(socket);
    const t = this.tallies.unhelloed;
    if (t.total >= this.limits.unhelloedTotal) {
      this.countOnly('unhelloedRefused', src, `more than ${this.limits.unhelloedTotal} agent connections waiting for hello`);
      return false;
    }
    if (t.count(src) >= this.limits.unhelloedPerSource) {
      this.countOnly('unhelloedPerSourceRefused', src, `more than ${this.limits.unhelloedPerSource} agent connections waiting for hello from one address`);
      return false;
    }
    this.leave(socket, 'pending');
    socket.setTimeout(0);
    this.enter(socket, 'unhelloed');
    return true;
  }

  /** The agent said hello: an established session, no longer capped. */
  greeted(socket: Socket): void {
    this.leave(socket, 'unhelloed');
  }

  private enter(socket: Socket, p: Phase): void {
    this.phase.set(socket, p);
    this.tallies[p].add(this.source(socket));
  }

  private leave(socket: Socket, p: Phase): void {
    if (this.phase.get(socket) !== p) return;
    this.phase.delete(socket);
    this.tallies[p].remove(this.source(socket));
  }

  private refuse(socket: Socket, counter: keyof ConnectionCaps['counters'], src: string, why: string): void {
    this.countOnly(counter, src, why);
    socket.destroy();
  }

  private countOnly(counter: keyof ConnectionCaps['counters'], src: string, why: string): void {
    this.counters[counter]++;
    this.note(counter, src, why);
  }

  /** One log line per cap and source per period, saying how many more happened in between. */
  private note(counter: string, src: string, why: string): void {
    const key = `${counter}|${src}`;
    const now = Date.now();
    const last = this.lastLog.get(key);
    if (last && now - last.at < CAP_LOG_EVERY_MS) {
      last.suppressed++;
      return;
    }
    this.log.warn({ cap: counter, source: src, since: last?.suppressed ?? 0 }, `connection cap: ${why}`);
    this.lastLog.set(key, { at: now, suppressed: 0 });
    if (this.lastLog.size > 10_000) this.lastLog.clear();
  }
}
