import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MASK, maskSecrets } from '../../../src/approvals/channels/secret-mask.js';

// [input, what must not appear afterwards]
const SECRETS: [string, string][] = [
  ["ALTER ROLE bob WITH PASSWORD 'hunter2'", 'hunter2'],
  ["alter role bob encrypted password 'it''s a secret' valid until '2027-01-01'", 'secret'],
  ["CREATE USER x PASSWORD E'p\\'w'", "p\\'w"],
  ['CREATE ROLE x PASSWORD $pw$dollar-quoted$pw$', 'dollar-quoted'],
  ["SELECT set_config('app.password', 'x', false); UPDATE users SET password='s3cr3t!'", 's3cr3t!'],
  ['UPDATE cfg SET api_key = "k-123456"', 'k-123456'],
  ['PGPASSWORD=s3cret psql -h db', 's3cret'],
  ['mysql --password=hunter2 --user root', 'hunter2'],
  ['tool --api-key sekret123 run', 'sekret123'],
  ['curl -H "Authorization: Bearer abcdefghijkl123" https://api', 'abcdefghijkl123'],
  ['curl -u admin:pa55 https://x -H "X-Api-Key: kkkkkkkk"', 'kkkkkkkk'],
  ['curl -u admin:pa55word https://x', 'pa55word'],
  ["curl --user 'ops:letmein' https://x", 'letmein'],
  ['psql postgres://admin:pa55w0rd@db:5432/app', 'pa55w0rd'],
  ['redis-cli -u redis://:r3dis@cache:6379', 'r3dis'],
  ['echo xoxb-1234-5678-abcdEFGHijkl', '1234-5678-abcdEFGHijkl'],
  ['SLACK_APP=xapp-1-A111-222-abc', '1-A111-222-abc'],
  ['git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/x', 'ghp_abcdefghijklmnopqrstuvwxyz0123'],
  ['gh auth --with github_pat_11ABCDEFG0123456789_abcdefghijklmnop', '11ABCDEFG0123456789'],
  ['aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE', 'IOSFODNN7EXAMPLE'],
  ['export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI'],
  ["INSERT INTO k VALUES ('deadbeefdeadbeefdeadbeefdeadbeef')", 'deadbeefdeadbeefdeadbeefdeadbeef'],
  ["INSERT INTO k VALUES ('aGVsbG8gd29ybGQgdGhpcyBpcyBhIHNlY3JldCBrZXkgMTIzNDU2')", 'aGVsbG8gd29ybGQ'],
  ['curl -H "x: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig_nature"', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0'],
  ['{"password": "x y z", "user": "a"}', 'x y z'],
  ['https://x/cb?token=abc123&x=1', 'abc123'],
  ['stripe charges --key sk_live_abcdefghijklmnop1234', 'abcdefghijklmnop1234'],
  ['cat <<EOF\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nEOF', 'MIIEowIBAAKCAQEA'],
];

// Benign look-alikes that must reach the approver unchanged.
const BENIGN: string[] = [
  'DROP TABLE users',
  "UPDATE books SET author = 'bob' WHERE tokens = 5",
  'SELECT password_reset_sent_at FROM users',
  'ALTER TABLE users DROP COLUMN password',
  "SELECT * FROM secretary WHERE name = 'x'",
  'SELECT * FROM very_long_table_name_with_many_words_in_it_ok_yes',
  "DELETE FROM sessions WHERE id = '3f2504e0-4f89-11d3-9a0c-0305e82c3301'",
  'kubectl delete pod api-7d9f8b6c5-x2x9z -n prod',
  'rm -rf /var/lib/app/cache',
  'pwd && ls -la',
];

describe('secret masking for approver displays', () => {
  for (const [input, secret] of SECRETS) {
    it(`masks: ${input.slice(0, 60)}`, () => {
      const out = maskSecrets(input);
      assert.ok(!out.includes(secret), `"${secret}" survived in: ${out}`);
      assert.ok(out.includes(MASK), out);
    });
  }
  for (const input of BENIGN) {
    it(`keeps: ${input.slice(0, 60)}`, () => assert.equal(maskSecrets(input), input));
  }
  it('keeps the statement readable around the mask', () => {
    assert.equal(maskSecrets("ALTER ROLE bob PASSWORD 'x' VALID UNTIL 'infinity'"), "ALTER ROLE bob PASSWORD '****' VALID UNTIL 'infinity'");
    assert.equal(maskSecrets('psql postgres://admin:pw@db/app -c "DROP TABLE t"'), 'psql postgres://admin:****@db/app -c "DROP TABLE t"');
  });
});
