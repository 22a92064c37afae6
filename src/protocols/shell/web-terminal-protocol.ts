/**
 * The WebSocket terminal's messages (docs/shell.md, "WebSocket terminal").
 * Binary frames are terminal data both ways; text frames are JSON control
 * messages, parsed here into a closed set of types. Anything else is a
 * protocol error that closes the socket with a code and a reason.
 */

/** The sub-protocol a client offers (and the server selects). */
export const TERMINAL_PROTOCOL = 'airlock.terminal.v1';
/** A sub-protocol that carries the bearer token, for browsers, which cannot set Authorization on a WebSocket. */
export const TOKEN_PROTOCOL_PREFIX = 'airlock.bearer.';

/** Largest frame of either kind; a terminal sends keystrokes and pastes, not files. */
export const MAX_FRAME_BYTES = 256 * 1024;
/** Largest JSON control message. */
export const MAX_CONTROL_BYTES = 16 * 1024;
/** Largest exec command line. */
export const MAX_COMMAND_BYTES = 8 * 1024;
const MAX_TERMINAL_SIZE = 10_000;

export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  /** Invalid JSON or an unknown or malformed message. */
  invalid: 1007,
  /** Revoked, expired, or a message that is not allowed now. */
  policy: 1008,
  tooBig: 1009,
  internal: 1011,
} as const;

export const SIGNALS = ['INT', 'TERM', 'HUP', 'QUIT'] as const;
export type SignalName = (typeof SIGNALS)[number];

export type ClientMessage =
  | { readonly type: 'start'; readonly mode: 'shell'; readonly cols: number; readonly rows: number; readonly term: string }
  | { readonly type: 'start'; readonly mode: 'exec'; readonly command: string; readonly cols?: number; readonly rows?: number; readonly term?: string; readonly tty: boolean }
  | { readonly type: 'resize'; readonly cols: number; readonly rows: number }
  | { readonly type: 'signal'; readonly name: SignalName }
  | { readonly type: 'eof' };

export type ServerMessage =
  | { readonly type: 'exit'; readonly code: number }
  | { readonly type: 'exit'; readonly signal: string }
  | { readonly type: 'notice'; readonly text: string }
  /** Standard error of an exec (hold notices included), base64 because it is bytes. */
  | { readonly type: 'stderr'; readonly data: string };

export type Parsed<T> = { readonly ok: true; readonly message: T } | { readonly ok: false; readonly reason: string };

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function size(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_TERMINAL_SIZE ? value : null;
}

function termName(value: unknown): string | null {
  if (value === undefined) return 'xterm-256color';
  return typeof value === 'string' && /^[A-Za-z0-9._+-]{1,64}$/.test(value) ? value : null;
}

/** A client's text frame, or why it is refused (the reason is sent as the close reason). */
export function parseClientMessage(text: string): Parsed<ClientMessage> {
  if (Buffer.byteLength(text) > MAX_CONTROL_BYTES) return fail(`control message larger than ${MAX_CONTROL_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('control message is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('control message must be a JSON object');
  const m = value as Record<string, unknown>;
  switch (m['type']) {
    case 'start': {
      const cols = m['cols'] === undefined ? undefined : size(m['cols']);
      const rows = m['rows'] === undefined ? undefined : size(m['rows']);
      const term = termName(m['term']);
      if (cols === null || rows === null) return fail(`cols and rows must be integers from 1 to ${MAX_TERMINAL_SIZE}`);
      if (term === null) return fail('term must be a terminal type name');
      if (m['mode'] === 'shell') {
        if (cols === undefined || rows === undefined) return fail('a shell needs cols and rows');
        return { ok: true, message: { type: 'start', mode: 'shell', cols, rows, term } };
      }
      if (m['mode'] === 'exec') {
        const command = m['command'];
        if (typeof command !== 'string' || command === '' || Buffer.byteLength(command) > MAX_COMMAND_BYTES) return fail(`an exec needs a command of 1 to ${MAX_COMMAND_BYTES} bytes`);
        if (m['tty'] !== undefined && typeof m['tty'] !== 'boolean') return fail('tty must be true or false');
        const tty = m['tty'] === true;
        if (tty && (cols === undefined || rows === undefined)) return fail('an exec with a tty needs cols and rows');
        return { ok: true, message: { type: 'start', mode: 'exec', command, tty, term, ...(cols !== undefined ? { cols } : {}), ...(rows !== undefined ? { rows } : {}) } };
      }
      return fail('mode must be "shell" or "exec"');
    }
    case 'resize': {
      const cols = size(m['cols']);
      const rows = size(m['rows']);
      if (cols === null || rows === null) return fail(`cols and rows must be integers from 1 to ${MAX_TERMINAL_SIZE}`);
      return { ok: true, message: { type: 'resize', cols, rows } };
    }
    case 'signal': {
      const name = m['name'];
      if (typeof name !== 'string' || !(SIGNALS as readonly string[]).includes(name)) return fail(`signal name must be one of ${SIGNALS.join(', ')}`);
      return { ok: true, message: { type: 'signal', name: name as SignalName } };
    }
    case 'eof':
      return { ok: true, message: { type: 'eof' } };
    default:
      return fail('unknown control message type');
  }
}
