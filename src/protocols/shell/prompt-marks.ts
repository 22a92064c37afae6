import { randomBytes } from 'node:crypto';

/**
 * What the PTY's output holds: text for the client; the point where bash is
 * about to wait for a command (`prompt`, with its working directory); a line
 * typed ahead while a program ran that bash read past (`typed`); and the end
 * of bash's visible prompt (`ready`).
 */
export type OutputSegment =
  | { readonly kind: 'output'; readonly text: string }
  /**
   * `state`: what shapes how bash finds and runs the next line (variables,
   * functions, aliases, traps, options), reported in the same mark, so no
   * other output can come between; null when missing.
   */
  | { readonly kind: 'prompt'; readonly cwd: string | null; readonly state: string | null }
  | { readonly kind: 'typed'; readonly line: string }
  | { readonly kind: 'ready' };

/** A mark never longer than this (a path, a typed line); longer, it is not a mark and goes out as output. */
const MAX_MARK_LENGTH = 8192;
/** The prompt mark carries the state and may be longer (a long PATH, many functions); beyond this it is not a mark. */
const MAX_PROMPT_MARK_LENGTH = 64 * 1024;
/** Separates the directory from the state in the prompt mark; both have their control characters replaced, so neither holds it. */
const FIELD_SEPARATOR = '\x1f';
/**
 * What bash reports of its own state before each prompt: the variables that
 * change how a line's words become a program and its files, the functions
 * and aliases that shadow programs, signal traps (a DEBUG trap is not
 * visible from the subshell; `trap` itself is judged high), disabled
 * builtins, and options. Only builtins run (`builtin` cannot be shadowed without a function, which
 * is itself reported), in a subshell, with control characters replaced.
 */
const STATE_REPORT =
  `__airlock_state="$(builtin declare -p PATH IFS BASH_ENV ENV LD_PRELOAD LD_LIBRARY_PATH CDPATH HOME SHELLOPTS BASHOPTS 2>&1; ` +
  `builtin compgen -A function; builtin echo aliases; builtin compgen -a; builtin trap -p; builtin enable -n)"`;

/**
 * The OSC 133 marks bash prints for Airlock, each carrying a per-session
 * nonce: `A` from PROMPT_COMMAND each time bash is about to wait for a command
 * (with the working directory), `T` for each line bash read past while
 * waiting for Airlock, `B` at the end of the visible prompt. Airlock strips
 * them from what the client sees.
 *
 * After the `A` mark, bash reads and hands back (as `T`) every input line
 * until a release line arrives. Airlock writes the release line only once it
 * owns the line again and never forwards keystrokes that would spell the
 * nonce, so keys typed ahead while a program ran can never reach bash as an
 * unchecked command: Airlock offers them to its own line editor instead.
 */
export class PromptMarks {
  readonly nonce: string;
  private readonly prefixes: { readonly prompt: string; readonly typed: string; readonly ready: string };
  private pending = '';

  constructor(nonce = randomBytes(12).toString('hex')) {
    this.nonce = nonce;
    this.prefixes = { prompt: `\x1b]133;A;airlock=${nonce};cwd=`, typed: `\x1b]133;T;airlock=${nonce};`, ready: `\x1b]133;B;airlock=${nonce}` };
  }

