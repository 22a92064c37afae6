import type { Principal } from '../model/principal.js';
import type { ApprovalRecord } from '../model/approval-record.js';

/** A verified person's decision on an approval request, from any channel. */
export interface DecisionInput {
  readonly id: string;
  readonly approver: Principal;
  readonly decision: 'approve' | 'deny';
  /** The action hash the approver saw; when given it must match the request's. */
  readonly actionHash?: string;
  readonly reason?: string;
  /** The approver's TOTP code, required when the requirement says mfa. */
  readonly mfaCode?: string;
  /** cli, web, slack, webhook, ... */
  readonly channel: string;
}

/** The requester confirming their own step-up request with a second factor. */
export interface StepUpConfirmation {
  readonly id: string;
  readonly principal: Principal;
  readonly code: string;
  readonly source: string;
  readonly channel: string;
}

/** What the approvals broker offers a channel: it enforces every approval rule. */
export interface DecisionSink {
  decide(input: DecisionInput): Promise<ApprovalRecord>;
  get(id: string): Promise<ApprovalRecord | null>;
}
