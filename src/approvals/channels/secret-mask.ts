// Commands shown to approvers (Slack, webhooks) may carry credentials:
// `ALTER ROLE x PASSWORD '...'`, `PGPASSWORD=... psql`, tokens in curl
// headers. They are masked before they leave the process. Over-masking a
// harmless long literal is the accepted price: the approval stays bound to the
// exact action hash, whatever the approver was shown.

export const MASK = '****';

interface MaskRule {
  readonly name: string;
  readonly pattern: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

// A key word, optionally prefixed (PGPASSWORD, db_password, x-api-key) and
// suffixed only after a separator (password_hash), so `author` and `tokens` stay.
const KEY_WORDS = String.raw`[\w.-]*(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|authorization|auth)(?:[_.-][\w.-]*)?`;

const RULES: readonly MaskRule[] = [
  {
    name: 'private key block',
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    replace: () => `-----BEGIN PRIVATE KEY-----${MASK}-----END PRIVATE KEY-----`,
  },
  {
    // scheme://user:password@host
    name: 'connection string password',
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*):([^\s@'"/]+)@/gi,
    replace: (_m, prefix) => `${prefix}:${MASK}@`,
  },
  {
    // curl -u user:password, --user user:password
    name: 'user:password flag',
    pattern: /((?:^|\s)(?:-u|--user)(?:\s+|=)['"]?[^\s:'"]+):([^\s'"]+)/g,
    replace: (_m, prefix) => `${prefix}:${MASK}`,
  },
  {
    // SQL: PASSWORD 'x', ENCRYPTED PASSWORD E'x', PASSWORD $$x$$
    name: 'sql password literal',
    pattern: /\b(PASSWORD\s+)(E?'(?:[^']|'')*'|\$([A-Za-z_]*)\$[\s\S]*?\$\3\$)/gi,
    replace: (_m, keyword) => `${keyword}'${MASK}'`,
  },
  {
    name: 'authorization scheme',
    pattern: /\b((?:Bearer|Basic)\s+)([A-Za-z0-9._~+/=-]{8,})/g,
    replace: (_m, scheme) => `${scheme}${MASK}`,
  },
  {
    // key=value, key: value, "key": "value", --password=x, PGPASSWORD=x
    name: 'key value',
    pattern: new RegExp(String.raw`(\b${KEY_WORDS}["']?\s*[=:]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s&;,'")}\]]+)`, 'gi'),
    replace: (_m, key, value) => `${key}${quoteLike(value)}`,
  },
  {
    // --password secret, -token secret (space separated flags)
    name: 'flag value',
    pattern: new RegExp(String.raw`(--?${KEY_WORDS}\s+)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s-][^\s;&|]*)`, 'gi'),
    replace: (_m, flag, value) => `${flag}${quoteLike(value)}`,
  },
  { name: 'slack token', pattern: /\b(xox[abposre]|xapp)-[A-Za-z0-9-]+/g, replace: (_m, prefix) => `${prefix}-${MASK}` },
  { name: 'github token', pattern: /\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{16,}/g, replace: (_m, prefix) => `${prefix}${MASK}` },
  { name: 'aws access key id', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: (_m, prefix) => `${prefix}${MASK}` },
  { name: 'stripe/openai style key', pattern: /\b((?:sk|rk|pk)_(?:live|test)_|sk-)[A-Za-z0-9_-]{16,}/g, replace: (_m, prefix) => `${prefix}${MASK}` },
  { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, replace: () => `eyJ${MASK}` },
  { name: 'long hex', pattern: /\b[0-9a-fA-F]{32,}\b/g, replace: () => MASK },
  {
    // Long base64/base64url runs that mix cases and digits: keys, not identifiers.
    name: 'long base64',
    pattern: /[A-Za-z0-9+/_-]{40,}={0,2}/g,
    replace: (m) => (/[a-z]/.test(m) && /[A-Z]/.test(m) && /[0-9]/.test(m) ? MASK : m),
  },
];

function quoteLike(value: string): string {
  if (value.startsWith("'")) return `'${MASK}'`;
  if (value.startsWith('"')) return `"${MASK}"`;
  return MASK;
}

/** The command with secret-looking literals replaced by `****`. */
export function maskSecrets(command: string): string {
  let out = command;
  for (const rule of RULES) {
    out = out.replace(rule.pattern, (match: string, ...args: unknown[]) => {
      // String.replace passes (match, ...groups, offset, input[, namedGroups]).
      const groups = args.filter((a): a is string | undefined => typeof a === 'string' || a === undefined).slice(0, -1);
      if (match.includes(MASK) && rule.name !== 'long base64') return match;
      return rule.replace(match, ...groups.map((g) => g ?? ''));
    });
  }
  return out;
}
