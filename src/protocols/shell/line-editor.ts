import { columnAfter, textWidth } from './display-width.js';
import { LineHistory } from './line-history.js';
import { TerminalKeyDecoder, type TerminalKey } from './terminal-keys.js';

/** What a keystroke at Airlock's prompt leads to. */
export type EditorEvent =
  | { readonly kind: 'echo'; readonly text: string }
  /**
   * Enter: the text typed so far (earlier continuation lines joined with
   * newlines); `echo` first puts the cursor at the end of what is shown.
   */
  | { readonly kind: 'enter'; readonly text: string; readonly echo: string }
  /** Ctrl-C: the line is dropped (`echo` puts the cursor at its end first). */
  | { readonly kind: 'interrupt'; readonly echo: string }
  /** Ctrl-D on an empty line. */
  | { readonly kind: 'eof' };

export const CONTINUATION_PROMPT = '> ';
/** Longer than any command a person types; beyond it keys are refused with a bell. */
const MAX_LINE_CHARS = 64 * 1024;
/**
 * The longest line a terminal in canonical mode hands to bash whole (Linux
 * keeps 4096 bytes, the newline included, and silently drops the rest): a
 * longer line would run cut short, not as judged.
 */
export const MAX_TERMINAL_LINE_BYTES = 4095;
const BELL = '\x07';
const DEFAULT_COLUMNS = 80;
/** Alphanumeric words, for Meta-b/f/d (bash's `forward-word`); Ctrl-W uses whitespace, as bash's `unix-word-rubout`. */
const WORD_CHAR = /^[\p{L}\p{N}_]$/u;

interface Search {
  query: string[];
  /** Index of the matching history entry, or -1. */
  match: number;
  /** The line being edited when the search began (Ctrl-G restores it). */
  readonly saved: readonly string[];
}

/**
 * The line editor Airlock runs while bash waits at its prompt (bash's own is
 * off, so the line bash receives is exactly the line that was checked): the
 * keys of bash's emacs mode that people use (arrows, Home/End, Ctrl-A/E/B/F,
 * word motion, Backspace/Delete, Ctrl-U/K/W/Y/T, up/down history, Ctrl-R
 * search, Ctrl-L, Ctrl-C/D). It draws with relative cursor moves from where
 * bash's prompt ends, so wide characters and lines that wrap stay in place.
 * Hand-written because line-editing libraries (Node's readline included) own
 * a local TTY and redraw the prompt themselves; here bash prints the prompt
 * and every finished line must be inspected before bash reads it.
 */
export class LineEditor {
  private readonly keys = new TerminalKeyDecoder();
  /** Finished continuation lines (an open quote, a trailing `\`). */
  private lines: string[] = [];
  private chars: string[] = [];
  private cursor = 0;
  /** What is drawn after the prompt now, and where the cursor is in it. */
  private shown: string[] = [];
  private shownCursor = 0;
  private promptColumn = 0;
  private promptText = '';
  private columns = DEFAULT_COLUMNS;
  private historyIndex: number | null = null;
  private draft: string[] = [];
  private killed: string[] = [];
  private search: Search | null = null;
  /** The line changed since it was last drawn: drawn once per chunk of input (a paste), not once per key. */
  private dirty = false;
  /** UTF-8 length of the current line, kept while typing (a paste is then linear, not quadratic). */
  private lineBytes: number | null = 0;

  constructor(private readonly history = new LineHistory()) {}

  /**
   * Where the line starts: the prompt bash printed (its last line, escapes
   * included, redrawn after Ctrl-L). Called when bash's prompt is on screen.
   */
  startLine(promptText: string): void {
    this.promptText = promptText;
    this.promptColumn = columnAfter(promptText);
  }

  /** The terminal's width changed. */
  resize(columns: number): void {
    if (columns > 0) this.columns = columns;
  }

  /**
   * Feeds one character (a code point); returns a finished line, Ctrl-C,
   * Ctrl-D or a bell. Changes to the line are drawn by `flush()`, which the
   * caller calls after each chunk of input.
   */
  key(ch: string): EditorEvent | null {
    const key = this.keys.feed(ch);
    if (!key) return null;
    if (this.search) return this.searchKey(key);
    return this.editKey(key);
  }

  /** Terminal output that draws what changed since the last call (empty when nothing did). */
  flush(): string {
    if (!this.dirty) return '';
    this.dirty = false;
    if (!this.search) return this.render(this.chars, this.cursor);
    const { query, match } = this.search;
    const found = match >= 0 ? (this.history.at(match) as string) : '';
    const failed = query.length > 0 && match < 0 ? 'failed ' : '';
    const display = Array.from(`(${failed}reverse-i-search)\`${query.join('')}': ${found}`);
    return this.render(display, display.length);
  }

