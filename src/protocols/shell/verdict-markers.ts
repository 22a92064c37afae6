import type { HoldNotice } from '../../gate/hold-notice.js';
import type { Verdict } from '../../gate/verdict.js';
import { summarize } from './hold-lines.js';

/**
 * Marker labels (asciicast `m` events) for what the Gate said about a
 * command: `airlock replay --markers` prints them, one line each, so they
 * start with the outcome and end with the command.
 */
export function heldMarker(notice: HoldNotice, command: string): string {
  return `held for ${notice.kind === 'step_up' ? 'step-up' : 'approval'} (id ${notice.approvalId}): ${summarize(command)}`;
}

export function verdictMarker(verdict: Verdict, command: string): string {
  const id = verdict.approvalId ? ` (id ${verdict.approvalId})` : '';
  const by = verdict.decidedBy.length > 0 ? ` by ${verdict.decidedBy.join(', ')}` : '';
  const what = summarize(command);
  if (verdict.allowed) {
    switch (verdict.path) {
      case 'step_up':
        return `step-up confirmed${by}${id}: ${what}`;
      case 'approval':
        return `approved${by}${id}: ${what}`;
      default:
        return `allowed (${verdict.risk} risk, ${verdict.path})${id}: ${what}`;
    }
  }
  if (verdict.path === 'cancel') return `withdrawn${id}: ${what}`;
  const reason = verdict.reason || (verdict.error.clientSafe ? verdict.error.message : 'denied');
  return `denied${by}${id}: ${reason}: ${what}`;
}
