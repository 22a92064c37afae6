// The one place that says which fields hold secrets. The operational logger
// and the audit log (redacted before hashing) both compile their redactor from it.

/** What a redacted value is replaced with (pino's own default censor). */
export const CENSOR = '[Redacted]';

/**
 * Field names that hold a secret wherever they appear, at any depth (compared
 * lower-cased). Names ending in SECRET_SUFFIXES count too. A plain `code` is
 * not here (`err.code` is useful): see CODE_CONTAINERS.
 */
export const SECRET_KEYS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'token',
  'bearer',
  'jwt',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'secret',
  'signing_secret',
  'bot_token',
  'app_token',
  'encryption_key',
  'encryptionkey',
  'private_key',
  'privatekey',
  'api_key',
  'apikey',
  'x-api-key',
  'x-slack-signature',
  'otp',
  'mfa_code',
  'mfacode',
  'totp',
  'totp_code',
  'totpcode',
  'recovery_code',
  'recoverycode',
];

/** Names ending like this hold a secret (`upstreamPassword`, `slackSigningSecret`, `refresh_token`). */
export const SECRET_SUFFIXES: readonly string[] = ['password', 'passwd', 'secret', 'token', 'apikey', 'api_key', 'privatekey', 'private_key'];

/** A plain `code` is a one-time code at the top level and directly inside these containers. */
export const CODE_CONTAINERS: readonly string[] = ['body', 'data', 'query', 'params', 'form', 'payload', 'input'];
