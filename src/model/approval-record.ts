import type { Facts, Protocol } from './action.js';
import type { RiskLevel } from './risk-level.js';
import type { ApprovalRequirement, StepUpRequirement } from './requirement.js';

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired', 'withdrawn', 'consumed', 'orphaned'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/**
 * Still open: it can be decided, or (approved) its holder has yet to forward it.
 * `orphaned`: the replica holding the action is gone, so nothing can run it.
 */
export function isOpenStatus(status: ApprovalStatus): boolean {
  return status === 'pending' || status === 'approved';
}

export interface Vote {
  readonly approver: string;
  readonly email?: string;
  readonly groups: readonly string[];
  readonly decision: 'approve' | 'deny';
  readonly reason?: string;
  readonly at: number;
  /** The approver proved a second factor with this vote. */
  readonly mfa: boolean;
  /** Where the vote came from: cli, web, slack, webhook, ... */
  readonly channel: string;
}

export interface Resolution {
  readonly status: Exclude<ApprovalStatus, 'pending'>;
  readonly at: number;
  readonly by: readonly string[];
  readonly reason: string;
  /** For `consumed`: the hold that consumed it, so a holder whose reply was lost recognises its own consume. */
  readonly holder?: string;
}

/** One approval (or step-up) request, as stored and as shown to approvers. */
export interface ApprovalRecord {
  /** Unguessable id (128 random bits, base64url). */
  readonly id: string;
  readonly kind: 'approval' | 'step_up';
  readonly status: ApprovalStatus;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly requester: {
    readonly subject: string;
    readonly email?: string;
    readonly groups: readonly string[];
    readonly deviceId?: string;
  };
  readonly action: {
    readonly hash: string;
    readonly protocol: Protocol;
    readonly target: string;
    readonly sessionId: string;
    readonly source: string;
    readonly command: string;
    readonly risk: RiskLevel;
    readonly rules: readonly string[];
    readonly facts: Facts;
  };
  readonly requirement: ApprovalRequirement | StepUpRequirement;
  /** The requester's stated reason. */
  readonly reason?: string;
  /** Who may decide, in words (e.g. "1 of dba and 1 of security", or "the requester with TOTP"). */
  readonly eligible: string;
  readonly votes: readonly Vote[];
  readonly resolution?: Resolution;
  /**
   * A deferred request (HTTP `Prefer: respond-async`): no replica holds it; once
   * approved, the same request retried by its requester redeems it, once, until this time.
   */
  readonly redeemBy?: number;
  /** Replica that holds the action (for diagnostics). */
  readonly replica: string;
}

/** Store key of a held request's liveness: refreshed by its holder, gone when the holder is. */
export function holderKey(approvalId: string): string {
  return `approval-holder:${approvalId}`;
}

/** How often a holder refreshes its liveness key, and how long the key lives. */
export const HOLDER_HEARTBEAT_MS = 1000;
export const HOLDER_TTL_MS = 4000;