  /**
   * Environment for bash: prompt hooks (echo off while Airlock owns the line, on while a command runs).
   *
   * The hook is a function defined on the first prompt, before anything typed
   * runs, and then made read-only with the prompt variables, so no later line
   * can redefine it or empty PROMPT_COMMAND (by assignment, `declare -n`,
   * arithmetic or otherwise) and leave bash reading lines Airlock never sees.
   * Its variables are `local`: attributes a line gives globals of the same
   * name (`declare -i`, which would evaluate typed text as arithmetic) do not
   * reach them. `stty sane` puts back the terminal's special characters, so a
   * line that ran `stty kill '#'` cannot make the terminal drop the part of
   * the next line before a `#` that Airlock judged.
   */
  hooks(target: string): Record<string, string> {
    // Ctrl-C and Ctrl-D typed raw in the window before Airlock sees the mark must not end the wait:
    // SIGINT is ignored while waiting and end-of-file is read past (a vanished terminal ends the shell).
    // The release line is recognised at the end of a line: a terminal left in raw mode does not apply its Ctrl-U.
    const prompt =
      `__airlock_prompt() { local __airlock_line __airlock_eof=0 __airlock_state; stty sane -echo 2>/dev/null; ${STATE_REPORT}; ` +
      `printf '\\033]133;A;airlock=${this.nonce};cwd=%s\\037%s\\007' "\${PWD//[[:cntrl:]]/?}" "\${__airlock_state//[[:cntrl:]]/|}"; ` +
      `trap '' INT; while :; do if IFS= read -r __airlock_line; then [[ "$__airlock_line" == *'${this.releaseText}' ]] && break; ` +
      `printf '\\033]133;T;airlock=${this.nonce};%s\\007' "\${__airlock_line//[[:cntrl:]]/}"; ` +
      `else __airlock_eof=$((__airlock_eof + 1)); [ "$__airlock_eof" -ge 1000 ] && exit 1; fi; done; trap - INT; }`;
    return {
      PROMPT_COMMAND: `declare -F __airlock_prompt >/dev/null || { ${prompt}; readonly -f __airlock_prompt; readonly PROMPT_COMMAND PS0 PS1 PS2; }; __airlock_prompt`,
      PS0: '$(stty echo 2>/dev/null)',
      PS1: `${target}:\\w\\$ \\033]133;B;airlock=${this.nonce}\\007`.replace(/\\033/g, '\x1b').replace(/\\007/g, '\x07'),
      PS2: '',
    };
  }

  /**
   * The line Airlock writes to release bash's prompt. Ctrl-U first discards a
   * partial line typed ahead (never completed, so never offered); the line is
   * a comment, so should bash ever read it as a command line it does nothing.
   */
  get releaseLine(): string {
    return `\x15${this.releaseText}\n`;
  }

  private get releaseText(): string {
    return `# airlock ${this.nonce}`;
  }

  /** Splits output into text and marks; a mark split across chunks is held back until complete. */
  scan(chunk: string): OutputSegment[] {
    let text = this.pending + chunk;
    this.pending = '';
    const out: OutputSegment[] = [];
    for (;;) {
      const found = this.nextMark(text);
      if (!found) break;
      const { at, kind, prefix } = found;
      const end = text.indexOf('\x07', at + prefix.length);
      if (end < 0) {
        if (text.length - at > (kind === 'prompt' ? MAX_PROMPT_MARK_LENGTH : MAX_MARK_LENGTH)) break;
        if (at > 0) out.push({ kind: 'output', text: text.slice(0, at) });
        this.pending = text.slice(at);
        return out;
      }
      if (at > 0) out.push({ kind: 'output', text: text.slice(0, at) });
      const body = text.slice(at + prefix.length, end);
      if (kind === 'prompt') {
        const split = body.indexOf(FIELD_SEPARATOR);
        const cwd = split < 0 ? body : body.slice(0, split);
        // Control characters were replaced by `?` in bash: such a directory is not known exactly.
        out.push({ kind: 'prompt', cwd: cwd.startsWith('/') && !cwd.includes('?') ? cwd : null, state: split < 0 ? null : body.slice(split + 1) });
      } else if (kind === 'typed') {
        out.push({ kind: 'typed', line: body });
      } else if (body === '') {
        out.push({ kind: 'ready' });
      } else {
        out.push({ kind: 'output', text: text.slice(at, end + 1) });
      }
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

  private nextMark(text: string): { at: number; kind: 'prompt' | 'typed' | 'ready'; prefix: string } | null {
    let best: { at: number; kind: 'prompt' | 'typed' | 'ready'; prefix: string } | null = null;
    for (const kind of ['prompt', 'typed', 'ready'] as const) {
      const prefix = this.prefixes[kind];
      const at = text.indexOf(prefix);
      if (at >= 0 && (!best || at < best.at)) best = { at, kind, prefix };
    }
    return best;
  }

  private partialPrefixLength(text: string): number {
    let longest = 0;
    for (const prefix of Object.values(this.prefixes)) {
      const max = Math.min(text.length, prefix.length - 1);
      for (let n = max; n > longest; n--) {
        if (prefix.startsWith(text.slice(text.length - n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
