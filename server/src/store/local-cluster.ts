// The cluster link of a single embedded node: it is always the leader, and there is nobody to tell.
import { EventEmitter } from 'node:events';
import type { ClusterLink, ClusterNotice } from './types.js';

export class LocalCluster extends EventEmitter implements ClusterLink {
  readonly isLeader = true;
  constructor(readonly nodeId: string) {
    super();
  }
  async notify(_n: ClusterNotice): Promise<void> {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
