import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { md5PasswordResponse } from '../../../src/protocols/postgres/md5-password.js';
import { ScramClient, ScramError } from '../../../src/protocols/postgres/scram-client.js';

describe('SCRAM-SHA-256 client', () => {
  // RFC 7677, section 3.
  const nonce = 'rOprNGfwEbeRWgbNEkqO';
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

  it('reproduces the RFC 7677 example exchange', async () => {
    const client = new ScramClient('pencil', { nonce, user: 'user' });
    assert.equal(client.clientFirst(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await client.clientFinal(serverFirst);
    assert.equal(final, 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    client.verifyServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('rejects a wrong server signature, a server error and a nonce that does not extend ours', async () => {
    const client = new ScramClient('pencil', { nonce, user: 'user' });
    await client.clientFinal(serverFirst);
    assert.throws(() => client.verifyServerFinal('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='), ScramError);
    assert.throws(() => client.verifyServerFinal('e=invalid-proof'), ScramError);
    await assert.rejects(new ScramClient('pencil', { nonce }).clientFinal('r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'), ScramError);
    await assert.rejects(new ScramClient('pencil', { nonce }).clientFinal(`r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`), ScramError);
  });
});

describe('MD5 password', () => {
  it('answers md5(md5(password + user) + salt)', () => {
    const salt = Buffer.from([1, 2, 3, 4]);
    const inner = createHash('md5').update('secretalice').digest('hex');
    const expected = 'md5' + createHash('md5').update(Buffer.concat([Buffer.from(inner), salt])).digest('hex');
    assert.equal(md5PasswordResponse('alice', 'secret', salt), expected);
  });
});
