import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT, base64url, type JWK } from 'jose';
import { identitySchema } from '../../../src/config/sections/identity.js';
import { TokenInvalidError, type TokenRejection } from '../../../src/errors.js';
import { loadDevIssuer } from '../../../src/identity/dev-issuer.js';
import { createJwtVerifier } from '../../../src/identity/jwt-verifier.js';
import type { TokenVerifier } from '../../../src/identity/token-verifier.js';
import { ManualClock } from '../../../src/time/clock.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const nowS = NOW / 1000;

function ecKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

const main = ecKey();
const other = ecKey();
const pem = main.publicKey.export({ type: 'spki', format: 'pem' }) as string;

interface MintOptions {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  key?: KeyObject | Uint8Array;
  omit?: readonly string[];
}

async function mint(options: MintOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = {
    iss: 'https://idp.example',
    aud: 'airlock',
    sub: 'alice',
    iat: nowS - 60,
    exp: nowS + 600,
    groups: ['dba', 'oncall'],
    email: 'alice@example.com',
    name: 'Alice Example',
    amr: ['pwd', 'hwk'],
    device_id: 'laptop-1',
    jti: 'tok-1',
    ...options.claims,
  };
  for (const claim of options.omit ?? []) delete claims[claim];
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'main', ...options.header } as never).sign(options.key ?? main.privateKey);
}

function config(overrides: Record<string, unknown> = {}) {
  return identitySchema.parse({ issuer: 'https://idp.example', audience: 'airlock', public_keys: [{ kid: 'main', pem }], ...overrides });
}

