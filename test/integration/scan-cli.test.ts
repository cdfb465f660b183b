// `edict-agent scan --once --json` prints SPEC's shape: one JSON object with `detections[]`, each
// with toolId, kind, user, evidence and confidence, valid against the protocol's Detection schema.
// It needs no enrollment and no network.
import { afterAll, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Detection } from '../../shared/src/protocol/index.js';
import { agentJson } from '../helpers/agent.js';
import { spawnNamedSleeper } from '../helpers/processes.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

test('scan --once --json prints detections in the documented shape, offline', async () => {
  const stateDir = tempDir('edict-agent-');
  const home = tempDir('edict-home-');
  const configFile = path.join(stateDir, 'agent.json');
  writeFileSync(configFile, JSON.stringify({ logLevel: 'silent', scan: { homes: [{ user: 'bob', home }] } }));
  const sleeper = spawnNamedSleeper('claude');
  try {
    const out = await agentJson({ stateDir, configFile, deviceId: '' }, 'scan', '--once');
    expect(Array.isArray(out.detections)).toBe(true);
    for (const d of out.detections) expect(Detection.safeParse(d).success).toBe(true);
    const mine = out.detections.find((d: any) => d.evidence.pid === sleeper.child.pid);
    expect(mine).toMatchObject({ toolId: 'claude-code', kind: 'running', evidence: { source: 'process', path: sleeper.exe } });
    expect(typeof mine.user).toBe('string');
    expect(mine.confidence).toBeGreaterThan(0);
    expect(out.users).toEqual(['bob']);
  } finally {
    sleeper.kill();
  }
});
