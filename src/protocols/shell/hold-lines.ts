import type { HoldNotice } from '../../gate/hold-notice.js';
import type { Verdict } from '../../gate/verdict.js';

const SUMMARY_LENGTH = 120;

/** One line of the command: whitespace collapsed, long text cut. */
export function summarize(command: string): string {
  const line = command.replace(/\s+/g, ' ').trim();
  return line.length > SUMMARY_LENGTH ? `${line.slice(0, SUMMARY_LENGTH - 3)}...` : line;
}

/** The lines a held command shows: what is held, why, and where to act. */
export function heldLines(notice: HoldNotice, command: string, publicUrl?: string): string[] {
  const url = notice.url ?? publicUrl;
  const what = notice.kind === 'step_up' ? 'held for step-up' : 'held for approval';
  const verb = notice.kind === 'step_up' ? 'confirm' : 'approve';
  const where = url ? `${verb} with \`${notice.command}\` or at ${url}` : `${verb} with \`${notice.command}\``;
  // The Gate's message says why and usually where; the place to act is added only when it does not.
  const act = notice.message.includes(notice.command) ? '' : `${where}; `;
  return [`airlock: command ${what} (id ${notice.approvalId}): ${summarize(command)}`, `airlock: ${notice.message}`, `airlock: ${act}Ctrl-C or disconnecting withdraws it`];
}

/** The live waiting line, rewritten in place on a terminal. */
export function waitingLine(notice: HoldNotice, startedAt: number, now: number): string {
  const waited = Math.round((now - startedAt) / 1000);
  const left = Math.max(0, Math.round((notice.expiresAt - now) / 1000));
  return `airlock: waiting for ${notice.kind === 'step_up' ? 'step-up' : 'approval'} ${notice.approvalId} (${waited}s so far, expires in ${left}s)`;
}

/** A refusal as the terminal shows it: the reason first, then who and which rules. */
export function deniedLine(verdict: Verdict): string {
  const reason = verdict.allowed ? verdict.reason : verdict.reason || (verdict.error.clientSafe ? verdict.error.message : 'denied');
  const parts: string[] = [];
  if (verdict.approvalId) parts.push(`approval ${verdict.approvalId}`);
  if (verdict.decidedBy.length > 0) parts.push(`decided by ${verdict.decidedBy.join(', ')}`);
  if (verdict.rules.length > 0) parts.push(`rules: ${verdict.rules.join(', ')}`);
  return `airlock: denied: ${reason}${parts.length > 0 ? ` (${parts.join('; ')})` : ''}`;
}
