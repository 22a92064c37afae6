import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serialize } from 'pg-protocol';
import { startupMessage } from '../../../src/protocols/postgres/client-messages.js';
import { MessageWriter } from '../../../src/protocols/postgres/message-writer.js';
import { errorResponse, parameterStatus } from '../../../src/protocols/postgres/server-messages.js';

describe('MessageWriter', () => {
  it('frames a message exactly as PostgreSQL does: code, length counting itself, body', () => {
    assert.deepEqual(parameterStatus('a', 'b'), Buffer.from([0x53, 0, 0, 0, 8, 0x61, 0, 0x62, 0]));
    const error = errorResponse({ severity: 'ERROR', code: '42501', message: 'no' });
    assert.equal(error[0], 0x45);
    assert.equal(error.readInt32BE(1), error.length - 1);
    assert.equal(error.toString('utf8', 5), 'SERROR\0VERROR\0C42501\0Mno\0\0');
  });

  it('builds a startup packet byte for byte like a client library, without an extra client_encoding', () => {
    const ours = startupMessage(new Map([['user', 'alice'], ['database', 'app']]));
    assert.equal(ours.readInt32BE(0), ours.length);
    assert.equal(ours.readInt32BE(4), 196608);
    assert.equal(ours.toString('utf8', 8), 'user\0alice\0database\0app\0\0');
    // pg-protocol's own startup message has the same framing (it adds client_encoding).
    const theirs = serialize.startup({ user: 'alice', database: 'app' });
    assert.equal(theirs.readInt32BE(0), theirs.length);
  });

  it('grows past its initial size and keeps multi-byte text whole', () => {
    const long = 'é'.repeat(500);
    const message = new MessageWriter(16).addCString(long).flush(0x51);
    assert.equal(message.readInt32BE(1), message.length - 1);
    assert.equal(message.toString('utf8', 5, message.length - 1), long);
  });
});
