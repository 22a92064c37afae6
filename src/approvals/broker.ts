import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventBus } from '../audit/events.js';
import {
  ActionMismatchError,
  AlreadyDecidedError,
  ApprovalClosedError,
  ApprovalNotFoundError,
  BadRequestError,
  ForbiddenError,
  MfaRequiredError,
  NotAnApproverError,
  SelfApprovalError,
} from '../errors.js';
import type { Action } from '../model/action.js';
import type { Principal } from '../model/principal.js';
import type { PolicyDecision, ApprovalRequirement, StepUpRequirement } from '../model/requirement.js';
import { describeApprovers } from '../policy/requirement-spec.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../time/clock.js';
import { HOLDER_TTL_MS, holderKey, isOpenStatus, type ApprovalRecord, type ApprovalStatus, type Resolution, type Vote } from '../model/approval-record.js';
import type { ApprovalChannel, ApprovalLinks } from './channels/channel.js';
import type { DecisionInput, StepUpConfirmation } from './decision-input.js';
import { HeldRequest, type HoldOutcome } from './held-request.js';
import { isEligibleApprover, isQuorumMet } from './quorum.js';
import type { SecondFactorVerifier } from './second-factor.js';

export interface BrokerOptions {
  readonly store: Store;
  readonly channels: readonly ApprovalChannel[];
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly replicaId: string;
  /** Base URL of the control API, for links. */
  readonly publicUrl?: string;
  /** How long closed requests stay listed. */
  readonly retentionMs: number;
  /** Verifies approvers' own codes (mfa: true) and requesters' step-up codes. */
  readonly secondFactor?: SecondFactorVerifier;
  /** How often a held request re-reads the store in case a wake-up was lost. */
  readonly pollIntervalMs?: number;
  /** How long a held request retries through a store outage before it fails closed (default 5 s). */
  readonly storeGraceMs?: number;
}

export interface HoldOptions {
  readonly signal?: AbortSignal;
  readonly onCreated?: (record: ApprovalRecord, links: ApprovalLinks) => void;
}

const MAX_COMMAND_CHARS = 16_384;
/**
 * A live holder consumes an approval within a poll interval; one still unconsumed
 * this long after its request's expiry has lost its holder (replica killed, or it
 * failed closed on a store outage) and is closed so that it is audited.
 */
const ORPHANED_APPROVAL_GRACE_MS = 5000;
const ORPHANED_REASON = 'the replica holding the statement is gone; nothing was run';
/** Sweeps run this often, so an orphaned request is marked within seconds. */
const SWEEP_INTERVAL_MS = 2000;

/**
 * Creates approval and step-up requests, notifies channels, takes verified
 * decisions and resolves held actions. Every state change goes through the
 * store's compare-and-set, so the first decision wins and an approved action
 * is consumed (forwarded) once, whatever the number of replicas.
 */
export class ApprovalBroker {
  private readonly sweeper: NodeJS.Timeout;
  /** Requests this replica holds right now: alive whatever the liveness key says (a clock step, a store blip). */
  private readonly holding = new Set<string>();
  private channels: readonly ApprovalChannel[];
  private publicUrl: string | undefined;

