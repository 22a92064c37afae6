// Shared by the Slack and webhook tests: approval records, and a DecisionSink
// that enforces the rules the broker enforces (self-approval, approver
// groups, action hash, one vote each, MFA), so handlers are tested against
// the same refusals they will meet.
import pino from 'pino';
import { ApproverDirectory, type ApproverEntry } from '../../../src/approvals/approver-directory.js';
import type { ApprovalRecord, Vote } from '../../../src/model/approval-record.js';
import type { DecisionInput } from '../../../src/approvals/decision-input.js';
import { isEligibleApprover, isQuorumMet } from '../../../src/approvals/quorum.js';
import { EventBus, type AirlockEvent } from '../../../src/audit/events.js';
import {
  ActionMismatchError,
  AlreadyDecidedError,
  ApprovalClosedError,
  ApprovalNotFoundError,
  BadRequestError,
  MfaInvalidError,
  MfaRequiredError,
  NotAnApproverError,
  SelfApprovalError,
} from '../../../src/errors.js';
import { actionHash } from '../../../src/model/action.js';
import type { ApprovalRequirement } from '../../../src/model/requirement.js';
import { ManualClock } from '../../../src/time/clock.js';

export const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
export const VALID_CODE = '123456';
export const silentLogger = pino({ level: 'silent' });

export const DIRECTORY: ApproverEntry[] = [
  { subject: 'alice', email: 'alice@example.com', groups: ['dev'], slack_user: 'UALICE' },
  { subject: 'bob', email: 'bob@example.com', groups: ['dba'], slack_user: 'UBOB' },
  { subject: 'carol', email: 'carol@example.com', groups: ['dba', 'security'] },
  { subject: 'dave', email: 'dave@example.com', groups: ['dev'], slack_user: 'UDAVE' },
];

let counter = 0;

export function makeRecord(overrides: Partial<ApprovalRecord> & { mfa?: boolean; count?: number; command?: string } = {}): ApprovalRecord {
  const { mfa = false, count = 1, command = 'DROP TABLE users', ...rest } = overrides;
  const requirement: ApprovalRequirement = { kind: 'approval', mode: 'all', quorums: [{ group: 'dba', count }], timeoutMs: 600_000, mfa };
  counter++;
  return {
    id: `req${counter}AAAAAAAAAAAAAAAAAA`.slice(0, 22),
    kind: 'approval',
    status: 'pending',
    createdAt: NOW,
    expiresAt: NOW + 600_000,
    requester: { subject: 'alice', email: 'alice@example.com', groups: ['dev'] },
    action: {
      hash: actionHash('postgres', 'prod-db', command),
      protocol: 'postgres',
      target: 'prod-db',
      sessionId: 'sess-1',
      source: '10.0.0.7',
      command,
      risk: 'critical',
      rules: ['drop-needs-two-dbas'],
      facts: { kinds: ['drop'], objects: ['users'], flags: [] },
    },
    requirement,
    reason: 'INC-42 cleanup',
    eligible: `${count} of dba`,
    votes: [],
    replica: 'r1',
    ...rest,
  };
}

export class RecordingSink {
  readonly calls: DecisionInput[] = [];
  readonly records = new Map<string, ApprovalRecord>();
  onChange: ((record: ApprovalRecord) => void) | null = null;

  constructor(private readonly clock: { now(): number }) {}

  add(record: ApprovalRecord): ApprovalRecord {
    this.records.set(record.id, record);
    return record;
  }

  async get(id: string): Promise<ApprovalRecord | null> {
    return this.records.get(id) ?? null;
  }

  async decide(input: DecisionInput): Promise<ApprovalRecord> {
    this.calls.push(input);
    const record = this.records.get(input.id);
    if (!record) throw new ApprovalNotFoundError(`no pending request ${input.id}`);
    if (record.status !== 'pending') throw new ApprovalClosedError(`request ${input.id} is no longer pending (${record.status})`);
    if (input.approver.subject === record.requester.subject) throw new SelfApprovalError('you cannot decide your own request');
    const requirement = record.requirement as ApprovalRequirement;
    if (!isEligibleApprover(requirement, input.approver.groups)) throw new NotAnApproverError(`only ${record.eligible} may decide this request`);
    if (input.decision === 'approve' && !input.actionHash) throw new BadRequestError('an approval must name the action hash it approves');
    if (input.actionHash && input.actionHash !== record.action.hash) throw new ActionMismatchError('this decision names a different action than the one held');
    if (record.votes.some((v) => v.approver === input.approver.subject)) throw new AlreadyDecidedError('you already decided this request');
    if (requirement.mfa) {
      if (!input.mfaCode) throw new MfaRequiredError('this request requires your TOTP code with the decision');
      if (input.mfaCode !== VALID_CODE) throw new MfaInvalidError('invalid code');
    }
    const vote: Vote = {
      approver: input.approver.subject,
      groups: input.approver.groups,
      decision: input.decision,
      ...(input.reason ? { reason: input.reason } : {}),
      at: this.clock.now(),
      mfa: requirement.mfa,
      channel: input.channel,
    };
    const votes = [...record.votes, vote];
    let next: ApprovalRecord = { ...record, votes };
    if (vote.decision === 'deny') {
      next = { ...next, status: 'denied', resolution: { status: 'denied', at: vote.at, by: [vote.approver], reason: `denied by ${vote.approver}: ${vote.reason ?? ''}` } };
    } else if (isQuorumMet(requirement, votes)) {
      const by = votes.filter((v) => v.decision === 'approve').map((v) => v.approver);
      next = { ...next, status: 'approved', resolution: { status: 'approved', at: vote.at, by, reason: `approved by ${by.join(', ')}` } };
    }
    this.records.set(next.id, next);
    this.onChange?.(next);
    return next;
  }
}

export function harness() {
  const clock = new ManualClock(NOW);
  const events: AirlockEvent[] = [];
  const bus = new EventBus();
  bus.on((e) => events.push(e));
  const sink = new RecordingSink(clock);
  return { clock, events, bus, sink };
}

export function directoryWith(options: Partial<ConstructorParameters<typeof ApproverDirectory>[0]> = {}) {
  return new ApproverDirectory({ entries: DIRECTORY, clock: new ManualClock(NOW), lookupByEmail: false, ...options });
}
