import type { KnownBlock, ModalView } from '@slack/web-api';
import type { ApprovalRequirement } from '../../model/requirement.js';
import type { ApprovalRecord } from '../../model/approval-record.js';
import { quorumProgress } from '../quorum.js';
import type { ApprovalLinks } from './channel.js';
import { maskSecrets } from './secret-mask.js';

// Block Kit for approval requests. Slack's limits (section text 3000,
// header 150, field 2000, modal title 24, private_metadata 3000) are applied
// here, after escaping, so no message is refused for its size.

export const ACTION_APPROVE = 'airlock_approve';
export const ACTION_DENY = 'airlock_deny';
export const ACTION_OPEN = 'airlock_open';
export const DECISION_MODAL = 'airlock_decision';
export const REASON_BLOCK = 'reason';
export const MFA_BLOCK = 'mfa';
export const INPUT_ACTION = 'value';

const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const HEADER_MAX = 150;
const COMMAND_MAX = 2900;
const MODAL_COMMAND_MAX = 1200;

export interface SlackMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
}

/** Button value: binds a click to one request and one action. */
export function decisionValue(record: Pick<ApprovalRecord, 'id' | 'action'>): string {
  return `${record.id}:${record.action.hash}`;
}

export function parseDecisionValue(value: unknown): { id: string; hash: string } | null {
  if (typeof value !== 'string') return null;
  const match = /^([A-Za-z0-9_-]{1,128}):([0-9a-f]{64})$/.exec(value);
  return match ? { id: match[1] as string, hash: match[2] as string } : null;
}

/** Escapes the three characters Slack's mrkdwn treats as control (mentions, links). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts `text` on a code point boundary so that `escape(text)` fits `max`, marking the cut. */
export function truncateEscaped(text: string, max: number, escape: (s: string) => string = escapeMrkdwn): string {
  const full = escape(text);
  if (full.length <= max) return full;
  const marker = '… (truncated)';
  let out = '';
  for (const ch of text) {
    const next = escape(ch);
    if (out.length + next.length + marker.length > max) break;
    out += next;
  }
  return out + marker;
}

/** The command as approvers see it: secrets masked, fenced safely, within limits. */
export function commandBlockText(command: string, max = COMMAND_MAX): string {
  // A ``` inside the command would close the fence early.
  const fenced = (s: string) => escapeMrkdwn(s).replace(/```/g, '`\u200b`\u200b`');
  return '```' + truncateEscaped(maskSecrets(command), max - 6, fenced) + '```';
}

const RISK_ICON: Record<string, string> = { low: ':large_green_circle:', medium: ':large_yellow_circle:', high: ':large_orange_circle:', critical: ':red_circle:' };

function slackDate(ms: number): string {
  const iso = new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

function field(title: string, value: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: `*${title}*\n${truncateEscaped(value, FIELD_MAX - title.length - 4, (s) => s)}` };
}

function requirementOf(record: ApprovalRecord): ApprovalRequirement | null {
  return record.requirement.kind === 'approval' ? record.requirement : null;
}

export function summaryText(record: ApprovalRecord): string {
  return `${record.requester.subject} wants to run a ${record.action.risk}-risk ${record.action.protocol} command on ${record.action.target}`;
}

/** One line per vote, and the quorum progress. */
function votesText(record: ApprovalRecord): string | null {
  if (record.votes.length === 0) return null;
  const lines = record.votes.map((v) => {
    const icon = v.decision === 'approve' ? ':white_check_mark:' : ':no_entry:';
    const verb = v.decision === 'approve' ? 'approved' : 'denied';
    const extra = [v.mfa ? 'with TOTP' : null, `via ${v.channel}`].filter(Boolean).join(', ');
    return `${icon} ${escapeMrkdwn(v.approver)} ${verb} (${extra})${v.reason ? `: ${escapeMrkdwn(v.reason)}` : ''}`;
  });
  const requirement = requirementOf(record);
  if (requirement) lines.push(`Progress: ${quorumProgress(requirement, record.votes)}`);
  return lines.join('\n');
}

/** The verdict line once a request is closed. */
export function outcomeText(record: ApprovalRecord): string {
  const by = record.resolution?.by.length ? record.resolution.by.map(escapeMrkdwn).join(', ') : '';
  const reason = record.resolution?.reason ? escapeMrkdwn(record.resolution.reason) : '';
  switch (record.status) {
    case 'approved':
      return `:white_check_mark: *Approved*${by ? ` by ${by}` : ''}. The action runs once.`;
    case 'consumed':
      return `:white_check_mark: *Approved and executed*${by ? ` (approved by ${by})` : ''}.`;
    case 'denied':
      return `:no_entry: *Denied*${reason ? `: ${reason}` : ''}. The action was not run.`;
    case 'expired':
      return ':hourglass: *Timed out*: nobody decided in time. The action was denied.';
    case 'withdrawn':
      return `:leftwards_arrow_with_hook: *Withdrawn*${reason ? `: ${reason.replace(/^withdrawn: /, '')}` : ''}. Nothing was run.`;
    case 'orphaned':
      return ':ghost: *Orphaned*: the replica holding the statement is gone. Nothing was run; the requester must run it again.';
    default:
      return ':hourglass_flowing_sand: *Waiting for a decision*';
  }
}

/** The request message, as first posted and as updated on each vote and on resolution. */
export function requestMessage(record: ApprovalRecord, links: Pick<ApprovalLinks, 'url'> = {}): SlackMessage {
  const requirement = requirementOf(record);
  const pending = record.status === 'pending';
  const requester = record.requester.email ? `${record.requester.subject} (${record.requester.email})` : record.requester.subject;
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncateEscaped(`Approval needed: ${record.action.protocol} on ${record.action.target}`, HEADER_MAX, (s) => s) },
    },
    {
      type: 'section',
      fields: [
        field('Requester', escapeMrkdwn(requester)),
        field('Target', `${escapeMrkdwn(record.action.target)} (${record.action.protocol})`),
        field('Risk', `${RISK_ICON[record.action.risk] ?? ''} ${record.action.risk}`),
        field('Rules', record.action.rules.length ? record.action.rules.map((r) => `\`${escapeMrkdwn(r)}\``).join(', ') : '(defaults)'),
        field('Who may decide', `${escapeMrkdwn(record.eligible)}${requirement?.mfa ? ' (with TOTP)' : ''}`),
        field(pending ? 'Waits until' : 'Expired at', slackDate(record.expiresAt)),
      ],
    },
  ];
  if (record.reason) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Reason*\n${truncateEscaped(record.reason, SECTION_MAX - 12)}` } });
  }
  if (record.action.facts.impact) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Measured before commit*\n${truncateEscaped(record.action.facts.impact, SECTION_MAX - 30)}` } });
  }
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: commandBlockText(record.action.command) } });
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: truncateEscaped(`Request ${record.id} · action ${record.action.hash.slice(0, 12)} · from ${record.action.source} · session ${record.action.sessionId}`, SECTION_MAX),
      },
    ],
  });
  const votes = votesText(record);
  if (votes) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncateEscaped(votes, SECTION_MAX, (s) => s) } });
  if (!pending) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncateEscaped(outcomeText(record), SECTION_MAX, (s) => s) } });
  if (pending) {
    const value = decisionValue(record);
    blocks.push({
      type: 'actions',
      block_id: 'airlock_decision',
      elements: [
        {
          type: 'button',
          action_id: `${ACTION_APPROVE}:${record.id}`,
          text: { type: 'plain_text', text: 'Approve' },
          style: 'primary',
          value,
          // With MFA the code modal is the confirmation.
          ...(requirement?.mfa
            ? {}
            : {
                confirm: {
                  title: { type: 'plain_text', text: 'Approve this action?' },
                  text: { type: 'mrkdwn', text: truncateEscaped(`${summaryText(record)}.`, 300) },
                  confirm: { type: 'plain_text', text: 'Approve' },
                  deny: { type: 'plain_text', text: 'Cancel' },
                },
              }),
        },
        { type: 'button', action_id: `${ACTION_DENY}:${record.id}`, text: { type: 'plain_text', text: 'Deny' }, style: 'danger', value },
        ...(links.url ? [{ type: 'button' as const, action_id: ACTION_OPEN, text: { type: 'plain_text' as const, text: 'Open' }, url: links.url }] : []),
      ],
    });
  }
  const state = pending ? 'Approval needed' : outcomeText(record).replace(/:[a-z_]+: /, '').replace(/\*/g, '');
  return { text: `${state}: ${summaryText(record)}`, blocks };
}

