import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createSqlClassifier, type SqlClassifier } from '../../../src/classifiers/sql/index.js';
import { ProtocolState, UNCERTAIN } from '../../../src/protocols/postgres/protocol-state.js';
import { entryForRow } from '../../../src/protocols/postgres/prepared-reconcile.js';
import { readStatementEffects } from '../../../src/protocols/postgres/statement-details.js';
import type { StatementEntry } from '../../../src/protocols/postgres/statement-registry.js';

// Server messages built byte by byte, independently of the code under test.
function frame(code: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.write(code, 0, 'latin1');
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}
const cstr = (text: string) => Buffer.from(`${text}\0`, 'utf8');
const PARSE_COMPLETE = frame('1');
const BIND_COMPLETE = frame('2');
const CLOSE_COMPLETE = frame('3');
const NO_DATA = frame('n');
const EMPTY_QUERY = frame('I');
const SUSPENDED = frame('s');
const complete = (tag: string) => frame('C', cstr(tag));
const ready = (status: 'I' | 'T' | 'E') => frame('Z', Buffer.from(status));
const error = (code: string) => frame('E', Buffer.concat([cstr(`SERROR`), cstr(`C${code}`), cstr('Mfailed'), Buffer.from([0])]));
const row = frame('D', Buffer.from([0, 0]));

let classifier: SqlClassifier;
before(async () => {
  classifier = await createSqlClassifier({ cacheSize: 100 });
});

function setup(): { state: ProtocolState; receive: (...frames: Buffer[]) => void; entry: (text: string) => StatementEntry; desyncs: string[] } {
  const desyncs: string[] = [];
  const state = new ProtocolState({ classify: (text) => classifier.classify(text), onDesync: (reason) => desyncs.push(reason) });
  // Every frame is fed as the relay does: code, buffer, body start, frame end; split across chunks does not matter here.
  const receive = (...frames: Buffer[]) => {
    for (const f of frames) state.received(f[0] as number, f, 5, f.length);
  };
  const entry = (text: string): StatementEntry => ({ text, classification: classifier.classify(text) });
  return { state, receive, entry, desyncs };
}

const text = (state: ProtocolState, name: string) => state.confirmed.statements.get(name)?.text;

