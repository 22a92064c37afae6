import { execFile, spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { type RunningProcess, spawnProgram } from './pg-clients.js';

const run = promisify(execFile);

/**
 * Ensures the client programs a test drives are installed. In CI (CI=true) a
 * missing one fails the test and names it; elsewhere the test skips.
 */
export function requirePrograms(t: TestContext, programs: readonly string[]): boolean {
  const missing = programs.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  if (missing.length === 0) return true;
  const message = `missing programs: ${missing.join(', ')} (Debian packages openssh-client, sshpass, tmux)`;
  if (process.env.CI === 'true') throw new Error(`${message}; required in CI`);
  t.skip(message);
  return false;
}

/** OpenSSH options for a throwaway test host: no known_hosts, no keys, the JWT as the password. */
export function sshArgs(port: number, target: string, extra: readonly string[] = []): string[] {
  return [
    '-p',
    String(port),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'PubkeyAuthentication=no',
    '-o',
    'PreferredAuthentications=password',
    '-o',
    'NumberOfPasswordPrompts=1',
    ...extra,
    `${target}@127.0.0.1`,
  ];
}

/** `ssh TARGET@airlock COMMAND` with the token typed at the password prompt by sshpass. */
export function sshExec(port: number, target: string, token: string, command: string, extra: readonly string[] = []): RunningProcess {
  return spawnProgram('sshpass', ['-e', 'ssh', ...sshArgs(port, target, extra), command], { ...process.env, SSHPASS: token });
}

/** A detached tmux session on a private server socket, driven with send-keys and read with capture-pane. */
export class TmuxSession {
  constructor(
    readonly socket: string,
    readonly name: string,
  ) {}

  static async start(socket: string, name: string, command: string, env: Record<string, string>): Promise<TmuxSession> {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await run('tmux', ['-S', socket, 'new-session', '-d', '-s', name, '-x', '160', '-y', '50', ...envArgs, command]);
    return new TmuxSession(socket, name);
  }

  /**
   * Types text literally, then presses the named keys (`Enter`, `C-c`), in one
   * tmux command sequence, so they reach the terminal together, as a person's
   * quick typing does: one send-keys process each let a line's text and its
   * Enter straddle the moment bash's prompt came back, and the unfinished line
   * was dropped there (docs/shell.md). tmux reads an argument ending in `;` as
   * a command separator, so such a text is typed on its own.
   */
  async type(text: string, ...keys: string[]): Promise<void> {
    const sends: string[][] = [];
    if (text) sends.push(['send-keys', '-t', this.name, '-l', text]);
    for (const key of keys) sends.push(['send-keys', '-t', this.name, key]);
    if (text.endsWith(';')) {
      for (const send of sends) await run('tmux', ['-S', this.socket, ...send]);
      return;
    }
    await run('tmux', ['-S', this.socket, ...sends.flatMap((send, i) => (i === 0 ? send : [';', ...send]))]);
  }

  async screen(): Promise<string> {
    const { stdout } = await run('tmux', ['-S', this.socket, 'capture-pane', '-p', '-J', '-S', '-200', '-t', this.name]);
    return stdout;
  }

  /** Where the terminal's cursor is: column and row, from 0. */
  async cursor(): Promise<{ x: number; y: number }> {
    const { stdout } = await run('tmux', ['-S', this.socket, 'display-message', '-p', '-t', this.name, '#{cursor_x} #{cursor_y}']);
    const [x, y] = stdout.trim().split(' ').map(Number);
    return { x: x ?? -1, y: y ?? -1 };
  }

  async resize(cols: number, rows: number): Promise<void> {
    await run('tmux', ['-S', this.socket, 'resize-window', '-t', this.name, '-x', String(cols), '-y', String(rows)]);
  }

  async kill(): Promise<void> {
    await run('tmux', ['-S', this.socket, 'kill-server']).catch(() => undefined);
  }
}
