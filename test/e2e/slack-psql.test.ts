import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { FakeSlackApi, type RecordedCall } from '../support/fake-slack-api.js';
import { direct, psql, tableExists, uniqueName } from '../support/pg-clients.js';
import { requirePostgres, waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const CHANNEL = 'CAPPROVALS';
const BOB = 'U0BOB0001';
const ALICE = 'U0ALICE01';

interface Button {
  readonly action_id: string;
  readonly value?: string;
  readonly text: { readonly text: string };
}

/** Signs a body as Slack does: v0=hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body)). */
function slackHeaders(body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

/** A block_actions payload as Slack sends it when `user` clicks `button` on the posted message. */
function blockActions(user: string, button: Button, message: RecordedCall): string {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0TEAM', domain: 'example' },
    user: { id: user, username: user.toLowerCase(), team_id: 'T0TEAM' },
    api_app_id: 'A0AIRLOCK',
    token: 'verification-token-unused',
    container: { type: 'message', message_ts: message.response['ts'], channel_id: CHANNEL, is_ephemeral: false },
    trigger_id: `trigger-${user}-${Date.now()}`,
    channel: { id: CHANNEL, name: 'approvals' },
    message: { type: 'message', ts: message.response['ts'], text: message.args['text'] },
    response_url: 'https://hooks.slack.com/actions/T0TEAM/1/unused',
    actions: [{ type: 'button', block_id: 'airlock_decision', action_id: button.action_id, value: button.value, text: { type: 'plain_text', text: button.text.text }, action_ts: `${Date.now() / 1000}` }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

// Slack end to end: the real Airlock (Slack channel, interactivity endpoint,
// approver directory) with the real @slack/web-api client against a local
// fake Slack; psql through the proxy; clicks POSTed signed, as Slack would.
describe('e2e: a psql DROP TABLE approved from Slack', () => {
  const slack = new FakeSlackApi();
  let airlock: Instance;
  let aliceToken: string;
  let bobToken: string;

  before(async () => {
    await slack.start();
    airlock = await startTestAirlock(`
${REAL_POSTGRES_TARGET}
policy:
  rules:
    - id: drop-needs-an-approver
      match: { protocols: [postgres], kinds: [drop] }
      require: { approval: { approvers: approvers, count: 1 } }
approvals:
  directory:
    - { subject: bob, email: bob@example.com, groups: [approvers], slack_user: ${BOB} }
    - { subject: alice, email: alice@example.com, groups: [engineers], slack_user: ${ALICE} }
  channels:
    slack:
      bot_token: xoxb-0000-e2e-test
      signing_secret: ${SIGNING_SECRET}
      channel: ${CHANNEL}
      api_url: ${slack.url}
      lookup_by_email: false
      timeout: 2s
      retries: 1
`);
    aliceToken = await airlock.token('alice', ['engineers'], { email: 'alice@example.com' });
    bobToken = await airlock.token('bob', ['approvers'], { email: 'bob@example.com' });
  });
  after(async () => {
    await airlock?.shutdown('test done');
    await slack.stop();
  });

  function env(): NodeJS.ProcessEnv {
    const address = airlock.postgres as { host: string; port: number };
    return { ...process.env, PGHOST: address.host, PGPORT: String(address.port), PGUSER: 'alice', PGDATABASE: 'app', PGPASSWORD: aliceToken, PGSSLMODE: 'disable' };
  }

  const interactivity = (body: string, headers: Record<string, string>) => fetch(`${airlock.url}/v1/slack/interactivity`, { method: 'POST', headers, body });

  async function approvalState(id: string): Promise<{ status: string; votes: unknown[] }> {
    const response = await fetch(`${airlock.url}/v1/approvals/${id}`, { headers: { authorization: `Bearer ${bobToken}` } });
    assert.equal(response.status, 200);
    return (await response.json()) as { status: string; votes: unknown[] };
  }

  it('posts Block Kit; refuses the requester; a signed Approve from bob runs it once and updates the message; a replay gets 401', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('slack_drop');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const run = psql(env(), ['-v', 'ON_ERROR_STOP=1', '-c', `DROP TABLE ${table}`]);
    await waitFor(() => /held for approval \(id [A-Za-z0-9_-]+\)/.test(run.stderr), 10_000, 'the hold NOTICE');
    const id = (/held for approval \(id ([A-Za-z0-9_-]+)\)/.exec(run.stderr) as RegExpExecArray)[1] as string;

    // The request reaches Slack as Block Kit with the command and the decision buttons.
    const posted = await slack.waitForCall('chat.postMessage', (c) => c.args['channel'] === CHANNEL, 10_000);
    assert.equal(posted.authorization, 'Bearer xoxb-0000-e2e-test');
    const blocks = posted.args['blocks'] as { type: string; elements?: Button[] }[];
    assert.match(JSON.stringify(blocks), new RegExp(`\`\`\`DROP TABLE ${table}\`\`\``));
    assert.match(JSON.stringify(blocks), /drop-needs-an-approver/);
    const buttons = blocks.find((b) => b.type === 'actions')?.elements ?? [];
    assert.deepEqual(buttons.map((b) => b.text.text), ['Approve', 'Deny', 'Open']);
    const approve = buttons[0] as Button;
    assert.equal(approve.action_id, `airlock_approve:${id}`);
    assert.match(approve.value ?? '', new RegExp(`^${id}:[0-9a-f]{64}$`));

    // The requester's own click: refused in an ephemeral message, nothing decided.
    const fromAlice = blockActions(ALICE, approve, posted);
    assert.equal((await interactivity(fromAlice, slackHeaders(fromAlice))).status, 200);
    const refusal = await slack.waitForCall('chat.postEphemeral', (c) => c.args['user'] === ALICE);
    assert.match(String(refusal.args['text']), /cannot approve or deny your own request/);
    const pending = await approvalState(id);
    assert.equal(pending.status, 'pending');
    assert.deepEqual(pending.votes, [], 'no vote from the requester');
    assert.ok(await tableExists(table), 'nothing ran after the requester clicked');

    // bob's signed click approves: the statement runs once.
    const fromBob = blockActions(BOB, approve, posted);
    const bobHeaders = slackHeaders(fromBob);
    const accepted = await interactivity(fromBob, bobHeaders);
    assert.equal(accepted.status, 200);
    await accepted.text();
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.match(/DROP TABLE/g)?.length, 1, result.stdout);
    assert.equal(await tableExists(table), false);
    const confirmation = await slack.waitForCall('chat.postEphemeral', (c) => c.args['user'] === BOB);
    assert.match(String(confirmation.args['text']), /You approved this request/);

    // The posted message is updated in place with the verdict and loses its buttons.
    const updated = await slack.waitForCall('chat.update', (c) => c.args['ts'] === posted.response['ts'] && /Approved/.test(JSON.stringify(c.args['blocks'])), 10_000);
    assert.equal(updated.args['channel'], CHANNEL);
    assert.match(JSON.stringify(updated.args['blocks']), /by bob/);
    const final = slack.callsOf('chat.update').filter((c) => c.args['ts'] === posted.response['ts']).at(-1) as RecordedCall;
    assert.equal((final.args['blocks'] as { type: string }[]).some((b) => b.type === 'actions'), false, 'no buttons on a closed request');

    // The same signed request again: a replay, refused before it is read.
    const updatesBefore = slack.callsOf('chat.update').length;
    const replay = await interactivity(fromBob, bobHeaders);
    assert.equal(replay.status, 401);
    const problem = (await replay.json()) as { code: string; detail: string };
    assert.equal(problem.code, 'AIRLOCK_UNAUTHENTICATED');
    assert.match(problem.detail, /replayed/);
    // A forged signature is refused the same way.
    const forged = await interactivity(fromBob, { ...slackHeaders(fromBob), 'x-slack-signature': `v0=${'0'.repeat(64)}` });
    assert.equal(forged.status, 401);
    await forged.text();
    const after = await approvalState(id);
    assert.equal(after.votes.length, 1, 'one vote, from bob');
    assert.equal(slack.callsOf('chat.update').length, updatesBefore, 'nothing changed after the replay');
  });
});
