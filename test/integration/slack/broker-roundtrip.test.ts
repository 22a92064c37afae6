import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApprovalBroker } from '../../../src/approvals/broker.js';
import { SlackChannel } from '../../../src/approvals/channels/slack-channel.js';
import { SlackInteractions } from '../../../src/approvals/channels/slack-interactions.js';
import { INPUT_ACTION, MFA_BLOCK, REASON_BLOCK } from '../../../src/approvals/channels/slack-message.js';
import { createSlackWebClient, slackUserLookup } from '../../../src/approvals/channels/slack-web-client.js';
import { EventBus, type AirlockEvent } from '../../../src/audit/events.js';
import { signRequest } from '../../../src/control/request-signature.js';
import { createSlackInteractivityHandler } from '../../../src/control/slack-interactivity.js';
import { MfaInvalidError } from '../../../src/errors.js';
import { createAction } from '../../../src/model/action.js';
import type { PolicyDecision } from '../../../src/model/requirement.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { systemClock } from '../../../src/time/clock.js';
import { FakeSlackApi } from '../../support/fake-slack-api.js';
import { DIRECTORY, VALID_CODE, silentLogger } from '../../unit/slack/fixtures.js';
import { ApproverDirectory } from '../../../src/approvals/approver-directory.js';

const SECRET = 'roundtrip-signing-secret';

// The real broker and memory store, the real Slack SDK against a fake Slack:
// a held DROP TABLE is posted, a signed Approve click with a TOTP code
// approves it, the message shows the verdict and the requester is told.
describe('Slack round trip through the real approvals broker', () => {
  const slack = new FakeSlackApi();
  const events: AirlockEvent[] = [];
  const bus = new EventBus();
  bus.on((e) => events.push(e));
  const store = new MemoryStore({ clock: systemClock, logger: silentLogger });
  let broker: ApprovalBroker;
  let channel: SlackChannel;
  let interactions: SlackInteractions;
  let handler: ReturnType<typeof createSlackInteractivityHandler>;

  before(async () => {
    await slack.start();
    const client = createSlackWebClient({ bot_token: 'xoxb-test', api_url: slack.url, timeout: 2000, retries: 1 }, silentLogger, { minTimeoutMs: 5 });
    const directory = new ApproverDirectory({ entries: DIRECTORY, clock: systemClock, lookupByEmail: true, slack: slackUserLookup(client) });
    channel = new SlackChannel({ config: { channel: 'CAPPROVALS', dm_approvers: false, notify_requester: true, max_queue: 100 }, client, directory, logger: silentLogger, bus, clock: systemClock });
    broker = new ApprovalBroker({
      store,
      channels: [channel],
      bus,
      clock: systemClock,
      logger: silentLogger,
      replicaId: 'r1',
      retentionMs: 60_000,
      secondFactor: {
        async verify({ code }) {
          if (code !== VALID_CODE) throw new MfaInvalidError('invalid code');
        },
      },
    });
    interactions = new SlackInteractions({ client, directory, sink: broker, bus, logger: silentLogger, clock: systemClock });
    handler = createSlackInteractivityHandler({ signingSecret: SECRET, interactions, bus, clock: systemClock, logger: silentLogger });
  });
  after(async () => {
    broker.close();
    await channel.close();
    await store.close();
    await slack.stop();
  });

  const post = (payload: unknown) => {
    const body = Buffer.from(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const ts = String(Math.floor(Date.now() / 1000));
    return handler(body, { 'x-slack-request-timestamp': ts, 'x-slack-signature': signRequest(SECRET, ts, body) });
  };

  it('DROP TABLE -> Slack message -> signed Approve + TOTP -> approved once, message and requester updated', async () => {
    const action = createAction({
      principal: { subject: 'alice', email: 'alice@example.com', groups: ['dev'], authMethods: ['pwd'], issuer: 'idp', expiresAt: Date.now() + 3_600_000 },
      protocol: 'postgres',
      target: 'prod-db',
      sessionId: 's1',
      source: '10.0.0.7',
      command: 'DROP TABLE users',
      classification: { risk: 'critical', facts: { kinds: ['drop'], objects: ['users'], flags: [] } },
      reason: 'INC-42',
    });
    const decision: PolicyDecision = {
      risk: 'critical',
      requirement: { kind: 'approval', mode: 'all', quorums: [{ group: 'dba', count: 1 }], timeoutMs: 60_000, mfa: true },
      rules: ['drop-needs-dba'],
      reasons: [],
    };
    const outcome = broker.hold(action, decision);
    const posted = await slack.waitForCall('chat.postMessage', (c) => c.args['channel'] === 'CAPPROVALS');
    const actions = (posted.args['blocks'] as { type: string; elements?: { action_id: string; value?: string }[] }[]).find((b) => b.type === 'actions')!;
    const approve = actions.elements![0]!;
    assert.ok(approve.value!.endsWith(`:${action.hash}`));

    // The requester's own click is refused.
    await post({ type: 'block_actions', user: { id: 'UALICE' }, trigger_id: 't0', channel: { id: 'CAPPROVALS' }, actions: [approve] });
    await interactions.idle();
    assert.match(String(slack.callsOf('chat.postEphemeral')[0]?.args['text']), /own request/);

    await post({ type: 'block_actions', user: { id: 'UBOB' }, trigger_id: 't1', channel: { id: 'CAPPROVALS' }, actions: [approve] });
    const open = await slack.waitForCall('views.open', (c) => c.args['trigger_id'] === 't1');
    const view = open.args['view'] as Record<string, unknown>;
    const submit = (code: string) =>
      post({ type: 'view_submission', user: { id: 'UBOB' }, view: { ...view, state: { values: { [REASON_BLOCK]: { [INPUT_ACTION]: { value: null } }, [MFA_BLOCK]: { [INPUT_ACTION]: { value: code } } } } } });
    const wrong = JSON.parse((await submit('999999')).body) as { response_action: string };
    assert.equal(wrong.response_action, 'errors');
    const right = JSON.parse((await submit(VALID_CODE)).body) as { response_action: string };
    assert.equal(right.response_action, 'update');

    const result = await outcome;
    assert.equal(result.kind, 'approved');
    await channel.idle();
    const update = slack.callsOf('chat.update').at(-1)!;
    assert.deepEqual([update.args['channel'], update.args['ts']], ['CAPPROVALS', posted.response['ts']]);
    assert.match(JSON.stringify(update.args['blocks']), /Approved\* by bob/);
    const dm = await slack.waitForCall('chat.postMessage', (c) => c.args['channel'] === 'DUALICE');
    assert.match(String(dm.args['text']), /approved/i);
    assert.ok(events.some((e) => e.type === 'approval.vote' && e.subject === 'bob' && e.data?.['channel'] === 'slack' && e.data?.['mfa'] === true));
  });
});
