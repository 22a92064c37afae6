import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfigFile, parseConfig } from '../../../src/config/load.js';
import { ConfigInvalidError } from '../../../src/errors.js';

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(yaml, 'test.yaml', env);
  } catch (err) {
    assert.ok(err instanceof ConfigInvalidError);
    return [...err.problems];
  }
  return [];
}

describe('config', () => {
  it('accepts an empty file and fills every default', () => {
    const config = parseConfig('', 'empty', {});
    assert.equal(config.store.kind, 'memory');
    assert.equal(config.postgres.listen.port, 6432);
    assert.equal(config.approvals.timeout, 600_000);
    assert.equal(config.policy.defaults.medium, 'step_up');
  });

  it('lists every problem with its YAML path and line:column', () => {
    const yaml = [
      'policy:', //                                   1
      '  rules:', //                                  2
      '    - id: ok', //                              3
      '      risk: low', //                           4
      '    - id: bad-risk', //                        5
      '      match:', //                              6
      '        risk: extreme', //                     7
      '      require: allow', //                      8
      'postgres:', //                                 9
      '  listen: "nowhere"', //                       10
      '  max_message_bytes: "big"', //               11
      'approvals:', //                                12
      '  timeout: soon', //                           13
      'typo_section: 1', //                           14
    ].join('\n');
    const found = problems(yaml);
    assert.ok(found.includes('policy.rules[1].match.risk: expected one of low|medium|high|critical (line 7:15)'), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('postgres.listen: expected host:port') && p.endsWith('(line 10:11)')), found.join('\n'));
    assert.ok(found.includes('postgres.max_message_bytes: expected number, got a string (line 11:22)'), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('approvals.timeout: expected a duration') && p.endsWith('(line 13:12)')), found.join('\n'));
    assert.ok(found.includes('typo_section: unknown key (line 14:1)'), found.join('\n'));
    assert.equal(found.length, 5, found.join('\n'));
  });

  it('reports YAML syntax errors with their line', () => {
    const found = problems('policy:\n  rules: [\n');
    assert.equal(found.length >= 1, true);
    assert.match(found[0] as string, /line \d+:\d+/);
  });

  it('rejects duplicate rule ids and targets, and unacknowledged critical bypasses', () => {
    const found = problems(`
targets:
  - { name: db, protocol: postgres }
  - { name: db, protocol: postgres }
policy:
  rules:
    - { id: r, risk: low }
    - { id: r, risk: high }
risk:
  bypass:
    - { id: oncall, groups: [sre], max_risk: critical, skip_approval: true }
`);
    assert.ok(found.some((p) => p.startsWith('targets[1].name: duplicate target name "db"')), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('policy.rules[1].id: duplicate rule id "r"')), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('risk.bypass[0].skip_approval: this bypass would skip approval for critical actions')), found.join('\n'));
  });

  it('reads secrets from *_file keys and from the environment, and never prints a secret value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-config-'));
    const secretFile = join(dir, 'pg-password');
    writeFileSync(secretFile, 's3cret-from-file\n');
    const config = parseConfig(`
targets:
  - name: app-db
    protocol: postgres
    upstream: { password_file: ${secretFile} }
  - name: other
    protocol: postgres
approvals:
  channels:
    webhook: { url: "https://hooks.example.com/airlock" }
`, 'secrets', { AIRLOCK_TARGET_OTHER_PASSWORD: 'from-env', AIRLOCK_WEBHOOK_SECRET: 'whsec', AIRLOCK_SLACK_SIGNING_SECRET: 'ignored-without-slack-section' });
    const [app, other] = config.targets;
    assert.equal(app?.protocol === 'postgres' && app.upstream.password, 's3cret-from-file');
    assert.equal(other?.protocol === 'postgres' && other.upstream.password, 'from-env');
    assert.equal(config.approvals.channels.webhook?.secret, 'whsec');
    assert.equal(config.approvals.channels.slack, undefined);
    const found = problems('targets:\n  - name: x\n    protocol: postgres\n    upstream: { port: "hunter2", password_file: /nonexistent/file }\n');
    assert.ok(found.some((p) => p.startsWith('targets[0].upstream.password_file: cannot read /nonexistent/file (ENOENT)')), found.join('\n'));
    assert.ok(!found.join('\n').includes('hunter2'));
  });

  it('loads the shipped demo config', () => {
    const config = loadConfigFile('config/airlock.demo.yaml', {});
    assert.equal(config.identity.dev_issuer.enabled, true);
    assert.ok(config.targets.some((t) => t.protocol === 'postgres' && t.embedded));
  });
});
