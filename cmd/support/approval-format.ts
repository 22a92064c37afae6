/** The approval as the API returns it (see src/control/approval-view.ts). */
export interface ApprovalJson {
  id: string;
  kind: 'approval' | 'step_up';
  status: string;
  expires_in_seconds: number;
  requester: { subject: string; email?: string };
  reason: string | null;
  eligible: string;
  progress: string | null;
  mfa_required: boolean;
  action: { hash: string; protocol: string; target: string; command: string; risk: string; rules: string[]; source: string; facts?: { impact?: string } };
  votes: { approver: string; decision: string; reason?: string }[];
  resolution: { status: string; reason: string; by: string[] } | null;
}

export function formatApproval(a: ApprovalJson): string {
  const lines = [
    `${a.id}  ${a.kind === 'step_up' ? 'step-up' : 'approval'}  ${a.status}${a.status === 'pending' ? ` (expires in ${a.expires_in_seconds}s)` : ''}`,
    `  requester: ${a.requester.subject}${a.requester.email ? ` <${a.requester.email}>` : ''} from ${a.action.source}`,
    `  target:    ${a.action.protocol}/${a.action.target}`,
    `  risk:      ${a.action.risk} (rules: ${a.action.rules.join(', ')})`,
    `  reason:    ${a.reason ?? '(none given)'}`,
    `  deciders:  ${a.eligible}${a.progress ? `, so far ${a.progress}` : ''}${a.mfa_required && a.kind === 'approval' ? ', with TOTP' : ''}`,
    `  command:   ${a.action.command.split('\n').join('\n             ')}`,
  ];
  // Measured before it could commit (a write over its row limit).
  if (a.action.facts?.impact) lines.splice(lines.length - 1, 0, `  impact:    ${a.action.facts.impact}`);
  if (a.resolution) lines.push(`  outcome:   ${a.resolution.status}: ${a.resolution.reason}`);
  return lines.join('\n');
}
