/** A key as Airlock's line editor understands it. */
export type TerminalKey =
  | { readonly kind: 'text'; readonly ch: string }
  | {
      readonly kind:
        | 'enter'
        | 'interrupt'
        | 'eof-or-delete'
        | 'backspace'
        | 'delete'
        | 'left'
        | 'right'
        | 'word-left'
        | 'word-right'
        | 'home'
        | 'end'
        | 'up'
        | 'down'
        | 'kill-to-start'
        | 'kill-to-end'
        | 'kill-word-back'
        | 'kill-alnum-word-back'
        | 'kill-word-forward'
        | 'yank'
        | 'transpose'
        | 'clear-screen'
        | 'search-back'
        | 'cancel'
        /** A key or sequence the editor does not use (function keys, Tab): ignored, never inserted. */
        | 'ignored';
    };

type Named = Exclude<TerminalKey['kind'], 'text'>;

/** Ctrl-letter and other single control bytes, as bash's emacs mode binds them. */
const CONTROL: Readonly<Record<string, Named>> = {
  '\r': 'enter',
  '\n': 'enter',
  '\x01': 'home',
  '\x02': 'left',
  '\x03': 'interrupt',
  '\x04': 'eof-or-delete',
  '\x05': 'end',
  '\x06': 'right',
  '\x07': 'cancel',
  '\x08': 'backspace',
  '\x0b': 'kill-to-end',
  '\x0c': 'clear-screen',
  '\x0e': 'down',
  '\x10': 'up',
  '\x12': 'search-back',
  '\x14': 'transpose',
  '\x15': 'kill-to-start',
  '\x17': 'kill-word-back',
  '\x19': 'yank',
  '\x7f': 'backspace',
};

/** Final byte of a CSI or SS3 sequence without parameters. */
const CURSOR_FINAL: Readonly<Record<string, Named>> = { A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end' };
/** `CSI n ~` keys (vt220). */
const TILDE_KEYS: Readonly<Record<string, Named>> = { '1': 'home', '7': 'home', '4': 'end', '8': 'end', '3': 'delete' };
/** Meta (Esc then a key). */
const META: Readonly<Record<string, Named>> = { b: 'word-left', f: 'word-right', d: 'kill-word-forward', '\x7f': 'kill-alnum-word-back', '\x08': 'kill-alnum-word-back' };

/** A sequence longer than this is not a key: it is dropped whole. */
const MAX_SEQUENCE = 32;

/**
 * Turns the characters a terminal sends into keys: printable text, control
 * keys, and the escape sequences of arrows and editing keys (xterm, vt220,
 * application cursor mode). Unknown sequences are consumed whole and reported
 * as ignored, so no byte of an escape sequence ever lands in a command line.
 */
export class TerminalKeyDecoder {
  private sequence = '';
  /** An over-long CSI sequence is being skipped up to its final byte. */
  private discarding = false;

  /** Feeds one code point; returns a key once one is complete. */
  feed(ch: string): TerminalKey | null {
    if (this.discarding) {
      if ((ch >= '@' && ch <= '~') || ch < ' ') this.discarding = false;
      return this.discarding ? null : { kind: 'ignored' };
    }
    if (this.sequence) return this.continueSequence(ch);
    if (ch === '\x1b') {
      this.sequence = ch;
      return null;
    }
    const named = CONTROL[ch];
    if (named) return { kind: named };
    if (ch < ' ' || (ch >= '\x80' && ch <= '\x9f')) return { kind: 'ignored' };
    return { kind: 'text', ch };
  }

  reset(): void {
    this.sequence = '';
    this.discarding = false;
  }

  private continueSequence(ch: string): TerminalKey | null {
    const seq = (this.sequence += ch);
    if (seq.length === 2) {
      if (ch === '[' || ch === 'O' || ch === ']') return null;
      this.sequence = '';
      return { kind: META[ch] ?? 'ignored' };
    }
    const introducer = seq[1];
    if (introducer === ']') {
      // OSC (a terminal's answer to a query): ends with BEL or ST.
      if (ch === '\x07' || seq.endsWith('\x1b\\')) return this.done('ignored');
      return seq.length > MAX_SEQUENCE * 8 ? this.done('ignored') : null;
    }
    if (introducer === 'O') return this.done(CURSOR_FINAL[ch] ?? 'ignored');
    // CSI: parameter and intermediate bytes, then one final byte.
    if (ch >= '@' && ch <= '~') return this.done(this.csiKey(seq.slice(2, -1), ch));
    if (ch < ' ') return this.done('ignored');
    if (seq.length > MAX_SEQUENCE) {
      this.sequence = '';
      this.discarding = true;
    }
    return null;
  }

  private csiKey(params: string, final: string): Named {
    if (final === '~') return TILDE_KEYS[params] ?? 'ignored';
    const key = CURSOR_FINAL[final];
    if (!key) return 'ignored';
    if (params === '' || params === '1') return key;
    // Modified arrows (`1;5D` Ctrl-Left, `1;3D` Alt-Left) move by words; other modifiers act as the plain key.
    const modifier = params.split(';')[1];
    if ((modifier === '5' || modifier === '3') && (key === 'left' || key === 'right')) return key === 'left' ? 'word-left' : 'word-right';
    return /^1;\d+$/.test(params) ? key : 'ignored';
  }

  private done(kind: Named): TerminalKey {
    this.sequence = '';
    return { kind };
  }
}