  constructor(private readonly options: BrokerOptions) {
    this.channels = options.channels;
    this.publicUrl = options.publicUrl;
    this.sweeper = setInterval(() => void this.expireOverdue(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Sets the base URL of links once the control API knows its address. */
  setPublicUrl(url: string): void {
    this.publicUrl = url;
  }

  /** Replaces the channels (config reload). */
  setChannels(channels: readonly ApprovalChannel[]): void {
    this.channels = channels;
  }

  links(id: string): ApprovalLinks {
    const base = this.publicUrl?.replace(/\/$/, '');
    return {
      ...(base ? { url: `${base}/approvals/${id}` } : {}),
      approveCommand: `airlock approve ${id}`,
      denyCommand: `airlock deny ${id} --reason "..."`,
    };
  }

  /** Creates a request for a held action and waits for its outcome. */
  async hold(action: Action, decision: PolicyDecision, options: HoldOptions = {}): Promise<HoldOutcome> {
    const requirement = decision.requirement;
    if (requirement.kind !== 'approval' && requirement.kind !== 'step_up') {
      throw new TypeError(`hold() needs an approval or step_up requirement, got ${requirement.kind}`);
    }
    const record = this.newRecord(action, decision, requirement);
    const { store } = this.options;
    await store.createApproval(record, requirement.timeoutMs + this.options.retentionMs);
    const held = new HeldRequest(record, {
      store,
      clock: this.options.clock,
      logger: this.options.logger,
      pollIntervalMs: this.options.pollIntervalMs ?? 1000,
      storeGraceMs: this.options.storeGraceMs ?? 5000,
      onClosed: (closed) => this.closed(closed),
    });
    await held.heartbeat();
    this.holding.add(record.id);
    const outcome = held.wait(options.signal);
    void outcome.finally(() => this.holding.delete(record.id));
    // The subscription is live before anyone hears of the request.
    await held.ready;
    this.announce(record, options.onCreated);
    return outcome;
  }

  /** Tells the requester (onCreated), the audit and the approvers' channels that a request exists. */
  private announce(record: ApprovalRecord, onCreated: HoldOptions['onCreated']): void {
    const links = this.links(record.id);
    onCreated?.(record, links);
    this.options.bus.emit({
      type: 'approval.requested',
      at: record.createdAt,
      subject: record.requester.subject,
      source: record.action.source,
      protocol: record.action.protocol,
      target: record.action.target,
      sessionId: record.action.sessionId,
      approvalId: record.id,
      rules: record.action.rules,
      ...(record.reason ? { reason: record.reason } : {}),
      data: { kind: record.kind, risk: record.action.risk, eligible: record.eligible, hash: record.action.hash, ...(record.redeemBy === undefined ? {} : { deferred: true }) },
    });
    this.notify(record, links);
  }

  /**
   * Creates a request that nobody holds (HTTP `Prefer: respond-async`): the
   * client is told its id and goes away; once approved, the same request
   * retried by its requester redeems it once (redeem()). It may be redeemed
   * until as long again after its deadline.
   */
  async defer(action: Action, decision: PolicyDecision, options: Pick<HoldOptions, 'onCreated'> = {}): Promise<ApprovalRecord> {
    const requirement = decision.requirement;
    if (requirement.kind !== 'approval' && requirement.kind !== 'step_up') {
      throw new TypeError(`defer() needs an approval or step_up requirement, got ${requirement.kind}`);
    }
    const fresh = this.newRecord(action, decision, requirement);
    const record: ApprovalRecord = { ...fresh, redeemBy: fresh.expiresAt + requirement.timeoutMs };
    await this.options.store.createApproval(record, 2 * requirement.timeoutMs + this.options.retentionMs);
    this.announce(record, options.onCreated);
    return record;
  }

  /**
   * The outcome of a deferred request for a retry of the same action: approved
   * (consumed now, so it is forwarded once), still pending, or closed. Only
   * the requester's own retry of the very same action (hash) redeems it.
   */
  async redeem(id: string, action: Action): Promise<{ readonly kind: 'approved' | 'pending' | 'closed'; readonly record: ApprovalRecord }> {
    const { store, clock } = this.options;
    const record = await store.getApproval(id);
    // Same answer for "not found" and "not yours": ids are not an oracle.
    if (!record || record.redeemBy === undefined || record.requester.subject !== action.principal.subject) {
      throw new ApprovalNotFoundError(`no deferred request ${id} of ${action.principal.subject}`);
    }
    if (record.action.hash !== action.hash || record.action.target !== action.target || record.action.protocol !== action.protocol) {
      throw new ActionMismatchError(`request ${id} approved a different request (method, URL, body or target differ)`);
    }
    if (record.status === 'pending') {
      if (record.expiresAt > clock.now()) return { kind: 'pending', record };
      const expired = await this.transition(record, 'expired', [], 'timed out waiting for a decision');
      return { kind: 'closed', record: expired ?? (await store.getApproval(id)) ?? record };
    }
    if (record.status !== 'approved') return { kind: 'closed', record };
    if (record.redeemBy <= clock.now()) return { kind: 'closed', record };
    const consumed = await store.transitionApproval(id, 'approved', 'consumed', {
      status: 'consumed',
      at: clock.now(),
      by: record.resolution?.by ?? [],
      reason: record.resolution?.reason ?? 'approved',
      holder: `redeemed:${action.id}`,
    });
    // Another retry redeemed it first: never forward twice.
    if (!consumed) return { kind: 'closed', record: (await store.getApproval(id)) ?? record };
    return { kind: 'approved', record: consumed };
  }

  async get(id: string): Promise<ApprovalRecord | null> {
    return this.options.store.getApproval(id);
  }

  async list(filter: { status?: ApprovalStatus } = {}): Promise<ApprovalRecord[]> {
    const { store } = this.options;
    // Open requests have their own index: no need to read every closed one kept for the retention.
    const all = filter.status && isOpenStatus(filter.status) ? await store.listOpenApprovals() : await store.listApprovals();
    return filter.status ? all.filter((r) => r.status === filter.status) : all;
  }

  /** A verified approver's decision. Enforces every approval rule. */
  async decide(input: DecisionInput): Promise<ApprovalRecord> {
    const { store, clock } = this.options;
    const record = await this.requirePending(input.id);
    if (record.kind !== 'approval') {
      throw new BadRequestError('this is a step-up request: only the requester confirms it, with `airlock confirm`');
    }
    if (isSamePerson(input.approver, record)) {
      throw new SelfApprovalError('you cannot decide your own request');
    }
    const requirement = record.requirement as ApprovalRequirement;
    if (!isEligibleApprover(requirement, input.approver.groups)) {
      throw new NotAnApproverError(`only ${record.eligible} may decide this request`);
    }
    if (input.decision === 'approve' && input.actionHash === undefined) {
      throw new BadRequestError('an approval must name the action hash it approves');
    }
    if (input.actionHash !== undefined && input.actionHash !== record.action.hash) {
      throw new ActionMismatchError('this decision names a different action than the one held');
    }
    if (record.votes.some((v) => v.approver === input.approver.subject)) {
      throw new AlreadyDecidedError('you already decided this request');
    }
    await this.requireHolder(record);
    let mfa = false;
    if (requirement.mfa) {
      if (!input.mfaCode) throw new MfaRequiredError('this request requires your TOTP code with the decision');
      if (!this.options.secondFactor) throw new MfaRequiredError('approver MFA is required but TOTP is not configured');
      await this.options.secondFactor.verify({ subject: input.approver.subject, code: input.mfaCode, source: input.channel });
      mfa = true;
    }
    const vote: Vote = {
      approver: input.approver.subject,
      ...(input.approver.email ? { email: input.approver.email } : {}),
      groups: input.approver.groups,
      decision: input.decision,
      ...(input.reason ? { reason: input.reason.slice(0, 500) } : {}),
      at: clock.now(),
      mfa,
      channel: input.channel,
    };
    const { added, record: voted } = await store.addVote(record.id, vote);
    if (!added || !voted) {
      const now = await store.getApproval(record.id);
      if (!now || now.status !== 'pending') throw new ApprovalClosedError(`request ${record.id} is no longer pending`);
      throw new AlreadyDecidedError('you already decided this request');
    }
    this.options.bus.emit({
      type: 'approval.vote',
      at: vote.at,
      subject: vote.approver,
      approvalId: record.id,
      rules: record.action.rules,
      ...(vote.reason ? { reason: vote.reason } : {}),
      data: { decision: vote.decision, channel: vote.channel, mfa, requester: record.requester.subject, hash: record.action.hash },
    });
    let final: ApprovalRecord | null = null;
    if (vote.decision === 'deny') {
      final = await this.transition(voted, 'denied', [vote.approver], `denied by ${vote.approver}${vote.reason ? `: ${vote.reason}` : ''}`);
    } else if (isQuorumMet(requirement, voted.votes)) {
      const approvers = voted.votes.filter((v) => v.decision === 'approve').map((v) => v.approver);
      final = await this.transition(voted, 'approved', approvers, `approved by ${approvers.join(', ')}`);
    }
    const latest = final ?? (await store.getApproval(record.id)) ?? voted;
    if (!final) this.update(latest);
    return latest;
  }

  /** The requester proves their second factor for a step-up request. */
  async confirmStepUp(input: StepUpConfirmation): Promise<ApprovalRecord> {
    // Same answer for "not yours" and "not found": ids are not an oracle. It says who asked, and who may confirm.
    const notYours = () =>
      new ApprovalNotFoundError(`no pending step-up request ${input.id} of yours (${input.principal.subject}): a step-up is confirmed by the person whose statement is held, with their own token and code`);
    const record = await this.requirePending(input.id).catch((err: unknown) => {
      throw err instanceof ApprovalNotFoundError ? notYours() : err;
    });
    if (record.requester.subject !== input.principal.subject) throw notYours();
    if (record.kind !== 'step_up') throw new BadRequestError('this request needs approvers, not a step-up code');
    if (!this.options.secondFactor) throw new MfaRequiredError('step-up is not configured');
    await this.requireHolder(record);
    await this.options.secondFactor.verify({ subject: input.principal.subject, code: input.code, source: input.source });
    const final = await this.transition(record, 'approved', [input.principal.subject], 'second factor verified');
    if (!final) throw new ApprovalClosedError(`request ${input.id} is no longer pending`);
    return final;
  }

  /** Denies every pending request of a subject (revocation). Returns how many. */
  async denyPendingOf(subject: string, reason: string): Promise<number> {
    const pending = await this.list({ status: 'pending' });
    let count = 0;
    for (const record of pending) {
      if (record.requester.subject !== subject) continue;
      if (await this.transition(record, 'denied', ['airlock'], reason)) count++;
    }
    return count;
  }

  /** Denies every pending request held by this replica (shutdown). Returns how many. */
  async denyAllPending(reason: string): Promise<number> {
    let count = 0;
    for (const record of await this.list({ status: 'pending' })) {
      if (record.replica !== this.options.replicaId) continue;
      if (await this.transition(record, 'denied', ['airlock'], reason)) count++;
    }
    return count;
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private async requirePending(id: string): Promise<ApprovalRecord> {
    const record = await this.options.store.getApproval(id);
    if (!record) throw new ApprovalNotFoundError(`no pending request ${id}`);
    if (record.status !== 'pending' || record.expiresAt <= this.options.clock.now()) {
      throw new ApprovalClosedError(`request ${id} is no longer pending (${record.status === 'pending' ? 'expired' : record.status})`);
    }
    return record;
  }

  /**
   * A decision counts only while a replica still holds the action: a request
   * whose holder is gone (killed, partitioned) is closed as orphaned, and the
   * approver is told so (409) instead of "approved" for something that cannot run.
   */
  private async requireHolder(record: ApprovalRecord): Promise<void> {
    // A deferred request has no holder: its requester's retry redeems it.
    if (this.holding.has(record.id) || record.redeemBy !== undefined) return;
    if ((await this.options.store.getValue(holderKey(record.id))) !== null) return;
    await this.transition(record, 'orphaned', [], ORPHANED_REASON);
    throw new ApprovalClosedError(`request ${record.id} is orphaned: ${ORPHANED_REASON}`);
  }

  private async transition(record: ApprovalRecord, to: Exclude<ApprovalStatus, 'pending'>, by: string[], reason: string, from: ApprovalStatus = 'pending'): Promise<ApprovalRecord | null> {
    const resolution: Resolution = { status: to, at: this.options.clock.now(), by, reason };
    const next = await this.options.store.transitionApproval(record.id, from, to, resolution);
    if (next) this.closed(next);
    return next;
  }

  /** Every replica sweeps: requests whose holder died still expire, and are audited. */
  private async expireOverdue(): Promise<void> {
    try {
      const now = this.options.clock.now();
      for (const record of await this.options.store.listOpenApprovals()) {
        if (record.redeemBy !== undefined) {
          // Deferred: nobody holds it. Pending past its deadline expires; approved and never redeemed in time closes.
          if (record.status === 'pending' && record.expiresAt <= now) await this.transition(record, 'expired', [], 'timed out waiting for a decision');
          else if (record.status === 'approved' && record.redeemBy <= now) {
            await this.transition(record, 'expired', [...(record.resolution?.by ?? [])], 'approved, but never retried by its requester; nothing was run', 'approved');
          }
          continue;
        }
        const holderGone = !this.holding.has(record.id) && now - record.createdAt >= HOLDER_TTL_MS && (await this.options.store.getValue(holderKey(record.id))) === null;
        if (record.status === 'pending' && record.expiresAt <= now && !holderGone) {
          await this.transition(record, 'expired', [], 'timed out waiting for a decision');
        } else if (holderGone) {
          // Its holder is gone: it was not forwarded and never will be, whatever is decided.
          const approvedBy = record.status === 'approved' ? [...(record.resolution?.by ?? [])] : [];
          const reason = record.status === 'approved' ? `approved, but never forwarded: ${ORPHANED_REASON}` : ORPHANED_REASON;
          await this.transition(record, 'orphaned', approvedBy, reason, record.status);
        } else if (record.status === 'approved' && record.expiresAt + ORPHANED_APPROVAL_GRACE_MS <= now) {
          // Approved, but its holder never consumed it: it was not forwarded and never will be.
          await this.transition(record, 'orphaned', [...(record.resolution?.by ?? [])], `approved, but never forwarded: ${ORPHANED_REASON}`, 'approved');
        }
      }
    } catch (err) {
      this.options.logger.warn({ err }, 'approval expiry sweep failed');
    }
  }

  /** Called once per request by whoever closed it (first writer wins the CAS). */
  private closed(record: ApprovalRecord): void {
    if (record.status === 'consumed') return;
    this.options.bus.emit({
      type: 'approval.resolved',
      at: record.resolution?.at ?? this.options.clock.now(),
      subject: record.requester.subject,
      protocol: record.action.protocol,
      target: record.action.target,
      sessionId: record.action.sessionId,
      approvalId: record.id,
      rules: record.action.rules,
      reason: record.resolution?.reason ?? record.status,
      data: { status: record.status, kind: record.kind, by: record.resolution?.by ?? [], hash: record.action.hash },
    });
    if (record.kind === 'approval') this.update(record);
  }

  private newRecord(action: Action, decision: PolicyDecision, requirement: ApprovalRequirement | StepUpRequirement): ApprovalRecord {
    const now = this.options.clock.now();
    const principal = action.principal;
    return {
      id: randomBytes(16).toString('base64url'),
      kind: requirement.kind,
      status: 'pending',
      createdAt: now,
      expiresAt: now + requirement.timeoutMs,
      requester: {
        subject: principal.subject,
        ...(principal.email ? { email: principal.email } : {}),
        groups: principal.groups,
        ...(principal.deviceId ? { deviceId: principal.deviceId } : {}),
      },
      action: {
        hash: action.hash,
        protocol: action.protocol,
        target: action.target,
        sessionId: action.sessionId,
        source: action.source,
        command: action.command.length > MAX_COMMAND_CHARS ? `${action.command.slice(0, MAX_COMMAND_CHARS)}…` : action.command,
        risk: decision.risk,
        rules: decision.rules,
        facts: action.classification.facts,
      },
      requirement,
      ...(action.reason ? { reason: action.reason.slice(0, 500) } : {}),
      eligible: requirement.kind === 'approval' ? describeApprovers(requirement) : `${principal.subject} (the requester) with a second factor`,
      votes: [],
      replica: this.options.replicaId,
    };
  }

  private notify(record: ApprovalRecord, links: ApprovalLinks): void {
    for (const channel of this.channels) {
      if (record.kind !== 'approval' && channel.notifiesStepUps !== true) continue;
      channel.notify(record, links).catch((err: unknown) => this.channelFailed(channel, record, err));
    }
  }

  private update(record: ApprovalRecord): void {
    for (const channel of this.channels) {
      channel.update(record).catch((err: unknown) => this.channelFailed(channel, record, err));
    }
  }

  private channelFailed(channel: ApprovalChannel, record: ApprovalRecord, err: unknown): void {
    this.options.logger.warn({ err, channel: channel.name, approvalId: record.id }, 'approval channel failed');
    this.options.bus.emit({
      type: 'approval.notify_failed',
      at: this.options.clock.now(),
      approvalId: record.id,
      data: { channel: channel.name },
    });
  }
}

function isSamePerson(approver: Principal, record: ApprovalRecord): boolean {
  if (approver.subject === record.requester.subject) return true;
  const a = approver.email?.toLowerCase();
  const r = record.requester.email?.toLowerCase();
  return a !== undefined && r !== undefined && a === r;
}