async function rejects(verifier: TokenVerifier, token: string, reason: TokenRejection): Promise<void> {
  await assert.rejects(verifier.verify(token), (err: unknown) => {
    assert.ok(err instanceof TokenInvalidError, `expected TokenInvalidError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    assert.equal(err.code, 'AIRLOCK_TOKEN_INVALID');
    if (token.length > 8) assert.ok(!err.message.includes(token), 'message must not echo the token');
    return true;
  });
}

describe('createJwtVerifier', () => {
  const clock = new ManualClock(NOW);
  const verifier = createJwtVerifier(config(), { clock });

  it('maps a valid token to the right Principal', async () => {
    const principal = await verifier.verify(await mint());
    assert.deepEqual({ ...principal, groups: [...principal.groups], authMethods: [...principal.authMethods] }, {
      subject: 'alice',
      email: 'alice@example.com',
      name: 'Alice Example',
      groups: ['dba', 'oncall'],
      authMethods: ['pwd', 'hwk'],
      deviceId: 'laptop-1',
      tokenId: 'tok-1',
      issuer: 'https://idp.example',
      expiresAt: (nowS + 600) * 1000,
    });
  });

  it('accepts groups as one string and reads configured claim names', async () => {
    const custom = createJwtVerifier(config({ claims: { groups: 'realm_access.roles', email: 'mail', device: 'did' } }), { clock });
    const token = await mint({ claims: { realm_access: { roles: ['ops'] }, mail: 'a@x.example', did: 'd-9' } });
    const principal = await custom.verify(token);
    assert.deepEqual(principal.groups, ['ops']);
    assert.equal(principal.email, 'a@x.example');
    assert.equal(principal.deviceId, 'd-9');
    const single = await verifier.verify(await mint({ claims: { groups: 'dba' } }));
    assert.deepEqual(single.groups, ['dba']);
  });

  it('refuses a groups claim of the wrong shape', async () => {
    await rejects(verifier, await mint({ claims: { groups: [1, 2] } }), 'malformed');
  });

  it('uses the injected clock', async () => {
    const token = await mint();
    const later = new ManualClock(NOW + 3_600_000);
    await rejects(createJwtVerifier(config(), { clock: later }), token, 'expired');
    await verifier.verify(token);
  });

  it('rejects alg none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ iss: 'https://idp.example', aud: 'airlock', sub: 'alice', iat: nowS, exp: nowS + 60 }));
    await rejects(verifier, `${header}.${payload}.`, 'algorithm_not_allowed');
  });

  it('rejects HS256 signed with the public key bytes', async () => {
    const token = await new SignJWT({ iss: 'https://idp.example', aud: 'airlock', sub: 'alice', iat: nowS, exp: nowS + 60 })
      .setProtectedHeader({ alg: 'HS256', kid: 'main' })
      .sign(new TextEncoder().encode(pem));
    await rejects(verifier, token, 'algorithm_not_allowed');
  });

  it('rejects an algorithm outside the configured allow-list', async () => {
    const es256Only = createJwtVerifier(config({ algorithms: ['RS256'] }), { clock });
    await rejects(es256Only, await mint(), 'algorithm_not_allowed');
  });

  it('rejects an expired token (beyond clock tolerance) and accepts one within it', async () => {
    await rejects(verifier, await mint({ claims: { exp: nowS - 31 } }), 'expired');
    await verifier.verify(await mint({ claims: { exp: nowS - 10 } }));
  });

  it('rejects nbf in the future', async () => {
    await rejects(verifier, await mint({ claims: { nbf: nowS + 120 } }), 'not_yet_valid');
  });

  it('rejects iat far in the future', async () => {
    await rejects(verifier, await mint({ claims: { iat: nowS + 365 * 86_400, exp: nowS + 366 * 86_400 } }), 'not_yet_valid');
  });

  it('rejects a token issued longer ago than max_token_age', async () => {
    await rejects(verifier, await mint({ claims: { iat: nowS - 13 * 3600, exp: nowS + 600 } }), 'too_old');
  });

  it('rejects the wrong audience and the wrong issuer', async () => {
    await rejects(verifier, await mint({ claims: { aud: 'someone-else' } }), 'wrong_audience');
    await rejects(verifier, await mint({ claims: { iss: 'https://evil.example' } }), 'wrong_issuer');
  });

  it('accepts any of several configured audiences', async () => {
    const multi = createJwtVerifier(config({ audience: ['a', 'b'] }), { clock });
    await multi.verify(await mint({ claims: { aud: ['x', 'b'] } }));
  });

  it('rejects an unknown kid', async () => {
    await rejects(verifier, await mint({ header: { kid: 'nope' } }), 'unknown_key');
  });

  it('rejects missing exp, sub, iat and other required claims', async () => {
    await rejects(verifier, await mint({ omit: ['exp'] }), 'missing_claim');
    await rejects(verifier, await mint({ omit: ['sub'] }), 'missing_claim');
    await rejects(verifier, await mint({ omit: ['iat'] }), 'missing_claim');
    // exp stays required even when the configuration forgets it.
    const lax = createJwtVerifier(config({ required_claims: [] }), { clock });
    await rejects(lax, await mint({ omit: ['exp'] }), 'missing_claim');
  });

  it('rejects trailing whitespace, newlines and padding', async () => {
    const token = await mint();
    await verifier.verify(token);
    for (const bad of [`${token} `, `${token}\n`, ` ${token}`, `${token.slice(0, -5)}\n${token.slice(-5)}`, `${token}=`, `${token}.`, `Bearer ${token}`]) {
      await rejects(verifier, bad, 'malformed');
    }
  });

  it('rejects a bad signature (other key, tampered payload)', async () => {
    await rejects(verifier, await mint({ key: other.privateKey }), 'bad_signature');
    const [h, , s] = (await mint()).split('.');
    const forged = base64url.encode(JSON.stringify({ iss: 'https://idp.example', aud: 'airlock', sub: 'root', iat: nowS, exp: nowS + 60 }));
    await rejects(verifier, `${h}.${forged}.${s}`, 'bad_signature');
  });

  it('rejects an oversized token before parsing it', async () => {
    const token = await mint({ claims: { filler: 'x'.repeat(9000) } });
    await rejects(verifier, token, 'malformed');
  });

  it('rejects garbage', async () => {
    await rejects(verifier, 'a.b.c', 'malformed');
    await rejects(verifier, '', 'malformed');
    await rejects(verifier, 'not-a-token', 'malformed');
  });

  it('tries every kid-less key when the token has no kid', async () => {
    const otherPem = other.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const two = createJwtVerifier(config({ public_keys: [{ pem: otherPem }, { pem }] }), { clock });
    const principal = await two.verify(await mint({ header: { kid: undefined } }));
    assert.equal(principal.subject, 'alice');
  });

  it('reads pem_file and jwk keys, and names a bad key entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-jwt-'));
    try {
      const file = join(dir, 'key.pem');
      writeFileSync(file, pem);
      const jwk = main.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
      createJwtVerifier(config({ public_keys: [{ kid: 'a', pem_file: file }, { kid: 'b', jwk }] }), { clock });
      assert.throws(
        () => createJwtVerifier(config({ public_keys: [{ pem: 'nope' }] })),
        (err: Error & { problems?: string[] }) => /identity\.public_keys\[0\]/.test(err.problems?.join() ?? ''),
      );
      assert.throws(
        () => createJwtVerifier(config({ public_keys: [{ pem_file: join(dir, 'missing.pem') }] })),
        (err: Error & { problems?: string[] }) => /ENOENT/.test(err.problems?.join() ?? ''),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createJwtVerifier with a JWKS endpoint', () => {
  let server: Server;
  let url: string;
  let jwks: { keys: JWK[] } = { keys: [] };
  let up = true;
  before(async () => {
    jwks = { keys: [{ ...(main.publicKey.export({ format: 'jwk' }) as JWK), kid: 'remote-1', alg: 'ES256', use: 'sig' }] };
    server = createServer((_req, res) => {
      if (!up) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  after(() => server.close());

  it('verifies with a key from the JWKS and reports an unknown kid', async () => {
    const clock = new ManualClock(NOW);
    const verifier = createJwtVerifier(identitySchema.parse({ issuer: 'https://idp.example', jwks_url: url }), { clock, jwks: { cooldownMs: 0 } });
    const principal = await verifier.verify(await mint({ header: { kid: 'remote-1' } }));
    assert.equal(principal.subject, 'alice');
    await rejects(verifier, await mint({ header: { kid: 'remote-2' } }), 'unknown_key');
  });

  it('reports keys_unavailable when the JWKS cannot be fetched', async () => {
    up = false;
    try {
      const verifier = createJwtVerifier(identitySchema.parse({ issuer: 'https://idp.example', jwks_url: url }), { clock: new ManualClock(NOW) });
      await rejects(verifier, await mint({ header: { kid: 'remote-1' } }), 'keys_unavailable');
    } finally {
      up = true;
    }
  });
});

describe('dev issuer', () => {
  it('persists its key (0600) across two instances and its tokens verify', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-dev-'));
    try {
      const clock = new ManualClock(NOW);
      const identity = identitySchema.parse({ dev_issuer: { enabled: true } });
      const first = loadDevIssuer({ dataDir: join(dir, 'data'), identity, clock });
      const mode = statSync(join(dir, 'data', 'dev-signing-key.json')).mode & 0o777;
      assert.equal(mode, 0o600);
      const token = await first.mintDevToken({ sub: 'alice', groups: ['dba', 'x'], email: 'alice@example.com', device: 'dev-1', ttlMs: 3_600_000 });

      const second = loadDevIssuer({ dataDir: join(dir, 'data'), identity, clock });
      assert.equal(second.kid, first.kid);
      assert.deepEqual(second.publicJwk, first.publicJwk);
      const verifier = createJwtVerifier(identity, { clock, devPublicKey: second.publicJwk });
      const principal = await verifier.verify(token);
      assert.equal(principal.subject, 'alice');
      assert.equal(principal.issuer, 'airlock-dev');
      assert.deepEqual(principal.groups, ['dba', 'x']);
      assert.equal(principal.deviceId, 'dev-1');
      assert.equal(principal.expiresAt, NOW + 3_600_000);

      // A dev token is refused once dev_issuer is off (no dev key, no other key).
      const strict = createJwtVerifier(identitySchema.parse({ public_keys: [{ kid: 'main', pem }] }), { clock });
      await rejects(strict, token, 'unknown_key');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
