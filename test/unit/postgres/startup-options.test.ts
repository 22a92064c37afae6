import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitStartupOptions } from '../../../src/protocols/postgres/startup-options.js';
import { gatedStartupSettings } from '../../../src/protocols/postgres/startup-settings.js';

// PostgreSQL reads `options` with pg_split_opts (isspace separates, a backslash escapes the next
// character) and getopt (-c name=value, -cname=value, --name=value), then ParseLongOption turns every
// dash of the name into an underscore. Each case: what the server would set, and Airlock must gate.
const SETTINGS: readonly [options: string, name: string, value: string][] = [
  ['-c session_replication_role=replica', 'session_replication_role', 'replica'],
  ['-c session-replication-role=replica', 'session_replication_role', 'replica'],
  ['-csession-replication-role=replica', 'session_replication_role', 'replica'],
  ['--session-replication-role=replica', 'session_replication_role', 'replica'],
  ['--session_replication_role=replica', 'session_replication_role', 'replica'],
  ['-c SESSION_Replication_ROLE=replica', 'session_replication_role', 'replica'],
  ['-c\fsearch_path=evil', 'search_path', 'evil'],
  ['-c\vsearch_path=evil', 'search_path', 'evil'],
  ['-c\rsearch_path=evil', 'search_path', 'evil'],
  ['\t-c\nsearch_path=evil', 'search_path', 'evil'],
  ['-c search_path=evil\\,pg_catalog', 'search_path', 'evil,pg_catalog'],
  ['-c search_path=a\\ b', 'search_path', 'a b'],
  ['-c search_path=evil\\', 'search_path', 'evil'],
  ['-c log-statement=none', 'log_statement', 'none'],
  ['-c session-preload-libraries=auto_explain', 'session_preload_libraries', 'auto_explain'],
  ['-c standard-conforming-strings=off', 'standard_conforming_strings', 'off'],
  ['-c x=y=z', 'x', 'y=z'],
];

// Switches that are not settings, names GUC lookup cannot find, and what depends on the server's locale.
const REFUSED = ['-P', '-d 5', '-ec a=b', '-F', '-f s', '--', '-c', '--name', '-c name', 'word', '-c se\\ arch_path=evil', '-c sea"rch=x', '-c a=\u00a0b', '-c\u0085search_path=x'];

describe('startup options are read as PostgreSQL reads them', () => {
  for (const [options, name, value] of SETTINGS) {
    it(`${JSON.stringify(options)} sets ${name}`, () => {
      const split = splitStartupOptions(options);
      assert.deepEqual(split.unsupported, []);
      assert.deepEqual(split.settings, [[name, value]]);
      // Gated as the SET statement it amounts to.
      assert.match(gatedStartupSettings(new Map(), split) ?? '', new RegExp(`^SET "${name}" TO `));
    });
  }
  for (const options of REFUSED) {
    it(`${JSON.stringify(options)} is refused`, () => assert.notDeepEqual(splitStartupOptions(options).unsupported, []));
  }

  it('forwards exactly what was gated, escaped so the server splits it the same way', () => {
    const split = splitStartupOptions('-c application_name=a\\ b\\\\c -c\fwork-mem=64MB');
    assert.deepEqual(split.settings, [
      ['application_name', 'a b\\c'],
      ['work_mem', '64MB'],
    ]);
    assert.equal(splitStartupOptions(split.forwarded).settings.length, 2);
    assert.deepEqual(splitStartupOptions(split.forwarded).settings, split.settings);
  });

  it('gates a client_encoding startup parameter unless it is UTF-8 or SQL_ASCII', () => {
    const none = splitStartupOptions('');
    assert.equal(gatedStartupSettings(new Map([['client_encoding', 'UTF8']]), none), null);
    assert.equal(gatedStartupSettings(new Map([['client_encoding', 'SQL_ASCII']]), none), null);
    assert.equal(gatedStartupSettings(new Map([['client_encoding', 'SJIS']]), none), `SET "client_encoding" TO 'SJIS'`);
  });
});
