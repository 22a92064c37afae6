import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'pg-protocol';
import { Readable } from 'node:stream';
import { errorResponse, noticeResponse, readyForQuery, backendKeyData, parameterStatus, AUTHENTICATION_OK, AUTHENTICATION_CLEARTEXT } from '../../../src/protocols/postgres/server-messages.js';
import { abortRound } from '../../../src/protocols/postgres/client-messages.js';

/** Decodes server messages with pg-protocol's own parser (an independent reader). */
async function decode(bytes: Buffer): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  await parse(Readable.from([bytes]), (message) => out.push(message as unknown as Record<string, unknown>));
  return out;
}

describe('server messages', () => {
  it('builds an ErrorResponse and a NoticeResponse that libpq-style parsers read back', async () => {
    const [error, notice] = await decode(
      Buffer.concat([
        errorResponse({ severity: 'ERROR', code: '42501', message: 'airlock: denied', detail: 'rules: r1', hint: 'ask' }),
        noticeResponse({ severity: 'NOTICE', code: '00000', message: 'held — ü' }),
      ]),
    );
    assert.equal(error?.name, 'error');
    assert.equal(error?.severity, 'ERROR');
    assert.equal(error?.code, '42501');
    assert.equal(error?.message, 'airlock: denied');
    assert.equal(error?.detail, 'rules: r1');
    assert.equal(error?.hint, 'ask');
    assert.equal(notice?.name, 'notice');
    assert.equal(notice?.message, 'held — ü');
  });

  it('builds ReadyForQuery, BackendKeyData, ParameterStatus and Authentication messages', async () => {
    const messages = await decode(
      Buffer.concat([AUTHENTICATION_CLEARTEXT, AUTHENTICATION_OK, parameterStatus('server_version', '15.2'), backendKeyData(1234, -5), readyForQuery(0x54), readyForQuery(0x45), readyForQuery(0x49)]),
    );
    assert.deepEqual(
      messages.map((m) => m.name),
      ['authenticationCleartextPassword', 'authenticationOk', 'parameterStatus', 'backendKeyData', 'readyForQuery', 'readyForQuery', 'readyForQuery'],
    );
    assert.equal(messages[2]?.parameterValue, '15.2');
    assert.equal(messages[3]?.processID, 1234);
    assert.equal(messages[3]?.secretKey, -5);
    assert.deepEqual(messages.slice(4).map((m) => m.status), ['T', 'E', 'I']);
  });

  it('quotes the abort round so no message can break out of it', () => {
    const round = abortRound('42501', "it's $airlock$ DROP TABLE x; --").bytes.toString('utf8');
    assert.match(round, /RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'it''s  DROP TABLE x; --'/);
    assert.match(abortRound("x'; DROP", 'm').bytes.toString('utf8'), /ERRCODE = '42501'/);
  });
});