export interface ModalContext {
  readonly id: string;
  readonly hash: string;
  readonly decision: 'approve' | 'deny';
  /** Where the click happened, for ephemeral replies. */
  readonly channel?: string;
}

export function parseModalContext(raw: unknown): ModalContext | null {
  if (typeof raw !== 'string' || raw.length > 3000) return null;
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    const bound = parseDecisionValue(`${String(v['id'])}:${String(v['hash'])}`);
    if (!bound || (v['decision'] !== 'approve' && v['decision'] !== 'deny')) return null;
    return { ...bound, decision: v['decision'], ...(typeof v['channel'] === 'string' ? { channel: v['channel'] } : {}) };
  } catch {
    return null;
  }
}

/** The modal asking for a deny reason and/or the approver's TOTP code. */
export function decisionModal(record: ApprovalRecord, context: ModalContext): ModalView {
  const mfa = requirementOf(record)?.mfa === true;
  const approve = context.decision === 'approve';
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*${escapeMrkdwn(record.action.target)}* (${record.action.protocol}, ${record.action.risk} risk), requested by ${escapeMrkdwn(record.requester.subject)}\n${commandBlockText(record.action.command, MODAL_COMMAND_MAX)}`,
      },
    },
    {
      type: 'input',
      block_id: REASON_BLOCK,
      optional: approve,
      label: { type: 'plain_text', text: approve ? 'Comment (optional)' : 'Why deny?' },
      element: { type: 'plain_text_input', action_id: INPUT_ACTION, multiline: true, max_length: 500 },
    },
  ];
  if (mfa) {
    blocks.push({
      type: 'input',
      block_id: MFA_BLOCK,
      label: { type: 'plain_text', text: 'Your TOTP code' },
      hint: { type: 'plain_text', text: 'From your authenticator app; this request requires it.' },
      element: { type: 'plain_text_input', action_id: INPUT_ACTION, min_length: 6, max_length: 10, placeholder: { type: 'plain_text', text: '123456' } },
    });
  }
  return {
    type: 'modal',
    callback_id: DECISION_MODAL,
    private_metadata: JSON.stringify(context),
    title: { type: 'plain_text', text: approve ? 'Approve request' : 'Deny request' },
    submit: { type: 'plain_text', text: approve ? 'Approve' : 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/** A closing view that says what happened. */
export function resultView(text: string): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'Airlock' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncateEscaped(text, SECTION_MAX, (s) => s) } }],
  };
}
