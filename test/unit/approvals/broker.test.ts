import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ApprovalRecord } from '../../../src/model/approval-record.js';
import type { HoldOutcome } from '../../../src/approvals/held-request.js';
import { MfaInvalidError } from '../../../src/errors.js';
import type { ApprovalRequirement, PolicyDecision } from '../../../src/model/requirement.js';
import { waitFor } from '../../support/services.js';
import { action, coreHarness, principal, type CoreHarness } from '../../support/core-fixtures.js';

const alice = principal('alice', ['dev', 'dba'], { email: 'alice@example.com' });
const bob = principal('bob', ['dba']);
const carol = principal('carol', ['dba', 'security']);
const dave = principal('dave', ['security']);
const mallory = principal('mallory', ['dev']);

function approval(quorums: ApprovalRequirement['quorums'], mode: 'all' | 'any' = 'any', extra: Partial<ApprovalRequirement> = {}): PolicyDecision {
  return { risk: 'critical', requirement: { kind: 'approval', mode, quorums, timeoutMs: 5000, mfa: false, ...extra }, rules: ['r1'], reasons: [] };
}

async function holdAndGetRecord(h: CoreHarness, decision: PolicyDecision, signal?: AbortSignal) {
  let record: ApprovalRecord | undefined;
  const outcome: Promise<HoldOutcome> = h.broker.hold(action(alice, 'DROP TABLE t', 'critical'), decision, {
    ...(signal ? { signal } : {}),
    onCreated: (r) => {
      record = r;
    },
  });
  await waitFor(() => record !== undefined, 2000, 'request creation');
  return { record: record as ApprovalRecord, outcome };
}

