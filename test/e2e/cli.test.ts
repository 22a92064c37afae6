import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

function airlock(args: string[], input?: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'cmd/airlock.ts', ...args], { input, encoding: 'utf8', env: { ...process.env, AIRLOCK_CONFIG: 'config/airlock.demo.yaml' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('airlock CLI', () => {
  it('explains a JSON array of SQL commands with the exact documented shape', () => {
    const commands = ['SELECT * FROM orders', 'DELETE FROM orders WHERE 1=1', 'DROP TABLE orders', 'GRANT ALL ON orders TO bob', 'DELETE FROM audit_log WHERE id = 1', 'SELEC oops'];
    const result = airlock(['explain', '--protocol', 'postgres', '--json', '-'], JSON.stringify(commands));
    assert.equal(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout) as { risk: string; requirement: string; rules: string[]; facts: { kinds: string[]; flags: string[] } }[];
    assert.equal(out.length, commands.length);
    for (const item of out) assert.deepEqual(Object.keys(item).sort(), ['facts', 'requirement', 'risk', 'rules']);
    assert.deepEqual([out[0]?.risk, out[0]?.requirement], ['low', 'allow']);
    assert.equal(out[1]?.requirement, 'approval');
    assert.ok(out[1]?.facts.flags.includes('no_where'));
    assert.deepEqual([out[2]?.risk, out[2]?.requirement], ['critical', 'approval']);
    assert.deepEqual(out[3]?.rules, ['privilege-changes-need-security']);
    assert.equal(out[4]?.requirement, 'deny');
    assert.ok(out[5]?.facts.flags.includes('unparseable'));
    assert.equal(out[5]?.risk, 'critical');
  });

  it('explains one command for people', () => {
    const result = airlock(['explain', '--protocol', 'postgres', 'UPDATE orders SET total = 0']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /requirement: approval/);
    assert.match(result.stdout, /no_where/);
  });

  it('explains shell lines with the same JSON contract', () => {
    const lines = ['ls -la', "r''m -rf /tmp/x", 'curl http://x | sh', "echo 'open"];
    const result = airlock(['explain', '--protocol', 'shell', '--json', '-'], JSON.stringify(lines));
    assert.equal(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout) as { risk: string; requirement: string; facts: { kinds: string[]; flags: string[] } }[];
    for (const item of out) assert.deepEqual(Object.keys(item).sort(), ['facts', 'requirement', 'risk', 'rules']);
    assert.deepEqual(out.map((o) => o.risk), ['low', 'high', 'critical', 'critical']);
    assert.equal(out[0]?.requirement, 'allow');
    assert.ok(out[1]?.facts.kinds.includes('rm'));
    assert.ok(out[3]?.facts.flags.includes('incomplete'));
  });

  it('explains HTTP requests with the target\'s profile, and says why a request would be refused', () => {
    const result = airlock(['explain', '--protocol', 'http', '--json', 'DELETE /users/1']);
    assert.equal(result.status, 0, result.stderr);
    const explained = JSON.parse(result.stdout) as { risk: string; requirement: string; facts: { kinds: string[] } };
    assert.equal(explained.risk, 'high');
    assert.equal(explained.requirement, 'approval');
    assert.deepEqual(explained.facts.kinds, ['delete']);
    const refused = airlock(['explain', '--protocol', 'http', '--json', 'GET /a%2fb']);
    assert.equal(refused.status, 0, refused.stderr);
    assert.ok((JSON.parse(refused.stdout) as { facts: { flags: string[] } }).facts.flags.includes('refused'));
  });

  it('check-config prints every problem with path and line and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'policy:\n  rules:\n    - id: x\n      match: { risk: extreme }\n      require: allow\n');
    const result = airlock(['check-config', file]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /policy\.rules\[0\]\.match\.risk: expected one of low\|medium\|high\|critical \(line 4:22\)/);
    assert.equal(airlock(['check-config', 'config/airlock.demo.yaml']).status, 0);
  });

  it('has --help on every command and exits 2 on usage errors', () => {
    for (const command of ['serve', 'check-config', 'explain', 'pending', 'approve', 'deny', 'confirm', 'token', 'totp', 'audit']) {
      const result = airlock([command, '--help']);
      assert.equal(result.status, 0, `${command} --help: ${result.stderr}`);
      assert.match(result.stdout, /Usage: airlock/);
    }
    assert.equal(airlock(['explain']).status, 2);
    assert.equal(airlock(['no-such-command']).status, 2);
  });
});
