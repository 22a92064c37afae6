import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postgresTargetSchema } from '../../../src/config/sections/targets.js';
import { BadRequestError, UnknownTargetError } from '../../../src/errors.js';
import { isLoopback, mayAskForPassword } from '../../../src/protocols/postgres/plaintext-policy.js';
import { protocolVersion, readStartupParameters } from '../../../src/protocols/postgres/startup-packet.js';
import { splitStartupOptions } from '../../../src/protocols/postgres/startup-options.js';
import { gatedStartupSettings } from '../../../src/protocols/postgres/startup-settings.js';
import { selectTarget } from '../../../src/protocols/postgres/target-selection.js';

describe('startup options', () => {
  it('takes airlock.* settings out of options and forwards the rest unchanged', () => {
    const split = splitStartupOptions('-c airlock.reason=INC-1234 -c statement_timeout=5s --airlock.target=app -cwork_mem=64MB');
    assert.equal(split.airlock.get('reason'), 'INC-1234');
    assert.equal(split.airlock.get('target'), 'app');
    assert.equal(split.forwarded, '-c statement_timeout=5s -cwork_mem=64MB');
  });

  it('honours backslash-escaped spaces', () => {
    const split = splitStartupOptions('-c airlock.reason=fix\\ the\\ index -c application_name=a\\ b');
    assert.equal(split.airlock.get('reason'), 'fix the index');
    assert.equal(split.forwarded, '-c application_name=a\\ b');
  });

  it('is case-insensitive on the setting name and tolerates an empty string', () => {
    assert.equal(splitStartupOptions('-c AIRLOCK.Reason=x').airlock.get('reason'), 'x');
    assert.deepEqual(splitStartupOptions(undefined), { airlock: new Map(), forwarded: '', settings: [], unsupported: [] });
    assert.equal(splitStartupOptions('   ').forwarded, '');
  });
});

describe('startup settings', () => {
  it('gates every setting except the plain client parameters, as SET statements', () => {
    const parameters = new Map([
      ['user', 'alice'],
      ['database', 'app'],
      ['application_name', 'psql'],
      ['client_encoding', 'UTF8'],
      ['session_replication_role', 'replica'],
    ]);
    const options = splitStartupOptions("-c statement_timeout=5s -c my.x=it's");
    assert.deepEqual(options.settings, [
      ['statement_timeout', '5s'],
      ['my.x', "it's"],
    ]);
    assert.equal(
      gatedStartupSettings(parameters, options),
      `SET "session_replication_role" TO 'replica'; SET "statement_timeout" TO '5s'; SET "my"."x" TO 'it''s'`,
    );
    assert.equal(gatedStartupSettings(new Map([['application_name', 'x']]), splitStartupOptions('')), null);
  });

  it('reports backend switches that are not settings', () => {
    assert.deepEqual(splitStartupOptions('-d 5 -c a=b').unsupported, ['-d', '5']);
  });
});

describe('startup packet', () => {
  it('reads parameters and rejects a missing terminator', () => {
    const body = Buffer.from('user\0alice\0database\0app\0\0');
    assert.deepEqual([...readStartupParameters(body, 0, body.length)], [
      ['user', 'alice'],
      ['database', 'app'],
    ]);
    const bad = Buffer.from('user\0alice\0database\0app');
    assert.throws(() => readStartupParameters(bad, 0, bad.length), BadRequestError);
    const trailing = Buffer.from('user\0alice\0\0junk');
    assert.throws(() => readStartupParameters(trailing, 0, trailing.length), BadRequestError);
  });

  it('splits the protocol version', () => {
    assert.deepEqual(protocolVersion(196608), { major: 3, minor: 0 });
    assert.deepEqual(protocolVersion((3 << 16) | 2), { major: 3, minor: 2 });
    assert.deepEqual(protocolVersion(2 << 16), { major: 2, minor: 0 });
  });
});

describe('plaintext policy', () => {
  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '::2', 'fe80::1', '128.0.0.1', 'unknown']) assert.ok(!isLoopback(a), a);
  });

  it('asks for a password over TLS always, in plaintext only where allowed', () => {
    assert.ok(mayAskForPassword('never', true, '203.0.113.9'));
    assert.ok(!mayAskForPassword('never', false, '127.0.0.1'));
    assert.ok(mayAskForPassword('loopback', false, '127.0.0.1'));
    assert.ok(mayAskForPassword('loopback', false, '::1'));
    assert.ok(!mayAskForPassword('loopback', false, '10.1.2.3'));
    assert.ok(!mayAskForPassword('loopback', false, '::ffff:192.168.1.5'));
    assert.ok(mayAskForPassword('always', false, '203.0.113.9'));
  });
});

describe('target selection', () => {
  const targets = new Map([['app', postgresTargetSchema.parse({ name: 'app', protocol: 'postgres' })]]);

  it('uses airlock.target over the database name', () => {
    assert.equal(selectTarget(targets, 'whatever', 'app').name, 'app');
    assert.equal(selectTarget(targets, 'app', undefined).name, 'app');
  });

  it('refuses an unknown target with 3D000', () => {
    assert.throws(
      () => selectTarget(targets, 'nope', undefined),
      (err: unknown) => err instanceof UnknownTargetError && err.sqlstate === '3D000' && /"nope"/.test(err.message),
    );
  });
});
