import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/logging/logger.js';

function capture(level: 'info' | 'debug' = 'info', redact: string[] = []) {
  const lines: string[] = [];
  const logger = createLogger({ level, replicaId: 'replica-7', destination: { write: (s: string) => void lines.push(s) }, redact });
  return { logger, lines };
}

const JWT = 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6MTl9.MEUCIQDf3k2m9signaturepart';

describe('operational logger', () => {
  it('writes JSON lines with an ISO time, the level name and the replica id', () => {
    const { logger, lines } = capture();
    logger.info({ target: 'prod' }, 'hello');
    logger.debug('hidden');
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.equal(line.level, 'info');
    assert.equal(line.replica, 'replica-7');
    assert.equal(line.msg, 'hello');
    assert.equal(line.target, 'prod');
    assert.match(line.time as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('never prints a JWT, an upstream password, a TOTP code, a Slack signing secret or an Authorization header', () => {
    const { logger, lines } = capture('debug', ['target.upstream.user']);
    const secrets = [JWT, 'upstream-pw-1', '482913', 'slack-signing-abc', 'xoxb-bot-token-1', 'xapp-app-token-1', 'Basic dXNlcjpwYXNz', 'sess=cookie-1', 'grant-abc-1', 'enc-key-1', '771100', 'pg-user-1'];
    const original = { upstream: { password: 'upstream-pw-1' } };
    logger.info({ token: JWT }, 'token');
    logger.info({ req: { headers: { authorization: `Bearer ${JWT}`, cookie: 'sess=cookie-1' } } }, 'request');
    logger.info({ headers: { Authorization: 'Basic dXNlcjpwYXNz' } }, 'manual headers');
    logger.warn(original, 'upstream');
    logger.info({ target: { name: 'prod', upstream: { host: 'db', user: 'pg-user-1', password: 'upstream-pw-1' } } }, 'target');
    logger.info({ body: { code: '482913' }, mfa_code: '771100' }, 'totp attempt');
    logger.info({ config: { approvals: { channels: { slack: { signing_secret: 'slack-signing-abc', bot_token: 'xoxb-bot-token-1', app_token: 'xapp-app-token-1' } } } } }, 'deep config');
    logger.info({ grant: { stepUpToken: 'grant-abc-1' }, totp: { encryptionKey: 'enc-key-1' } }, 'camel case');
    logger.error({ err: new Error(`token rejected: ${JWT}`) }, 'error with a token in its message');
    logger.info({ url: `/approve?token=${JWT}&x=1` }, 'url');
    const text = lines.join('');
    for (const secret of secrets) assert.ok(!text.includes(secret), `${secret} was logged:\n${text}`);
    assert.equal(original.upstream.password, 'upstream-pw-1', 'redaction never mutates the caller object');
    assert.ok(text.includes('"host":"db"'));
    assert.ok(text.includes('"name":"prod"'));
    assert.ok(text.includes('token rejected: [Redacted]'));
  });

  it('keeps error codes, which are not one-time codes', () => {
    const { logger, lines } = capture();
    const err = Object.assign(new Error('store down'), { code: 'ECONNREFUSED' });
    logger.error({ err }, 'store');
    assert.match(lines[0] as string, /"code":"ECONNREFUSED"/);
  });
});
