import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SlackInteractions } from '../../../src/approvals/channels/slack-interactions.js';
import { ACTION_APPROVE, ACTION_DENY, INPUT_ACTION, REASON_BLOCK } from '../../../src/approvals/channels/slack-message.js';
import { SlackSocketMode } from '../../../src/approvals/channels/slack-socket-mode.js';
import { createSlackWebClient } from '../../../src/approvals/channels/slack-web-client.js';
import { FakeSlackApi } from '../../support/fake-slack-api.js';
import { directoryWith, harness, makeRecord, silentLogger } from '../../unit/slack/fixtures.js';

// The real @slack/socket-mode client (undici WebSocket) against a local
// stand-in for apps.connections.open and Slack's socket.
describe('Slack Socket Mode', () => {
  const slack = new FakeSlackApi();
  const h = harness();
  let socket: SlackSocketMode;
  let interactions: SlackInteractions;

  before(async () => {
    await slack.start();
    const client = createSlackWebClient({ bot_token: 'xoxb-test', api_url: slack.url, timeout: 2000, retries: 0 }, silentLogger);
    interactions = new SlackInteractions({ client, directory: directoryWith(), sink: h.sink, bus: h.bus, logger: silentLogger, clock: h.clock });
    socket = new SlackSocketMode({ appToken: 'xapp-test', apiUrl: slack.url, interactions, logger: silentLogger });
    assert.equal(await socket.start(), true);
  });
  after(async () => {
    await socket.close();
    await slack.stop();
  });

  it('connects with the app token', () => {
    const open = slack.callsOf('apps.connections.open');
    assert.equal(open.length, 1);
    assert.equal(open[0]!.authorization, 'Bearer xapp-test');
  });

  it('an Approve click over the socket is acked and decided like an HTTP one', async () => {
    const record = h.sink.add(makeRecord());
    const ack = await slack.sendInteractive({
      type: 'block_actions',
      user: { id: 'UBOB' },
      trigger_id: 't',
      channel: { id: 'CAPPROVALS' },
      actions: [{ action_id: `${ACTION_APPROVE}:${record.id}`, value: `${record.id}:${record.action.hash}` }],
    });
    assert.deepEqual(ack, {});
    await interactions.idle();
    assert.equal(h.sink.records.get(record.id)!.status, 'approved');
    const reply = await slack.waitForCall('chat.postEphemeral');
    assert.equal(reply.args['user'], 'UBOB');
  });

  it('a modal submission is answered in the ack (response_action)', async () => {
    const record = h.sink.add(makeRecord());
    await slack.sendInteractive({
      type: 'block_actions',
      user: { id: 'UBOB' },
      trigger_id: 't2',
      channel: { id: 'CAPPROVALS' },
      actions: [{ action_id: `${ACTION_DENY}:${record.id}`, value: `${record.id}:${record.action.hash}` }],
    });
    const open = await slack.waitForCall('views.open', (c) => c.args['trigger_id'] === 't2');
    const view = open.args['view'] as Record<string, unknown>;
    const ack = (await slack.sendInteractive({
      type: 'view_submission',
      user: { id: 'UBOB' },
      view: { ...view, state: { values: { [REASON_BLOCK]: { [INPUT_ACTION]: { value: 'not now' } } } } },
    })) as { response_action?: string };
    assert.equal(ack.response_action, 'update');
    assert.equal(h.sink.records.get(record.id)!.status, 'denied');
  });

  it('an unknown user over the socket is refused with an event', async () => {
    const record = h.sink.add(makeRecord());
    await slack.sendInteractive({
      type: 'block_actions',
      user: { id: 'UZED' },
      channel: { id: 'CAPPROVALS' },
      actions: [{ action_id: `${ACTION_APPROVE}:${record.id}`, value: `${record.id}:${record.action.hash}` }],
    });
    await interactions.idle();
    assert.ok(h.events.some((e) => e.type === 'slack.rejected' && e.reason === 'unknown_user'));
    assert.equal(h.sink.records.get(record.id)!.votes.length, 0);
  });
});
