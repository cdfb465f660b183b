// The server's store: one SQLite database, one repository per concern.
import path from 'node:path';
import { AuditLog } from './audit.js';
import { ComplianceStore } from './compliance.js';
import { ExceptionStore } from './exceptions.js';
import { openDatabase, type Db } from './db.js';
import { DetectionStore } from './detections.js';
import { DeviceStore } from './devices.js';
import { PolicyStore } from './policies.js';
import { TokenStore } from './tokens.js';

export class Store {
  readonly tokens: TokenStore;
  readonly devices: DeviceStore;
  readonly detections: DetectionStore;
  readonly policies: PolicyStore;
  readonly audit: AuditLog;
  readonly exceptions: ExceptionStore;
  readonly compliance: ComplianceStore;

  constructor(readonly db: Db) {
    this.tokens = new TokenStore(db);
    this.devices = new DeviceStore(db);
    this.detections = new DetectionStore(db);
    this.policies = new PolicyStore(db);
    this.audit = new AuditLog(db);
    this.exceptions = new ExceptionStore(db);
    this.compliance = new ComplianceStore(db);
  }

  static open(dataDir: string): Store {
    return new Store(openDatabase(path.join(dataDir, 'edict.db')));
  }

  /** Runs fn in one transaction (nested calls join the outer one). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}
