import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { EventBus } from '../../audit/events.js';
import {
  AirlockError,
  AlreadyDecidedError,
  ApprovalClosedError,
  ApprovalNotFoundError,
  MfaInvalidError,
  MfaNotEnrolledError,
  MfaReplayError,
  MfaRequiredError,
  NotAnApproverError,
  SelfApprovalError,
  toClientError,
} from '../../errors.js';
import type { Principal } from '../../model/principal.js';
import type { Clock } from '../../time/clock.js';
import type { ApprovalRecord } from '../../model/approval-record.js';
import type { ApproverDirectory } from '../approver-directory.js';
import type { DecisionInput, DecisionSink } from '../decision-input.js';
import { isEligibleApprover, quorumProgress } from '../quorum.js';
import {
  ACTION_APPROVE,
  ACTION_DENY,
  DECISION_MODAL,
  INPUT_ACTION,
  MFA_BLOCK,
  REASON_BLOCK,
  decisionModal,
  escapeMrkdwn,
  parseDecisionValue,
  parseModalContext,
  resultView,
  type ModalContext,
} from './slack-message.js';
import { slackErrorName } from './slack-web-client.js';


export interface SlackInteractionsDeps {
  readonly client: WebClient;
  readonly directory: ApproverDirectory;
  readonly sink: DecisionSink;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly clock: Clock;
  /** How long a modal submission may wait for the decision before Slack's 3 s deadline. */
  readonly ackBudgetMs?: number;
}

/** The acknowledgement for Slack: an HTTP body, or a Socket Mode ack payload. */
export interface SlackAck {
  readonly body?: Record<string, unknown>;
}

/** The parts of Slack's interaction payloads we read; everything else is ignored. */
interface Interaction {
  readonly type: string;
  readonly userId: string;
  readonly triggerId?: string;
  readonly channelId?: string;
  readonly actions: readonly { readonly actionId: string; readonly value?: string }[];
  readonly view?: {
    readonly callbackId?: string;
    readonly privateMetadata?: string;
    readonly values: Readonly<Record<string, Readonly<Record<string, { readonly value?: string | null }>>>>;
  };
}

type Outcome = { readonly ok: true; readonly record: ApprovalRecord } | { readonly ok: false; readonly error: unknown };

/**
 * Turns Slack clicks and modal submissions into verified decisions. The same
 * code serves the HTTP interactivity endpoint (after the signature check)
 * and Socket Mode. The Slack user is mapped to a directory approver; the
 * broker decides whether their decision counts.
 */
