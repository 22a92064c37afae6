import { z } from 'zod';
import { duration } from '../duration.js';

/** Slack user ids: U... (users) or W... (Enterprise Grid users). */
const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'expected a Slack user id such as U024BE7LH');

export const approverEntrySchema = z.strictObject({
  subject: z.string().min(1).describe('Approver subject, as in their JWT `sub`.'),
  email: z.email().optional().describe('Work email; used to match Slack users when lookup_by_email is on.'),
  groups: z.array(z.string().min(1)).default([]).describe('Approver groups (the `approvers:` of policy rules).'),
  slack_user: slackUserId.optional().describe('Slack user id of this approver.'),
});

export const slackSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    bot_token: z.string().optional().describe('xoxb- token (or bot_token_file, or AIRLOCK_SLACK_BOT_TOKEN).'),
    signing_secret: z.string().optional().describe('Signing secret (or signing_secret_file, or AIRLOCK_SLACK_SIGNING_SECRET).'),
    app_token: z.string().optional().describe('xapp- token for Socket Mode (or AIRLOCK_SLACK_APP_TOKEN).'),
    socket_mode: z.boolean().default(false).describe('Receive button clicks over Socket Mode instead of the public interactivity URL.'),
    channel: z.string().optional().describe('Channel id where requests are posted.'),
    dm_approvers: z.boolean().default(false).describe('Also DM every approver of the eligible groups who maps to a Slack user.'),
    notify_requester: z.boolean().default(true).describe('DM the requester the final outcome when they map to a Slack user.'),
    api_url: z.url().optional().describe('Slack Web API base URL (tests point it at a local server).'),
    users: z.record(slackUserId, z.string().min(1)).default({}).describe('Slack user id -> approver subject.'),
    lookup_by_email: z.boolean().default(true).describe('Map unknown Slack users through users.info / users.lookupByEmail.'),
    timeout: duration('10s').describe('Timeout of one Slack Web API call.'),
    retries: z.int().min(0).max(10).default(4).describe('Retries of a failed Slack call (rate limits honour Retry-After).'),
    max_queue: z.int().min(1).default(1000).describe('Pending Slack deliveries beyond this are dropped (and counted).'),
  })
  .superRefine((slack, ctx) => {
    if (!slack.enabled) return;
    if (!slack.bot_token) ctx.addIssue({ code: 'custom', path: ['bot_token'], message: 'Slack is enabled but bot_token is missing (or set AIRLOCK_SLACK_BOT_TOKEN)' });
    if (slack.socket_mode && !slack.app_token) {
      ctx.addIssue({ code: 'custom', path: ['app_token'], message: 'socket_mode needs an app-level token (xapp-...)' });
    }
    if (!slack.socket_mode && !slack.signing_secret) {
      ctx.addIssue({ code: 'custom', path: ['signing_secret'], message: 'the interactivity endpoint needs signing_secret (or use socket_mode)' });
    }
    if (!slack.channel && !slack.dm_approvers) {
      ctx.addIssue({ code: 'custom', path: ['channel'], message: 'set a channel, dm_approvers: true, or both: otherwise nobody is told' });
    }
  });

export const webhookSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    url: z.url(),
    secret: z.string().optional().describe('HMAC secret (or secret_file, or AIRLOCK_WEBHOOK_SECRET).'),
    timeout: duration('5s').describe('Timeout of one delivery attempt.'),
    retries: z.int().min(0).max(10).default(3),
    max_queue: z.int().min(1).default(1000).describe('Pending deliveries beyond this are dropped (and counted).'),
    callbacks: z.boolean().default(true).describe('Accept signed decisions on the webhook callback endpoint.'),
  })
  .superRefine((webhook, ctx) => {
    if (webhook.enabled && !webhook.secret) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'the webhook needs a secret to sign with (or set AIRLOCK_WEBHOOK_SECRET)' });
    }
  });

export const emailSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    host: z.string().min(1).describe('SMTP server host.'),
    port: z.int().min(1).max(65535).default(587),
    secure: z.boolean().default(false).describe('Implicit TLS (port 465); otherwise STARTTLS when the server offers it.'),
    user: z.string().optional(),
    password: z.string().optional().describe('SMTP password (or password_file).'),
    from: z.string().min(1).describe('Sender address.'),
    to: z.array(z.email()).min(1).describe('Who is mailed approval requests (step-up requests go to the requester only).'),
    timeout: duration('10s').describe('Timeout of one SMTP connection step.'),
    retries: z.int().min(0).max(10).default(3).describe('Retries of a temporary (4xx or network) failure; 5xx is final.'),
    max_queue: z.int().min(1).default(1000).describe('Pending mails beyond this are dropped (and counted).'),
  });

