import type { ApprovalRecord } from '../model/approval-record.js';
import type { Principal } from '../model/principal.js';
import type { ApprovalRequirement } from '../model/requirement.js';
import { isEligibleApprover, quorumProgress } from '../approvals/quorum.js';

/** Who may see a request: its requester, its eligible approvers, admins. */
export function canSee(record: ApprovalRecord, principal: Principal, adminGroups: readonly string[]): boolean {
  if (record.requester.subject === principal.subject) return true;
  if (principal.groups.some((g) => adminGroups.includes(g))) return true;
  return record.kind === 'approval' && isEligibleApprover(record.requirement as ApprovalRequirement, principal.groups);
}

/** The JSON shape the API and the CLI show. */
export function approvalView(record: ApprovalRecord, now: number) {
  return {
    id: record.id,
    kind: record.kind,
    status: record.status === 'pending' && record.expiresAt <= now ? 'expired' : record.status,
    created_at: new Date(record.createdAt).toISOString(),
    expires_at: new Date(record.expiresAt).toISOString(),
    expires_in_seconds: Math.max(0, Math.round((record.expiresAt - now) / 1000)),
    requester: record.requester,
    reason: record.reason ?? null,
    eligible: record.eligible,
    progress: record.kind === 'approval' ? quorumProgress(record.requirement as ApprovalRequirement, record.votes) : null,
    mfa_required: record.requirement.kind === 'approval' ? record.requirement.mfa : true,
    action: record.action,
    votes: record.votes,
    resolution: record.resolution ?? null,
    replica: record.replica,
  };
}
