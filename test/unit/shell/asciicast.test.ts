import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingInvalidError } from '../../../src/errors.js';
import { eventLine, headerLine, parseAsciicast } from '../../../src/protocols/shell/asciicast.js';

const header = headerLine({ version: 2, width: 80, height: 24, timestamp: 1_767_225_600, env: { TERM: 'xterm' }, title: 'alice@box' });

function refused(text: string, line: RegExp): void {
  assert.throws(
    () => parseAsciicast(text),
    (err: unknown) => err instanceof RecordingInvalidError && (err as RecordingInvalidError).code === 'AIRLOCK_RECORDING_INVALID' && line.test((err as Error).message),
  );
}

describe('asciicast v2 lines', () => {
  it('round-trips control characters, quotes, backslashes, non-ASCII and lone surrogates', () => {
    const data = 'a\x1b[31m"q"\\ \r\n\t\x00é 🎉 \ud800';
    const line = eventLine(1.5, 'o', data);
    assert.equal(line.endsWith('\n'), true);
    assert.equal(line.split('\n').length, 2, 'one line per event');
    assert.doesNotMatch(line.slice(0, -1), /[\x00-\x1f]/, 'no raw control characters in the file');
    const { events } = parseAsciicast(header + line);
    assert.deepEqual(events, [{ time: 1.5, code: 'o', data }]);
  });

  it('keeps microseconds, no more', () => {
    assert.equal(eventLine(1.23456789, 'm', 'x'), '[1.234568,"m","x"]\n');
  });

  it('reads the header and every kind of event', () => {
    const text = header + eventLine(0, 'o', '$ ') + eventLine(0.5, 'i', 'ls\n') + eventLine(0.5, 'm', 'allowed: ls') + eventLine(1, 'r', '100x40');
    const { header: h, events } = parseAsciicast(text);
    assert.equal(h.width, 80);
    assert.deepEqual(h.env, { TERM: 'xterm' });
    assert.deepEqual(events.map((e) => e.code), ['o', 'i', 'm', 'r']);
  });

  it('refuses malformed files, naming the line', () => {
    refused('', /line 1: the file is empty/);
    refused('not json\n', /line 1: not JSON/);
    refused('[2]\n', /line 1: the header is not a JSON object/);
    refused('{"version":1,"width":80,"height":24,"timestamp":0}\n', /line 1: version 1 is not 2/);
    refused('{"version":2,"width":0,"height":24,"timestamp":0}\n', /line 1: width/);
    refused('{"version":2,"width":80,"height":24}\n', /line 1: timestamp/);
    refused('{"version":2,"width":80,"height":24,"timestamp":0,"env":{"TERM":1}}\n', /line 1: env/);
    refused(`${header}[1,"o"]\n`, /line 2: an event must be/);
    refused(`${header}{"t":1}\n`, /line 2: an event must be/);
    refused(`${header}[-1,"o","x"]\n`, /line 2: the time/);
    refused(`${header}["1","o","x"]\n`, /line 2: the time/);
    refused(`${header}[1,"x","x"]\n`, /line 2: unknown event code "x"/);
    refused(`${header}[1,"o",5]\n`, /line 2: the data must be a string/);
    refused(`${header}[1,"r","wide"]\n`, /line 2: a resize must be COLSxROWS/);
    refused(`${header}[2,"o","a"]\n[1,"o","b"]\n`, /line 3: the time 1 goes back before 2/);
    refused(`${header}[1,"o","a"]\n\n`, /line 3: not JSON/);
  });
});
