import { randomBytes } from 'node:crypto';

/** What the PTY's output holds: text for the client, or the point where bash waits for a command. */
export type OutputSegment = { readonly kind: 'output'; readonly text: string } | { readonly kind: 'prompt'; readonly cwd: string | null };

/** A mark never longer than this (a cwd is a path); longer, it is not a mark and goes out as output. */
const MAX_MARK_LENGTH = 8192;

/**
 * The OSC 133 "prompt start" mark that bash prints, through PROMPT_COMMAND,
 * each time it is about to wait for a command, with a per-session nonce and
 * the working directory. Airlock strips it from what the client sees and
 * switches back to line mode on it.
 *
 * After the mark, bash discards every input line until the nonce arrives on
 * a line of its own. Airlock writes the nonce only once it owns the line
 * again, and never forwards a keystroke sequence containing it, so keys
 * typed ahead while a program ran can never reach bash as an unchecked
 * command.
 */
export class PromptMarks {
  readonly nonce: string;
  private readonly prefix: string;
  private pending = '';

  constructor(nonce = randomBytes(12).toString('hex')) {
    this.nonce = nonce;
    this.prefix = `\x1b]133;A;airlock=${nonce};cwd=`;
  }

  /** Environment for bash: prompt hooks (echo off while Airlock owns the line, on while a command runs). */
  hooks(target: string): Record<string, string> {
    // Ctrl-C and Ctrl-D typed raw in the window before Airlock sees the mark must not end the wait:
    // SIGINT is ignored while waiting and end-of-file is read past (a vanished terminal ends the shell).
    const sync =
      `trap '' INT; __airlock_eof=0; while :; do if IFS= read -r __airlock_line; then [ "$__airlock_line" = '${this.releaseText}' ] && break; ` +
      `else __airlock_eof=$((__airlock_eof + 1)); [ "$__airlock_eof" -ge 1000 ] && exit 1; fi; done; trap - INT; unset __airlock_line __airlock_eof`;
    return {
      PROMPT_COMMAND: `stty -echo 2>/dev/null; printf '\\033]133;A;airlock=${this.nonce};cwd=%s\\007' "\${PWD//[[:cntrl:]]/?}"; ${sync}`,
      PS0: '$(stty echo 2>/dev/null)',
      PS1: `${target}:\\w\\$ `,
      PS2: '',
    };
  }

  /**
   * The line Airlock writes to release bash's prompt: the leading newline ends
   * any partial line typed ahead, and it is a comment, so should bash ever read
   * it as a command line it does nothing.
   */
  get releaseLine(): string {
    return `\n${this.releaseText}\n`;
  }

  private get releaseText(): string {
    return `# airlock ${this.nonce}`;
  }

  /** Splits output into text and prompt points; a mark split across chunks is held back until complete. */
  scan(chunk: string): OutputSegment[] {
    let text = this.pending + chunk;
    this.pending = '';
    const out: OutputSegment[] = [];
    for (;;) {
      const at = text.indexOf(this.prefix);
      if (at < 0) break;
      const end = text.indexOf('\x07', at + this.prefix.length);
      if (end < 0) {
        if (text.length - at > MAX_MARK_LENGTH) break;
        if (at > 0) out.push({ kind: 'output', text: text.slice(0, at) });
        this.pending = text.slice(at);
        return out;
      }
      if (at > 0) out.push({ kind: 'output', text: text.slice(0, at) });
      const cwd = text.slice(at + this.prefix.length, end);
      // Control characters were replaced by `?` in bash: such a directory is not known exactly.
      out.push({ kind: 'prompt', cwd: cwd.startsWith('/') && !cwd.includes('?') ? cwd : null });
      text = text.slice(end + 1);
    }
    const keep = this.partialPrefixLength(text);
    if (keep > 0) {
      this.pending = text.slice(text.length - keep);
      text = text.slice(0, text.length - keep);
    }
    if (text.length > 0) out.push({ kind: 'output', text });
    return out;
  }

  /** Whatever is held back, when the program ends. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }

  /** True when forwarding `typed` after `recent` raw input would spell the nonce. */
  spellsNonce(recent: string, typed: string): boolean {
    return (recent + typed).includes(this.nonce);
  }

  private partialPrefixLength(text: string): number {
    const max = Math.min(text.length, this.prefix.length - 1);
    for (let n = max; n > 0; n--) {
      if (this.prefix.startsWith(text.slice(text.length - n))) return n;
    }
    return 0;
  }
}
