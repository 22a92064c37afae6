import type { ApprovalBroker } from '../approvals/broker.js';
import { APPROVAL_STATUSES, type ApprovalStatus } from '../model/approval-record.js';
import { ApprovalNotFoundError, BadRequestError } from '../errors.js';
import type { TokenVerifier } from '../identity/token-verifier.js';
import type { Clock } from '../time/clock.js';
import { approvalView, canSee } from './approval-view.js';
import type { ControlRoutes } from './control-server.js';
import { requirePrincipal } from './request-principal.js';

export interface ApprovalRoutesDeps {
  readonly broker: ApprovalBroker;
  readonly verifier: TokenVerifier;
  readonly clock: Clock;
  readonly adminGroups: readonly string[];
}

function stringField(body: unknown, name: string, options: { required?: boolean; max?: number } = {}): string | undefined {
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (value === undefined || value === null) {
    if (options.required) throw new BadRequestError(`${name} is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new BadRequestError(`${name} must be a string`);
  if (value.length > (options.max ?? 1000)) throw new BadRequestError(`${name} is too long`);
  return value;
}

export function approvalRoutes(deps: ApprovalRoutesDeps): ControlRoutes {
  const { broker, verifier, clock, adminGroups } = deps;
  return (app) => {
    app.get('/v1/approvals', async (request) => {
      const principal = await requirePrincipal(request, verifier);
      const status = (request.query as Record<string, string | undefined>).status;
      if (status !== undefined && !(APPROVAL_STATUSES as readonly string[]).includes(status)) {
        throw new BadRequestError(`status must be one of ${APPROVAL_STATUSES.join('|')}`);
      }
      const records = await broker.list(status ? { status: status as ApprovalStatus } : {});
      const now = clock.now();
      return { approvals: records.filter((r) => canSee(r, principal, adminGroups)).map((r) => approvalView(r, now)) };
    });

    app.get('/v1/approvals/:id', async (request) => {
      const principal = await requirePrincipal(request, verifier);
      const { id } = request.params as { id: string };
      const record = await broker.get(id);
      if (!record || !canSee(record, principal, adminGroups)) throw new ApprovalNotFoundError(`no request ${id}`);
      return approvalView(record, clock.now());
    });

    app.post('/v1/approvals/:id/approve', async (request) => {
      const approver = await requirePrincipal(request, verifier);
      const { id } = request.params as { id: string };
      const actionHash = stringField(request.body, 'action_hash', { required: true, max: 128 });
      const reason = stringField(request.body, 'reason');
      const mfaCode = stringField(request.body, 'mfa_code', { max: 16 });
      const record = await broker.decide({ id, approver, decision: 'approve', channel: 'api', ...(actionHash ? { actionHash } : {}), ...(reason ? { reason } : {}), ...(mfaCode ? { mfaCode } : {}) });
      return approvalView(record, clock.now());
    });

    app.post('/v1/approvals/:id/deny', async (request) => {
      const approver = await requirePrincipal(request, verifier);
      const { id } = request.params as { id: string };
      const reason = stringField(request.body, 'reason', { required: true });
      const actionHash = stringField(request.body, 'action_hash', { max: 128 });
      const mfaCode = stringField(request.body, 'mfa_code', { max: 16 });
      const record = await broker.decide({ id, approver, decision: 'deny', channel: 'api', ...(reason ? { reason } : {}), ...(actionHash ? { actionHash } : {}), ...(mfaCode ? { mfaCode } : {}) });
      return approvalView(record, clock.now());
    });

    app.post('/v1/approvals/:id/confirm', async (request) => {
      const principal = await requirePrincipal(request, verifier);
      const { id } = request.params as { id: string };
      const code = stringField(request.body, 'code', { required: true, max: 16 }) as string;
      const record = await broker.confirmStepUp({ id, principal, code, source: request.ip, channel: 'api' });
      return approvalView(record, clock.now());
    });
  };
}
