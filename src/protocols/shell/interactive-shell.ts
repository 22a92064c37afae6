import { StringDecoder } from 'node:string_decoder';
import type { Logger } from 'pino';
import type { ShellClassifier } from '../../classifiers/shell/index.js';
import type { Classification } from '../../model/action.js';
import type { ShellTargetConfig } from '../../config/schema.js';
import type { CommandGate, HoldDisplay } from './command-gate.js';
import { deniedLine } from './hold-lines.js';
import { CONTINUATION_PROMPT, LineEditor, MAX_TERMINAL_LINE_BYTES } from './line-editor.js';
import { PromptMarks } from './prompt-marks.js';
import { PtyProcess, type TerminalInfo } from './pty-process.js';
import { ShellStateWatch } from './shell-state-watch.js';
import { StepUpCodePrompt } from './step-up-code-prompt.js';
import { interactiveSpec } from './target-process.js';
import type { TerminalChannel } from './terminal-channel.js';

/**
 * Who owns the keyboard:
 * - running: a program runs (or bash is about to print its prompt); keys pass through raw;
 * - line: bash waits at its prompt; Airlock edits the line;
 * - deciding: a finished line is with the Gate; Ctrl-C withdraws it, other keys wait;
 * - closed: the program exited or the session ended.
 */
export const ShellMode = { running: 'running', line: 'line', deciding: 'deciding', closed: 'closed' } as const;
export type ShellMode = (typeof ShellMode)[keyof typeof ShellMode];

/** Keys typed ahead of Airlock's prompt are kept up to this many characters. */
const MAX_TYPE_AHEAD = 64 * 1024;
/** Keys typed before bash's prompt is on screen wait for it this long at most (a PS1 an rc file replaced has no end mark). */
const PROMPT_SHOWN_TIMEOUT_MS = 300;
/** Of the output, the end of the last line is kept: bash's prompt, which the line editor draws after. */
const MAX_PROMPT_CHARS = 4096;

export interface InteractiveShellInit {
  readonly channel: TerminalChannel;
  readonly target: ShellTargetConfig;
  readonly terminal: TerminalInfo;
  readonly gate: CommandGate;
  readonly classifier: ShellClassifier;
  readonly logger: Logger;
  /** Keys passed raw to a running program (the recording keeps them only when configured to). */
  readonly onRawInput?: (data: string) => void;
}

/**
 * An interactive shell (`ssh -t target@airlock`): bash on a PTY with its line
 * editor off. While bash waits at its prompt (known from the OSC 133 mark it
 * prints), Airlock collects the line, and only a complete line the Gate
 * allowed is written to bash. While a program runs, keys pass through raw.
 */
export class InteractiveShell {
  private mode: ShellMode = ShellMode.running;
  private readonly marks = new PromptMarks();
  private readonly editor = new LineEditor();
  private readonly decoder = new StringDecoder('utf8');
  private pty: PtyProcess | null = null;
  private cwd: string | null = null;
  private typeAhead = '';
  private recentRaw = '';
  /** The output since the last line break (bash's prompt, once the `ready` mark arrives). */
  private outputLine = '';
  /** Bash's prompt is on screen: keys typed before it wait, so they are drawn after it. */
  private promptShown = false;
  private promptTimer: NodeJS.Timeout | null = null;
  private readonly state = new ShellStateWatch();
  private controller = new AbortController();
  /** Set while a held step-up asks for the code at Airlock's prompt. */
  private codePrompt: StepUpCodePrompt | null = null;

  constructor(private readonly init: InteractiveShellInit) {}

  get currentMode(): ShellMode {
    return this.mode;
  }

  start(): void {
    const { channel, target, terminal } = this.init;
    const pty = new PtyProcess(interactiveSpec(target, this.marks.hooks(target.name), terminal.term), terminal, (data) => this.output(data));
    this.pty = pty;
    this.editor.resize(terminal.cols);
    channel.on('data', (data: Buffer) => this.input(this.decoder.write(data)));
    channel.on('close', () => this.close('the client disconnected'));
    void pty.exited.then((exit) => {
      const rest = this.marks.flush();
      if (rest && !channel.destroyed) channel.write(rest);
      this.mode = ShellMode.closed;
      this.controller.abort(new Error('the shell exited'));
      if (channel.destroyed) return;
      if (exit.signal) channel.exit(exit.signal, false, '');
      else channel.exit(exit.code ?? 0);
      channel.end();
    });
  }

