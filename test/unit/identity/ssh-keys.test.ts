import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { SshKeyRegistry, sshFingerprint } from '../../../src/identity/ssh-keys.js';
import { generateEd25519Key } from '../../../src/protocols/shell/host-key.js';
import type { Principal } from '../../../src/model/principal.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ManualClock } from '../../../src/time/clock.js';

function principal(subject: string, expiresAt: number): Principal {
  return { subject, groups: ['engineers'], authMethods: ['pwd'], issuer: 'https://idp.test', expiresAt, tokenId: `jti-${subject}` };
}

/** ssh2's own generator makes one ed25519 key in 256 unparseable; generateEd25519Key checks each. */
function keyPair(comment = 'test@key') {
  const privateKey = generateEd25519Key(comment);
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error || Array.isArray(parsed)) throw parsed;
  const blob = parsed.getPublicSSH();
  return { publicLine: `ssh-ed25519 ${blob.toString('base64')} ${comment}`, privateKey, blob };
}

describe('SshKeyRegistry', () => {
  const setup = () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    return { clock, registry: new SshKeyRegistry({ store, clock }) };
  };

  it('registers a key bound to the principal until the token expires, never longer', async () => {
    const { clock, registry } = setup();
    const key = keyPair('alice@laptop');
    const alice = principal('alice', clock.now() + 60_000);
    const record = await registry.register(alice, key.publicLine);
    assert.equal(record.fingerprint, sshFingerprint(key.blob));
    assert.equal(record.expiresAt, alice.expiresAt);
    assert.equal(record.comment, 'alice@laptop');
    assert.deepEqual((await registry.find(key.blob))?.principal, alice);
    clock.advance(60_000);
    assert.equal(await registry.find(key.blob), null, 'gone when the token expires');
    assert.deepEqual(await registry.list('alice'), []);
  });

  it("refuses an expired token, a private key, garbage, and someone else's key", async () => {
    const { clock, registry } = setup();
    const key = keyPair();
    await assert.rejects(registry.register(principal('alice', clock.now() - 1), key.publicLine), { code: 'AIRLOCK_BAD_REQUEST' });
    await assert.rejects(registry.register(principal('alice', clock.now() + 60_000), key.privateKey), /private key/);
    await assert.rejects(registry.register(principal('alice', clock.now() + 60_000), 'ssh-ed25519 AAAA-not-a-key'), { code: 'AIRLOCK_BAD_REQUEST' });
    await assert.rejects(registry.register(principal('alice', clock.now() + 60_000), ''), { code: 'AIRLOCK_BAD_REQUEST' });
    await registry.register(principal('bob', clock.now() + 60_000), key.publicLine);
    await assert.rejects(registry.register(principal('mallory', clock.now() + 60_000), key.publicLine), { code: 'AIRLOCK_FORBIDDEN' });
    assert.equal((await registry.find(key.blob))?.principal.subject, 'bob');
  });

  it('lists and removes only the caller\'s own keys', async () => {
    const { clock, registry } = setup();
    const one = keyPair('one');
    const two = keyPair('two');
    await registry.register(principal('alice', clock.now() + 60_000), one.publicLine);
    clock.advance(1);
    await registry.register(principal('alice', clock.now() + 60_000), two.publicLine);
    assert.deepEqual((await registry.list('alice')).map((k) => k.comment), ['two', 'one']);
    await assert.rejects(registry.remove('mallory', sshFingerprint(one.blob)), { code: 'AIRLOCK_NOT_FOUND' });
    await registry.remove('alice', sshFingerprint(one.blob));
    assert.equal(await registry.find(one.blob), null);
    assert.deepEqual((await registry.list('alice')).map((k) => k.comment), ['two']);
  });
});
