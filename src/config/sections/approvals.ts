import { z } from 'zod';
import { duration } from '../duration.js';

export const slackSchema = z.strictObject({
  enabled: z.boolean().default(true),
  bot_token: z.string().optional().describe('xoxb- token (or bot_token_file, or AIRLOCK_SLACK_BOT_TOKEN).'),
  signing_secret: z.string().optional().describe('Signing secret (or signing_secret_file, or AIRLOCK_SLACK_SIGNING_SECRET).'),
  app_token: z.string().optional().describe('xapp- token for Socket Mode (or AIRLOCK_SLACK_APP_TOKEN).'),
  socket_mode: z.boolean().default(false),
  channel: z.string().optional().describe('Channel id where requests are posted.'),
  dm_approvers: z.boolean().default(false),
  api_url: z.url().optional().describe('Slack Web API base URL (tests point it at a local server).'),
  users: z.record(z.string(), z.string()).default({}).describe('Slack user id -> approver subject.'),
  lookup_by_email: z.boolean().default(true).describe('Map unknown Slack users through users.lookupByEmail.'),
});

export const webhookSchema = z.strictObject({
  enabled: z.boolean().default(true),
  url: z.url(),
  secret: z.string().optional().describe('HMAC secret (or secret_file, or AIRLOCK_WEBHOOK_SECRET).'),
  timeout: duration('5s'),
  retries: z.int().min(0).max(10).default(3),
});

export const approvalsSchema = z
  .strictObject({
    timeout: duration('10m').describe('How long an approval request waits before it resolves as a timeout (deny).'),
    step_up_timeout: duration('3m').describe('How long a step-up request waits for the requester.'),
    default_approvers: z.string().default('approvers').describe('Approver group of the built-in defaults.'),
    retention: duration('1h').describe('How long closed requests stay listed.'),
    channels: z
      .strictObject({
        console: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
        slack: slackSchema.optional(),
        webhook: webhookSchema.optional(),
      })
      .prefault({}),
  })
  .prefault({});
