import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { SlackChannel } from '../../../src/approvals/channels/slack-channel.js';
import { createSlackWebClient, slackUserLookup } from '../../../src/approvals/channels/slack-web-client.js';
import { FakeSlackApi } from '../../support/fake-slack-api.js';
import { NOW, directoryWith, harness, makeRecord, silentLogger } from './fixtures.js';

const LINKS = { url: 'https://airlock.example/approvals/x', approveCommand: 'airlock approve x', denyCommand: 'airlock deny x' };

describe('SlackChannel against a fake Slack Web API', () => {
  const slack = new FakeSlackApi();
  before(() => slack.start());
  after(() => slack.stop());
  beforeEach(() => {
    slack.calls.length = 0;
    slack.up();
  });

  function channel(over: { dm?: boolean; channel?: string | undefined; retries?: number; maxQueue?: number; registry?: Registry } = {}) {
    const h = harness();
    const client = createSlackWebClient({ bot_token: 'xoxb-test', api_url: slack.url, timeout: 2000, retries: over.retries ?? 2 }, silentLogger, { minTimeoutMs: 5, maxTimeoutMs: 20 });
    slack.addUser({ id: 'UALICE', email: 'alice@example.com' });
    const directory = directoryWith({ slack: slackUserLookup(client), lookupByEmail: true });
    const ch = new SlackChannel({
      config: { channel: 'channel' in over ? over.channel : 'CAPPROVALS', dm_approvers: over.dm ?? false, notify_requester: true, max_queue: over.maxQueue ?? 100 },
      client,
      directory,
      logger: silentLogger,
      bus: h.bus,
      clock: h.clock,
      refWaitMs: 200,
      ...(over.registry ? { registry: over.registry } : {}),
    });
    return { ...h, ch };
  }

  it('posts the request to the channel with the bot token, and DMs approvers but never the requester', async () => {
    const { ch } = channel({ dm: true });
    const record = makeRecord();
    await ch.notify(record, LINKS);
    await ch.idle();
    const posts = slack.callsOf('chat.postMessage');
    assert.deepEqual(posts.map((c) => c.args['channel']).sort(), ['CAPPROVALS', 'DUBOB']);
    assert.equal(posts[0]!.authorization, 'Bearer xoxb-test');
    assert.deepEqual(slack.callsOf('conversations.open').map((c) => c.args['users']), ['UBOB']);
    const blocks = JSON.stringify(posts[0]!.args['blocks']);
    assert.ok(blocks.includes(`${record.id}:${record.action.hash}`));
    assert.deepEqual(ch.stats(), { queued: 0, sent: 1, failed: 0, dropped: 0 });
  });

  it('updates every posted message on a vote and on the verdict, then DMs the requester once', async () => {
    const { ch } = channel({ dm: true });
    const record = makeRecord({ count: 2 });
    await ch.notify(record, LINKS);
    const vote = { approver: 'bob', groups: ['dba'], decision: 'approve' as const, at: NOW, mfa: false, channel: 'slack' };
    await ch.update({ ...record, votes: [vote] });
    const final = { ...record, votes: [vote], status: 'denied' as const, resolution: { status: 'denied' as const, at: NOW, by: ['carol'], reason: 'denied by carol: no' } };
    await ch.update(final);
    await ch.update(final);
    await ch.idle();
    const posted = slack.callsOf('chat.postMessage').filter((c) => c.args['channel'] !== 'DUALICE');
    const updates = slack.callsOf('chat.update');
    assert.equal(updates.length, 6, 'two messages x three updates');
    for (const u of updates) assert.ok(posted.some((p) => p.args['channel'] === u.args['channel']));
    assert.match(JSON.stringify(updates[0]!.args['blocks']), /Progress: 1\/2 of dba/);
    const last = JSON.stringify(updates.at(-1)!.args['blocks']);
    assert.match(last, /Denied/);
    assert.ok(!last.includes('"type":"actions"'), 'no buttons after the verdict');
    const toRequester = slack.callsOf('chat.postMessage').filter((c) => c.args['channel'] === 'DUALICE');
    assert.equal(toRequester.length, 1);
    assert.match(String(toRequester[0]!.args['text']), /denied/i);
  });

  it('retries a rate-limited post after Retry-After, then succeeds', async () => {
    const { ch } = channel();
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    await ch.notify(makeRecord(), LINKS);
    await ch.idle();
    const attempts = slack.calls.filter((c) => c.method === 'chat.postMessage');
    assert.deepEqual(attempts.map((c) => c.status), [429, 200]);
    assert.ok(attempts[1]!.at - attempts[0]!.at >= 900, `retried after ${attempts[1]!.at - attempts[0]!.at} ms, Retry-After was 1 s`);
    assert.deepEqual(ch.stats(), { queued: 0, sent: 1, failed: 0, dropped: 0 });
  });

  it('retries a 500 with backoff', async () => {
    const { ch } = channel();
    slack.failNext('chat.postMessage', { status: 500 }, 2);
    await ch.notify(makeRecord(), LINKS);
    await ch.idle();
    assert.deepEqual(slack.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.status), [500, 500, 200]);
    assert.equal(ch.stats().sent, 1);
  });

  it('never throws when Slack is down: logs, counts and emits approval.notify_failed', async () => {
    const registry = new Registry();
    const { ch, events } = channel({ retries: 1, registry });
    slack.down();
    const record = makeRecord();
    await assert.doesNotReject(ch.notify(record, LINKS));
    await assert.doesNotReject(ch.update({ ...record, status: 'expired', resolution: { status: 'expired', at: NOW, by: [], reason: 'timeout' } }));
    await ch.idle();
    assert.equal(ch.stats().failed, 3, 'post, update and requester DM each failed');
    const failed = events.filter((e) => e.type === 'approval.notify_failed');
    assert.deepEqual(failed.map((e) => e.data?.['what']), ['notify', 'update', 'requester_dm']);
    assert.ok(failed.every((e) => e.approvalId === record.id && e.data?.['channel'] === 'slack'));
    assert.ok(!JSON.stringify(failed).includes('xoxb-test'));
    const metrics = await registry.getSingleMetricAsString('airlock_approval_channel_deliveries_total');
    assert.match(metrics, /airlock_approval_channel_deliveries_total\{channel="slack",outcome="failed"\} 3/);
  });

  it('a platform error (channel_not_found) fails without retry and is reported', async () => {
    const { ch, events } = channel();
    slack.failNext('chat.postMessage', { status: 200, error: 'channel_not_found' });
    await ch.notify(makeRecord(), LINKS);
    await ch.idle();
    assert.equal(slack.calls.filter((c) => c.method === 'chat.postMessage').length, 1);
    assert.match(String(events.find((e) => e.type === 'approval.notify_failed')?.reason), /channel_not_found/);
  });

  it('drops beyond max_queue instead of growing, and counts it', async () => {
    const { ch, events } = channel({ maxQueue: 1 });
    await ch.notify(makeRecord(), LINKS);
    await ch.notify(makeRecord(), LINKS);
    await ch.idle();
    assert.equal(ch.stats().dropped, 1);
    assert.equal(ch.stats().sent, 1);
    assert.match(String(events.find((e) => e.type === 'approval.notify_failed')?.reason), /queue full/);
  });

  it('ignores step-up requests (only the requester decides those)', async () => {
    const { ch } = channel();
    await ch.notify(makeRecord({ kind: 'step_up', requirement: { kind: 'step_up', timeoutMs: 1000 } }), LINKS);
    await ch.idle();
    assert.equal(slack.calls.length, 0);
  });
});
