import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SlackUserLookup } from '../../../src/approvals/approver-directory.js';
import { DIRECTORY, NOW, directoryWith } from './fixtures.js';

function lookup(emails: Record<string, string | null>, byEmail: Record<string, string> = {}): SlackUserLookup & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async emailOf(id) {
      calls.push(`info:${id}`);
      return emails[id] ?? null;
    },
    async userIdByEmail(email) {
      calls.push(`lookup:${email}`);
      return byEmail[email] ?? null;
    },
  };
}

describe('approver directory', () => {
  it('maps a configured Slack user to a principal with directory groups, issuer slack', async () => {
    const p = await directoryWith().resolveSlackUser('UBOB');
    assert.deepEqual(
      { subject: p?.subject, email: p?.email, groups: p?.groups, issuer: p?.issuer, amr: p?.authMethods, exp: p?.expiresAt },
      { subject: 'bob', email: 'bob@example.com', groups: ['dba'], issuer: 'slack', amr: ['slack'], exp: NOW + 60_000 },
    );
  });

  it('slack.users wins over an entry slack_user', async () => {
    const d = directoryWith({ slackUsers: { UOTHER: 'carol', UBOB: 'carol' } });
    assert.equal((await d.resolveSlackUser('UOTHER'))?.subject, 'carol');
    assert.equal((await d.resolveSlackUser('UBOB'))?.subject, 'carol');
    assert.equal(await d.slackIdFor('carol'), 'UBOB');
  });

  it('refuses unknown users, and does not look them up when lookup_by_email is off', async () => {
    const l = lookup({ UCAROL: 'carol@example.com' });
    assert.equal(await directoryWith({ slack: l, lookupByEmail: false }).resolveSlackUser('UCAROL'), null);
    assert.deepEqual(l.calls, []);
  });

  it('resolves through the confirmed email when lookup_by_email is on (case-insensitive), and caches', async () => {
    const l = lookup({ UCAROL: 'Carol@Example.com', UMALLORY: 'mallory@evil.example', UBOT: null });
    const d = directoryWith({ slack: l, lookupByEmail: true });
    assert.equal((await d.resolveSlackUser('UCAROL'))?.subject, 'carol');
    assert.equal((await d.resolveSlackUser('UCAROL'))?.groups.join(), 'dba,security');
    assert.equal(await d.resolveSlackUser('UMALLORY'), null, 'an email outside the directory is unknown');
    assert.equal(await d.resolveSlackUser('UBOT'), null, 'no confirmed email, no approver');
    assert.deepEqual(l.calls, ['info:UCAROL', 'info:UMALLORY', 'info:UBOT']);
  });

  it('finds Slack ids to DM for approvers and requesters, and never throws on lookup failure', async () => {
    const failing: SlackUserLookup = { emailOf: async () => null, userIdByEmail: async () => Promise.reject(new Error('down')) };
    const d = directoryWith({ slack: lookup({}, { 'carol@example.com': 'UCAROL' }), lookupByEmail: true });
    assert.equal(await d.slackIdFor('bob'), 'UBOB');
    assert.equal(await d.slackIdFor('carol'), 'UCAROL');
    assert.equal(await d.slackIdFor('zed', 'nobody@example.com'), null);
    assert.equal(await directoryWith({ slack: failing, lookupByEmail: true }).slackIdFor('carol'), null);
  });

  it('lists approvers of groups', () => {
    assert.deepEqual(directoryWith().inGroups(['dba']).map((e) => e.subject), ['bob', 'carol']);
    assert.equal(directoryWith().bySubject('alice'), DIRECTORY[0]);
    assert.equal(directoryWith().byEmail('BOB@example.com')?.subject, 'bob');
  });
});
