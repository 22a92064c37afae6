import type { ApprovalRequirement } from '../model/requirement.js';
import type { Vote } from '../model/approval-record.js';

/**
 * Whether the approving votes meet the requirement, counting each approver
 * once. For `all`, one person in two groups fills only one seat: seats are
 * assigned by bipartite matching (Kuhn's algorithm; the sizes are tiny).
 */
export function isQuorumMet(requirement: ApprovalRequirement, votes: readonly Vote[]): boolean {
  const approvers = votes.filter((v) => v.decision === 'approve');
  if (requirement.mode === 'any') {
    return requirement.quorums.some((q) => approvers.filter((v) => v.groups.includes(q.group)).length >= q.count);
  }
  const seats: string[] = requirement.quorums.flatMap((q) => Array<string>(q.count).fill(q.group));
  const seatOwner = new Array<number>(seats.length).fill(-1);
  const tryAssign = (voter: number, visited: boolean[]): boolean => {
    for (let s = 0; s < seats.length; s++) {
      if (visited[s] || !(approvers[voter] as Vote).groups.includes(seats[s] as string)) continue;
      visited[s] = true;
      if (seatOwner[s] === -1 || tryAssign(seatOwner[s] as number, visited)) {
        seatOwner[s] = voter;
        return true;
      }
    }
    return false;
  };
  approvers.forEach((_, voter) => tryAssign(voter, new Array<boolean>(seats.length).fill(false)));
  return seatOwner.every((owner) => owner !== -1);
}

/** "1/2 of dba" per quorum, for channels. */
export function quorumProgress(requirement: ApprovalRequirement, votes: readonly Vote[]): string {
  return requirement.quorums
    .map((q) => `${votes.filter((v) => v.decision === 'approve' && v.groups.includes(q.group)).length}/${q.count} of ${q.group}`)
    .join(requirement.mode === 'all' ? ' and ' : ' or ');
}

export function isEligibleApprover(requirement: ApprovalRequirement, groups: readonly string[]): boolean {
  return requirement.quorums.some((q) => groups.includes(q.group));
}
