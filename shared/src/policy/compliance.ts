// Compliance state of one device × banned tool, as a pure function of the facts: is the tool
// present (installed or running), which stage is its ban in, is an exception in force, did the
// employee acknowledge the notice, and was it violating before. The server records every change
// of this value as a timeline event with its cause, so any past date can be recomputed.
import { z } from 'zod';
import type { StageName } from './schema.js';

export const ComplianceState = z.enum(['clear', 'noticed', 'acknowledged', 'violating', 'remediated', 'exempt']);
export type ComplianceState = z.infer<typeof ComplianceState>;

export interface ComplianceFacts {
  present: boolean;
  stage: StageName;
  exempt: boolean;
  acknowledged: boolean;
  /** The state before this evaluation (for `remediated`). */
  previous: ComplianceState;
}

export function complianceState(f: ComplianceFacts): ComplianceState {
  if (!f.present) {
    if (f.previous === 'violating' || f.previous === 'remediated') return 'remediated';
    return 'clear';
  }
  if (f.stage === 'none' || f.stage === 'monitor') return 'clear';
  if (f.exempt) return 'exempt';
  if (f.stage === 'enforce' || f.stage === 'hard') return 'violating';
  return f.acknowledged ? 'acknowledged' : 'noticed';
}
