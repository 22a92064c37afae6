/** What a keystroke at Airlock's prompt leads to. */
export type EditorEvent =
  | { readonly kind: 'echo'; readonly text: string }
  /** Enter: the text typed so far (earlier continuation lines joined with newlines). */
  | { readonly kind: 'enter'; readonly text: string }
  /** Ctrl-C: the line is dropped. */
  | { readonly kind: 'interrupt' }
  /** Ctrl-D on an empty line. */
  | { readonly kind: 'eof' };

export const CONTINUATION_PROMPT = '> ';
/** Longer than any command line a person types; beyond it keys are refused with a bell. */
const MAX_LINE_CHARS = 64 * 1024;

/**
 * The line editor Airlock runs while bash waits at its prompt (bash's own is
 * off, so the line bash receives is the line that was checked). Deliberately
 * small: printable text, backspace, Ctrl-C, Ctrl-U, Ctrl-W, Ctrl-D, Enter;
 * escape sequences (arrows, function keys) are ignored rather than guessed.
 * Hand-written because terminal line-editing libraries drive a local TTY,
 * not a remote byte stream whose finished line must be inspected first.
 */
export class LineEditor {
  private lines: string[] = [];
  private current: string[] = [];
  private escape: 'none' | 'esc' | 'csi' | 'osc' | 'ss3' = 'none';

  /** Feeds one character (a code point); returns what to show and whether a line ended. */
  key(ch: string): EditorEvent | null {
    if (this.escape !== 'none') return this.skipEscape(ch);
    switch (ch) {
      case '\r':
      case '\n':
        return { kind: 'enter', text: [...this.lines, this.current.join('')].join('\n') };
      case '\x03':
        this.reset();
        return { kind: 'interrupt' };
      case '\x04':
        return this.lines.length === 0 && this.current.length === 0 ? { kind: 'eof' } : null;
      case '\x7f':
      case '\b':
        return this.current.pop() === undefined ? null : { kind: 'echo', text: '\b \b' };
      case '\x15':
        return this.erase(this.current.length);
      case '\x17':
        return this.erase(this.wordLength());
      case '\x1b':
        this.escape = 'esc';
        return null;
      default:
        if (ch < ' ' || ch === '\x7f' || (ch >= '\x80' && ch <= '\x9f')) return null;
        if (this.length >= MAX_LINE_CHARS) return { kind: 'echo', text: '\x07' };
        this.current.push(ch);
        return { kind: 'echo', text: ch };
    }
  }

  /** The entered text is incomplete (open quote, here-doc, trailing `\`): keep it and start a continuation line. */
  continueLine(): void {
    this.lines.push(this.current.join(''));
    this.current = [];
  }

  reset(): void {
    this.lines = [];
    this.current = [];
    this.escape = 'none';
  }

  get empty(): boolean {
    return this.lines.length === 0 && this.current.length === 0;
  }

  private get length(): number {
    return this.lines.reduce((n, l) => n + l.length + 1, this.current.length);
  }

  private erase(count: number): EditorEvent | null {
    if (count === 0) return null;
    this.current.splice(this.current.length - count, count);
    return { kind: 'echo', text: '\b \b'.repeat(count) };
  }

  private wordLength(): number {
    let n = this.current.length;
    while (n > 0 && this.current[n - 1] === ' ') n--;
    while (n > 0 && this.current[n - 1] !== ' ') n--;
    return this.current.length - n;
  }

  private skipEscape(ch: string): null {
    if (this.escape === 'esc') {
      this.escape = ch === '[' ? 'csi' : ch === ']' ? 'osc' : ch === 'O' ? 'ss3' : 'none';
    } else if (this.escape === 'ss3') {
      this.escape = 'none';
    } else if (this.escape === 'csi') {
      if (ch >= '@' && ch <= '~') this.escape = 'none';
    } else if (ch === '\x07' || ch === '\x1b') {
      this.escape = 'none';
    }
    return null;
  }
}
