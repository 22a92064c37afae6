import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestAirlock } from '../support/airlock-instance.js';
import { spawnProgram } from '../support/pg-clients.js';
import { waitFor } from '../support/services.js';
import { requirePrograms } from '../support/ssh-clients.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

const CLI = [process.execPath, '--import', 'tsx', resolve('cmd/airlock.ts')];

// `airlock ssh-key add` registers a public key with the caller's JWT; plain
// OpenSSH then logs in with the key alone, until that JWT expires or the
// principal is revoked.
describe('e2e: SSH public keys registered with airlock ssh-key', () => {
  let airlock: Instance;
  let port: number;
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-ssh-keys-'));

  before(async () => {
    airlock = await startTestAirlock(`
control: { listen: "127.0.0.1:0", admin_groups: [airlock-admins] }
shell: { enabled: true, listen: "127.0.0.1:0" }
targets:
  - { name: box, protocol: shell, command: [/bin/bash, --noprofile, --norc], cwd: ${scratch} }
`);
    port = (airlock.shell as { port: number }).port;
  });
  after(async () => {
    await airlock?.shutdown('test done');
    rmSync(scratch, { recursive: true, force: true });
  });

  function keygen(name: string, type = 'ed25519'): string {
    const path = join(scratch, name);
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `${name}@test`, '-f', path]);
    return path;
  }

  function cli(args: string[], token: string, home = scratch) {
    return spawnProgram(CLI[0] as string, [...CLI.slice(1), ...args], { ...process.env, HOME: home, AIRLOCK_URL: airlock.url, AIRLOCK_TOKEN: token }).done;
  }

  /** Plain OpenSSH with only this key: no password, no agent, no prompt. */
  function sshWithKey(key: string, command: string) {
    return spawnProgram(
      'ssh',
      ['-p', String(port), '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'PreferredAuthentications=publickey', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', 'box@127.0.0.1', command],
      { ...process.env, SSH_AUTH_SOCK: '' },
    ).done;
  }

  function fingerprint(key: string): string {
    return /SHA256:\S+/.exec(execFileSync('ssh-keygen', ['-lf', `${key}.pub`], { encoding: 'utf8' }))?.[0] as string;
  }

  it('ssh-key add (default ~/.ssh/id_ed25519.pub), then ssh -i KEY logs in without a token; list and remove', async (t) => {
    if (!requirePrograms(t, ['ssh', 'ssh-keygen'])) return;
    const home = join(scratch, 'alice-home');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    const key = join(home, '.ssh', 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@laptop', '-f', key]);
    const alice = await airlock.token('alice', ['engineers']);

    const refusedBefore = await sshWithKey(key, 'echo in');
    assert.notEqual(refusedBefore.code, 0);
    assert.match(refusedBefore.stderr, /Permission denied/);

    const added = await cli(['ssh-key', 'add'], alice, home);
    assert.equal(added.code, 0, added.stderr);
    assert.ok(added.stdout.includes(fingerprint(key)), `${added.stdout} names ${fingerprint(key)}`);
    assert.match(added.stdout, /for alice until \d{4}-/);

    const login = await sshWithKey(key, 'echo logged-in-with-a-key');
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stdout, 'logged-in-with-a-key\n');

    const listed = await cli(['ssh-key', 'list', '--json'], alice, home);
    assert.equal(listed.code, 0, listed.stderr);
    const keys = JSON.parse(listed.stdout) as Array<{ fingerprint: string; comment: string; expires_at: string }>;
    assert.deepEqual(keys.map((k) => [k.fingerprint, k.comment]), [[fingerprint(key), 'alice@laptop']]);
    // Never longer than the token it was registered with.
    const tokenExp = (JSON.parse(Buffer.from(alice.split('.')[1] as string, 'base64url').toString('utf8')) as { exp: number }).exp * 1000;
    assert.ok(Date.parse(keys[0]!.expires_at) <= tokenExp);

    const removed = await cli(['ssh-key', 'remove', fingerprint(key)], alice, home);
    assert.equal(removed.code, 0, removed.stderr);
    const refusedAfter = await sshWithKey(key, 'echo in');
    assert.match(refusedAfter.stderr, /Permission denied/);
  });

  it('an RSA key works too (rsa-sha2-512 signatures)', async (t) => {
    if (!requirePrograms(t, ['ssh', 'ssh-keygen'])) return;
    const key = keygen('erin-rsa', 'rsa');
    const added = await cli(['ssh-key', 'add', `${key}.pub`], await airlock.token('erin', ['engineers']));
    assert.equal(added.code, 0, added.stderr);
    const login = await sshWithKey(key, 'echo rsa-in');
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stdout, 'rsa-in\n');
  });

  it('a registration expires with the token it was made with', async (t) => {
    if (!requirePrograms(t, ['ssh', 'ssh-keygen'])) return;
    const key = keygen('dave');
    // Registered through the API directly: starting the CLI can take longer than this token lives.
    const short = await airlock.devIssuer!.mintDevToken({ sub: 'dave', groups: ['engineers'], ttlMs: 3000 });
    const added = await fetch(`${airlock.url}/v1/ssh-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${short}`, 'content-type': 'application/json' },
      body: JSON.stringify({ public_key: readFileSync(`${key}.pub`, 'utf8') }),
    });
    assert.equal(added.status, 201);
    const expiresAt = Date.parse(((await added.json()) as { expires_at: string }).expires_at);
    await waitFor(() => Date.now() > expiresAt + 50, 8000, 'the token to expire');
    const login = await sshWithKey(key, 'echo in');
    assert.notEqual(login.code, 0);
    assert.match(login.stderr, /Permission denied/);
  });

  it('a revoked principal is refused with its key (the revocation is checked at login)', async (t) => {
    if (!requirePrograms(t, ['ssh', 'ssh-keygen'])) return;
    const key = keygen('carol');
    const added = await cli(['ssh-key', 'add', `${key}.pub`], await airlock.token('carol', ['engineers']));
    assert.equal(added.code, 0, added.stderr);
    assert.equal((await sshWithKey(key, 'true')).code, 0);
    const admin = await airlock.token('root', ['airlock-admins']);
    const response = await fetch(`${airlock.url}/v1/revocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'subject', id: 'carol', reason: 'left the team' }),
    });
    assert.equal(response.status, 201);
    const login = await sshWithKey(key, 'echo in');
    assert.notEqual(login.code, 0);
    assert.match(login.stderr, /Permission denied/);
  });

  it("someone else's key: an unregistered key is refused, and a key registered by another user cannot be claimed", async (t) => {
    if (!requirePrograms(t, ['ssh', 'ssh-keygen'])) return;
    const bobKey = keygen('bob');
    const mallory = await airlock.token('mallory', ['engineers']);
    assert.match((await sshWithKey(bobKey, 'echo in')).stderr, /Permission denied/);
    assert.equal((await cli(['ssh-key', 'add', `${bobKey}.pub`], await airlock.token('bob', ['engineers']))).code, 0);
    const claimed = await cli(['ssh-key', 'add', `${bobKey}.pub`], mallory);
    assert.equal(claimed.code, 1);
    assert.match(claimed.stderr, /registered by someone else/);
    const removal = await cli(['ssh-key', 'remove', fingerprint(bobKey)], mallory);
    assert.equal(removal.code, 1);
    assert.equal((await sshWithKey(bobKey, 'true')).code, 0, 'still bob\'s');
  });

  it('refuses a private key and text that is not a key, without storing anything', async () => {
    const key = keygen('frank');
    const frank = await airlock.token('frank', ['engineers']);
    const privateKey = await cli(['ssh-key', 'add', key], frank);
    assert.equal(privateKey.code, 1);
    assert.match(privateKey.stderr, /that is a private key/);
    const response = await fetch(`${airlock.url}/v1/ssh-keys`, { method: 'POST', headers: { authorization: `Bearer ${frank}`, 'content-type': 'application/json' }, body: JSON.stringify({ public_key: 'ssh-ed25519 AAAAnot-base64 x' }) });
    assert.equal(response.status, 400);
    assert.equal(readFileSync(`${key}.pub`, 'utf8').startsWith('ssh-ed25519 '), true);
    const listed = await cli(['ssh-key', 'list', '--json'], frank);
    assert.deepEqual(JSON.parse(listed.stdout), []);
  });
});
