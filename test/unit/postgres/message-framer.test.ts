import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serialize } from 'pg-protocol';
import { FRAME_ERROR, FRAME_READY, MessageFramer, NEED_MORE } from '../../../src/protocols/postgres/message-framer.js';

// Expected bytes come from pg-protocol's serializer (a separate builder).
const messages: Buffer[] = [
  serialize.query('SELECT 1'),
  serialize.parse({ name: 's1', text: 'SELECT $1::int' }),
  serialize.bind({ statement: 's1', values: ['42'] }),
  serialize.describe({ type: 'P' }),
  serialize.execute({}),
  serialize.sync(),
  serialize.query(`SELECT '${'x'.repeat(40_000)}'`),
  serialize.copyData(Buffer.alloc(3000, 7)),
  serialize.copyDone(),
  serialize.end(),
];
const stream = Buffer.concat(messages);

function drain(framer: MessageFramer, out: Buffer[]): void {
  for (;;) {
    const result = framer.next();
    assert.notEqual(result, FRAME_ERROR, framer.error);
    if (result === NEED_MORE) return;
    out.push(framer.buffer.subarray(framer.frameStart, framer.frameEnd));
  }
}

function frameChunks(chunks: readonly Buffer[]): Buffer[] {
  const framer = new MessageFramer(1 << 20, true);
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    // Chunks are copies, as a socket hands out fresh buffers.
    framer.push(Buffer.from(chunk));
    drain(framer, out);
  }
  assert.equal(framer.pendingBytes, 0);
  return out;
}

function assertSameMessages(actual: readonly Buffer[]): void {
  assert.equal(actual.length, messages.length);
  actual.forEach((message, i) => assert.ok(message.equals(messages[i] as Buffer), `message ${i} differs`));
}

describe('MessageFramer (typed messages)', () => {
  it('frames a stream split in two at every offset, and views stay valid after later pushes', () => {
    for (let cut = 0; cut <= stream.length; cut += cut < 200 || cut > stream.length - 200 ? 1 : 97) {
      const out = frameChunks([stream.subarray(0, cut), stream.subarray(cut)]);
      assertSameMessages(out);
    }
  });

  it('frames a stream delivered one byte at a time', () => {
    const small = Buffer.concat(messages.slice(0, 6));
    const chunks: Buffer[] = [];
    for (let i = 0; i < small.length; i++) chunks.push(small.subarray(i, i + 1));
    const out = frameChunks(chunks);
    out.forEach((message, i) => assert.ok(message.equals(messages[i] as Buffer)));
  });

  it('frames a stream split into three at many offset pairs', () => {
    const small = Buffer.concat(messages.slice(0, 6));
    for (let a = 0; a < small.length; a += 3) {
      for (let b = a; b <= small.length; b += 5) {
        const out = frameChunks([small.subarray(0, a), small.subarray(a, b), small.subarray(b)]);
        assert.equal(out.length, 6);
      }
    }
  });

  it('hands whole messages out as views of the chunk when nothing is split (no copy)', () => {
    const framer = new MessageFramer(1 << 20, true);
    framer.push(stream);
    assert.equal(framer.next(), FRAME_READY);
    assert.equal(framer.buffer, stream);
  });

  it('rejects a length below 4', () => {
    const framer = new MessageFramer(1 << 20, true);
    framer.push(Buffer.from([0x51, 0, 0, 0, 3]));
    assert.equal(framer.next(), FRAME_ERROR);
    assert.match(framer.error, /invalid message length/);
  });

  it('rejects a message above the limit from its header alone, without allocating it', () => {
    const framer = new MessageFramer(1024, true);
    framer.push(Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]));
    assert.equal(framer.next(), FRAME_ERROR);
    assert.match(framer.error, /exceeds the limit of 1024/);
    const split = new MessageFramer(1024, true);
    split.push(Buffer.from([0x51, 0x7f]));
    split.push(Buffer.from([0xff, 0xff, 0xff, 0x00]));
    assert.equal(split.next(), FRAME_ERROR);
  });
});

describe('MessageFramer (startup packets)', () => {
  const startup = serialize.startup({ user: 'alice', database: 'app' });

  it('frames a startup packet split at every offset', () => {
    for (let cut = 0; cut <= startup.length; cut++) {
      const framer = new MessageFramer(1 << 20, false);
      framer.push(Buffer.from(startup.subarray(0, cut)));
      if (cut < startup.length) assert.equal(framer.next(), NEED_MORE);
      framer.push(Buffer.from(startup.subarray(cut)));
      assert.equal(framer.next(), FRAME_READY);
      assert.equal(framer.code, 196608);
      assert.ok(framer.buffer.subarray(framer.frameStart, framer.frameEnd).equals(startup));
    }
  });

  it('rejects garbage (an HTTP request) as soon as its length is readable', () => {
    const framer = new MessageFramer(1 << 20, false);
    framer.push(Buffer.from('GET / HTTP/1.1\r\n'));
    assert.equal(framer.next(), FRAME_ERROR);
    assert.match(framer.error, /invalid startup packet length/);
  });

  it('rejects too short and too long startup lengths', () => {
    for (const length of [0, 4, 7, 10_001, -1]) {
      const framer = new MessageFramer(1 << 20, false);
      const packet = Buffer.alloc(8);
      packet.writeInt32BE(length, 0);
      framer.push(packet);
      assert.equal(framer.next(), FRAME_ERROR, `length ${length}`);
    }
  });
});
