// Live agent connections by device id. A device has at most one: a new connection replaces the
// old one (closed with EDICT_ERR_REPLACED), so a flapping laptop never holds two sessions.
import type { AgentConnection } from './connection.js';

export class ConnectionRegistry {
  private readonly byDevice = new Map<string, AgentConnection>();

  register(conn: AgentConnection): void {
    const old = this.byDevice.get(conn.deviceId);
    if (old && old !== conn) old.fail('EDICT_ERR_REPLACED');
    this.byDevice.set(conn.deviceId, conn);
  }

  unregister(conn: AgentConnection): void {
    if (this.byDevice.get(conn.deviceId) === conn) this.byDevice.delete(conn.deviceId);
  }

  get(deviceId: string): AgentConnection | undefined {
    return this.byDevice.get(deviceId);
  }

  isConnected(deviceId: string): boolean {
    return this.byDevice.has(deviceId);
  }

  all(): IterableIterator<AgentConnection> {
    return this.byDevice.values();
  }

  get size(): number {
    return this.byDevice.size;
  }
}