export class SlackInteractions {
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly deps: SlackInteractionsDeps) {}

  /** Handles one payload; resolves with the acknowledgement well within Slack's 3 s. */
  async handle(raw: unknown): Promise<SlackAck> {
    const interaction = parseInteraction(raw);
    if (!interaction) return {};
    if (interaction.type === 'block_actions') {
      // Ack at once; the click is handled in the background (views.open needs the trigger within 3 s).
      this.track(this.onBlockAction(interaction));
      return {};
    }
    if (interaction.type === 'view_submission' && interaction.view?.callbackId === DECISION_MODAL) {
      return this.onModalSubmit(interaction);
    }
    return {};
  }

  /** Resolves when background work started so far is done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private track(work: Promise<void>): void {
    const p = work.catch((err: unknown) => this.deps.logger.error({ err: slackErrorName(err) }, 'Slack interaction failed'));
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private async onBlockAction(interaction: Interaction): Promise<void> {
    const action = interaction.actions.find((a) => a.actionId.startsWith(`${ACTION_APPROVE}:`) || a.actionId.startsWith(`${ACTION_DENY}:`));
    if (!action) return; // the Open link button, or something we did not post
    const decision = action.actionId.startsWith(`${ACTION_APPROVE}:`) ? 'approve' : 'deny';
    const bound = parseDecisionValue(action.value);
    if (!bound || action.actionId !== `${decision === 'approve' ? ACTION_APPROVE : ACTION_DENY}:${bound.id}`) {
      this.reject(interaction.userId, 'malformed_action');
      return;
    }
    const reply = (text: string) => this.ephemeral(interaction.channelId, interaction.userId, text);
    const approver = await this.approver(interaction.userId, bound.id);
    if (!approver.ok) return reply(approver.text);
    let record: ApprovalRecord | null;
    try {
      record = await this.deps.sink.get(bound.id);
    } catch (err) {
      return reply(refusalText(err));
    }
    const refusal = precheck(record, approver.principal, this.deps.clock.now(), bound.id);
    if (refusal) {
      this.reject(interaction.userId, refusal.code, bound.id, approver.principal.subject);
      return reply(refusalText(refusal));
    }
    const mfa = record?.requirement.kind === 'approval' && record.requirement.mfa;
    if (decision === 'deny' || mfa) {
      if (!interaction.triggerId || !record) return reply(':warning: Slack sent no trigger for the form; please click again.');
      const context: ModalContext = { ...bound, decision, ...(interaction.channelId ? { channel: interaction.channelId } : {}) };
      try {
        await this.deps.client.views.open({ trigger_id: interaction.triggerId, view: decisionModal(record, context) });
      } catch (err) {
        this.deps.logger.warn({ approvalId: bound.id, error: slackErrorName(err) }, 'Slack views.open failed');
        return reply(':warning: Slack could not open the form (it expires after 3 seconds); please click again.');
      }
      return;
    }
    const outcome = await this.decide({ id: bound.id, approver: approver.principal, decision, actionHash: bound.hash, channel: 'slack' });
    if (!outcome.ok) this.refused(outcome.error, interaction.userId, bound.id, approver.principal.subject);
    return reply(outcome.ok ? successText(outcome.record, decision) : refusalText(outcome.error));
  }

  private async onModalSubmit(interaction: Interaction): Promise<SlackAck> {
    const view = interaction.view;
    const context = parseModalContext(view?.privateMetadata);
    if (!view || !context) return { body: { response_action: 'update', view: resultView(':warning: This form is not valid any more.') } };
    const reason = view.values[REASON_BLOCK]?.[INPUT_ACTION]?.value?.trim() || undefined;
    const code = view.values[MFA_BLOCK]?.[INPUT_ACTION]?.value?.replace(/\s+/g, '') || undefined;
    if (context.decision === 'deny' && !reason) {
      return { body: { response_action: 'errors', errors: { [REASON_BLOCK]: 'Say why, for the requester and the audit log.' } } };
    }
    const work = (async (): Promise<SlackAck> => {
      const approver = await this.approver(interaction.userId, context.id);
      if (!approver.ok) return { body: { response_action: 'update', view: resultView(approver.text) } };
      const outcome = await this.decide({
        id: context.id,
        approver: approver.principal,
        decision: context.decision,
        actionHash: context.hash,
        channel: 'slack',
        ...(reason ? { reason } : {}),
        ...(code ? { mfaCode: code } : {}),
      });
      if (outcome.ok) return { body: { response_action: 'update', view: resultView(successText(outcome.record, context.decision)) } };
      this.refused(outcome.error, interaction.userId, context.id, approver.principal.subject);
      const e = outcome.error;
      if ((e instanceof MfaInvalidError || e instanceof MfaReplayError || e instanceof MfaRequiredError) && view.values[MFA_BLOCK]) {
        return { body: { response_action: 'errors', errors: { [MFA_BLOCK]: refusalText(e, false) } } };
      }
      return { body: { response_action: 'update', view: resultView(refusalText(e)) } };
    })();
    // Past the budget the modal closes and the outcome follows as an ephemeral message.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.deps.ackBudgetMs ?? 2500)));
    const first = await Promise.race([work, late]);
    clearTimeout(timer);
    if (first !== 'late') return first;
    this.track(
      work.then(async (ack) => {
        const text = (ack.body?.['view'] as { blocks?: { text?: { text?: string } }[] } | undefined)?.blocks?.[0]?.text?.text;
        const errors = ack.body?.['errors'] as Record<string, string> | undefined;
        await this.ephemeral(context.channel, interaction.userId, text ?? `:no_entry: ${Object.values(errors ?? {})[0] ?? 'Your decision was not recorded.'}`);
      }),
    );
    return {};
  }

  private async approver(userId: string, approvalId: string): Promise<{ ok: true; principal: Principal } | { ok: false; text: string }> {
    let principal: Principal | null;
    try {
      principal = await this.deps.directory.resolveSlackUser(userId);
    } catch (err) {
      this.deps.logger.warn({ error: slackErrorName(err), slackUser: userId }, 'Slack user lookup failed');
      return { ok: false, text: ':warning: Airlock could not look you up in Slack just now; nothing was decided. Please try again.' };
    }
    if (!principal) {
      this.reject(userId, 'unknown_user', approvalId);
      return {
        ok: false,
        text: `:no_entry: Airlock does not know you as an approver (Slack user ${userId}), so nothing was decided. An admin can map you in \`approvals.channels.slack.users\` or \`approvals.directory\`.`,
      };
    }
    return { ok: true, principal };
  }

  private async decide(input: DecisionInput): Promise<Outcome> {
    try {
      return { ok: true, record: await this.deps.sink.decide(input) };
    } catch (error) {
      if (!(error instanceof AirlockError) || !error.clientSafe) this.deps.logger.error({ err: error, approvalId: input.id }, 'Slack decision failed');
      return { ok: false, error };
    }
  }

  private refused(error: unknown, userId: string, approvalId: string, subject: string): void {
    this.reject(userId, error instanceof AirlockError ? error.code : 'internal', approvalId, subject);
  }

  private reject(userId: string, reason: string, approvalId?: string, subject?: string): void {
    this.deps.bus.emit({
      type: 'slack.rejected',
      at: this.deps.clock.now(),
      reason,
      ...(subject ? { subject } : {}),
      ...(approvalId ? { approvalId } : {}),
      data: { slack_user: userId },
    });
  }

  private async ephemeral(channel: string | undefined, user: string, text: string): Promise<void> {
    if (!channel) {
      this.deps.logger.warn({ slackUser: user }, 'no Slack channel to answer in');
      return;
    }
    try {
      await this.deps.client.chat.postEphemeral({ channel, user, text });
    } catch (err) {
      this.deps.logger.warn({ error: slackErrorName(err), slackUser: user }, 'Slack chat.postEphemeral failed');
    }
  }
}

/** Checks made before asking for a reason or a code; the broker checks again and decides. */
function precheck(record: ApprovalRecord | null, approver: Principal, now: number, id: string): AirlockError | null {
  if (!record) return new ApprovalNotFoundError(`no request ${id}`);
  if (record.status !== 'pending' || record.expiresAt <= now) {
    return new ApprovalClosedError(`this request is no longer pending (${record.status === 'pending' ? 'expired' : record.status})`);
  }
  const sameEmail = approver.email && record.requester.email && approver.email.toLowerCase() === record.requester.email.toLowerCase();
  if (approver.subject === record.requester.subject || sameEmail) return new SelfApprovalError('you cannot decide your own request');
  if (record.requirement.kind !== 'approval' || !isEligibleApprover(record.requirement, approver.groups)) {
    return new NotAnApproverError(`only ${record.eligible} may decide this request`);
  }
  if (record.votes.some((v) => v.approver === approver.subject)) return new AlreadyDecidedError('you already decided this request');
  return null;
}