/** The push services of the major browsers (Chrome/Edge via FCM, Firefox, Windows, Safari). */
export const DEFAULT_PUSH_ENDPOINT_HOSTS = ['fcm.googleapis.com', 'updates.push.services.mozilla.com', '*.notify.windows.com', 'web.push.apple.com', '*.push.apple.com'];

const base64url = (bytes: number, what: string) =>
  z.string().regex(/^[A-Za-z0-9_-]+$/, `${what} must be base64url without padding`).refine((v) => Buffer.from(v, 'base64url').length === bytes, `${what} must be ${bytes} bytes`);

export const pushSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    subject: z
      .string()
      .regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'expected a mailto: address or an https: URL')
      .describe('VAPID subject: how a push service operator can reach you (mailto: or https:).'),
    vapid_public_key: base64url(65, 'vapid_public_key')
      .optional()
      .describe('VAPID public key (uncompressed P-256 point, base64url). With neither key given, a key pair is generated once under server.data_dir.'),
    vapid_private_key: base64url(32, 'vapid_private_key')
      .optional()
      .describe('VAPID private key (base64url; or vapid_private_key_file, or AIRLOCK_PUSH_VAPID_PRIVATE_KEY).'),
    ttl: duration('10m').describe('How long a push service keeps a message for an offline device.'),
    timeout: duration('10s').describe('Timeout of one delivery to a push service.'),
    retries: z.int().min(0).max(10).default(3).describe('Retries of a 429, 5xx or network failure; 404 and 410 remove the subscription.'),
    max_queue: z.int().min(1).default(1000).describe('Pending pushes beyond this are dropped (and counted).'),
    max_subscriptions_per_user: z.int().min(1).max(100).default(10).describe('Devices per person; a new one beyond this replaces their oldest.'),
    endpoint_hosts: z
      .array(z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'expected a host name, optionally *.suffix'))
      .default(DEFAULT_PUSH_ENDPOINT_HOSTS)
      .describe('Push service hosts a subscription may point at (https only; http only for a loopback host listed here).'),
  })
  .superRefine((push, ctx) => {
    if ((push.vapid_public_key === undefined) !== (push.vapid_private_key === undefined)) {
      ctx.addIssue({ code: 'custom', path: [push.vapid_public_key ? 'vapid_private_key' : 'vapid_public_key'], message: 'give both VAPID keys, or neither (a pair is then generated under data_dir)' });
    }
  });

export const approvalsSchema = z
  .strictObject({
    timeout: duration('10m').describe('How long an approval request waits before it resolves as a timeout (deny).'),
    step_up_timeout: duration('3m').describe('How long a step-up request waits for the requester.'),
    default_approvers: z.string().default('approvers').describe('Approver group of the built-in defaults.'),
    retention: duration('1h').describe('How long closed requests stay listed.'),
    store_grace: duration('5s').describe('How long a held statement rides out a store outage (retrying with backoff) before it fails closed.'),
    directory: z
      .array(approverEntrySchema)
      .default([])
      .describe('Approvers reachable through Slack and webhooks, with their groups (Slack users carry none).'),
    channels: z
      .strictObject({
        console: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
        slack: slackSchema.optional(),
        webhook: webhookSchema.optional(),
        email: emailSchema.optional(),
        push: pushSchema.optional(),
      })
      .prefault({}),
  })
  .superRefine((approvals, ctx) => {
    const subjects = new Set<string>();
    const slackUsers = new Set<string>();
    approvals.directory.forEach((entry, index) => {
      if (subjects.has(entry.subject)) {
        ctx.addIssue({ code: 'custom', path: ['directory', index, 'subject'], message: `duplicate approver "${entry.subject}"` });
      }
      subjects.add(entry.subject);
      if (entry.slack_user) {
        if (slackUsers.has(entry.slack_user)) {
          ctx.addIssue({ code: 'custom', path: ['directory', index, 'slack_user'], message: `Slack user ${entry.slack_user} is given to two approvers` });
        }
        slackUsers.add(entry.slack_user);
      }
    });
    for (const [user, subject] of Object.entries(approvals.channels.slack?.users ?? {})) {
      if (!subjects.has(subject)) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels', 'slack', 'users', user],
          message: `maps to "${subject}", who is not in approvals.directory (their groups would be unknown)`,
        });
      }
    }
  })
  .prefault({});

export type ApproverEntryConfig = z.output<typeof approverEntrySchema>;
export type SlackConfig = z.output<typeof slackSchema>;
export type WebhookConfig = z.output<typeof webhookSchema>;
export type EmailConfig = z.output<typeof emailSchema>;
export type PushConfig = z.output<typeof pushSchema>;
