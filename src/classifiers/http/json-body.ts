/**
 * A JSON body read for rules. Servers disagree on duplicate object keys
 * (first wins in some parsers, last in JSON.parse), so a body with one is
 * ambiguous and refused; otherwise its scalar leaves become `body:/pointer=value`
 * flags (RFC 6901 pointers) that rules match like any other flag.
 */

export type JsonBody = { ok: true; value: unknown } | { ok: false; reason: string } | { ok: 'not-json' };

const MAX_LEAVES = 512;
const MAX_VALUE_CHARS = 200;

/** Parses when the body looks like JSON (after whitespace, `{` or `[`); refuses duplicate keys. */
export function parseJsonBody(text: string): JsonBody {
  const start = text.search(/\S/);
  if (start === -1 || (text[start] !== '{' && text[start] !== '[')) return { ok: 'not-json' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: 'not-json' };
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) return { ok: false, reason: `a duplicate key "${duplicate.slice(0, 40)}" in the JSON body` };
  return { ok: true, value };
}

/**
 * Scans valid JSON text for an object with a key given twice. Hand-written:
 * JSON.parse and its reviver never see the key that loses, and no small
 * well-kept library reports duplicates without building its own tree.
 */
function findDuplicateKey(text: string): string | undefined {
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (ch === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (ch === '[') {
      stack.push(null);
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',') {
      expectKey = stack[stack.length - 1] != null;
    }
  }
  return undefined;
}

function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** `body:/a/b=value` for scalar leaves (strings unquoted), at most MAX_LEAVES; `body_leaves_truncated` beyond. */
export function jsonLeafFlags(value: unknown): string[] {
  const flags: string[] = [];
  let truncated = false;
  const walk = (node: unknown, pointer: string): void => {
    if (flags.length >= MAX_LEAVES) {
      truncated = true;
      return;
    }
    if (node !== null && typeof node === 'object') {
      const entries = Array.isArray(node) ? node.map((v, i) => [String(i), v] as const) : Object.entries(node);
      if (entries.length === 0) flags.push(`body:${pointer || '/'}=${Array.isArray(node) ? '[]' : '{}'}`);
      for (const [key, child] of entries) walk(child, `${pointer}/${escapePointerToken(key)}`);
      return;
    }
    const text = typeof node === 'string' ? node : JSON.stringify(node);
    flags.push(`body:${pointer || '/'}=${text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text}`);
  };
  walk(value, '');
  if (truncated) flags.push('body_leaves_truncated');
  return flags;
}

const SECRET_KEY = /pass(word|wd|phrase)?$|secret|token|api[-_]?key|private[-_]?key|credential|authorization|^otp$|^totp$|^pin$/i;

/**
 * The body with the values of secret-looking fields (password, token,
 * api_key, ...) replaced, for the command text and flags that reach
 * approvers and the audit log. `redacted` says whether anything was.
 */
export function redactSecretFields(value: unknown): { readonly value: unknown; readonly redacted: boolean } {
  let redacted = false;
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) {
      if (SECRET_KEY.test(key) && (typeof child === 'string' || typeof child === 'number')) {
        redacted = true;
        out[key] = '<redacted>';
      } else out[key] = walk(child);
    }
    return out;
  };
  const result = walk(value);
  return { value: result, redacted };
}
