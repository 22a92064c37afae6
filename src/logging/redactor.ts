// Compiled once at boot: which keys hold secrets, which extra pino paths to
// censor, and how to scrub credentials out of free text. Used by the
// operational logger (copy-on-write, in pino's `formatters.log`) and by the
// audit log (inside its one serialization pass, before hashing).
import { CENSOR, CODE_CONTAINERS, SECRET_KEYS, SECRET_SUFFIXES } from './secret-paths.js';
import { compilePathTrie, NO_STATES, stepPaths, type PathNode } from './redaction-paths.js';

/** Bound on the key decision cache; keys repeat, so it fills with the real vocabulary. */
const KEY_CACHE_LIMIT = 10_000;
/** Strings shorter than this cannot carry a credential worth scrubbing. */
const MIN_SCRUB_LENGTH = 12;
const LOG_MAX_DEPTH = 10;

// One cheap test decides whether any of the scrubbing expressions can match.
const TEXT_GUARD = /eyJ|bearer|basic\s|passw|pwd=|secret|token|:\/\/[^\s/@:]*:[^\s/@]*@/i;
const TEXT_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // JWTs and JWS compact tokens.
  [/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, CENSOR],
  // HTTP credentials.
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi, `$1$2${CENSOR}`],
  // SQL: CREATE/ALTER ROLE ... [ENCRYPTED] PASSWORD '...' (E-strings, doubled quotes, dollar quotes).
  [/\b(PASSWORD)(\s+)(E'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|\$([A-Za-z_]\w*)?\$[\s\S]*?\$\4\$)/gi, `$1$2'${CENSOR}'`],
  // key=value credentials (connection strings, env assignments, query strings).
  [/\b(\w*(?:password|passwd|pwd|secret|token))(\s*=\s*)("[^"]*"|'[^']*'|[^\s&;'"]+)/gi, `$1$2${CENSOR}`],
  // URL user info: scheme://user:password@host
  [/(:\/\/[^\s/@:]*:)[^\s/@]*@/g, `$1${CENSOR}@`],
];

export interface Redactor {
  /** Whether the value under `key` is a secret; `parentKey` is undefined at the top level. */
  isSecretKey(key: string, parentKey: string | undefined): boolean;
  /** Extra configured pino paths, or null. */
  readonly paths: PathNode | null;
  /** Credentials found in free text (commands, URLs, messages) replaced by the censor. */
  scrubText(text: string): string;
  /** Copy-on-write redaction: returns `value` itself when it holds nothing to censor. */
  redact<T>(value: T): T;
}

export interface RedactorOptions {
  /** Extra pino-style paths (`audit.redact`), on top of the built-in secret keys. */
  readonly paths?: readonly string[];
}

export function compileRedactor(options: RedactorOptions = {}): Redactor {
  const secretNames = new Set(SECRET_KEYS);
  const codeContainers = new Set(CODE_CONTAINERS);
  const cache = new Map<string, boolean>();
  const paths = compilePathTrie(options.paths ?? []);

  function nameIsSecret(key: string): boolean {
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const lower = key.toLowerCase();
    const secret = secretNames.has(lower) || SECRET_SUFFIXES.some((s) => lower.endsWith(s));
    if (cache.size < KEY_CACHE_LIMIT) cache.set(key, secret);
    return secret;
  }

  function isSecretKey(key: string, parentKey: string | undefined): boolean {
    if (key === 'code' && (parentKey === undefined || codeContainers.has(parentKey))) return true;
    return nameIsSecret(key);
  }

  function scrubText(text: string): string {
    if (text.length < MIN_SCRUB_LENGTH || !TEXT_GUARD.test(text)) return text;
    let out = text;
    for (const [pattern, replacement] of TEXT_RULES) out = out.replace(pattern, replacement);
    return out;
  }

  function redactValue(value: unknown, parentKey: string | undefined, states: readonly PathNode[], depth: number): unknown {
    if (typeof value === 'string') return scrubText(value);
    if (value === null || typeof value !== 'object' || depth >= LOG_MAX_DEPTH) return value;
    if (ArrayBuffer.isView(value) || value instanceof Date || value instanceof Map || value instanceof Set) return value;
    const source = value as Record<string, unknown>;
    let copy: Record<string, unknown> | null = null;
    if (value instanceof Error) {
      const message = scrubText(value.message);
      const stack = value.stack === undefined ? undefined : scrubText(value.stack);
      if (message !== value.message || stack !== value.stack) {
        copy = cloneShallow(source);
        (copy as unknown as Error).message = message;
        (copy as unknown as Error).stack = stack;
      }
    }
    for (const key of Object.keys(source)) {
      const child = source[key];
      const step = states.length === 0 ? null : stepPaths(states, key);
      let next: unknown;
      if (child !== undefined && (isSecretKey(key, parentKey) || step?.hit === true)) next = CENSOR;
      else next = redactValue(child, key, step?.next ?? NO_STATES, depth + 1);
      if (next !== child) {
        copy ??= cloneShallow(source);
        copy[key] = next;
      }
    }
    return copy ?? value;
  }

  return {
    isSecretKey,
    paths,
    scrubText,
    redact: <T>(value: T): T => redactValue(value, undefined, paths ? [paths] : NO_STATES, 0) as T,
  };
}

function cloneShallow(source: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(source)) return [...source] as unknown as Record<string, unknown>;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(source) as object | null) as Record<string, unknown>, source);
  if (source instanceof Error) {
    // message, stack and cause are own but not enumerable on errors.
    Object.defineProperty(copy, 'message', { value: source.message, enumerable: false, writable: true, configurable: true });
    Object.defineProperty(copy, 'stack', { value: source.stack, enumerable: false, writable: true, configurable: true });
    if ('cause' in source) Object.defineProperty(copy, 'cause', { value: source.cause, enumerable: false, writable: true, configurable: true });
  }
  return copy;
}
