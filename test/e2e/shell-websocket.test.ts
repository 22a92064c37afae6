import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestAirlock } from '../support/airlock-instance.js';
import { waitFor } from '../support/services.js';
import { RawTerminal } from '../support/ws-terminal-client.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

// The WebSocket terminal on the control port, driven by a raw `ws` client:
// the message protocol of docs/shell.md, its refusals, and revocation.
describe('e2e: the WebSocket terminal of shell targets', () => {
  let airlock: Instance;
  let alice: string;
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-ws-e2e-'));

  before(async () => {
    airlock = await startTestAirlock(`
control: { listen: "127.0.0.1:0", admin_groups: [airlock-admins] }
shell: { enabled: true, listen: "127.0.0.1:0", notice_interval: 1s }
targets:
  - { name: box, protocol: shell, command: [/bin/bash, --noprofile, --norc], cwd: ${scratch} }
policy:
  defaults: { low: allow, medium: allow, high: { approval: { approvers: approvers, count: 1 } }, critical: { approval: { approvers: approvers, count: 1 } } }
`);
    alice = await airlock.token('alice', ['engineers']);
  });
  after(async () => {
    await airlock?.shutdown('test done');
    rmSync(scratch, { recursive: true, force: true });
  });

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  it('GET /v1/targets names the WebSocket URL of a shell target', async () => {
    const response = await fetch(`${airlock.url}/v1/targets`, { headers: auth(alice) });
    const { targets } = (await response.json()) as { targets: Array<Record<string, unknown>> };
    assert.equal(targets.find((t) => t['name'] === 'box')?.['websocket_url'], `${airlock.url.replace(/^http/, 'ws')}/v1/shell/box`);
  });

  it('exec: output, standard error and the exit code come back; standard input reaches the command until eof', async () => {
    mkdirSync(join(scratch, 'seen-by-ls'), { recursive: true });
    const term = await RawTerminal.open(airlock.url, 'box', auth(alice));
    assert.equal(term.ws.protocol, 'airlock.terminal.v1');
    term.json({ type: 'start', mode: 'exec', command: 'ls; echo to-stderr >&2; tr a-z A-Z; exit 7' });
    term.ws.send(Buffer.from('piped in\n'));
    term.json({ type: 'eof' });
    const closed = await term.done;
    assert.equal(closed.code, 1000);
    assert.deepEqual(term.exit, { code: 7 });
    assert.match(term.stdout, /seen-by-ls/);
    assert.match(term.stdout, /PIPED IN/);
    assert.equal(term.stderr, 'to-stderr\n');
    // Recorded like an SSH session: the output the client saw, the command line checked.
    const dir = join(airlock.dataDir, 'recordings');
    await waitFor(() => existsSync(dir) && readdirSync(dir).some((f) => readFileSync(join(dir, f), 'utf8').includes('PIPED IN')), 10_000, 'the recording of the exec');
    const recorded = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).find((text) => text.includes('PIPED IN')) as string;
    assert.match(recorded, /to-stderr/);
    assert.match(recorded, /tr a-z A-Z/);
    assert.equal(recorded.includes(alice), false, 'the token is never recorded');
  });

  it('the token may come as the airlock.bearer.<jwt> sub-protocol (browsers); it is never echoed back', async () => {
    const term = await RawTerminal.open(airlock.url, 'box', {}, ['airlock.terminal.v1', `airlock.bearer.${alice}`]);
    assert.equal(term.ws.protocol, 'airlock.terminal.v1');
    term.json({ type: 'start', mode: 'exec', command: 'echo ok' });
    await term.done;
    assert.equal(term.stdout, 'ok\n');
  });

  it('refuses an upgrade without a token (401), with a bad token, and for an unknown target (404)', async () => {
    await assert.rejects(RawTerminal.open(airlock.url, 'box', {}), (err: { status?: number }) => err.status === 401);
    await assert.rejects(RawTerminal.open(airlock.url, 'box', auth('not.a.jwt')), (err: { status?: number }) => err.status === 401);
    await assert.rejects(RawTerminal.open(airlock.url, 'nowhere', auth(alice)), (err: { status?: number }) => err.status === 404);
  });

  describe('malformed frames close the socket with a code and a reason; Airlock goes on', () => {
    const cases: Array<{ what: string; send: (t: RawTerminal) => void; code: number; reason: RegExp }> = [
      { what: 'invalid JSON', send: (t) => t.ws.send('{"type":'), code: 1007, reason: /not valid JSON/ },
      { what: 'a JSON array', send: (t) => t.ws.send('[1,2]'), code: 1007, reason: /JSON object/ },
      { what: 'an unknown type', send: (t) => t.json({ type: 'rm-rf' }), code: 1007, reason: /unknown control message/ },
      { what: 'terminal data before start', send: (t) => t.ws.send(Buffer.from('rm -rf /\n')), code: 1008, reason: /before the start/ },
      { what: 'a resize before start', send: (t) => t.json({ type: 'resize', cols: 80, rows: 24 }), code: 1008, reason: /before the start/ },
      { what: 'a shell without a size', send: (t) => t.json({ type: 'start', mode: 'shell' }), code: 1007, reason: /cols and rows/ },
      { what: 'a negative size', send: (t) => t.json({ type: 'start', mode: 'shell', cols: -1, rows: 24 }), code: 1007, reason: /integers/ },
      { what: 'an exec without a command', send: (t) => t.json({ type: 'start', mode: 'exec' }), code: 1007, reason: /needs a command/ },
      { what: 'a bad terminal type', send: (t) => t.json({ type: 'start', mode: 'shell', cols: 80, rows: 24, term: 'xterm\n; rm' }), code: 1007, reason: /terminal type/ },
      { what: 'an unknown signal', send: (t) => t.json({ type: 'signal', name: 'KILL' }), code: 1007, reason: /signal name/ },
      { what: 'a control message over 16 KiB', send: (t) => t.json({ type: 'start', mode: 'exec', command: 'x'.repeat(20_000) }), code: 1007, reason: /larger than/ },
      { what: 'a frame over 256 KiB', send: (t) => t.ws.send(Buffer.alloc(300 * 1024)), code: 1009, reason: /.*/ },
      { what: 'invalid UTF-8 in a text frame', send: (t) => t.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }), code: 1007, reason: /.*/ },
    ];
    for (const c of cases) {
      it(c.what, async () => {
        const term = await RawTerminal.open(airlock.url, 'box', auth(alice));
        c.send(term);
        const closed = await term.done;
        assert.equal(closed.code, c.code, `${closed.code} ${closed.reason}`);
        assert.match(closed.reason, c.reason);
      });
    }

    it('a second start is refused (1008), and the first request is stopped', async () => {
      const term = await RawTerminal.open(airlock.url, 'box', auth(alice));
      term.json({ type: 'start', mode: 'exec', command: 'sleep 30' });
      term.json({ type: 'start', mode: 'exec', command: 'echo second' });
      const closed = await term.done;
      assert.equal(closed.code, 1008);
      assert.match(closed.reason, /already started/);
      assert.equal(term.stdout, '');
    });

    it('the server still serves after all of them', async () => {
      const term = await RawTerminal.open(airlock.url, 'box', auth(alice));
      term.json({ type: 'start', mode: 'exec', command: 'echo alive' });
      await term.done;
      assert.equal(term.stdout, 'alive\n');
    });
  });

  it('exec: a held command is withdrawn by the INT signal; nothing runs', async () => {
    const dir = join(scratch, 'kept-by-int');
    mkdirSync(join(dir, 'inner'), { recursive: true });
    const term = await RawTerminal.open(airlock.url, 'box', auth(alice));
    term.json({ type: 'start', mode: 'exec', command: `rm -rf ${dir}` });
    await waitFor(() => /held for approval/.test(term.stderr), 10_000, 'the hold notice on stderr');
    term.json({ type: 'signal', name: 'INT' });
    await term.done;
    assert.deepEqual(term.exit, { code: 130 });
    assert.match(term.stderr, /withdrawn; nothing was run/);
    assert.ok(existsSync(join(dir, 'inner')));
    assert.equal(term.stdout, '');
  });

  it('revocation closes a WebSocket terminal within a second with 1008 and the reason', async () => {
    const carol = await airlock.token('carol', ['engineers']);
    const admin = await airlock.token('root', ['airlock-admins']);
    const term = await RawTerminal.open(airlock.url, 'box', auth(carol));
    term.json({ type: 'start', mode: 'shell', cols: 80, rows: 24, term: 'xterm' });
    await waitFor(() => /box/.test(term.stdout) || term.stdout.length > 0, 10_000, 'the shell to start');
    const started = Date.now();
    const response = await fetch(`${airlock.url}/v1/revocations`, {
      method: 'POST',
      headers: { ...auth(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'subject', id: 'carol', reason: 'laptop stolen' }),
    });
    assert.equal(response.status, 201);
    const closed = await term.done;
    assert.ok(Date.now() - started < 1000, `closed after ${Date.now() - started} ms`);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /laptop stolen/);
    assert.match(term.stdout, /airlock: .*laptop stolen/);
    await assert.rejects(RawTerminal.open(airlock.url, 'box', auth(carol)), (err: { status?: number }) => err.status === 403);
  });
});

