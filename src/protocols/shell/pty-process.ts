import { createRequire } from 'node:module';
import type * as NodePty from '@homebridge/node-pty-prebuilt-multiarch';
import type { ProcessSpec } from './target-process.js';

const require = createRequire(import.meta.url);

/** The terminal a client asked for (`ssh -t`): type and size. */
export interface TerminalInfo {
  readonly term: string;
  readonly cols: number;
  readonly rows: number;
}

/** How a program ended: its exit code, or the signal that killed it. */
export interface ProgramExit {
  readonly code: number | null;
  readonly signal: string | null;
}

const SIGNAL_NAMES: Readonly<Record<number, string>> = { 1: 'HUP', 2: 'INT', 3: 'QUIT', 6: 'ABRT', 9: 'KILL', 13: 'PIPE', 14: 'ALRM', 15: 'TERM' };

/** The native PTY module, loaded on first use so a host without it can still serve exec requests. */
let ptyModule: typeof NodePty | null = null;
function nodePty(): typeof NodePty {
  ptyModule ??= require('@homebridge/node-pty-prebuilt-multiarch') as typeof NodePty;
  return ptyModule;
}

/** A program running on a pseudo-terminal: what the client types goes in, what it prints comes out. */
export class PtyProcess {
  private readonly pty: NodePty.IPty;
  readonly exited: Promise<ProgramExit>;
  /** Set on exit: the pid may then belong to another process (another session's), so nothing signals it. */
  private gone = false;

  constructor(spec: ProcessSpec, terminal: TerminalInfo, onData: (data: string) => void) {
    this.pty = nodePty().spawn(spec.file, [...spec.args], {
      name: terminal.term,
      cols: Math.max(1, terminal.cols),
      rows: Math.max(1, terminal.rows),
      cwd: spec.cwd,
      env: { ...spec.env },
    });
    this.pty.onData(onData);
    this.exited = new Promise((resolve) => {
      this.pty.onExit(({ exitCode, signal }) => {
        this.gone = true;
        resolve(signal ? { code: null, signal: SIGNAL_NAMES[signal] ?? 'KILL' } : { code: exitCode, signal: null });
      });
    });
  }

  write(data: string): void {
    if (!this.gone) this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    if (this.gone) return;
    try {
      this.pty.resize(Math.max(1, cols), Math.max(1, rows));
    } catch {
      // the program has already exited
    }
  }

  kill(signal = 'SIGHUP'): void {
    // node-pty signals by pid: after exit that pid can be reused by another session's program.
    if (this.gone) return;
    try {
      this.pty.kill(signal);
    } catch {
      // already gone
    }
  }
}