describe('ProtocolState: the server confirms, the mirror follows', () => {
  it('records a Parse only on ParseComplete; a refused re-Parse (42P05) keeps the old text', () => {
    const { state, receive, entry } = setup();
    state.sentParse('s1', entry('DELETE FROM t'));
    state.sentSync();
    assert.equal(text(state, 's1'), undefined);
    receive(PARSE_COMPLETE, ready('I'));
    assert.equal(text(state, 's1'), 'DELETE FROM t');
    state.sentParse('s1', entry('SELECT 1'));
    state.sentSync();
    receive(error('42P05'), ready('I'));
    assert.equal(text(state, 's1'), 'DELETE FROM t');
  });

  it('after an error skips everything up to Sync, as the server does', () => {
    const { state, receive, entry } = setup();
    state.sentParse('a', entry('SELECT 1/0'));
    state.sentBind('', 'a');
    state.sentExecute('');
    state.sentParse('', entry('SELECT 1'));
    state.sentClose(true, 'a');
    state.sentSync();
    receive(PARSE_COMPLETE, BIND_COMPLETE, error('22012'), ready('I'));
    assert.equal(text(state, 'a'), 'SELECT 1/0');
    assert.equal(text(state, ''), undefined);
    assert.equal(state.waiting, 0);
  });

  it('an error before the Sync is sent: what follows is ignored until the Sync', () => {
    const { state, receive, entry } = setup();
    state.sentParse('x', entry('SELEC'));
    receive(error('42601'));
    state.sentParse('y', entry('SELECT 2'));
    state.sentSync();
    state.sentParse('z', entry('SELECT 3'));
    state.sentSync();
    receive(ready('I'), PARSE_COMPLETE, ready('I'));
    assert.deepEqual([...state.confirmed.statements.keys()], ['z']);
  });

  it('a Query drops the unnamed statement and portal, and applies each statement at its CommandComplete', () => {
    const { state, receive, entry } = setup();
    state.sentParse('', entry('SELECT 1'));
    state.sentBind('', '');
    state.sentSync();
    receive(PARSE_COMPLETE, BIND_COMPLETE, ready('T'));
    assert.ok(state.confirmed.portals.has(''));
    const sql = 'PREPARE a AS SELECT 1; PREPARE b AS DELETE FROM t; SELECT 1/0; PREPARE c AS SELECT 3';
    state.sentQuery(readStatementEffects(classifier.classify(sql)), sql);
    receive(complete('PREPARE'), complete('PREPARE'), error('22012'), ready('E'));
    assert.equal(text(state, ''), undefined);
    assert.equal(state.confirmed.portals.has(''), false);
    assert.equal(text(state, 'a'), 'SELECT 1');
    assert.equal(text(state, 'b'), 'DELETE FROM t');
    assert.equal(state.confirmed.statements.get('b')?.source, sql);
    assert.equal(text(state, 'c'), undefined);
  });

  it('DEALLOCATE, DEALLOCATE ALL and DISCARD ALL', () => {
    const { state, receive } = setup();
    const run = (sql: string, ...tags: string[]) => {
      state.sentQuery(readStatementEffects(classifier.classify(sql)), sql);
      receive(...tags.map(complete), ready('I'));
    };
    run('PREPARE a AS SELECT 1; PREPARE b AS SELECT 2', 'PREPARE', 'PREPARE');
    run('DEALLOCATE a', 'DEALLOCATE');
    assert.deepEqual([...state.confirmed.statements.keys()], ['b']);
    run('PREPARE a AS SELECT 1', 'PREPARE');
    run('DEALLOCATE ALL', 'DEALLOCATE ALL');
    assert.equal(state.confirmed.statements.size, 0);
    run('PREPARE a AS SELECT 1', 'PREPARE');
    run('DISCARD ALL', 'DISCARD ALL');
    assert.equal(state.confirmed.statements.size, 0);
  });

  it('portals: bound on BindComplete, gone at transaction end, shadowed by DECLARE, closed by CLOSE', () => {
    const { state, receive, entry } = setup();
    state.sentParse('s', entry('SELECT 1'));
    state.sentBind('p', 's');
    state.sentSync();
    receive(PARSE_COMPLETE, BIND_COMPLETE, ready('T'));
    assert.equal(state.confirmed.portals.get('p')?.text, 'SELECT 1');
    const declare = 'DECLARE p CURSOR FOR SELECT 2';
    state.sentQuery(readStatementEffects(classifier.classify(declare)), declare);
    receive(complete('DECLARE CURSOR'), ready('T'));
    assert.equal(state.confirmed.portals.has('p'), false, 'a cursor Airlock does not mirror replaced the portal');
    state.sentBind('q', 's');
    state.sentSync();
    receive(BIND_COMPLETE, ready('T'));
    const close = 'CLOSE ALL';
    state.sentQuery(readStatementEffects(classifier.classify(close)), close);
    receive(complete('CLOSE CURSOR ALL'), ready('T'));
    assert.equal(state.confirmed.portals.size, 0);
    state.sentBind('r', 's');
    state.sentSync();
    receive(BIND_COMPLETE, ready('T'));
    state.sentQuery([], 'COMMIT');
    receive(complete('COMMIT'), ready('I'));
    assert.equal(state.confirmed.portals.size, 0);
  });

  it('an Execute of a Parse that holds PREPARE or DEALLOCATE applies it on CommandComplete', () => {
    const { state, receive, entry } = setup();
    state.sentParse('mk', entry('PREPARE w AS DELETE FROM t'));
    state.sentBind('', 'mk');
    state.sentExecute('');
    state.sentParse('rm', entry('DEALLOCATE w'));
    state.sentSync();
    receive(PARSE_COMPLETE, BIND_COMPLETE, complete('PREPARE'), PARSE_COMPLETE, ready('I'));
    assert.equal(text(state, 'w'), 'DELETE FROM t');
    const sql = 'EXECUTE rm';
    state.sentQuery(readStatementEffects(classifier.classify(sql)), sql);
    receive(complete('DEALLOCATE'), ready('I'));
    assert.equal(text(state, 'w'), undefined);
  });

  it('Describe, row data, an empty query and a suspended portal are answers of their own messages', () => {
    const { state, receive, entry, desyncs } = setup();
    state.sentParse('', entry(''));
    state.sentDescribe();
    state.sentBind('', '');
    state.sentExecute('');
    state.sentSync();
    receive(PARSE_COMPLETE, frame('t', Buffer.from([0, 0])), NO_DATA, BIND_COMPLETE, EMPTY_QUERY, ready('I'));
    state.sentParse('', entry('SELECT 1'));
    state.sentBind('', '');
    state.sentExecute('');
    state.sentSync();
    receive(PARSE_COMPLETE, BIND_COMPLETE, row, SUSPENDED, ready('I'));
    assert.deepEqual(desyncs, []);
    assert.equal(state.waiting, 0);
  });

  it('an answer to nothing that was sent is a desync, reported once', () => {
    const { state, receive, desyncs } = setup();
    receive(PARSE_COMPLETE);
    assert.equal(desyncs.length, 1);
    assert.match(state.desync ?? '', /ParseComplete/);
    receive(BIND_COMPLETE);
    assert.equal(desyncs.length, 1);
  });

  it('asynchronous messages change nothing', () => {
    const { state, receive, desyncs } = setup();
    receive(frame('N', Buffer.from([0])), frame('S', Buffer.concat([cstr('TimeZone'), cstr('UTC')])), frame('A', Buffer.concat([Buffer.alloc(4), cstr('ch'), cstr('x')])));
    assert.deepEqual(desyncs, []);
  });
});

