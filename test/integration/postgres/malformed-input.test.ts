import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { type ProxyHarness, TOKEN, startProxy } from '../../support/pg-proxy.js';
import { POSTGRES, requirePostgres } from '../../support/services.js';

/** A raw connection that collects everything the proxy sends until it closes. */
function raw(harness: ProxyHarness): { socket: Socket; received: () => Buffer; closed: Promise<void> } {
  const socket = connect({ host: harness.host, port: harness.port });
  const chunks: Buffer[] = [];
  socket.on('data', (d) => chunks.push(d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, received: () => Buffer.concat(chunks), closed };
}

/** The SQLSTATE of the first ErrorResponse in a byte stream, if any. */
function errorCode(bytes: Buffer): string | null {
  const at = bytes.indexOf(0x45);
  if (at < 0) return null;
  const text = bytes.subarray(at + 5).toString('latin1');
  const match = /C([0-9A-Z]{5})\0/.exec(text);
  return match ? (match[1] as string) : null;
}

async function loggedIn(harness: ProxyHarness): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  const conn = raw(harness);
  conn.socket.write(serialize.startup({ user: 'alice', database: 'app' }));
  await waitForBytes(conn.received, (b) => b.includes(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])));
  conn.socket.write(serialize.password(TOKEN));
  await waitForBytes(conn.received, (b) => b.includes(Buffer.from([0x5a, 0, 0, 0, 5, 0x49])));
  return conn;
}

