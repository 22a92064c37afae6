import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { EmailChannel } from '../../../src/approvals/channels/email-channel.js';
import { loadChannelModules } from '../../../src/approvals/channels/channel-modules.js';
import { createChannels } from '../../../src/approvals/channels/create-channels.js';
import { parseConfig } from '../../../src/config/load.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { Registry } from 'prom-client';
import { harness, makeRecord, silentLogger } from '../slack/fixtures.js';

const LINKS = { url: 'https://airlock.example/approvals/x', approveCommand: 'airlock approve x', denyCommand: 'airlock deny x' };

interface Mail {
  readonly from: string;
  readonly to: string[];
  readonly data: string;
}

describe('EmailChannel against a local SMTP server', () => {
  const mails: Mail[] = [];
  /** SMTP reply codes to give for the next messages (then accept). */
  const script: number[] = [];
  let server: SMTPServer;
  let port = 0;
  before(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const code = script.shift();
          if (code) {
            const err = Object.assign(new Error(`scripted ${code}`), { responseCode: code });
            callback(err);
            return;
          }
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            data: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    mails.length = 0;
    script.length = 0;
  });

  function channel(retries = 2, to = ['approvers@example.com']) {
    const h = harness();
    const ch = new EmailChannel({
      config: { host: '127.0.0.1', port, secure: false, from: 'airlock@example.com', to, timeout: 2000, retries, max_queue: 10 },
      logger: silentLogger,
      bus: h.bus,
      clock: h.clock,
      backoffBaseMs: 5,
    });
    return { ...h, ch };
  }

  it('mails approvers a summary with the page link, secrets masked, and no approve-by-link', async () => {
    const { ch } = channel();
    const record = makeRecord({ command: "ALTER ROLE x PASSWORD 'hunter2'" });
    await ch.notify(record, LINKS);
    await ch.idle();
    await ch.close();
    assert.equal(mails.length, 1);
    const mail = mails[0]!;
    assert.equal(mail.from, 'airlock@example.com');
    assert.deepEqual(mail.to, ['approvers@example.com']);
    assert.match(mail.data, /Subject: \[airlock\] Approval needed/);
    assert.ok(mail.data.includes(LINKS.url), 'links the signed-in page');
    assert.ok(mail.data.includes("PASSWORD '****'"));
    assert.ok(!mail.data.includes('hunter2'), 'secret never mailed');
    assert.ok(!/approve\?|token=/i.test(mail.data), 'no approve-by-link');
    assert.deepEqual(ch.stats(), { queued: 0, sent: 1, failed: 0, dropped: 0 });
  });

  it('sends a step-up request only to the requester, and nothing when the requester has no address', async () => {
    const { ch } = channel();
    const base = makeRecord();
    await ch.notify({ ...base, kind: 'step_up', requester: { ...base.requester, email: 'alice@example.com' } }, LINKS);
    const { email: _drop, ...noEmail } = base.requester;
    await ch.notify({ ...base, id: 'other', kind: 'step_up', requester: noEmail }, LINKS);
    await ch.idle();
    await ch.close();
    assert.equal(mails.length, 1);
    assert.deepEqual(mails[0]!.to, ['alice@example.com']);
    assert.match(mails[0]!.data, /Confirm your own action/);
  });

  it('retries a temporary 4xx, gives up at once on a permanent 5xx and reports the failure', async () => {
    const { ch, events } = channel(2);
    script.push(451);
    await ch.notify(makeRecord(), LINKS);
    await ch.idle();
    assert.equal(mails.length, 1, 'delivered after one temporary failure');
    script.push(550, 550, 550);
    await ch.notify(makeRecord({ id: 'second' } as never), LINKS);
    await ch.idle();
    await ch.close();
    assert.equal(mails.length, 1);
    assert.equal(script.length, 2, 'a 5xx is not retried');
    assert.equal(ch.stats().failed, 1);
    assert.ok(events.some((e) => e.type === 'approval.notify_failed' && /SMTP 550/.test(e.reason ?? '')));
  });

  it('is built from approvals.channels.email in the config and delivers', async () => {
    const config = parseConfig(`
approvals:
  channels:
    email: { host: 127.0.0.1, port: ${port}, from: airlock@example.com, to: [oncall@example.com] }
`, 'email', {});
    const h = harness();
    const built = createChannels(config, { logger: silentLogger, bus: h.bus, clock: h.clock, store: new MemoryStore({ clock: h.clock }), registry: new Registry(), sink: h.sink, modules: await loadChannelModules(config) });
    const email = built.channels.find((c) => c.name === 'email');
    assert.ok(email instanceof EmailChannel);
    await email.notify(makeRecord(), LINKS);
    await email.idle();
    await built.close();
    assert.deepEqual(mails.map((m) => m.to), [['oncall@example.com']]);
  });
});
