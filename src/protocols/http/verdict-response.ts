import type { ServerResponse } from 'node:http';
import { ApprovalPendingError, StepUpRequiredError, TokenInvalidError } from '../../errors.js';
import type { DenyVerdict } from '../../gate/verdict.js';
import type { HoldNotice } from '../../gate/hold-notice.js';
import { sendProblem, type Problem } from './problem-response.js';

/** Where a program proves a second factor and what it sends back (RFC 9470). */
export interface StepUpEndpoint {
  readonly url: string;
}

/**
 * Answers a denied request in HTTP's own form: 202 while a deferred approval
 * waits, 401 with an RFC 9470 challenge for a missing step-up, 504 when the
 * decision timed out, else the error's status with the reason and who decided.
 */
export function sendDenial(res: ServerResponse, verdict: DenyVerdict, notice: HoldNotice | null, stepUp: StepUpEndpoint): void {
  const error = verdict.error;
  const common = { code: error.code, risk: verdict.risk, rules: verdict.rules, ...(verdict.approvalId ? { approval_id: verdict.approvalId } : {}) };
  if (error instanceof ApprovalPendingError && verdict.approvalId) {
    const id = verdict.approvalId;
    const problem: Problem = {
      type: 'approval_pending',
      title: 'Accepted',
      status: 202,
      detail: error.message,
      ...common,
      ...(notice?.url ? { url: notice.url } : {}),
      ...(notice ? { command: notice.command, expires_at: new Date(notice.expiresAt).toISOString() } : {}),
      retry_with: { header: 'Airlock-Approval', value: id },
    };
    sendProblem(res, problem, { 'airlock-approval': id, 'retry-after': '5', ...(notice?.url ? { location: notice.url } : {}) });
    return;
  }
  if (error instanceof StepUpRequiredError) {
    const acr = `airlock:stepup:${verdict.risk}`;
    const challenge = `Bearer realm="airlock", error="insufficient_user_authentication", error_description="step-up required", acr_values="${acr}"`;
    sendProblem(
      res,
      { type: 'step_up_required', title: 'Unauthorized', status: 401, detail: error.message, ...common, acr_values: acr, step_up_endpoint: stepUp.url, retry_with: { header: 'Airlock-Step-Up', value: '<step_up_token>' } },
      { 'www-authenticate': challenge, 'airlock-step-up-endpoint': stepUp.url },
    );
    return;
  }
  if (error instanceof TokenInvalidError) {
    sendProblem(res, { type: 'step_up_token_invalid', title: 'Unauthorized', status: 401, detail: error.message, ...common }, { 'www-authenticate': 'Bearer realm="airlock", error="invalid_token"' });
    return;
  }
  if (verdict.path === 'timeout') {
    sendProblem(res, { type: 'approval_timeout', title: 'Gateway Timeout', status: 504, detail: verdict.reason, ...common });
    return;
  }
  const status = error.httpStatus;
  sendProblem(res, {
    type: status === 403 ? 'denied' : 'refused',
    title: status === 403 ? 'Forbidden' : 'Refused',
    status,
    detail: verdict.reason,
    reason: verdict.reason,
    decided_by: verdict.decidedBy,
    ...common,
  });
}