async function waitForBytes(received: () => Buffer, predicate: (b: Buffer) => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!predicate(received())) {
    if (Date.now() > deadline) throw new Error(`timed out; got ${received().toString('latin1')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('malformed input never crashes the proxy or disturbs other sessions', () => {
  let harness: ProxyHarness;
  let bystander: pg.Client;

  before(async () => {
    harness = await startProxy({ listener: { max_message_bytes: 4096 } });
  });
  after(async () => {
    await bystander?.end().catch(() => undefined);
    await harness?.close();
  });

  async function stillServes(): Promise<void> {
    assert.equal((await bystander.query('SELECT 1 AS one')).rows[0].one, 1);
    const fresh = new pg.Client(harness.client());
    await fresh.connect();
    assert.equal((await fresh.query('SELECT 2 AS two')).rows[0].two, 2);
    await fresh.end();
  }

  it('keeps a bystander session', async (t) => {
    if (!(await requirePostgres(t))) return;
    bystander = new pg.Client(harness.client());
    await bystander.connect();
    await stillServes();
  });

  it('garbage before startup (an HTTP request) and a Terminate before startup close silently, as PostgreSQL does', async (t) => {
    if (!(await requirePostgres(t))) return;
    for (const bytes of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from([0x58, 0, 0, 0, 4])]) {
      const conn = raw(harness);
      conn.socket.write(bytes);
      await conn.closed;
      assert.equal(conn.received().length, 0, `answered ${conn.received().toString('latin1')}`);
    }
    // The same against PostgreSQL itself: nothing is sent back either.
    const direct = connect({ host: POSTGRES.host, port: POSTGRES.port });
    const chunks: Buffer[] = [];
    direct.on('data', (d) => chunks.push(d));
    direct.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      direct.on('close', () => resolve());
      direct.on('connect', () => direct.write(Buffer.from([0x58, 0, 0, 0, 4])));
    });
    assert.equal(Buffer.concat(chunks).length, 0);
    await stillServes();
  });

  it('an unsupported protocol version gets 0A000', async (t) => {
    if (!(await requirePostgres(t))) return;
    const conn = raw(harness);
    const packet = Buffer.from([0, 0, 0, 8, 0, 2, 0, 0]);
    conn.socket.write(packet);
    await conn.closed;
    assert.equal(errorCode(conn.received()), '0A000');
    assert.match(conn.received().toString('latin1'), /unsupported frontend protocol 2\.0/);
  });

  it('a startup packet written one byte at a time works', async (t) => {
    if (!(await requirePostgres(t))) return;
    const conn = raw(harness);
    const startup = serialize.startup({ user: 'alice', database: 'app' });
    for (const byte of startup) {
      conn.socket.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    await waitForBytes(conn.received, (b) => b.includes(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])));
    const login = Buffer.concat([serialize.password(TOKEN), serialize.query('SELECT 42'), serialize.end()]);
    for (const byte of login) conn.socket.write(Buffer.from([byte]));
    await conn.closed;
    assert.match(conn.received().toString('latin1'), /SELECT 1/);
  });

  it('a message length below 4 gets 08P01 and a close', async (t) => {
    if (!(await requirePostgres(t))) return;
    const conn = await loggedIn(harness);
    conn.socket.write(Buffer.from([0x51, 0, 0, 0, 2]));
    await conn.closed;
    assert.equal(errorCode(conn.received().subarray(conn.received().lastIndexOf(0x5a))), '08P01');
    await stillServes();
  });

  it('a message above max_message_bytes gets 54000 from its header alone', async (t) => {
    if (!(await requirePostgres(t))) return;
    const conn = await loggedIn(harness);
    conn.socket.write(Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xf0]));
    await conn.closed;
    assert.match(conn.received().toString('latin1'), /C54000\0/);
    await stillServes();
  });

  it('an unknown message type gets 08P01', async (t) => {
    if (!(await requirePostgres(t))) return;
    const conn = await loggedIn(harness);
    conn.socket.write(Buffer.from([0x7a, 0, 0, 0, 4]));
    await conn.closed;
    assert.match(conn.received().toString('latin1'), /C08P01\0.*invalid frontend message type 122/s);
    await stillServes();
  });

  it('a Query without its NUL terminator and a Parse with a broken name get 08P01', async (t) => {
    if (!(await requirePostgres(t))) return;
    for (const bad of [Buffer.from([0x51, 0, 0, 0, 7, 0x41, 0x42, 0x43]), Buffer.from([0x50, 0, 0, 0, 6, 0x41, 0x42])]) {
      const conn = await loggedIn(harness);
      conn.socket.write(bad);
      await conn.closed;
      assert.match(conn.received().toString('latin1'), /C08P01\0/);
    }
    await stillServes();
  });

  it('a password message that is not a password, and unencrypted data after SSLRequest, are refused', async (t) => {
    if (!(await requirePostgres(t))) return;
    const conn = raw(harness);
    conn.socket.write(Buffer.concat([serialize.startup({ user: 'alice', database: 'app' }), serialize.query('SELECT 1')]));
    await conn.closed;
    assert.match(conn.received().toString('latin1'), /C08P01\0.*expected a password message/s);
    await stillServes();
  });

  it('a client that vanishes mid-message does not leak its session', async (t) => {
    if (!(await requirePostgres(t))) return;
    const conn = await loggedIn(harness);
    conn.socket.write(serialize.query('SELECT 1').subarray(0, 6));
    conn.socket.destroy();
    const deadline = Date.now() + 5000;
    while (harness.sessions.size > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(harness.sessions.size, 1, 'only the bystander is left');
    await stillServes();
  });
});

describe('extended-protocol batches are bounded', () => {
  it('a client sending Parse after Parse without Sync is stopped at max_message_bytes (54000)', async (t) => {
    if (!(await requirePostgres(t))) return;
    const harness = await startProxy({ listener: { max_message_bytes: 4096 } });
    try {
      const conn = await loggedIn(harness);
      const parse = serialize.parse({ text: `SELECT '${'x'.repeat(1000)}'` });
      for (let i = 0; i < 10; i++) conn.socket.write(parse);
      await conn.closed;
      assert.match(conn.received().toString('latin1'), /C54000\0.*without a Sync/s);
    } finally {
      await harness.close();
    }
  });
});

describe('random bytes (seeded fuzz)', () => {
  it('200 connections of random bytes before and after login leave the proxy serving', async (t) => {
    if (!(await requirePostgres(t))) return;
    const harness = await startProxy({ listener: { max_message_bytes: 65536 } });
    let seed = 0x2f6b3a1;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const garbage = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => random() & 0xff));
    try {
      for (let i = 0; i < 100; i++) {
        const conn = raw(harness);
        conn.socket.write(garbage(1 + (random() % 64)));
        conn.socket.end();
        await conn.closed;
      }
      for (let i = 0; i < 100; i++) {
        const conn = await loggedIn(harness);
        // A plausible message code followed by random bytes.
        const code = Buffer.from('QPBDECSHFdcfXpz'.charAt(random() % 15));
        conn.socket.write(Buffer.concat([code, garbage(4 + (random() % 64))]));
        conn.socket.end();
        await conn.closed;
      }
      const client = new pg.Client(harness.client());
      await client.connect();
      assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
      await client.end();
    } finally {
      await harness.close();
    }
  });
});