  resize(cols: number, rows: number): void {
    this.editor.resize(cols);
    this.pty?.resize(cols, rows);
  }

  /** Revocation or shutdown: say why, withdraw what is held, end the shell. */
  terminate(reason: string): void {
    if (this.mode === ShellMode.closed) return;
    if (!this.init.channel.destroyed) this.init.channel.write(`\r\nairlock: ${reason}\r\n`);
    this.close(reason);
  }

  private close(reason: string): void {
    this.mode = ShellMode.closed;
    this.controller.abort(new Error(reason));
    this.pty?.kill('SIGHUP');
  }

  private output(data: string): void {
    const { channel } = this.init;
    for (const segment of this.marks.scan(data)) {
      if (this.mode === ShellMode.closed) {
        if (segment.kind === 'output' && !channel.destroyed) channel.write(segment.text);
        continue;
      }
      switch (segment.kind) {
        case 'output':
          if (!channel.destroyed) channel.write(segment.text);
          this.noteOutputLine(segment.text);
          break;
        case 'prompt':
          this.state.reported(segment.state);
          this.promptReached(segment.cwd);
          break;
        case 'typed':
          // A line typed while a program ran that it did not read: offered at the prompt, checked like any other.
          this.keepTypeAhead(`${segment.line}\r`);
          break;
        case 'ready':
          if (this.mode === ShellMode.line) this.showPrompt();
          break;
      }
    }
  }

  /**
   * Bash waits for a command: Airlock owns the line from here, then lets bash
   * print its prompt (keys typed ahead are replayed once it is on screen). A mark seen while Airlock already owns the line (a
   * program printed one) only releases bash again, which is harmless: the
   * release line is a comment.
   */
  private promptReached(cwd: string | null): void {
    this.pty?.write(this.marks.releaseLine);
    if (this.mode !== ShellMode.running) {
      // Which mark was bash's own is not known: relative paths are judged against an unknown directory.
      this.cwd = null;
      return;
    }
    this.mode = ShellMode.line;
    this.promptShown = false;
    this.promptTimer ??= setTimeout(() => this.showPrompt(), PROMPT_SHOWN_TIMEOUT_MS);
    this.promptTimer.unref();
    this.cwd = cwd;
    this.editor.reset();
    this.recentRaw = '';
  }

  /** The line editor draws from where bash's prompt ends; what was typed ahead is edited and checked as if typed now. */
  private showPrompt(): void {
    if (this.promptTimer) clearTimeout(this.promptTimer);
    this.promptTimer = null;
    if (this.mode !== ShellMode.line || this.promptShown) return;
    this.promptShown = true;
    this.editor.startLine(this.outputLine);
    this.replayTypeAhead();
  }

  private noteOutputLine(text: string): void {
    const lastBreak = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    this.outputLine = (lastBreak >= 0 ? text.slice(lastBreak + 1) : this.outputLine + text).slice(-MAX_PROMPT_CHARS);
  }

  /** Bash's prompt is on screen: what was typed ahead is edited and checked as if typed now. */
  private replayTypeAhead(): void {
    if (this.mode !== ShellMode.line || !this.typeAhead) return;
    const pending = this.typeAhead;
    this.typeAhead = '';
    this.lineInput(pending);
  }

  private input(data: string): void {
    switch (this.mode) {
      case ShellMode.running:
        return this.rawInput(data);
      case ShellMode.line:
        return this.lineInput(data);
      case ShellMode.deciding:
        if (this.codePrompt) return this.codePrompt.key(data);
        if (data.includes('\x03')) this.controller.abort(new Error('withdrawn with Ctrl-C'));
        else this.keepTypeAhead(data);
        return;
      case ShellMode.closed:
        return;
    }
  }

