import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MfaInvalidError, RateLimitedError } from '../../../src/errors.js';
import { StepUpCodePrompt } from '../../../src/protocols/shell/step-up-code-prompt.js';

function harness(answers: Array<Error | null>) {
  const written: string[] = [];
  const submitted: string[] = [];
  let withdrawn = 0;
  const prompt = new StepUpCodePrompt(
    {
      approvalId: 'req1',
      command: 'systemctl restart app',
      confirm: async (code) => {
        submitted.push(code);
        const answer = answers.shift();
        if (answer) throw answer;
      },
    },
    (text) => written.push(text),
    () => withdrawn++,
  );
  return { prompt, written, submitted, withdrawn: () => withdrawn, screen: () => written.join('') };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('step-up code prompt (echo off)', () => {
  it('asks for the code, echoes nothing of it, edits with Backspace and Ctrl-U, submits on Enter', async () => {
    const h = harness([null]);
    h.prompt.start();
    assert.equal(h.screen(), 'Second factor for systemctl restart app: enter the code from your authenticator: ');
    h.prompt.key('9x9\x1b[A');
    h.prompt.key('\x15');
    h.prompt.key('1234567\x7f\r');
    await settled();
    assert.deepEqual(h.submitted, ['123456']);
    assert.doesNotMatch(h.screen(), /[0-9]{2}/, 'no digit of the code is echoed');
    assert.match(h.screen(), /second factor accepted/);
  });

  it('a refused code says why and asks again; the next one is submitted', async () => {
    const h = harness([new MfaInvalidError('the code is wrong or outside the allowed time window'), null]);
    h.prompt.start();
    h.prompt.key('111111\r');
    await settled();
    assert.match(h.screen(), /airlock: code refused: the code is wrong or outside the allowed time window\r\nSecond factor for/);
    h.prompt.key('222222\r');
    await settled();
    assert.deepEqual(h.submitted, ['111111', '222222']);
  });

  it('keys typed while a code is checked are ignored; an empty Enter asks again without submitting', async () => {
    const h = harness([new RateLimitedError('too many code attempts; retry in 60s', 60)]);
    h.prompt.start();
    h.prompt.key('\r');
    assert.deepEqual(h.submitted, []);
    h.prompt.key('123456\r654321\r');
    await settled();
    assert.deepEqual(h.submitted, ['123456']);
    assert.match(h.screen(), /too many code attempts/);
  });

  it('Ctrl-C withdraws; after close nothing is read', async () => {
    const h = harness([]);
    h.prompt.start();
    h.prompt.key('12\x03');
    assert.equal(h.withdrawn(), 1);
    h.prompt.key('345678\r');
    assert.deepEqual(h.submitted, []);
  });

  it('an error not safe for the client is not shown', async () => {
    const h = harness([new Error('store password is hunter2')]);
    h.prompt.start();
    h.prompt.key('123456\r');
    await settled();
    assert.doesNotMatch(h.screen(), /hunter2/);
    assert.match(h.screen(), /code refused: internal error/);
  });
});