describe('approvals broker', () => {
  let h: CoreHarness;
  afterEach(async () => h.close());

  it('never lets the requester approve their own request, whatever their groups', async () => {
    h = coreHarness();
    const { record } = await holdAndGetRecord(h, approval([{ group: 'dba', count: 1 }]));
    await assert.rejects(h.broker.decide({ id: record.id, approver: alice, decision: 'approve', actionHash: record.action.hash, channel: 'test' }), { code: 'AIRLOCK_SELF_APPROVAL' });
    // Same person under another subject but the same email is still the requester.
    const aliasOfAlice = principal('alice-admin', ['dba'], { email: 'ALICE@example.com' });
    await assert.rejects(h.broker.decide({ id: record.id, approver: aliasOfAlice, decision: 'approve', actionHash: record.action.hash, channel: 'test' }), { code: 'AIRLOCK_SELF_APPROVAL' });
  });

  it('refuses approvers outside the eligible groups', async () => {
    h = coreHarness();
    const { record } = await holdAndGetRecord(h, approval([{ group: 'dba', count: 1 }]));
    await assert.rejects(h.broker.decide({ id: record.id, approver: mallory, decision: 'approve', actionHash: record.action.hash, channel: 'test' }), { code: 'AIRLOCK_NOT_AN_APPROVER' });
  });

  it('counts N-of-M on distinct approvers and releases once the quorum is met', async () => {
    h = coreHarness();
    const { record, outcome } = await holdAndGetRecord(h, approval([{ group: 'dba', count: 2 }]));
    const first = await h.broker.decide({ id: record.id, approver: bob, decision: 'approve', actionHash: record.action.hash, channel: 'test' });
    assert.equal(first.status, 'pending');
    await assert.rejects(h.broker.decide({ id: record.id, approver: bob, decision: 'approve', actionHash: record.action.hash, channel: 'test' }), { code: 'AIRLOCK_ALREADY_DECIDED' });
    const second = await h.broker.decide({ id: record.id, approver: carol, decision: 'approve', actionHash: record.action.hash, channel: 'test' });
    assert.equal(second.status, 'approved');
    const result = await outcome;
    assert.equal(result.kind, 'approved');
    assert.equal((await h.store.getApproval(record.id))?.status, 'consumed');
  });

  it('needs every group of an all-requirement, and one person fills only one seat', async () => {
    h = coreHarness();
    const { record, outcome } = await holdAndGetRecord(h, approval([{ group: 'dba', count: 1 }, { group: 'security', count: 1 }], 'all'));
    // carol is in both groups: alone she is not enough.
    const afterCarol = await h.broker.decide({ id: record.id, approver: carol, decision: 'approve', actionHash: record.action.hash, channel: 'test' });
    assert.equal(afterCarol.status, 'pending');
    // bob (dba) + carol (security) complete it.
    const afterBob = await h.broker.decide({ id: record.id, approver: bob, decision: 'approve', actionHash: record.action.hash, channel: 'test' });
    assert.equal(afterBob.status, 'approved');
    assert.equal((await outcome).kind, 'approved');
  });

  it('accepts any one quorum of an any-requirement', async () => {
    h = coreHarness();
    const { record, outcome } = await holdAndGetRecord(h, approval([{ group: 'dba', count: 2 }, { group: 'security', count: 1 }], 'any'));
    await h.broker.decide({ id: record.id, approver: dave, decision: 'approve', actionHash: record.action.hash, channel: 'test' });
    assert.equal((await outcome).kind, 'approved');
  });

  it('ends the request on one deny, even after approvals', async () => {
    h = coreHarness();
    const { record, outcome } = await holdAndGetRecord(h, approval([{ group: 'dba', count: 2 }]));
    await h.broker.decide({ id: record.id, approver: bob, decision: 'approve', actionHash: record.action.hash, channel: 'test' });
    const denied = await h.broker.decide({ id: record.id, approver: carol, decision: 'deny', reason: 'not during business hours', channel: 'test' });
    assert.equal(denied.status, 'denied');
    const result = await outcome;
    assert.equal(result.kind, 'denied');
    await assert.rejects(h.broker.decide({ id: record.id, approver: principal('erin', ['dba']), decision: 'approve', actionHash: record.action.hash, channel: 'test' }), { code: 'AIRLOCK_APPROVAL_CLOSED' });
  });

  it('binds a decision to the action hash it names, and applies it once', async () => {
    h = coreHarness();
    const { record, outcome } = await holdAndGetRecord(h, approval([{ group: 'dba', count: 1 }]));
    await assert.rejects(h.broker.decide({ id: record.id, approver: bob, decision: 'approve', actionHash: 'f'.repeat(64), channel: 'test' }), { code: 'AIRLOCK_ACTION_MISMATCH' });
    await assert.rejects(h.broker.decide({ id: record.id, approver: bob, decision: 'approve', channel: 'test' }), { code: 'AIRLOCK_BAD_REQUEST' });
    await h.broker.decide({ id: record.id, approver: bob, decision: 'approve', actionHash: record.action.hash, channel: 'test' });
    assert.equal((await outcome).kind, 'approved');
    await assert.rejects(h.broker.decide({ id: record.id, approver: carol, decision: 'approve', actionHash: record.action.hash, channel: 'test' }), { code: 'AIRLOCK_APPROVAL_CLOSED' });
  });

  it('resolves an expired request as a timeout (deny)', async () => {
    h = coreHarness();
    const { record, outcome } = await holdAndGetRecord(h, approval([{ group: 'dba', count: 1 }], 'any', { timeoutMs: 150 }));
    const result = await outcome;
    assert.equal(result.kind, 'denied');
    assert.equal(result.kind === 'denied' && result.record.status, 'expired');
    await assert.rejects(h.broker.decide({ id: record.id, approver: bob, decision: 'approve', actionHash: record.action.hash, channel: 'test' }), { code: 'AIRLOCK_APPROVAL_CLOSED' });
    assert.ok(h.events.some((e) => e.type === 'approval.resolved' && e.approvalId === record.id && e.data?.['status'] === 'expired'));
  });

  it('cannot approve a withdrawn request', async () => {
    h = coreHarness();
    const controller = new AbortController();
    const { record, outcome } = await holdAndGetRecord(h, approval([{ group: 'dba', count: 1 }]), controller.signal);
    controller.abort();
    assert.equal((await outcome).kind, 'cancelled');
    assert.equal((await h.store.getApproval(record.id))?.status, 'withdrawn');
    await assert.rejects(h.broker.decide({ id: record.id, approver: bob, decision: 'approve', actionHash: record.action.hash, channel: 'test' }), { code: 'AIRLOCK_APPROVAL_CLOSED' });
  });

  it('forwards once when 50 approvals race for one request', async () => {
    h = coreHarness();
    const { record, outcome } = await holdAndGetRecord(h, approval([{ group: 'dba', count: 1 }]));
    const approvers = Array.from({ length: 50 }, (_, i) => principal(`approver-${i}`, ['dba']));
    const results = await Promise.allSettled(approvers.map((approver) => h.broker.decide({ id: record.id, approver, decision: 'approve', actionHash: record.action.hash, channel: 'test' })));
    assert.ok(results.some((r) => r.status === 'fulfilled'));
    assert.equal((await outcome).kind, 'approved');
    const resolved = h.events.filter((e) => e.type === 'approval.resolved' && e.approvalId === record.id);
    assert.equal(resolved.length, 1, 'exactly one resolution');
  });

  it('requires a valid approver code when the requirement asks for approver MFA', async () => {
    const verified: string[] = [];
    h = coreHarness({
      secondFactor: {
        async verify({ subject, code }) {
          if (code !== '123456') throw new MfaInvalidError('wrong code');
          verified.push(subject);
        },
      },
    });
    const { record, outcome } = await holdAndGetRecord(h, approval([{ group: 'dba', count: 1 }], 'any', { mfa: true }));
    await assert.rejects(h.broker.decide({ id: record.id, approver: bob, decision: 'approve', actionHash: record.action.hash, channel: 'test' }), { code: 'AIRLOCK_MFA_REQUIRED' });
    await assert.rejects(h.broker.decide({ id: record.id, approver: bob, decision: 'approve', actionHash: record.action.hash, mfaCode: '000000', channel: 'test' }), { code: 'AIRLOCK_MFA_INVALID' });
    await h.broker.decide({ id: record.id, approver: bob, decision: 'approve', actionHash: record.action.hash, mfaCode: '123456', channel: 'test' });
    assert.deepEqual(verified, ['bob']);
    assert.equal((await outcome).kind, 'approved');
  });

  it('carries the requester reason and who may decide', async () => {
    h = coreHarness();
    let record: ApprovalRecord | undefined;
    void h.broker.hold(action(alice, 'DROP TABLE t', 'critical', { reason: 'INC-1234' }), approval([{ group: 'dba', count: 1 }, { group: 'security', count: 1 }], 'all'), { onCreated: (r) => (record = r) });
    await waitFor(() => record !== undefined);
    assert.equal(record?.reason, 'INC-1234');
    assert.equal(record?.eligible, '1 of dba and 1 of security');
    assert.equal(record?.id.length, 22, '128-bit base64url id');
    await h.broker.denyPendingOf('alice', 'cleanup');
  });
});
