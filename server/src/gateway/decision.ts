// Builds the exception-decision message for a decided exception request.
import type { ExceptionDecision } from '../../../shared/src/protocol/index.js';
import type { ExceptionRow } from '../store/index.js';

export function decisionMessage(row: ExceptionRow): ExceptionDecision {
  return {
    type: 'exception-decision',
    requestId: row.requestEvent!,
    toolId: row.toolId,
    user: row.user ?? 'unknown',
    granted: row.status === 'granted',
    ...(row.decisionNote ? { note: row.decisionNote.slice(0, 2000) } : {}),
    ...(row.status === 'granted' && row.expiresAt ? { expiresAt: row.expiresAt } : {}),
  };
}