describe('e2e: WebSocket terminals that cannot be recorded', () => {
  it('required (the default): closed with 1011 and the reason, nothing runs; not required: it goes on unrecorded', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'airlock-ws-norec-'));
    // A file where the recordings directory should be: nothing can be created under it.
    const blocked = join(scratch, 'not-a-directory');
    writeFileSync(blocked, '');
    const airlock = await startTestAirlock(`
shell: { enabled: true, listen: "127.0.0.1:0", recording: { dir: ${blocked} } }
targets:
  - { name: box, protocol: shell, cwd: ${scratch} }
  - { name: loose, protocol: shell, cwd: ${scratch}, recording: { required: false } }
`);
    try {
      const headers = { authorization: `Bearer ${await airlock.token('alice', ['engineers'])}` };
      const marker = join(scratch, 'ran');
      const refused = await RawTerminal.open(airlock.url, 'box', headers);
      refused.json({ type: 'start', mode: 'exec', command: `touch ${marker}` });
      const closed = await refused.done;
      assert.equal(closed.code, 1011);
      assert.match(closed.reason, /cannot be recorded, and recording is required/);
      assert.equal(existsSync(marker), false);
      const loose = await RawTerminal.open(airlock.url, 'loose', headers);
      loose.json({ type: 'start', mode: 'exec', command: `touch ${marker} && echo unrecorded` });
      await loose.done;
      assert.deepEqual(loose.exit, { code: 0 });
      assert.equal(loose.stdout, 'unrecorded\n');
    } finally {
      await airlock.shutdown('test done');
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