  private rawInput(data: string): void {
    // Only Airlock may release bash's prompt: input that would spell the release nonce is dropped.
    if (this.marks.spellsNonce(this.recentRaw, data)) {
      this.init.channel.write('\x07');
      return;
    }
    this.recentRaw = (this.recentRaw + data).slice(-this.marks.nonce.length);
    this.init.onRawInput?.(data);
    this.pty?.write(data);
  }

  private keepTypeAhead(data: string): void {
    if (this.typeAhead.length + data.length <= MAX_TYPE_AHEAD) this.typeAhead += data;
  }

  private lineInput(data: string): void {
    const chars = Array.from(data);
    for (let i = 0; i < chars.length; i++) {
      if (this.mode !== ShellMode.line || !this.promptShown) {
        this.write(this.editor.flush());
        this.keepTypeAhead(chars.slice(i).join(''));
        return;
      }
      const event = this.editor.key(chars[i] as string);
      if (!event) continue;
      switch (event.kind) {
        case 'echo':
          this.write(event.text);
          break;
        case 'interrupt':
          this.write(`${event.echo}^C\r\n`);
          this.freshPrompt();
          break;
        case 'eof':
          this.mode = ShellMode.running;
          this.pty?.write('\x04');
          break;
        case 'enter':
          this.write(event.echo);
          this.enter(event.text);
          break;
      }
    }
    // The line is drawn once per chunk of input: a paste is not redrawn key by key.
    this.write(this.editor.flush());
  }

  private enter(text: string): void {
    const completeness = this.init.classifier.completeness(text);
    if (completeness === 'incomplete') {
      this.editor.continueLine();
      this.write(`\r\n${CONTINUATION_PROMPT}`);
      return;
    }
    this.write('\r\n');
    this.editor.reset();
    if (text.trim() === '') return this.freshPrompt();
    this.editor.remember(text);
    if (text.split('\n').some((line) => Buffer.byteLength(line, 'utf8') > MAX_TERMINAL_LINE_BYTES)) {
      this.write(`airlock: a line longer than ${MAX_TERMINAL_LINE_BYTES} bytes cannot reach bash whole through a terminal; nothing was run\r\n`);
      return this.freshPrompt();
    }
    if (completeness === 'invalid') {
      this.write('airlock: bash cannot parse this line; nothing was run\r\n');
      return this.freshPrompt();
    }
    this.mode = ShellMode.deciding;
    void this.decide(text);
  }

  private async decide(command: string): Promise<void> {
    const display: HoldDisplay = {
      held: (lines) => this.write(lines.map((l) => `${l}\r\n`).join('')),
      // The code prompt stays on its line: no waiting lines over it.
      waiting: (line) => {
        if (!this.codePrompt) this.write(`\r\x1b[K${line}`);
      },
      ended: () => {
        this.codePrompt?.close();
        this.codePrompt = null;
        this.write('\r\x1b[K');
      },
      stepUp: (prompting) => {
        this.codePrompt = new StepUpCodePrompt(prompting, (text) => this.write(text), () => this.controller.abort(new Error('withdrawn with Ctrl-C')));
        this.codePrompt.start();
      },
    };
    let classification: Classification | null = null;
    const context = { unmodelledState: this.state.unmodelled, onClassified: (c: Classification) => (classification = c) };
    const verdict = await this.init.gate.check(command, this.cwd, display, this.controller.signal, context);
    if (this.controller.signal.aborted) this.controller = new AbortController();
    if (this.mode !== ShellMode.deciding) return;
    if (verdict.allowed) {
      if (classification) this.state.allowed(classification);
      this.mode = ShellMode.running;
      this.pty?.write(`${command}\n`);
      return;
    }
    this.init.logger.info({ path: verdict.path, approvalId: verdict.approvalId }, 'shell command refused');
    this.write(verdict.path === 'cancel' ? 'airlock: withdrawn; nothing was run\r\n' : `${deniedLine(verdict)}\r\n`);
    this.freshPrompt();
  }

  /** An empty line to bash: it prints a new prompt (and its mark), nothing runs. */
  private freshPrompt(): void {
    this.mode = ShellMode.running;
    this.pty?.write('\n');
  }

  private write(text: string): void {
    if (text && !this.init.channel.destroyed) this.init.channel.write(text);
  }
}
