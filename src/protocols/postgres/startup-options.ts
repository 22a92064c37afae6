/**
 * The `options` startup parameter is a command line for the backend, read
 * the way PostgreSQL reads it: pg_split_opts splits at whitespace (isspace:
 * space, \t, \n, \v, \f, \r) with a backslash escaping any next character;
 * getopt then takes `-c name=value`, `-cname=value` and `--name=value`, and
 * ParseLongOption turns every `-` of the name into `_`. Names are
 * case-insensitive. Airlock reads its own `airlock.*` settings out of it,
 * and forwards the rest unchanged to be gated as SET statements. Every other
 * backend switch (`-d 5`, `-P`, `-f s`, grouped flags, bare words) is refused.
 */
export interface SplitOptions {
  /** `airlock.*` settings, names lower-cased without the prefix (`target`, `reason`). */
  readonly airlock: ReadonlyMap<string, string>;
  /** What remains for the upstream, re-escaped; empty when nothing remains. */
  readonly forwarded: string;
  /** The settings in `forwarded`, as name/value pairs (names lower-cased). */
  readonly settings: readonly (readonly [string, string])[];
  /** Tokens that are not settings (backend switches such as `-d 5`): refused. */
  readonly unsupported: readonly string[];
}

function tokenize(options: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  for (let i = 0; i < options.length; i++) {
    const ch = options[i] as string;
    if (ch === '\\') {
      // A backslash escapes the next character; a trailing one escapes nothing and is dropped.
      if (i + 1 < options.length) current += options[++i];
      inToken = true;
    } else if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\v' || ch === '\f' || ch === '\r') {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (inToken) tokens.push(current);
  return tokens;
}

function escape(token: string): string {
  return token.replace(/[\\ \t\n\v\f\r]/g, (c) => `\\${c}`);
}

/** A setting name as GUC lookup can find it: letters, digits, `_`, `$`, and `.` for custom ones. */
const SETTING_NAME = /^[a-z0-9_$.]+$/;

function setting(assignment: string): { name: string; value: string } | null {
  const eq = assignment.indexOf('=');
  if (eq <= 0) return null;
  // ParseLongOption: every dash of the name becomes an underscore, for -c as for --.
  const name = assignment.slice(0, eq).replace(/-/g, '_').toLowerCase();
  if (!SETTING_NAME.test(name)) return null;
  return { name, value: assignment.slice(eq + 1) };
}

export function splitStartupOptions(options: string | undefined): SplitOptions {
  const airlock = new Map<string, string>();
  const settings: [string, string][] = [];
  const unsupported: string[] = [];
  if (!options) return { airlock, forwarded: '', settings, unsupported };
  // Whether a byte above 0x7f is whitespace depends on the server's locale (isspace): not modelled.
  if (/[^\x00-\x7f]/.test(options)) return { airlock, forwarded: '', settings, unsupported: ['(a non-ASCII character)'] };
  const tokens = tokenize(options);
  const kept: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    let assignment: string | null = null;
    let consumed = 1;
    if (token === '-c' && i + 1 < tokens.length) {
      assignment = tokens[i + 1] as string;
      consumed = 2;
    } else if (token.startsWith('-c') && token.length > 2) {
      assignment = token.slice(2);
    } else if (token.startsWith('--') && token.length > 2) {
      assignment = token.slice(2);
    }
    const parsed = assignment === null ? null : setting(assignment);
    if (parsed && parsed.name.startsWith('airlock.')) {
      airlock.set(parsed.name.slice('airlock.'.length), parsed.value);
    } else if (parsed) {
      settings.push([parsed.name, parsed.value]);
      for (let k = 0; k < consumed; k++) kept.push(escape(tokens[i + k] as string));
    } else {
      unsupported.push(token);
    }
    i += consumed - 1;
  }
  return { airlock, forwarded: kept.join(' '), settings, unsupported };
}
