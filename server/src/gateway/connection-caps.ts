// Connection caps: descriptors are held back for enrolled agents and the API. A TCP connection is
// "pending" from accept until it sends complete request headers (an API request) or completes an
// authenticated agent upgrade; an agent connection is "unhelloed" from the upgrade until its hello.
// Per source address, a kind is capped: a connection over the source's cap is closed at once. The
// kind is also capped overall; when the whole allowance is in use, the oldest connection of the
// source holding the most is closed to make room, so a flood from a few addresses cannot lock out
// an agent or an admin coming from elsewhere. A pending connection that stays silent or sends its
// headers slowly is closed after pendingTimeoutMs. Every refusal, eviction and timeout is counted
// (GET /api/v1/health, `detail.caps`) and logged, at most one line per cap and source every
// CAP_LOG_EVERY_MS, with the number of hits since the last line.
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

/** The open connections of one kind, by source, oldest first. */
class Pool {
  total = 0;
  private readonly bySource = new Map<string, Set<Socket>>();
  count(src: string): number {
    return this.bySource.get(src)?.size ?? 0;
  }
  add(src: string, s: Socket): void {
    const set = this.bySource.get(src) ?? new Set<Socket>();
    set.add(s);
    this.bySource.set(src, set);
    this.total++;
  }
  remove(src: string, s: Socket): void {
    const set = this.bySource.get(src);
    if (!set?.delete(s)) return;
    this.total--;
    if (!set.size) this.bySource.delete(src);
  }
  /** The oldest connection of the source holding the most. */
  victim(): { src: string; socket: Socket } | undefined {
    let best: [string, Set<Socket>] | undefined;
    for (const e of this.bySource) if (!best || e[1].size > best[1].size) best = e;
    const socket = best?.[1].values().next().value;
    return best && socket ? { src: best[0], socket } : undefined;
  }
}

export class ConnectionCaps {
  private readonly phase = new WeakMap<Socket, { phase: Phase; src: string }>();
  private readonly pools: Record<Phase, Pool> = { pending: new Pool(), unhelloed: new Pool() };
  private readonly lastLog = new Map<string, { at: number; suppressed: number }>();
  readonly counters = {
    pendingPerSourceRefused: 0,
    pendingEvicted: 0,
    pendingTimedOut: 0,
    unhelloedPerSourceRefused: 0,
    unhelloedEvicted: 0,
  };

  constructor(
    private readonly log: Logger,
    private readonly limits: CapLimits = DEFAULT_CAP_LIMITS,
  ) {}

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    // Complete headers of an API request: no longer pending (keep-alive idleness is the HTTP server's).
    server.on('request', (req: IncomingMessage) => this.leave(req.socket as Socket));
  }

  get open(): { pending: number; unhelloed: number } {
    return { pending: this.pools.pending.total, unhelloed: this.pools.unhelloed.total };
  }

  private onConnection(socket: Socket): void {
    const src = socket.remoteAddress ?? 'unknown';
    if (!this.admit(socket, src, 'pending', this.limits.pendingPerSource, this.limits.pendingTotal)) {
      socket.destroy();
      return;
    }
    // A deadline from accept, not an inactivity timer: a sender trickling one header line at a time
    // must not keep its connection forever.
    const deadline = setTimeout(() => {
      if (this.phase.get(socket)?.phase !== 'pending') return;
      this.hit('pendingTimedOut', src, `no complete request within ${this.limits.pendingTimeoutMs} ms (idle or slow headers); closed`);
      socket.destroy();
    }, this.limits.pendingTimeoutMs);
    deadline.unref();
    socket.once('close', () => {
      clearTimeout(deadline);
      this.leave(socket);
    });
  }

  /**
   * An agent upgrade was authenticated: may it open a session? (Asked before the WebSocket is
   * made; false means the caller refuses the upgrade.) From true on it counts as unhelloed.
   */
  admitAgent(socket: Socket): boolean {
    const src = socket.remoteAddress ?? 'unknown';
    this.leave(socket);
    return this.admit(socket, src, 'unhelloed', this.limits.unhelloedPerSource, this.limits.unhelloedTotal);
  }

  /** The agent said hello: an established session, no longer capped. */
  greeted(socket: Socket): void {
    this.leave(socket);
  }

  private admit(socket: Socket, src: string, phase: Phase, perSource: number, total: number): boolean {
    const pool = this.pools[phase];
    if (pool.count(src) >= perSource) {
      this.hit(`${phase}PerSourceRefused`, src, `more than ${perSource} ${phase} connections from one address; refused`);
      return false;
    }
    if (pool.total >= total) {
      const v = pool.victim();
      if (v) {
        this.hit(`${phase}Evicted`, v.src, `all ${total} ${phase} connections in use; closed the oldest of the address holding the most`);
        this.leave(v.socket);
        v.socket.destroy();
      }
    }
    this.phase.set(socket, { phase, src });
    pool.add(src, socket);
    return true;
  }

  private leave(socket: Socket): void {
    const p = this.phase.get(socket);
    if (!p) return;
    this.phase.delete(socket);
    this.pools[p.phase].remove(p.src, socket);
  }

  /** Counts a cap hit; one log line per cap and source per period, saying how many more happened. */
  private hit(counter: string, src: string, why: string): void {
    this.counters[counter as keyof ConnectionCaps['counters']]++;
    const key = `${counter}|${src}`;
    const now = Date.now();
    const last = this.lastLog.get(key);
    if (last && now - last.at < CAP_LOG_EVERY_MS) {
      last.suppressed++;
      return;
    }
    this.log.warn({ cap: counter, source: src, moreSinceLastLine: last?.suppressed ?? 0 }, `connection cap: ${why}`);
    this.lastLog.set(key, { at: now, suppressed: 0 });
    if (this.lastLog.size > 10_000) this.lastLog.clear();
  }
}
