import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestAirlock } from '../support/airlock-instance.js';
import { spawnProgram } from '../support/pg-clients.js';
import { REDIS, requireRedis, waitFor } from '../support/services.js';
import { requirePrograms } from '../support/ssh-clients.js';
import { RawTerminal } from '../support/ws-terminal-client.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

/**
 * Two replicas sharing the real Redis: an SSH key registered on A logs in on
 * B, and a revocation made on A closes a WebSocket terminal on B within a
 * second and stops the key working on B.
 */
describe('e2e: shell targets across two replicas sharing Redis', () => {
  let a: Instance | undefined;
  let b: Instance | undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-shell-replicas-'));

  before(async () => {
    const prefix = `airlock-test-${randomUUID()}:`;
    const yaml = (name: string) => `
server: { data_dir: ${JSON.stringify(scratch)}, replica_id: ${name} }
audit: { file: ${JSON.stringify(join(scratch, `${name}-audit.log`))} }
control: { admin_groups: [airlock-admins] }
# Not a test of outages: under load (3 test files at once) a request was once refused 503, store unavailable, most likely a Redis reply slower than the 500 ms default, which counts as an outage.
store: { kind: redis, redis: { url: "redis://${REDIS.host}:${REDIS.port}", key_prefix: "${prefix}", command_timeout: 3s } }
shell: { enabled: true, listen: "127.0.0.1:0" }
targets:
  - { name: box, protocol: shell, command: [/bin/bash, --noprofile, --norc], cwd: ${scratch} }
`;
    try {
      a = await startTestAirlock(yaml('replica-a'));
      b = await startTestAirlock(yaml('replica-b'));
    } catch (err) {
      if (process.env.CI) throw err;
    }
  });
  after(async () => {
    await a?.shutdown('test done');
    await b?.shutdown('test done');
    rmSync(scratch, { recursive: true, force: true });
  });

  function sshWithKey(replica: Instance, key: string, command: string) {
    const port = (replica.shell as { port: number }).port;
    return spawnProgram(
      'ssh',
      ['-p', String(port), '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'PreferredAuthentications=publickey', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', 'box@127.0.0.1', command],
      { ...process.env, SSH_AUTH_SOCK: '' },
    ).done;
  }

  it('a key registered on A logs in on B; a revocation on A closes a WebSocket terminal on B within a second and stops the key on B', async (t) => {
    if (!(await requireRedis(t)) || !a || !b) return;
    if (!requirePrograms(t, ['ssh', 'ssh-keygen'])) return;
    const key = join(scratch, 'grace');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'grace@test', '-f', key]);
    const grace = await a.token('grace', ['engineers']);
    const registered = await fetch(`${a.url}/v1/ssh-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${grace}`, 'content-type': 'application/json' },
      body: JSON.stringify({ public_key: execFileSync('cat', [`${key}.pub`], { encoding: 'utf8' }) }),
    });
    assert.equal(registered.status, 201);
    const onB = await sshWithKey(b, key, 'echo via-b');
    assert.equal(onB.code, 0, onB.stderr);
    assert.equal(onB.stdout, 'via-b\n');

    const term = await RawTerminal.open(b.url, 'box', { authorization: `Bearer ${grace}` });
    term.json({ type: 'start', mode: 'exec', command: 'echo started; sleep 30' });
    await waitFor(() => term.stdout.includes('started'), 10_000, 'the command to start on B');
    const admin = await a.token('root', ['airlock-admins']);
    const started = Date.now();
    const revoke = await fetch(`${a.url}/v1/revocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'subject', id: 'grace', reason: 'compromised' }),
    });
    assert.equal(revoke.status, 201);
    const closed = await term.done;
    assert.ok(Date.now() - started < 1000, `closed after ${Date.now() - started} ms`);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /compromised/);
    const refused = await sshWithKey(b, key, 'echo in');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Permission denied/);
  });
});