function successText(record: ApprovalRecord, decision: 'approve' | 'deny'): string {
  if (decision === 'deny') return ':no_entry: You denied this request. The action will not run.';
  if (record.status === 'approved' || record.status === 'consumed') return ':white_check_mark: You approved this request; it is approved and the action runs once.';
  const progress = record.requirement.kind === 'approval' ? ` Progress: ${quorumProgress(record.requirement, record.votes)}.` : '';
  return `:white_check_mark: Your approval is recorded; more approvers are needed.${progress}`;
}

/** A refusal the approver can act on. Internal errors say nothing more than that. */
export function refusalText(error: unknown, icon = true): string {
  const e = toClientError(error);
  const prefix = icon ? ':no_entry: ' : '';
  if (e instanceof SelfApprovalError) return `${prefix}You cannot approve or deny your own request.`;
  if (e instanceof NotAnApproverError) return `${prefix}You are not an approver for this request: ${escapeMrkdwn(e.message)}.`;
  if (e instanceof AlreadyDecidedError) return `${prefix}You already decided this request.`;
  if (e instanceof ApprovalClosedError) return `${prefix}Too late: ${escapeMrkdwn(e.message)}.`;
  if (e instanceof ApprovalNotFoundError) return `${prefix}This request no longer exists.`;
  if (e instanceof MfaRequiredError) return `${prefix}This request needs your TOTP code.`;
  if (e instanceof MfaInvalidError) return `${prefix}That code is wrong or expired; enter the current one.`;
  if (e instanceof MfaReplayError) return `${prefix}That code was already used; wait for the next one.`;
  if (e instanceof MfaNotEnrolledError) return `${prefix}You have no TOTP enrolled with Airlock (\`airlock totp enroll\`).`;
  if (e.code === 'AIRLOCK_INTERNAL') return `${prefix}Airlock could not record your decision (internal error); nothing was decided.`;
  return `${prefix}${escapeMrkdwn(e.message)} (${e.code})`;
}

// --- the one boundary where Slack's untyped JSON becomes a typed value -----

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function parseInteraction(raw: unknown): Interaction | null {
  const p = obj(raw);
  const type = str(p['type']);
  const userId = str(obj(p['user'])['id']);
  if (!type || !userId) return null;
  const actions = Array.isArray(p['actions'])
    ? p['actions'].map(obj).flatMap((a) => {
        const actionId = str(a['action_id']);
        const value = str(a['value']);
        return actionId ? [{ actionId, ...(value !== undefined ? { value } : {}) }] : [];
      })
    : [];
  const v = p['view'] === undefined ? undefined : obj(p['view']);
  const values: Record<string, Record<string, { value?: string | null }>> = {};
  for (const [block, inputs] of Object.entries(obj(obj(v?.['state'])['values']))) {
    values[block] = {};
    for (const [action, input] of Object.entries(obj(inputs))) {
      const value = obj(input)['value'];
      (values[block] as Record<string, { value?: string | null }>)[action] = { value: typeof value === 'string' ? value : null };
    }
  }
  const channelId = str(obj(p['channel'])['id']) ?? str(obj(p['container'])['channel_id']);
  const triggerId = str(p['trigger_id']);
  const callbackId = str(v?.['callback_id']);
  const privateMetadata = str(v?.['private_metadata']);
  return {
    type,
    userId,
    actions,
    ...(triggerId ? { triggerId } : {}),
    ...(channelId ? { channelId } : {}),
    ...(v ? { view: { values, ...(callbackId ? { callbackId } : {}), ...(privateMetadata !== undefined ? { privateMetadata } : {}) } } : {}),
  };
}
