import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SlackInteractions } from '../../../src/approvals/channels/slack-interactions.js';
import { ACTION_APPROVE, ACTION_DENY, DECISION_MODAL, MFA_BLOCK, REASON_BLOCK, INPUT_ACTION } from '../../../src/approvals/channels/slack-message.js';
import { createSlackWebClient, slackUserLookup } from '../../../src/approvals/channels/slack-web-client.js';
import type { ApprovalRecord } from '../../../src/model/approval-record.js';
import { signRequest } from '../../../src/control/request-signature.js';
import { createSlackInteractivityHandler } from '../../../src/control/slack-interactivity.js';
import { FakeSlackApi } from '../../support/fake-slack-api.js';
import { NOW, VALID_CODE, directoryWith, harness, makeRecord, silentLogger } from './fixtures.js';

const SECRET = 'test-signing-secret';

function signed(payload: unknown, at = NOW, secret = SECRET) {
  const body = Buffer.from(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
  const ts = String(Math.floor(at / 1000));
  return { body, headers: { 'x-slack-request-timestamp': ts, 'x-slack-signature': signRequest(secret, ts, body), 'content-type': 'application/x-www-form-urlencoded' } };
}

function click(record: ApprovalRecord, user: string, decision: 'approve' | 'deny', over: { value?: string; actionId?: string } = {}) {
  return {
    type: 'block_actions',
    user: { id: user },
    trigger_id: 'trigger-1',
    channel: { id: 'CAPPROVALS' },
    container: { channel_id: 'CAPPROVALS', message_ts: '1000.000100' },
    response_url: 'https://hooks.slack.com/actions/T1/1/x',
    actions: [{ action_id: over.actionId ?? `${decision === 'approve' ? ACTION_APPROVE : ACTION_DENY}:${record.id}`, value: over.value ?? `${record.id}:${record.action.hash}` }],
  };
}

function submit(view: Record<string, any>, user: string, values: { reason?: string; code?: string }) {
  const state: Record<string, unknown> = {};
  if (values.reason !== undefined) state[REASON_BLOCK] = { [INPUT_ACTION]: { type: 'plain_text_input', value: values.reason } };
  if (values.code !== undefined) state[MFA_BLOCK] = { [INPUT_ACTION]: { type: 'plain_text_input', value: values.code } };
  return { type: 'view_submission', user: { id: user }, view: { ...view, id: 'V1', state: { values: state } } };
}

describe('Slack interactivity endpoint', () => {
  const slack = new FakeSlackApi();
  before(() => slack.start());
  after(() => slack.stop());
  beforeEach(() => {
    slack.calls.length = 0;
  });

  function setup(ackBudgetMs?: number) {
    const h = harness();
    const client = createSlackWebClient({ bot_token: 'xoxb-test', api_url: slack.url, timeout: 2000, retries: 0 }, silentLogger);
    const directory = directoryWith({ slack: slackUserLookup(client), lookupByEmail: true });
    const interactions = new SlackInteractions({ client, directory, sink: h.sink, bus: h.bus, logger: silentLogger, clock: h.clock, ...(ackBudgetMs ? { ackBudgetMs } : {}) });
    const handler = createSlackInteractivityHandler({ signingSecret: SECRET, interactions, bus: h.bus, clock: h.clock, logger: silentLogger });
    const post = async (payload: unknown, at = h.clock.now()) => {
      const req = signed(payload, at);
      return handler(req.body, req.headers);
    };
    const ephemeral = async () => {
      await interactions.idle();
      return slack.callsOf('chat.postEphemeral').map((c) => ({ user: c.args['user'], channel: c.args['channel'], text: String(c.args['text']) }));
    };
    return { ...h, handler, interactions, post, ephemeral };
  }

  it('a signed Approve click from a mapped approver decides, bound to the hash, and answers ephemerally', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord());
    const res = await s.post(click(record, 'UBOB', 'approve'));
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
    const [reply] = await s.ephemeral();
    assert.deepEqual(s.sink.calls.map((c) => [c.id, c.decision, c.actionHash, c.channel, c.approver.subject, c.approver.issuer, c.approver.groups.join()]), [
      [record.id, 'approve', record.action.hash, 'slack', 'bob', 'slack', 'dba'],
    ]);
    assert.equal(reply?.user, 'UBOB');
    assert.equal(reply?.channel, 'CAPPROVALS');
    assert.match(reply!.text, /You approved this request; it is approved/);
  });

  it('reports N of M progress when more approvers are needed', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord({ count: 2 }));
    await s.post(click(record, 'UBOB', 'approve'));
    assert.match((await s.ephemeral())[0]!.text, /more approvers are needed. Progress: 1\/2 of dba/);
  });

  it('refuses a forged signature with 401 and a slack.rejected event; nothing is decided', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord());
    const req = signed(click(record, 'UBOB', 'approve'), NOW, 'wrong-secret');
    const res = await s.handler(req.body, req.headers, { source: '203.0.113.9' });
    assert.equal(res.status, 401);
    assert.equal(JSON.parse(res.body).code, 'AIRLOCK_UNAUTHENTICATED');
    assert.deepEqual(s.events.map((e) => [e.type, e.reason, e.source]), [['slack.rejected', 'bad_signature', '203.0.113.9']]);
    const tampered = signed(click(record, 'UBOB', 'approve'));
    const res2 = await s.handler(Buffer.from(tampered.body.toString().replace('UBOB', 'UCAR')), tampered.headers);
    assert.equal(res2.status, 401);
    const unsigned = await s.handler(tampered.body, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(unsigned.status, 401);
    await s.interactions.idle();
    assert.equal(s.sink.calls.length, 0);
    assert.equal(slack.calls.length, 0);
  });

  it('refuses a stale (or future) request and a replay', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord());
    const stale = await s.post(click(record, 'UBOB', 'approve'), NOW - 5 * 60_000 - 1000);
    assert.equal(stale.status, 401);
    const future = await s.post(click(record, 'UBOB', 'approve'), NOW + 5 * 60_000 + 1000);
    assert.equal(future.status, 401);
    const req = signed(click(record, 'UBOB', 'deny'));
    assert.equal((await s.handler(req.body, req.headers)).status, 200);
    const replay = await s.handler(req.body, req.headers);
    assert.equal(replay.status, 401);
    assert.deepEqual(s.events.filter((e) => e.type === 'slack.rejected').map((e) => e.reason), ['stale', 'future', 'replayed']);
  });

  it('refuses self-approval with a clear ephemeral message and an event', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord({ requester: { subject: 'bob', email: 'bob@example.com', groups: ['dba'] } }));
    await s.post(click(record, 'UBOB', 'approve'));
    const [reply] = await s.ephemeral();
    assert.match(reply!.text, /cannot approve or deny your own request/);
    assert.equal(s.sink.records.get(record.id)!.votes.length, 0);
    assert.deepEqual(s.events.map((e) => [e.type, e.reason, e.subject]), [['slack.rejected', 'AIRLOCK_SELF_APPROVAL', 'bob']]);
  });

  it('refuses an unknown Slack user clearly (mapping and email lookup both fail)', async () => {
    const s = setup();
    slack.addUser({ id: 'UMALLORY', email: 'mallory@evil.example' });
    const record = s.sink.add(makeRecord());
    await s.post(click(record, 'UMALLORY', 'approve'));
    const [reply] = await s.ephemeral();
    assert.match(reply!.text, /does not know you as an approver \(Slack user UMALLORY\)/);
    assert.equal(s.sink.calls.length, 0);
    assert.deepEqual(s.events.map((e) => [e.type, e.reason, e.data?.['slack_user']]), [['slack.rejected', 'unknown_user', 'UMALLORY']]);
    assert.deepEqual(slack.callsOf('users.info').map((c) => c.args['user']), ['UMALLORY']);
  });

  it('an approver found through users.info email may decide', async () => {
    const s = setup();
    slack.addUser({ id: 'UCAROL', email: 'carol@example.com' });
    const record = s.sink.add(makeRecord());
    await s.post(click(record, 'UCAROL', 'approve'));
    await s.interactions.idle();
    assert.equal(s.sink.calls[0]?.approver.subject, 'carol');
  });

  it('refuses someone outside the approver groups, and a click whose value names another action', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord());
    await s.post(click(record, 'UDAVE', 'approve'));
    assert.match((await s.ephemeral())[0]!.text, /not an approver for this request: only 1 of dba may decide/);
    const other = makeRecord({ command: 'DROP TABLE orders' });
    await s.post(click(record, 'UBOB', 'approve', { value: `${record.id}:${other.action.hash}` }));
    const replies = await s.ephemeral();
    assert.match(replies[1]!.text, /AIRLOCK_ACTION_MISMATCH/);
    await s.post(click(record, 'UBOB', 'approve', { actionId: `${ACTION_APPROVE}:someone-else` }));
    await s.interactions.idle();
    assert.equal(s.sink.records.get(record.id)!.votes.length, 0);
  });

  it('says so when the request is already closed or already decided by this approver', async () => {
    const s = setup();
    const closed = s.sink.add(makeRecord({ status: 'expired' }));
    await s.post(click(closed, 'UBOB', 'approve'));
    const twice = s.sink.add(makeRecord({ count: 2 }));
    await s.post(click(twice, 'UBOB', 'approve'));
    await s.interactions.idle();
    s.clock.advance(1000); // the same body and timestamp again would be a replay
    await s.post(click(twice, 'UBOB', 'approve'));
    const texts = (await s.ephemeral()).map((r) => r.text);
    assert.match(texts[0]!, /Too late: this request is no longer pending \(expired\)/);
    assert.match(texts[2]!, /already decided/);
  });

  it('Deny opens a reason modal; an empty reason is refused in the modal; a reason records the denial', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord());
    await s.post(click(record, 'UBOB', 'deny'));
    await s.interactions.idle();
    const open = slack.callsOf('views.open')[0]!;
    assert.equal(open.args['trigger_id'], 'trigger-1');
    const view = open.args['view'] as Record<string, any>;
    assert.equal(view['callback_id'], DECISION_MODAL);
    const empty = await s.post(submit(view, 'UBOB', { reason: '  ' }));
    assert.deepEqual(JSON.parse(empty.body), { response_action: 'errors', errors: { [REASON_BLOCK]: 'Say why, for the requester and the audit log.' } });
    const ok = await s.post(submit(view, 'UBOB', { reason: 'not during peak' }));
    const body = JSON.parse(ok.body);
    assert.equal(body.response_action, 'update');
    assert.match(JSON.stringify(body.view), /You denied this request/);
    assert.deepEqual(s.sink.calls.map((c) => [c.decision, c.reason, c.actionHash]), [['deny', 'not during peak', record.action.hash]]);
    assert.equal(s.sink.records.get(record.id)!.status, 'denied');
  });

  it('MFA: Approve opens a TOTP modal; a wrong code is shown in the modal; the right one approves', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord({ mfa: true }));
    await s.post(click(record, 'UBOB', 'approve'));
    await s.interactions.idle();
    assert.equal(s.sink.calls.length, 0, 'nothing decided before the code');
    const view = slack.callsOf('views.open')[0]!.args['view'] as Record<string, any>;
    assert.ok((view['blocks'] as any[]).some((b) => b.block_id === MFA_BLOCK));
    const wrong = await s.post(submit(view, 'UBOB', { code: '000000', reason: '' }));
    assert.deepEqual(JSON.parse(wrong.body), { response_action: 'errors', errors: { [MFA_BLOCK]: 'That code is wrong or expired; enter the current one.' } });
    const right = await s.post(submit(view, 'UBOB', { code: ` ${VALID_CODE.slice(0, 3)} ${VALID_CODE.slice(3)} `, reason: '' }));
    assert.match(JSON.stringify(JSON.parse(right.body).view), /You approved this request/);
    assert.deepEqual(s.sink.calls.map((c) => c.mfaCode), ['000000', VALID_CODE]);
    assert.equal(s.sink.records.get(record.id)!.status, 'approved');
    assert.equal(s.sink.records.get(record.id)!.votes[0]!.mfa, true);
  });

  it('MFA: a self-approver is refused before being asked for a code', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord({ mfa: true, requester: { subject: 'bob', groups: ['dba'] } }));
    await s.post(click(record, 'UBOB', 'approve'));
    assert.match((await s.ephemeral())[0]!.text, /own request/);
    assert.equal(slack.callsOf('views.open').length, 0);
  });

  it('a modal submitted by an unknown user (or with a tampered context) decides nothing', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord());
    await s.post(click(record, 'UBOB', 'deny'));
    await s.interactions.idle();
    const view = slack.callsOf('views.open')[0]!.args['view'] as Record<string, any>;
    const res = await s.post(submit(view, 'UNOBODY', { reason: 'x' }));
    assert.match(JSON.stringify(JSON.parse(res.body).view), /does not know you/);
    const bad = await s.post(submit({ ...view, private_metadata: '{"id":"x"}' }, 'UBOB', { reason: 'x' }));
    assert.match(JSON.stringify(JSON.parse(bad.body).view), /not valid any more/);
    assert.equal(s.sink.calls.length, 0);
  });

  it('a slow decision closes the modal within the budget and follows up ephemerally', async () => {
    const s = setup(50);
    const record = s.sink.add(makeRecord());
    await s.post(click(record, 'UBOB', 'deny'));
    await s.interactions.idle();
    const view = slack.callsOf('views.open')[0]!.args['view'] as Record<string, any>;
    const decide = s.sink.decide.bind(s.sink);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    s.sink.decide = async (input) => {
      await gate;
      return decide(input);
    };
    const res = await s.post(submit(view, 'UBOB', { reason: 'slow' }));
    assert.deepEqual([res.status, res.body], [200, '']);
    release();
    const [reply] = await s.ephemeral();
    assert.match(reply!.text, /You denied this request/);
    assert.equal(reply!.channel, 'CAPPROVALS');
  });

  it('answers 400 to a signed body without a payload, and ignores the Open button', async () => {
    const s = setup();
    const body = Buffer.from('foo=bar');
    const ts = String(NOW / 1000);
    const res = await s.handler(body, { 'x-slack-request-timestamp': ts, 'x-slack-signature': signRequest(SECRET, ts, body) });
    assert.equal(res.status, 400);
    const record = s.sink.add(makeRecord());
    const open = await s.post({ ...click(record, 'UBOB', 'approve'), actions: [{ action_id: 'airlock_open' }] });
    assert.equal(open.status, 200);
    await s.interactions.idle();
    assert.equal(slack.calls.length, 0);
  });
});
