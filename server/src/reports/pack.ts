// The evidence pack: one zip with the report as CSV, JSON and HTML and a manifest (parameters,
// server version, row counts, each file's SHA-256 and size, the audit chain's head and a checkpoint
// of it) signed with the server's Ed25519 key over its canonical text. `verifyPack` checks a pack
// offline against a key the auditor holds (fetched once from GET /api/v1/keys): a pack signed by
// any other key fails, whatever key it names inside; any changed, missing or extra file fails.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { unzipSync, zipSync } from 'fflate';
import { keyIdOf } from '../../../shared/src/policy/signing.js';
import type { AuditCheckpoint } from '../store/index.js';
import type { ComplianceReport } from './compliance-report.js';
import { renderCsv, renderHtml, renderJson } from './render.js';

export const PACK_FILES = ['report.csv', 'report.json', 'report.html'] as const;
/** Zip entries carry this modification time, so the same files make the same archive bytes. */
const FIXED_MTIME = new Date('1980-01-01T00:00:00Z');

export interface PackManifest {
  kind: 'edict-evidence-pack';
  formatVersion: 1;
  parameters: ComplianceReport['parameters'];
  serverVersion: string;
  generatedAt: string;
  counts: { rows: number; devices: number; notYetEnrolled: number };
  files: { name: string; sha256: string; bytes: number }[];
  auditHead: { seq: number; hash: string } | null;
  auditCheckpoint: AuditCheckpoint | null;
  keyId: string;
  signature?: string;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** The signed text: the manifest without its signature, keys in the order written. */
const signedText = (m: PackManifest) => JSON.stringify({ ...m, signature: undefined });

export function buildPack(
  report: ComplianceReport,
  o: { serverVersion: string; generatedAt: string; auditHead: { seq: number; hash: string } | null; auditCheckpoint: AuditCheckpoint | null; privateKey: KeyObject; publicKeyPem: string },
): Buffer {
  const files: Record<string, Uint8Array> = {
    'report.csv': Buffer.from(renderCsv(report)),
    'report.json': Buffer.from(renderJson(report)),
    'report.html': Buffer.from(renderHtml(report)),
  };
  const manifest: PackManifest = {
    kind: 'edict-evidence-pack',
    formatVersion: 1,
    parameters: report.parameters,
    serverVersion: o.serverVersion,
    generatedAt: o.generatedAt,
    counts: { rows: report.summary.rows, devices: report.summary.devices, notYetEnrolled: report.summary.notYetEnrolled },
    files: PACK_FILES.map((name) => ({ name, sha256: sha256(files[name]), bytes: files[name].length })),
    auditHead: o.auditHead,
    auditCheckpoint: o.auditCheckpoint,
    keyId: keyIdOf(o.publicKeyPem),
  };
  manifest.signature = sign(null, Buffer.from(signedText(manifest)), o.privateKey).toString('base64');
  const entries: Record<string, [Uint8Array, { mtime: Date }]> = {};
  for (const name of [...PACK_FILES, 'manifest.json']) {
    entries[name] = [name === 'manifest.json' ? Buffer.from(JSON.stringify(manifest, null, 2) + '\n') : files[name], { mtime: FIXED_MTIME }];
  }
  return Buffer.from(zipSync(entries, { level: 6 }));
}

export interface PackVerdict {
  ok: boolean;
  problems: string[];
  manifest?: PackManifest;
}

/** Checks a pack against the auditor's copy of the server key; never trusts a key named inside. */
export function verifyPack(zip: Uint8Array, publicKeyPem: string): PackVerdict {
  const problems: string[] = [];
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (err) {
    return { ok: false, problems: [`not a readable zip archive: ${(err as Error).message}`] };
  }
  const raw = entries['manifest.json'];
  if (!raw) return { ok: false, problems: ['manifest.json is missing'] };
  let manifest: PackManifest;
  try {
    manifest = JSON.parse(Buffer.from(raw).toString('utf8')) as PackManifest;
  } catch (err) {
    return { ok: false, problems: [`manifest.json is not JSON: ${(err as Error).message}`] };
  }
  if (manifest.kind !== 'edict-evidence-pack' || typeof manifest.signature !== 'string' || !Array.isArray(manifest.files)) {
    return { ok: false, problems: ['manifest.json is not an Edict evidence pack manifest'] };
  }
  const expectedKeyId = keyIdOf(publicKeyPem);
  if (manifest.keyId !== expectedKeyId) problems.push(`signed by key ${manifest.keyId}, not by the key given (${expectedKeyId})`);
  let good = false;
  try {
    good = verify(null, Buffer.from(signedText(manifest)), createPublicKey(publicKeyPem), Buffer.from(manifest.signature, 'base64'));
  } catch (err) {
    problems.push(`signature could not be checked: ${(err as Error).message}`);
  }
  if (!good) problems.push('manifest signature does not verify with the key given (the manifest was altered, or another key signed it)');
  const listed = new Set(manifest.files.map((f) => f.name));
  for (const f of manifest.files) {
    const data = entries[f.name];
    if (!data) problems.push(`${f.name} is listed in the manifest but missing`);
    else if (data.length !== f.bytes || sha256(data) !== f.sha256) problems.push(`${f.name} does not match its SHA-256 in the manifest (changed)`);
  }
  for (const name of Object.keys(entries)) if (name !== 'manifest.json' && !listed.has(name)) problems.push(`${name} is in the archive but not in the manifest`);
  return { ok: problems.length === 0, problems, manifest };
}
