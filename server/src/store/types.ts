// The store boundary: one repository interface per resource, every method returning a promise, so
// either database sits behind the same services and routes: SQLite (./sqlite, the embedded default)
// or PostgreSQL (./postgres, several nodes). Both are chosen in ./index.ts; nothing else imports them.
// Invariants every implementation keeps: a repository method never opens a transaction of its own
// (callers group writes with Store.tx), and the writes that a single writer used to keep safe by
// accident (audit chain append, enrollment-token consumption, bundle version bump) are single
// conditional statements or guarded by a unique constraint, so they stay right with concurrent writers.
import type { Tool } from '../../../shared/src/catalog/schema.js';
import type { ComplianceState } from '../../../shared/src/policy/compliance.js';
import type { PartVersions, Policy, PolicySpec } from '../../../shared/src/policy/schema.js';
import type { DetectionEvent, Stage } from '../../../shared/src/protocol/index.js';

export type Role = 'admin' | 'auditor' | 'helpdesk';

export interface EnrollmentTokenRow {
  id: string;
  label: string;
  createdAt: string;
  expiresAt: string;
  maxUses: number;
  uses: number;
  revokedAt: string | null;
  /** Tags every device enrolled with it starts with. */
  tags: string[];
}

export interface ApiTokenRow {
  id: string;
  role: Role;
  /** Shown in lists and, with the role, as the actor of every audit entry it makes. */
  name: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface TokenRepo {
  createApiToken(role: Role, name: string, opts?: { expiresAt?: string | null; createdBy?: string }): Promise<{ id: string; token: string }>;
  /** Tokens neither revoked nor expired at `now`, of a role. */
  countActiveApiTokens(role: Role, now?: Date): Promise<number>;
  /** The token a secret belongs to, revoked or expired included (the caller tells them apart). */
  findApiToken(token: string): Promise<ApiTokenRow | undefined>;
  getApiToken(id: string): Promise<ApiTokenRow | undefined>;
  listApiTokens(): Promise<ApiTokenRow[]>;
  revokeApiToken(id: string): Promise<boolean>;
  /** Writes last-use instants in one batch (kept in memory between flushes). */
  recordApiTokenUse(uses: readonly { id: string; at: string }[]): Promise<void>;
  createEnrollmentToken(label: string, ttlHours: number, maxUses: number, tags?: readonly string[]): Promise<EnrollmentTokenRow & { token: string }>;
  listEnrollmentTokens(): Promise<EnrollmentTokenRow[]>;
  revokeEnrollmentToken(id: string): Promise<boolean>;
  /** Counts one use of a valid token in one conditional statement (safe with concurrent writers); returns it or throws. */
  consumeEnrollmentToken(token: string, now?: Date): Promise<{ id: string; tags: string[] }>;
}

export interface DeviceRow {
  id: string;
  hostname: string;
  enrolledAt: string;
  platform: string | null;
  osRelease: string | null;
  arch: string | null;
  agentVersion: string | null;
  lastSeenAt: string | null;
  lastHealth: unknown;
  revokedAt: string | null;
  tags: string[];
  /** Version of this device's own policy part (id, tags, exceptions). */
  partVersion: number;
  /** Part versions the agent last confirmed it enforces (hello or policy-applied), and when. */
  applied: PartVersions;
  appliedAt: string | null;
}

export interface HelloFacts {
  hostname: string;
  platform: string;
  osRelease: string;
  arch: string;
  agentVersion: string;
}

/** What the gateway learned about a device since the last flush (presence is written in batches). */
export interface PresenceUpdate {
  id: string;
  lastSeenAt: string;
  hello?: HelloFacts;
  lastHealth?: unknown;
  applied?: PartVersions;
  appliedAt?: string;
}

/** A page request: at most `limit` rows after the row whose sort key is `after`. */
export interface PageQuery<K> {
  limit: number;
  after?: K;
}

export interface TagChange {
  at: string;
  tags: string[];
  /** Why: `enrolled`, `baseline` (history began; earlier tags unknown), or the actor who set them. */
  cause: string;
  recordedAt: string;
}

/** What a device list can be narrowed by (every filter optional; all given must hold). */
export interface DeviceFilter {
  /** Hostname contains this (case-insensitive). */
  search?: string;
  tag?: string;
  /** Platform as the agent reports it (`linux`, `darwin`, `win32`). */
  platform?: string;
  /** Last seen before this instant (or never seen). */
  seenBefore?: string;
  /** Last seen at or after this instant. */
  seenSince?: string;
  /**
   * Without `state`: devices where one of these tools is installed or running now. With `state`:
   * the state is the device's most pressing one over these tools (all tools when absent).
   */
  toolIds?: readonly string[];
  /** Compliance state, the device counting once by its most pressing state (as the summary counts). */
  state?: ComplianceState;
  /** Only devices in this scope (a ban's: device ids and tags, empty lists = every device). */
  scope?: { devices: readonly string[]; tags: readonly string[] };
  /** Leave out revoked devices. */
  activeOnly?: boolean;
}

export interface DeviceRepo {
  /** Creates a device with its first tags (recorded in its tag history). */
  create(id: string, hostname: string, credential: string, enrollmentTokenId: string, tags?: readonly string[]): Promise<void>;
  /** A device's tag changes, oldest first. */
  tagHistory(id: string): Promise<TagChange[]>;
  /** The device a credential belongs to, revoked or not (the caller tells the two apart). */
  findByCredential(credential: string): Promise<DeviceRow | undefined>;
  get(id: string): Promise<DeviceRow | undefined>;
  /** Devices by hostname (then id), narrowed by the filters of DeviceFilter. */
  list(q: PageQuery<[string, string]> & DeviceFilter): Promise<DeviceRow[]>;
  /** Hostnames of some devices (lists that carry device ids show names with them). */
  hostnames(ids: readonly string[]): Promise<Record<string, string>>;
  /** Current tags of some devices, in one read (ingest classifies a slice's events with them); unknown ids are absent. */
  tagsOf(ids: readonly string[]): Promise<Map<string, string[]>>;
  /** Enrolled devices not revoked. */
  countActive(): Promise<number>;
  /** Writes a batch of presence updates (last seen, hello facts, health, applied versions). */
  recordPresence(updates: readonly PresenceUpdate[]): Promise<void>;
  /** Raises this device's part version (its tags or exceptions changed) and returns it. */
  bumpPartVersion(id: string): Promise<number>;
  /** Part version and revocation of many devices at once (a node checking the agents it holds). */
  partVersions(ids: readonly string[]): Promise<{ id: string; partVersion: number; revoked: boolean }[]>;
  /** Ids of active devices that have not confirmed policies-part version `version` (or later). */
  notConfirmed(policiesVersion: number): Promise<string[]>;
  /** Sets the tags and records the change in the device's tag history. */
  setTags(id: string, tags: readonly string[], cause: string): Promise<boolean>;
  revoke(id: string): Promise<boolean>;
}

export interface ClassifiedEvent {
  event: DetectionEvent;
  /** observedAt after the server's sanity clamp. */
  observedAt: string;
  stage: Stage;
  policyId: string | null;
}

export interface DetectionRow {
  eventId: string;
  deviceId: string;
  hostname: string;
  toolId: string;
  kind: string;
  user: string;
  state: 'present' | 'absent';
  evidence: unknown;
  confidence: number;
  observedAt: string;
  receivedAt: string;
  agentStage: Stage;
  stage: Stage;
  policyId: string | null;
}

export interface DetectionFilter {
  deviceId?: string;
  toolId?: string;
  stage?: Stage;
  state?: 'present' | 'absent';
  limit: number;
  /** Return rows after this event id in (observed_at, event_id) order. */
  after?: string;
  /** Only the latest event of each finding per device (the current picture, not the history). */
  currentOnly?: boolean;
  /** Leave out `usage` evidence (config folders): a trace of past use is not a violation. */
  installsAndRunsOnly?: boolean;
}

/** One detection event of an install or a running copy, as compliance replays see it. */
export interface PresenceEvent {
  detectionKey: string;
  user: string;
  state: 'present' | 'absent';
  observedAt: string;
}

/** One detection event to store (ingest hands a whole slice of them to record). */
export interface NewDetection {
  deviceId: string;
  batchId: string;
  c: ClassifiedEvent;
}

export interface DetectionRepo {
  /** Stores one event; false when its id was already stored (a replay). */
  insert(deviceId: string, batchId: string, c: ClassifiedEvent): Promise<boolean>;
  /** Stores many events in order (one statement where the backend allows); returns the ids that were new. */
  insertMany(rows: readonly NewDetection[]): Promise<Set<string>>;
  /**
   * Moves the finding (device × detection key: the current picture) to this event's state when the
   * event is the finding's newest by observedAt; an older event arriving late leaves it. Returns
   * whether the finding moved.
   */
  applyToFinding(deviceId: string, detectionKey: string, c: ClassifiedEvent): Promise<boolean>;
  /**
   * Ingest's write (one statement on PostgreSQL): insertMany, then, per finding, applyToFinding with
   * the newest of the new events that are not usage (by observedAt, the later arrival winning a
   * tie; an id given twice counts once, as stored). The finding ends in the state applying them one
   * by one would leave; its event id is that newest event's, or stays when that event repeats the
   * finding's own state and instant. Returns the ids that were new.
   */
  record(rows: readonly NewDetection[]): Promise<Set<string>>;
  list(f: DetectionFilter): Promise<DetectionRow[]>;
  count(): Promise<number>;
  /** Installs and runs of one device × tool observed at or after `fromIso`, oldest first. */
  presenceWindow(deviceId: string, toolId: string, fromIso: string): Promise<PresenceEvent[]>;
  /** The state of one finding just before an instant (its last event observed before it), if any. */
  findingStateBefore(deviceId: string, detectionKey: string, beforeIso: string): Promise<'present' | 'absent' | undefined>;
  /** Per OS user, how many findings of one device × tool are present with their last event before `beforeIso`. */
  presentUsersBefore(deviceId: string, toolId: string, beforeIso: string): Promise<{ user: string; findings: number }[]>;
  /** The present installs and running copies of some devices (× tools), with their newest event's evidence. */
  currentFindings(deviceIds: readonly string[], toolIds?: readonly string[]): Promise<{ deviceId: string; toolId: string; kind: string; user: string; observedAt: string; eventId: string; evidence: unknown }[]>;
  /** Present installs or running copies now (the current picture), optionally one device / some tools. */
  present(filter?: { deviceId?: string; toolIds?: readonly string[] }): Promise<{ deviceId: string; toolId: string; user: string; kind: string }[]>;
  /** A page of the distinct device × tool pairs of `toolIds` with a present install or running copy, by (device, tool), after `after`. */
  presentPairs(toolIds: readonly string[], page: { after?: [string, string]; limit: number }): Promise<{ deviceId: string; toolId: string }[]>;
}

export interface TimelineRow {
  seq: number;
  deviceId: string;
  toolId: string;
  at: string;
  kind: string;
  fromState: ComplianceState | null;
  toState: ComplianceState | null;
  cause: string;
  detail: unknown;
  eventId: string | null;
  recordedAt: string;
  /** Set when a late event re-derived this state change (the row stays, for "what was known then"). */
  supersededAt: string | null;
}

export interface StateRowInput {
  deviceId: string;
  toolId: string;
  at: string;
  from: ComplianceState;
  to: ComplianceState;
  cause: string;
  detail: unknown;
}

export interface ComplianceRow {
  deviceId: string;
  hostname: string;
  toolId: string;
  state: ComplianceState;
  since: string | null;
}

export interface ComplianceRepo {
  /**
   * Serialises compliance updates of one device × tool until the caller's transaction ends (two
   * nodes reconciling the same pair take turns); a no-op where one writer is all there is.
   */
  lockPair(deviceId: string, toolId: string): Promise<void>;
  current(deviceId: string, toolId: string): Promise<{ state: ComplianceState; since: string } | undefined>;
  all(filter?: { deviceId?: string }): Promise<{ deviceId: string; toolId: string; state: ComplianceState; since: string }[]>;
  /** A page of the device × tool pairs of `toolIds` that have a state, by (device, tool), after `after`. */
  pairs(toolIds: readonly string[], page: { after?: [string, string]; limit: number }): Promise<{ deviceId: string; toolId: string }[]>;
  /** A page of device × tool states (now, or as of an instant from the timeline), by device then tool. */
  list(q: PageQuery<[string, string]> & { toolId?: string; state?: ComplianceState; deviceId?: string; asOf?: string }): Promise<ComplianceRow[]>;
  setCurrent(deviceId: string, toolId: string, state: ComplianceState, since: string): Promise<void>;
  /** Appends a state change to the timeline. */
  addStateRow(row: StateRowInput): Promise<void>;
  /** State changes in force (not superseded) of one device × tool at or after `fromIso`, in order. */
  stateRowsFrom(deviceId: string, toolId: string, fromIso: string): Promise<{ seq: number; at: string; toState: ComplianceState }[]>;
  /** The state in force just before an instant: the last state change (not superseded) before it, and its instant. */
  stateBefore(deviceId: string, toolId: string, beforeIso: string): Promise<{ state: ComplianceState; at: string } | undefined>;
  supersede(seqs: readonly number[], atIso: string): Promise<void>;
  /** Records a fact; an agent event id is stored once. Returns false on replay. */
  fact(deviceId: string, toolId: string, at: string, kind: string, cause: string, detail: unknown, eventId: string | null): Promise<boolean>;
  /** A device's timeline by (at, seq), optionally one tool, at most `page.limit` rows after the row `page.after` ([at, seq]). */
  timeline(deviceId: string, toolId?: string, page?: { after?: [string, number]; limit?: number }): Promise<TimelineRow[]>;
  /** The state of a device × tool as of an instant: the last state change in force at or before it. */
  stateAsOf(deviceId: string, toolId: string, atIso: string): Promise<ComplianceState | undefined>;
  /** Every device × tool that has any state change, for as-of reports. */
  statePairs(): Promise<{ deviceId: string; toolId: string }[]>;
  addAcknowledgement(eventId: string, deviceId: string, toolId: string, user: string, stage: string, at: string): Promise<boolean>;
  /** Instants of the acknowledgements of a device × tool, oldest first. */
  acknowledgements(deviceId: string, toolId: string): Promise<string[]>;
  /** Durable queue of bulk recomputes (publish, retire, stage boundary, start-up). */
  addJob(job: { at: string; cause: string; tools: readonly string[] | null }): Promise<number>;
  nextJob(): Promise<{ id: number; at: string; cause: string; tools: string[] | null } | undefined>;
  deleteJob(id: number): Promise<void>;
}

export type ExceptionStatus = 'requested' | 'granted' | 'denied' | 'revoked' | 'expired';

export interface ExceptionRow {
  id: string;
  toolId: string;
  deviceId: string;
  user: string | null;
  reason: string;
  status: ExceptionStatus;
  requestedBy: string;
  requestedAt: string;
  requestEvent: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  expiresAt: string | null;
  /** When and by whom a granted exception ended early (revoked) or ran out (expired, by `system`). */
  endedAt: string | null;
  endedBy: string | null;
  decisionSent: number;
}

export type ExceptionInsert = Pick<ExceptionRow, 'id' | 'toolId' | 'deviceId' | 'user' | 'reason' | 'status' | 'requestedBy' | 'requestedAt' | 'requestEvent' | 'expiresAt'> &
  Partial<ExceptionRow>;

export interface ExceptionRepo {
  insert(r: ExceptionInsert): Promise<boolean>;
  get(id: string): Promise<ExceptionRow | undefined>;
  list(filter?: { deviceId?: string; status?: ExceptionStatus }): Promise<ExceptionRow[]>;
  /** A page of exceptions by request time (then id). */
  page(q: PageQuery<[string, string]> & { deviceId?: string; status?: ExceptionStatus }): Promise<ExceptionRow[]>;
  decide(id: string, status: 'granted' | 'denied', by: string, note: string | null, expiresAt: string | null): Promise<void>;
  /** Ends a granted exception (revoked or expired); false if it was no longer granted. */
  end(id: string, status: 'revoked' | 'expired', by: string, at: string): Promise<boolean>;
  markDecisionSent(id: string): Promise<void>;
  /** Granted exceptions of a device whose expiry is after `atIso` (what its bundle carries). */
  inForce(deviceId: string, atIso: string): Promise<ExceptionRow[]>;
  /** Every exception of a device × tool that was ever granted (granted, revoked or expired), for replays. */
  grantedEver(deviceId: string, toolId: string): Promise<ExceptionRow[]>;
  undeliveredDecisions(deviceId: string): Promise<ExceptionRow[]>;
}

export interface PolicyRow {
  id: string;
  name: string;
  draft: PolicySpec;
  status: 'draft' | 'published' | 'retired';
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  latestVersion: number | null;
  retiredAt: string | null;
}

export interface PublishedVersion {
  policy: Policy;
  publishedAt: string;
}

export interface PolicyRepo {
  /** Current version of the catalog or the policies part. */
  partVersion(part: 'catalog' | 'policies'): Promise<number>;
  /** Raises the catalog or policies part version in one statement and returns the new value. */
  bumpPartVersion(part: 'catalog' | 'policies'): Promise<number>;
  meta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Sets a key only if it has no value yet; true for the one writer that set it. */
  claimMeta(key: string, value: string): Promise<boolean>;
  /** Raises a key to `value` if it is absent or lower (text order); true if this call moved it. */
  advanceMeta(key: string, value: string): Promise<boolean>;
  createDraft(row: { id: string; name: string; draft: PolicySpec; createdBy: string }): Promise<void>;
  updateDraft(id: string, draft: PolicySpec): Promise<void>;
  get(id: string): Promise<PolicyRow | undefined>;
  /** get() that also holds the policy's row until the transaction ends (two publishes of one policy take turns). */
  getForUpdate(id: string): Promise<PolicyRow | undefined>;
  list(): Promise<PolicyRow[]>;
  /** Freezes a version, with the policies-part version that carries it to agents. */
  insertVersion(policy: Policy, by: string, policiesPart: number): Promise<void>;
  /** The policies-part version that first carried a policy version (its rollout), if recorded. */
  rolloutPart(id: string, version: number): Promise<number | undefined>;
  markRetired(id: string, atIso: string): Promise<void>;
  versions(id: string): Promise<Policy[]>;
  /** Every published version of every policy with the policy's retirement, for "policies in force at t". */
  history(): Promise<{ policy: Policy; retiredAt: string | null }[]>;
  /** The latest published version of every policy in force (published, not retired). */
  active(): Promise<Policy[]>;
  tools(): Promise<Tool[]>;
  toolRow(id: string): Promise<{ tool: Tool; source: 'builtin' | 'custom'; updatedAt: string } | undefined>;
  putCustomTool(tool: Tool): Promise<void>;
  /** Drops a custom entry: back to `builtin` when given, else removed. */
  deleteCustomTool(id: string, builtin: Tool | undefined): Promise<'reverted' | 'deleted'>;
  /** Inserts or refreshes built-in tools (custom overrides win); returns whether anything changed. */
  seedBuiltinTools(tools: readonly Tool[]): Promise<boolean>;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: unknown;
  prevHash: string;
  hash: string;
}

export interface AuditCheckpoint {
  /** The entry the checkpoint covers up to (its sequence number) and that entry's hash. */
  seq: number;
  hash: string;
  at: string;
  keyId: string;
  /** base64 Ed25519 signature over the canonical text of {seq, hash, at}. */
  signature: string;
}

export interface AuditSearch {
  limit: number;
  beforeSeq?: number;
  actor?: string;
  /** An action or the start of one (`exception.` matches every exception action). */
  action?: string;
  subject?: string;
  /** Entries at or after / before these instants. */
  from?: string;
  to?: string;
}

export interface AuditRepo {
  /** Appends one entry chained to the newest; two writers can never chain to the same entry. */
  append(actor: string, action: string, subject: string, detail?: unknown): Promise<void>;
  list(limit: number, afterSeq?: number): Promise<AuditEntry[]>;
  /** Entries newest first (before sequence number `beforeSeq`), narrowed by actor, action (prefix), subject and time. */
  search(q: AuditSearch): Promise<AuditEntry[]>;
  /**
   * Walks the chain; the first entry that breaks it, if any, and the head. With `slice`, walks at
   * most `limit` entries after `afterSeq`, chaining from `prevHash` (callers walk a long log a slice
   * at a time); `head` is then the last entry of the slice.
   */
  verify(slice?: { afterSeq: number; prevHash: string; limit: number }): Promise<{ ok: boolean; entries: number; brokenAt?: number; head: { seq: number; hash: string } | null }>;
  head(): Promise<{ seq: number; hash: string } | null>;
  entry(seq: number): Promise<AuditEntry | undefined>;
  addCheckpoint(c: AuditCheckpoint): Promise<void>;
  checkpoints(): Promise<AuditCheckpoint[]>;
}

/** What a compliance report reads, a chunk of devices at a time, "as of" an instant and "as known" at another. */
export interface ReportRepo {
  /** Devices enrolled at `asOf` (and known by `knownAt`), not revoked by then, by hostname then id. */
  population(asOf: string, knownAt: string): Promise<{ id: string; hostname: string; enrolledAt: string }[]>;
  /** Devices enrolled after `asOf` (known by `knownAt`): not part of the report's population. */
  countEnrolledAfter(asOf: string, knownAt: string): Promise<number>;
  tagHistory(deviceIds: readonly string[], knownAt: string): Promise<(TagChange & { deviceId: string })[]>;
  /** The state change in force at `asOf` per device × tool, as known at `knownAt`. */
  statesAt(deviceIds: readonly string[], toolIds: readonly string[], asOf: string, knownAt: string): Promise<{ deviceId: string; toolId: string; state: ComplianceState; since: string }[]>;
  /** Detection events of installs and runs observed by `asOf` and received by `knownAt`, oldest first. */
  events(deviceIds: readonly string[], toolIds: readonly string[], asOf: string, knownAt: string): Promise<(PresenceEvent & { deviceId: string; toolId: string; eventId: string; kind: string; evidence: unknown })[]>;
  /** Exceptions granted by `asOf` (as known at `knownAt`), with their decision and end as known then. */
  exceptions(deviceIds: readonly string[], toolIds: readonly string[], asOf: string, knownAt: string): Promise<ExceptionRow[]>;
  /** The last report received from each device by `knownAt`. */
  lastReports(deviceIds: readonly string[], knownAt: string): Promise<{ deviceId: string; at: string }[]>;
}

export interface SessionRow {
  tokenId: string;
  /** The CSRF token the page sends back on every write (not a credential without the cookie). */
  csrf: string;
  createdAt: string;
  expiresAt: string;
  endedAt: string | null;
}

/** Dashboard sessions: an API token traded for a cookie; only the cookie's hash is stored. */
export interface SessionRepo {
  /** Starts a session for a token; returns the cookie secret (shown once) and the CSRF token. */
  create(tokenId: string, expiresAt: string): Promise<{ secret: string; csrf: string }>;
  /** The session a cookie secret belongs to, ended or expired included (the caller tells them apart). */
  find(secret: string): Promise<SessionRow | undefined>;
  /** Ends one session (sign-out); false when it had already ended or never existed. */
  end(secret: string, atIso: string): Promise<boolean>;
  /** Ends every open session of a token (the token was revoked); returns how many. */
  endForToken(tokenId: string, atIso: string): Promise<number>;
  /** Deletes sessions that expired or ended before an instant. */
  purge(beforeIso: string): Promise<number>;
}

export type StateCounts = Record<ComplianceState, number>;

/** One day of the burn-down: devices in a ban's scope by state at the end of the day (or now, for today). */
export interface DailyRollupRow {
  policyId: string;
  /** Calendar day in the ban's zone, YYYY-MM-DD. */
  day: string;
  inScope: number;
  counts: StateCounts;
  computedAt: string;
  /** Computed after the day ended (today's row is redone until then). */
  final: boolean;
}

/** A ban's scope and tools, as the counting queries take them. */
export interface CountScope {
  toolIds: readonly string[];
  devices: readonly string[];
  tags: readonly string[];
}

/** The counts behind the overview and the burn-down, read a slice of devices (by id) at a time. */
export interface RollupRepo {
  /**
   * Devices (not revoked) in scope by their most pressing state over the tools now, and how many of
   * each state were last seen before `seenBefore` (or never), for the devices with id after
   * `afterId`, at most `limit` of them. `lastId` is null once the last slice was read.
   */
  countNow(scope: CountScope, seenBefore: string, slice: { afterId?: string; limit: number }): Promise<{ inScope: number; counts: StateCounts; notSeen: StateCounts; lastId: string | null }>;
  /** The same as of an instant, from the timeline as known now, with each device's tags and enrollment then. */
  countAsOf(scope: CountScope, atIso: string, slice: { afterId?: string; limit: number }): Promise<{ inScope: number; counts: StateCounts; lastId: string | null }>;
  put(row: DailyRollupRow): Promise<void>;
  series(policyId: string): Promise<DailyRollupRow[]>;
  /** The earliest instant of a state change recorded after `recordedAfter` (a late event re-derived the past), and the newest recording instant. */
  changesRecordedSince(recordedAfter: string): Promise<{ earliestAt: string | null; newestRecordedAt: string | null }>;
  /** State changes recorded in (recordedAfter, recordedUpTo]: how many, and the earliest instant among them. */
  changesRecordedBetween(recordedAfter: string, recordedUpTo: string): Promise<{ count: number; earliestAt: string | null }>;
  /** A cheap mark that moves whenever compliance, devices or exception requests change (the live overview polls it). */
  watermark(): Promise<string>;
  /** Employee exception requests waiting for a decision. */
  requestedExceptions(): Promise<number>;
  /** For a slice of active devices (by id): each device × tool of `toolIds` installed or running now, with the OS users it is present for (impact previews). */
  presenceSlice(toolIds: readonly string[], slice: { afterId?: string; limit: number }): Promise<{ rows: { deviceId: string; hostname: string; tags: string[]; toolId: string; users: string[] }[]; lastId: string | null }>;
  /** Acknowledgement instants of some devices × tools, oldest first. */
  acknowledgementsOf(deviceIds: readonly string[], toolIds: readonly string[]): Promise<{ deviceId: string; toolId: string; at: string }[]>;
}

/** Every repository; what a transaction hands to its callback. */
export interface Repos {
  readonly tokens: TokenRepo;
  readonly devices: DeviceRepo;
  readonly detections: DetectionRepo;
  readonly compliance: ComplianceRepo;
  readonly policies: PolicyRepo;
  readonly exceptions: ExceptionRepo;
  readonly audit: AuditRepo;
  readonly reports: ReportRepo;
  readonly sessions: SessionRepo;
  readonly rollups: RollupRepo;
}

/** A notice one node sends the others after a change committed: ids and versions, never content. */
export type ClusterNotice =
  | { kind: 'part'; part: 'catalog' | 'policies' | 'device'; version?: number; deviceIds?: string[] }
  | { kind: 'revoked'; deviceId: string }
  | { kind: 'decision'; exceptionId: string; deviceId: string }
  | { kind: 'jobs' };

/**
 * What a server node shares with the other nodes on the same database. The embedded store has one
 * node: it is always the leader and has nobody to tell. Events: `notice` (from another node),
 * `leader` / `follower` (this node gained or lost the leadership), `resync` (the link to the other
 * nodes was re-established: notices may have been missed, catch up from versions).
 */
export interface ClusterLink {
  readonly nodeId: string;
  readonly isLeader: boolean;
  /** Tells every other node (fire and forget: delivery is at most once, a nudge, never the truth). */
  notify(n: ClusterNotice): Promise<void>;
  on(event: 'notice', fn: (n: ClusterNotice) => void): this;
  on(event: 'leader' | 'follower' | 'resync', fn: () => void): this;
  off(event: string, fn: (...args: any[]) => void): this; // eslint-disable-line @typescript-eslint/no-explicit-any
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface Store extends Repos {
  /** Which backend this is (for health and logs). */
  readonly kind: 'sqlite' | 'postgres';
  /** The other nodes on this database (none for the embedded store). */
  readonly cluster: ClusterLink;
  /** Resolves if the database answers now; throws EDICT_ERR_UNAVAILABLE if it does not. */
  ping(): Promise<void>;
  /**
   * Runs fn in one transaction: all its writes commit together or none do. Store calls made while
   * fn runs (through `r` or through the store itself, in fn's async context) join the transaction;
   * a nested tx() joins the outer one. fn must only await store calls.
   */
  tx<T>(fn: (r: Repos) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
