import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { approvalsSchema } from '../../../src/config/sections/approvals.js';

const issues = (input: unknown) => {
  const r = approvalsSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

const slack = { bot_token: 'xoxb-1', signing_secret: 's', channel: 'C1' };

describe('approvals config: slack, webhook, directory', () => {
  it('accepts a minimal Slack setup and fills defaults', () => {
    const parsed = approvalsSchema.parse({ channels: { slack } });
    assert.equal(parsed.channels.slack?.timeout, 10_000);
    assert.equal(parsed.channels.slack?.retries, 4);
    assert.equal(parsed.channels.slack?.lookup_by_email, true);
    assert.equal(parsed.channels.slack?.notify_requester, true);
    assert.deepEqual(parsed.directory, []);
  });

  it('names what is missing', () => {
    assert.deepEqual(issues({ channels: { slack: { channel: 'C1' } } }), [
      'channels.slack.bot_token: Slack is enabled but bot_token is missing (or set AIRLOCK_SLACK_BOT_TOKEN)',
      'channels.slack.signing_secret: the interactivity endpoint needs signing_secret (or use socket_mode)',
    ]);
    assert.deepEqual(issues({ channels: { slack: { ...slack, signing_secret: undefined, socket_mode: true } } }), [
      'channels.slack.app_token: socket_mode needs an app-level token (xapp-...)',
    ]);
    assert.match(issues({ channels: { slack: { ...slack, channel: undefined } } })[0]!, /nobody is told/);
    assert.deepEqual(issues({ channels: { slack: { enabled: false } } }), []);
    assert.match(issues({ channels: { webhook: { url: 'https://hooks.example/x' } } })[0]!, /channels.webhook.secret: the webhook needs a secret/);
  });

  it('checks the directory and the Slack user map against each other', () => {
    const out = issues({
      directory: [
        { subject: 'bob', groups: ['dba'], slack_user: 'UBOB' },
        { subject: 'bob', groups: ['dba'] },
        { subject: 'carol', groups: ['dba'], slack_user: 'UBOB' },
      ],
      channels: { slack: { ...slack, users: { UZED: 'zed' } } },
    });
    assert.deepEqual(out, [
      'directory.1.subject: duplicate approver "bob"',
      'directory.2.slack_user: Slack user UBOB is given to two approvers',
      'channels.slack.users.UZED: maps to "zed", who is not in approvals.directory (their groups would be unknown)',
    ]);
    assert.match(issues({ directory: [{ subject: 'x', slack_user: 'bob' }] })[0]!, /directory.0.slack_user: expected a Slack user id/);
  });
});