  /** The entered text is incomplete (open quote, here-doc, trailing `\`): keep it and start a continuation line. */
  continueLine(): void {
    this.lines.push(this.chars.join(''));
    this.clearLine();
    this.startLine(CONTINUATION_PROMPT);
  }

  /** A complete line was entered: the up key and Ctrl-R find it again. */
  remember(text: string): void {
    this.history.add(text);
  }

  reset(): void {
    this.lines = [];
    this.clearLine();
    this.keys.reset();
  }

  get empty(): boolean {
    return this.lines.length === 0 && this.chars.length === 0;
  }

  private clearLine(): void {
    this.chars = [];
    this.cursor = 0;
    this.shown = [];
    this.shownCursor = 0;
    this.historyIndex = null;
    this.draft = [];
    this.search = null;
    this.dirty = false;
    this.lineBytes = 0;
  }

  private editKey(key: TerminalKey): EditorEvent | null {
    switch (key.kind) {
      case 'text':
        return this.insert([key.ch]);
      case 'enter':
        return { kind: 'enter', text: [...this.lines, this.chars.join('')].join('\n'), echo: this.flush() + this.moveToEnd() };
      case 'interrupt': {
        const echo = this.flush() + this.moveToEnd();
        this.reset();
        return { kind: 'interrupt', echo };
      }
      case 'eof-or-delete':
        if (this.empty) return { kind: 'eof' };
        return this.cursor < this.chars.length ? this.edit(() => this.chars.splice(this.cursor, 1)) : null;
      case 'backspace':
        return this.cursor > 0 ? this.edit(() => this.chars.splice(--this.cursor, 1)) : null;
      case 'delete':
        return this.cursor < this.chars.length ? this.edit(() => this.chars.splice(this.cursor, 1)) : null;
      case 'left':
        return this.moveTo(this.cursor - 1);
      case 'right':
        return this.moveTo(this.cursor + 1);
      case 'word-left':
        return this.moveTo(this.wordStartBefore(this.cursor, WORD_CHAR));
      case 'word-right':
        return this.moveTo(this.wordEndAfter(this.cursor));
      case 'home':
        return this.moveTo(0);
      case 'end':
        return this.moveTo(this.chars.length);
      case 'kill-to-start':
        return this.kill(0, this.cursor);
      case 'kill-to-end':
        return this.kill(this.cursor, this.chars.length);
      case 'kill-word-back':
        return this.kill(this.wordStartBefore(this.cursor, /^\S$/u), this.cursor);
      case 'kill-alnum-word-back':
        return this.kill(this.wordStartBefore(this.cursor, WORD_CHAR), this.cursor);
      case 'kill-word-forward':
        return this.kill(this.cursor, this.wordEndAfter(this.cursor));
      case 'yank':
        return this.killed.length ? this.insert(this.killed) : null;
      case 'transpose':
        return this.transpose();
      case 'up':
        return this.recall(-1);
      case 'down':
        return this.recall(1);
      case 'search-back':
        if (this.lines.length > 0) return { kind: 'echo', text: BELL };
        this.search = { query: [], match: -1, saved: [...this.chars] };
        return this.redraw();
      case 'clear-screen': {
        const before = this.flush();
        this.shown = [];
        this.shownCursor = 0;
        this.dirty = true;
        return { kind: 'echo', text: `${before}\x1b[H\x1b[2J${this.promptText}` };
      }
      case 'cancel':
      case 'ignored':
        return null;
    }
  }

  /** Ctrl-R: typing narrows the search, Ctrl-R finds an older match, Ctrl-G gives up; any other key takes the match and acts. */
  private searchKey(key: TerminalKey): EditorEvent | null {
    const search = this.search as Search;
    switch (key.kind) {
      case 'text':
        search.query.push(key.ch);
        search.match = this.history.searchBack(search.query.join(''), search.match < 0 ? this.history.size : search.match + 1);
        return this.redraw();
      case 'backspace':
        search.query.pop();
        search.match = search.query.length ? this.history.searchBack(search.query.join(''), this.history.size) : -1;
        return this.redraw();
      case 'search-back': {
        const older = this.history.searchBack(search.query.join(''), search.match < 0 ? this.history.size : search.match);
        if (older < 0) return { kind: 'echo', text: BELL };
        search.match = older;
        return this.redraw();
      }
      case 'cancel':
        this.search = null;
        return this.replaceLine(search.saved);
      case 'ignored':
        return null;
      default: {
        this.search = null;
        const found = search.match >= 0 ? Array.from(this.history.at(search.match) as string) : search.saved;
        this.replaceLine(found);
        return this.editKey(key);
      }
    }
  }

  private redraw(): null {
    this.dirty = true;
    return null;
  }

