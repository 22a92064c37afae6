import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CONTROL_BYTES, parseClientMessage } from '../../../src/protocols/shell/web-terminal-protocol.js';

describe('WebSocket terminal control messages', () => {
  it('accepts the documented messages', () => {
    assert.deepEqual(parseClientMessage('{"type":"start","mode":"shell","cols":80,"rows":24,"term":"xterm"}'), { ok: true, message: { type: 'start', mode: 'shell', cols: 80, rows: 24, term: 'xterm' } });
    assert.deepEqual(parseClientMessage('{"type":"start","mode":"exec","command":"ls"}'), { ok: true, message: { type: 'start', mode: 'exec', command: 'ls', tty: false, term: 'xterm-256color' } });
    assert.deepEqual(parseClientMessage('{"type":"resize","cols":100,"rows":40}'), { ok: true, message: { type: 'resize', cols: 100, rows: 40 } });
    assert.deepEqual(parseClientMessage('{"type":"signal","name":"INT"}'), { ok: true, message: { type: 'signal', name: 'INT' } });
    assert.deepEqual(parseClientMessage('{"type":"eof"}'), { ok: true, message: { type: 'eof' } });
  });

  const refused: Array<[string, string]> = [
    ['', 'not valid JSON'],
    ['{', 'not valid JSON'],
    ['null', 'JSON object'],
    ['"start"', 'JSON object'],
    ['[{"type":"eof"}]', 'JSON object'],
    ['{}', 'unknown control message type'],
    ['{"type":"__proto__"}', 'unknown control message type'],
    ['{"type":"start"}', 'mode must be'],
    ['{"type":"start","mode":"shell","cols":80}', 'needs cols and rows'],
    ['{"type":"start","mode":"shell","cols":0,"rows":24}', 'integers'],
    ['{"type":"start","mode":"shell","cols":1.5,"rows":24}', 'integers'],
    ['{"type":"start","mode":"shell","cols":"80","rows":24}', 'integers'],
    ['{"type":"start","mode":"shell","cols":100000,"rows":24}', 'integers'],
    ['{"type":"start","mode":"shell","cols":80,"rows":24,"term":"x\\u001b]0;"}', 'terminal type'],
    ['{"type":"start","mode":"exec","command":""}', 'needs a command'],
    ['{"type":"start","mode":"exec","command":["rm","-rf"]}', 'needs a command'],
    ['{"type":"start","mode":"exec","command":"ls","tty":"yes"}', 'tty must be'],
    ['{"type":"start","mode":"exec","command":"ls","tty":true}', 'needs cols and rows'],
    ['{"type":"resize","cols":-1,"rows":1}', 'integers'],
    ['{"type":"signal","name":"KILL"}', 'signal name'],
    ['{"type":"signal","name":"int"}', 'signal name'],
    [JSON.stringify({ type: 'eof', pad: 'x'.repeat(MAX_CONTROL_BYTES) }), 'larger than'],
  ];
  for (const [text, reason] of refused) {
    it(`refuses ${text.length > 60 ? `${text.slice(0, 60)}...` : JSON.stringify(text)}`, () => {
      const parsed = parseClientMessage(text);
      assert.equal(parsed.ok, false);
      assert.match((parsed as { reason: string }).reason, new RegExp(reason));
    });
  }
});
