import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from 'pino';
import type { ShellTargetConfig } from '../../config/schema.js';
import type { CommandGate, HoldDisplay } from './command-gate.js';
import { deniedLine } from './hold-lines.js';
import { type ProgramExit, PtyProcess, type TerminalInfo } from './pty-process.js';
import { execSpec } from './target-process.js';
import type { TerminalChannel, TerminalOutput } from './terminal-channel.js';

/** Exit status of a command Airlock refused to run (bash's "cannot execute"). */
export const DENIED_EXIT_STATUS = 126;
/** Exit status of a command the client withdrew while it was held (as a shell reports Ctrl-C). */
export const WITHDRAWN_EXIT_STATUS = 130;

export interface ExecRequestInit {
  readonly channel: TerminalChannel;
  readonly command: string;
  readonly target: ShellTargetConfig;
  /** Set when the client asked for a PTY (`ssh -t`). */
  readonly terminal: TerminalInfo | null;
  readonly gate: CommandGate;
  readonly logger: Logger;
}

/**
 * One exec request (`ssh target@airlock 'cmd'`): the whole command is
 * classified and decided before anything starts; then it runs once as the
 * target's program with `-c`, and its real exit status goes back. Nothing
 * the client sends reaches a program before the verdict.
 */
export class ExecRequest {
  private readonly controller = new AbortController();
  private child: ChildProcess | null = null;
  private pty: PtyProcess | null = null;
  private finished = false;

  constructor(private readonly init: ExecRequestInit) {
    init.channel.on('close', () => this.abort('the client disconnected'));
  }

  async run(): Promise<void> {
    const { channel, command, gate, logger, terminal } = this.init;
    // Input that arrives while the command is decided waits in the channel (backpressure).
    channel.pause();
    const nl = terminal ? '\r\n' : '\n';
    const display: HoldDisplay = {
      held: (lines) => this.stderr(lines.map((l) => l + nl).join('')),
      waiting: (line) => this.stderr(line + nl),
      ended: () => undefined,
    };
    const verdict = await gate.check(command, null, display, this.controller.signal);
    if (this.finished) return;
    if (!verdict.allowed) {
      logger.info({ path: verdict.path, approvalId: verdict.approvalId }, 'shell exec refused');
      if (verdict.path === 'cancel') {
        this.stderr(`airlock: withdrawn; nothing was run${nl}`);
        return this.finish({ code: WITHDRAWN_EXIT_STATUS, signal: null });
      }
      this.stderr(deniedLine(verdict) + nl);
      return this.finish({ code: DENIED_EXIT_STATUS, signal: null });
    }
    const exit = await (terminal ? this.runOnPty(terminal) : this.runPiped());
    this.finish(exit);
  }

  /** A window change from the client (only meaningful with a PTY). */
  resize(cols: number, rows: number): void {
    this.pty?.resize(cols, rows);
  }

  /** A signal from the client: while the command is decided it withdraws it; once it runs the program gets it. */
  signal(name: string): void {
    if (this.finished) return;
    if (!this.child && !this.pty) {
      if (!this.controller.signal.aborted) this.controller.abort(new Error(`withdrawn with SIG${name}`));
      return;
    }
    this.child?.kill(`SIG${name}` as NodeJS.Signals);
    this.pty?.kill(`SIG${name}`);
  }

  /** Revocation or shutdown: withdraw what is held, stop what runs, say why. */
  terminate(reason: string): void {
    if (this.finished) return;
    this.stderr(`airlock: ${reason}${this.init.terminal ? '\r\n' : '\n'}`);
    this.abort(reason);
    if (!this.child && !this.pty) this.finish({ code: null, signal: 'HUP' });
  }

  private abort(reason: string): void {
    if (!this.controller.signal.aborted) this.controller.abort(new Error(reason));
    this.child?.kill('SIGHUP');
    this.pty?.kill('SIGHUP');
  }

  private runPiped(): Promise<ProgramExit> {
    const { channel, command, target } = this.init;
    const spec = execSpec(target, command);
    return new Promise((resolve) => {
      const child = spawn(spec.file, [...spec.args], { cwd: spec.cwd, env: { ...spec.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      this.child = child;
      relay(child.stdout, channel);
      relay(child.stderr, channel.stderr);
      channel.on('data', (data: Buffer) => {
        if (child.stdin.writable && !child.stdin.write(data)) {
          channel.pause();
          child.stdin.once('drain', () => channel.resume());
        }
      });
      channel.on('end', () => child.stdin.end());
      child.stdin.on('error', () => undefined);
      child.on('error', (err) => {
        this.stderr(`airlock: cannot start ${spec.file}: ${err.message}\n`);
        resolve({ code: 127, signal: null });
      });
      child.on('close', (code, signal) => resolve({ code, signal: signal ? signal.replace(/^SIG/, '') : null }));
      channel.resume();
    });
  }

  private async runOnPty(terminal: TerminalInfo): Promise<ProgramExit> {
    const { channel, command, target } = this.init;
    const pty = new PtyProcess(execSpec(target, command, terminal.term), terminal, (data) => channel.write(data));
    this.pty = pty;
    channel.on('data', (data: Buffer) => pty.write(data.toString('utf8')));
    channel.resume();
    return pty.exited;
  }

  private stderr(text: string): void {
    if (!this.init.channel.destroyed) this.init.channel.stderr.write(text);
  }

  private finish(exit: ProgramExit): void {
    if (this.finished) return;
    this.finished = true;
    const { channel } = this.init;
    if (channel.destroyed) return;
    if (exit.signal) channel.exit(exit.signal, false, '');
    else channel.exit(exit.code ?? 1);
    channel.end();
  }
}

/** Program output to the client with backpressure, never ending the channel (the exit status comes after). */
function relay(from: NodeJS.ReadableStream, to: TerminalOutput): void {
  from.on('data', (data: Buffer) => {
    if (!to.write(data)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
}