describe('ProtocolState: what the next message will find', () => {
  it('a change in the open segment is certain; one behind a Sync not yet answered is UNCERTAIN', () => {
    const { state, receive, entry } = setup();
    state.sentParse('s', entry('SELECT 1'));
    assert.equal((state.predictStatement('s') as StatementEntry).text, 'SELECT 1');
    state.sentSync();
    assert.equal(state.predictStatement('s'), UNCERTAIN);
    assert.equal(state.predictStatement('other'), undefined);
    receive(error('42P05'), ready('I'));
    assert.equal(state.predictStatement('s'), undefined);
  });

  it('a portal may end with its transaction at a pending Sync: UNCERTAIN until answered', () => {
    const { state, receive, entry } = setup();
    state.sentParse('s', entry('SELECT 1'));
    state.sentBind('p', 's');
    state.sentSync();
    receive(PARSE_COMPLETE, BIND_COMPLETE, ready('T'));
    assert.equal((state.predictPortal('p') as StatementEntry).text, 'SELECT 1');
    state.sentQuery([], 'COMMIT');
    assert.equal(state.predictPortal('p'), UNCERTAIN);
    assert.equal(state.predictPortal(''), undefined);
  });

  it('after unseen code every named lookup is UNCERTAIN until reconciled with the server', () => {
    const { state, receive, entry } = setup();
    state.sentParse('s5', entry('SELECT 1'));
    state.sentSync();
    receive(PARSE_COMPLETE, ready('I'));
    const sql = 'SELECT plant()';
    state.sentQuery(readStatementEffects(classifier.classify(sql)), sql);
    receive(row, complete('SELECT 1'), ready('I'));
    assert.equal(state.unverified, true);
    assert.equal(state.predictStatement('s5'), UNCERTAIN);
    const classify = (t: string) => classifier.classify(t);
    state.reconcile([{ name: 's5', statement: 'PREPARE s5 AS DELETE FROM t', fromSql: true }], (r) => entryForRow(r, classify));
    assert.equal((state.predictStatement('s5') as StatementEntry).text, 'DELETE FROM t');
    assert.equal(state.unverified, false);
  });

  it('a server row whose source holds two different PREPAREs of the name is unknown', () => {
    const classify = (t: string) => classifier.classify(t);
    const entry = entryForRow({ name: 'x', statement: 'PREPARE x AS SELECT 1; DEALLOCATE x; PREPARE x AS DELETE FROM t', fromSql: true }, classify);
    assert.match(entry.text, /not prepared through Airlock/);
    assert.equal(entry.classification.risk, 'high');
    assert.equal(entryForRow({ name: 'y', statement: 'DELETE FROM t', fromSql: false }, classify).text, 'DELETE FROM t');
  });

});