  /** Up (-1) or down (+1) through the history; the line being typed is kept as the newest entry. */
  private recall(step: -1 | 1): EditorEvent | null {
    if (this.lines.length > 0) return { kind: 'echo', text: BELL };
    const size = this.history.size;
    const from = this.historyIndex ?? size;
    const to = from + step;
    if (to < 0 || to > size || (step > 0 && this.historyIndex === null)) return { kind: 'echo', text: BELL };
    if (this.historyIndex === null) this.draft = [...this.chars];
    this.historyIndex = to === size ? null : to;
    const line = to === size ? this.draft : Array.from(this.history.at(to) as string);
    return this.replaceLine(line);
  }

  private replaceLine(line: readonly string[]): EditorEvent | null {
    this.chars = [...line];
    this.cursor = this.chars.length;
    this.lineBytes = null;
    return this.redraw();
  }

  private insert(text: readonly string[]): EditorEvent | null {
    const bytes = (this.lineBytes ??= utf8Length(this.chars)) + utf8Length(text);
    if (this.totalLength + text.length > MAX_LINE_CHARS || bytes > MAX_TERMINAL_LINE_BYTES) return { kind: 'echo', text: BELL };
    this.edit(() => {
      this.chars.splice(this.cursor, 0, ...text);
      this.cursor += text.length;
    });
    this.lineBytes = bytes;
    return null;
  }

  private kill(from: number, to: number): EditorEvent | null {
    if (to <= from) return null;
    this.killed = this.chars.slice(from, to);
    return this.edit(() => {
      this.chars.splice(from, to - from);
      this.cursor = from;
    });
  }

  private transpose(): EditorEvent | null {
    if (this.chars.length < 2 || this.cursor === 0) return null;
    const at = this.cursor === this.chars.length ? this.cursor - 1 : this.cursor;
    return this.edit(() => {
      [this.chars[at - 1], this.chars[at]] = [this.chars[at] as string, this.chars[at - 1] as string];
      this.cursor = at + 1;
    });
  }

  private moveTo(index: number): EditorEvent | null {
    const target = Math.max(0, Math.min(this.chars.length, index));
    if (target === this.cursor) return null;
    this.cursor = target;
    return this.redraw();
  }

  private edit(change: () => void): EditorEvent | null {
    change();
    this.lineBytes = null;
    return this.redraw();
  }

  private moveToEnd(): string {
    return this.render(this.shown, this.shown.length);
  }

  /**
   * Terminal output that turns what is drawn into `want` with the cursor at
   * `cursor`. Typing at the end of the line writes just the new text; any
   * other change moves to the start, rewrites, clears what was longer, and
   * moves back to the cursor. Positions count columns from the start of the
   * prompt's row, so moves cross wrapped rows.
   */
  private render(want: readonly string[], cursor: number): string {
    const start = this.promptColumn % this.columns;
    const shown = this.shown;
    let out = '';
    const appended = this.shownCursor === shown.length && cursor === want.length && want.length >= shown.length && shown.every((c, i) => want[i] === c);
    if (appended) {
      const end = start + textWidth(want);
      out += want.slice(shown.length).join('') + this.settleWrap(end);
    } else {
      const from = start + textWidth(shown, 0, this.shownCursor);
      const end = start + textWidth(want);
      out += this.move(from, start) + want.join('') + this.settleWrap(end) + '\x1b[J' + this.move(end, start + textWidth(want, 0, cursor));
    }
    this.shown = [...want];
    this.shownCursor = cursor;
    return out;
  }

  /** After text that ends exactly at the right margin the terminal waits to wrap: make it wrap now, so the cursor is where it is counted. */
  private settleWrap(end: number): string {
    return end > 0 && end % this.columns === 0 ? ' \r\x1b[K' : '';
  }

  private move(from: number, to: number): string {
    const cols = this.columns;
    const rows = Math.floor(to / cols) - Math.floor(from / cols);
    const fromCol = from % cols;
    const toCol = to % cols;
    let out = rows < 0 ? `\x1b[${-rows}A` : rows > 0 ? `\x1b[${rows}B` : '';
    if (toCol < fromCol) out += `\x1b[${fromCol - toCol}D`;
    else if (toCol > fromCol) out += `\x1b[${toCol - fromCol}C`;
    return out;
  }

  private get totalLength(): number {
    return this.lines.reduce((n, l) => n + l.length + 1, this.chars.length);
  }

  private wordStartBefore(index: number, word: RegExp): number {
    let n = index;
    while (n > 0 && !word.test(this.chars[n - 1] as string)) n--;
    while (n > 0 && word.test(this.chars[n - 1] as string)) n--;
    return n;
  }

  private wordEndAfter(index: number): number {
    let n = index;
    while (n < this.chars.length && !WORD_CHAR.test(this.chars[n] as string)) n++;
    while (n < this.chars.length && WORD_CHAR.test(this.chars[n] as string)) n++;
    return n;
  }
}

function utf8Length(chars: readonly string[]): number {
  let bytes = 0;
  for (const ch of chars) {
    const cp = ch.codePointAt(0) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}
