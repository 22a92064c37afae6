import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTION_APPROVE,
  ACTION_DENY,
  DECISION_MODAL,
  MFA_BLOCK,
  REASON_BLOCK,
  decisionModal,
  parseDecisionValue,
  parseModalContext,
  requestMessage,
} from '../../../src/approvals/channels/slack-message.js';
import { NOW, makeRecord } from './fixtures.js';

type AnyBlock = Record<string, any>;
const blocksOf = (m: { blocks: unknown[] }) => m.blocks as AnyBlock[];
const allText = (m: { blocks: unknown[] }) => JSON.stringify(m.blocks);

describe('Slack request message (Block Kit)', () => {
  it('shows requester, target, protocol, risk, rules, reason, who decides, expiry, the command, and two bound buttons', () => {
    const record = makeRecord();
    const msg = requestMessage(record, { url: 'https://airlock.example/approvals/x' });
    const blocks = blocksOf(msg);
    assert.equal(blocks[0]!.type, 'header');
    assert.match(blocks[0]!.text.text, /postgres on prod-db/);
    const fields = blocks[1]!.fields.map((f: AnyBlock) => f.text).join('\n');
    for (const expected of ['alice (alice@example.com)', 'prod-db (postgres)', 'critical', '`drop-needs-two-dbas`', '1 of dba', `<!date^${(NOW + 600_000) / 1000}^`]) {
      assert.ok(fields.includes(expected), `missing ${expected} in ${fields}`);
    }
    assert.ok(allText(msg).includes('INC-42 cleanup'));
    const code = blocks.find((b) => b.type === 'section' && b.text?.text.startsWith('```'));
    assert.equal(code?.text.text, '```DROP TABLE users```');
    const actions = blocks.find((b) => b.type === 'actions')!;
    const [approve, deny, open] = actions.elements as AnyBlock[];
    assert.equal(approve!.action_id, `${ACTION_APPROVE}:${record.id}`);
    assert.equal(approve!.style, 'primary');
    assert.equal(approve!.value, `${record.id}:${record.action.hash}`);
    assert.ok(approve!.confirm, 'approve without MFA asks for confirmation');
    assert.equal(deny!.action_id, `${ACTION_DENY}:${record.id}`);
    assert.equal(deny!.value, `${record.id}:${record.action.hash}`);
    assert.equal(open!.url, 'https://airlock.example/approvals/x');
    assert.match(msg.text, /alice wants to run a critical-risk postgres command on prod-db/);
  });

  it('has no confirm dialog when the TOTP modal confirms instead', () => {
    const actions = blocksOf(requestMessage(makeRecord({ mfa: true }))).find((b) => b.type === 'actions')!;
    assert.equal(actions.elements[0].confirm, undefined);
    assert.match(allText(requestMessage(makeRecord({ mfa: true }))), /\(with TOTP\)/);
  });

  it('masks secrets, escapes mrkdwn, and keeps a code fence closed', () => {
    const record = makeRecord({ command: "ALTER ROLE x PASSWORD 'hunter2'; -- <!channel> & ```oops```" });
    const code = blocksOf(requestMessage(record)).find((b) => b.type === 'section' && b.text?.text.startsWith('```'))!.text.text as string;
    assert.ok(!code.includes('hunter2'));
    assert.ok(code.includes('&lt;!channel&gt; &amp;'));
    assert.equal(code.match(/```/g)!.length, 2, code);
  });

  it("truncates a huge command within Slack's 3000-character section limit, on a code point boundary", () => {
    const record = makeRecord({ command: `INSERT INTO t VALUES ('${'😀<'.repeat(5000)}')` });
    for (const block of blocksOf(requestMessage(record))) {
      if (block.text?.type === 'mrkdwn') assert.ok(block.text.text.length <= 3000, `section of ${block.text.text.length}`);
      for (const f of block.fields ?? []) assert.ok(f.text.length <= 2000);
    }
    const code = blocksOf(requestMessage(record)).find((b) => b.text?.text?.startsWith('```'))!.text.text as string;
    assert.match(code, /… \(truncated\)```$/);
    assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(code), 'no lone high surrogate');
    assert.ok(!/&(?:l|lt|a|am|amp)?…/.test(code), 'no cut escape');
  });

  it('after a vote shows who voted and the progress, still with buttons', () => {
    const record = makeRecord({ count: 2, votes: [{ approver: 'bob', groups: ['dba'], decision: 'approve', at: NOW, mfa: true, channel: 'slack' }] });
    const msg = requestMessage(record);
    assert.match(allText(msg), /bob approved \(with TOTP, via slack\)/);
    assert.match(allText(msg), /Progress: 1\/2 of dba/);
    assert.ok(blocksOf(msg).some((b) => b.type === 'actions'));
  });

  it('on resolution shows the verdict and removes the buttons', () => {
    const verdicts: [Parameters<typeof makeRecord>[0], RegExp][] = [
      [{ status: 'approved', resolution: { status: 'approved', at: NOW, by: ['bob', 'carol'], reason: 'approved by bob, carol' } }, /Approved\* by bob, carol/],
      [{ status: 'denied', resolution: { status: 'denied', at: NOW, by: ['bob'], reason: 'denied by bob: not during peak' } }, /Denied\*: denied by bob: not during peak/],
      [{ status: 'expired', resolution: { status: 'expired', at: NOW, by: [], reason: 'timed out' } }, /Timed out/],
      [{ status: 'withdrawn', resolution: { status: 'withdrawn', at: NOW, by: [], reason: 'client disconnected' } }, /Withdrawn/],
    ];
    for (const [over, pattern] of verdicts) {
      const msg = requestMessage(makeRecord(over));
      assert.match(allText(msg), pattern);
      assert.ok(!blocksOf(msg).some((b) => b.type === 'actions'), `${over?.status} still has buttons`);
      assert.ok(!msg.text.startsWith('Approval needed'));
    }
  });

  it('binds button values and modal metadata strictly', () => {
    const record = makeRecord();
    assert.deepEqual(parseDecisionValue(`${record.id}:${record.action.hash}`), { id: record.id, hash: record.action.hash });
    for (const bad of [undefined, 42, '', record.id, `${record.id}:`, `${record.id}:${record.action.hash}x`, `a b:${record.action.hash}`, `${record.id}:${record.action.hash.toUpperCase()}`]) {
      assert.equal(parseDecisionValue(bad), null, String(bad));
    }
    assert.equal(parseModalContext('{"id":"x","hash":"nothex","decision":"approve"}'), null);
    assert.equal(parseModalContext(`{"id":"x","hash":"${record.action.hash}","decision":"maybe"}`), null);
    assert.equal(parseModalContext('not json'), null);
  });

  it('the decision modal asks for a reason (required to deny) and the TOTP code when required', () => {
    const record = makeRecord({ mfa: true });
    const approve = decisionModal(record, { id: record.id, hash: record.action.hash, decision: 'approve', channel: 'C1' });
    assert.equal(approve.callback_id, DECISION_MODAL);
    assert.deepEqual(parseModalContext(approve.private_metadata), { id: record.id, hash: record.action.hash, decision: 'approve', channel: 'C1' });
    const ids = (approve.blocks as AnyBlock[]).map((b) => b.block_id);
    assert.ok(ids.includes(MFA_BLOCK) && ids.includes(REASON_BLOCK));
    assert.equal((approve.blocks as AnyBlock[]).find((b) => b.block_id === REASON_BLOCK)!.optional, true);
    const deny = decisionModal(makeRecord(), { id: record.id, hash: record.action.hash, decision: 'deny' });
    assert.equal((deny.blocks as AnyBlock[]).find((b) => b.block_id === REASON_BLOCK)!.optional, false);
    assert.ok(!(deny.blocks as AnyBlock[]).some((b) => b.block_id === MFA_BLOCK));
    assert.ok((approve.title.text as string).length <= 24 && (deny.submit!.text as string).length <= 24);
  });
});
