import type { Command } from 'commander';
import { quoteCommand } from '../support/bash-quote.js';
import { withControlOptions } from '../support/control-client.js';
import { resolveShellTarget } from '../support/shell-target.js';

/** The WebSocket client (`ws`) loads only for these commands, so the rest of the CLI starts without it. */
const terminalClient = () => import('../support/terminal-client.js');

interface TerminalOptions {
  url: string;
  token?: string;
}

/** Signals that go to the remote program instead of ending this process. */
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

function forwardSignals(send: (name: string) => void): () => void {
  const handlers = FORWARDED_SIGNALS.map((signal) => {
    const handler = (): void => send(signal.slice(3));
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  return () => handlers.forEach((off) => off());
}

export function registerTerminalCommands(program: Command): void {
  withControlOptions(
    program
      .command('exec <target> <command...>')
      .description(
        'Run one command on a shell target through Airlock: airlock exec box -- ls -l /tmp. The words after -- are quoted for bash so that exactly they run; ' +
          'stdin, stdout and stderr are piped; a held command says so on stderr until it is decided (Ctrl-C withdraws it); exits with the remote exit status (126 denied, 130 withdrawn, 255 session ended without one)',
      ),
    // No pass-through: options after the target are airlock's (a --token must never become part of the remote command); the command follows --.
  ).action(async (name: string, argv: string[], options: TerminalOptions) => {
    const { url, token } = await resolveShellTarget(name, options);
    const { openTerminal, runTerminal, sendInput } = await terminalClient();
    const ws = await openTerminal(url, token);
    ws.send(JSON.stringify({ type: 'start', mode: 'exec', command: quoteCommand(argv) }));
    const stdin = process.stdin;
    stdin.on('data', (data: Buffer) => sendInput(ws, stdin, data));
    stdin.on('end', () => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'eof' }));
    });
    stdin.on('error', () => undefined);
    const stopForwarding = forwardSignals((signal) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'signal', name: signal }));
    });
    try {
      process.exitCode = await runTerminal(ws, {
        stdout: (data) => process.stdout.write(data),
        stderr: (data) => process.stderr.write(data),
        notice: (text) => process.stderr.write(`${text}\n`),
      });
    } finally {
      stopForwarding();
      stdin.destroy();
    }
  });

  withControlOptions(
    program
      .command('shell <target>')
      .description(
        'Open an interactive shell on a shell target through Airlock. Each command line is checked when you press Enter; a held one says so and waits (Ctrl-C withdraws it). ' +
          'The local terminal is in raw mode while connected (restored on exit); exits with the remote exit status',
      ),
  ).action(async (name: string, options: TerminalOptions) => {
    const { url, token } = await resolveShellTarget(name, options);
    const { openTerminal, runTerminal, sendInput } = await terminalClient();
    const ws = await openTerminal(url, token);
    const stdin = process.stdin;
    const stdout = process.stdout;
    const size = (): { cols: number; rows: number } => ({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
    const term = process.env.TERM && /^[A-Za-z0-9._+-]{1,64}$/.test(process.env.TERM) ? process.env.TERM : 'xterm-256color';
    ws.send(JSON.stringify({ type: 'start', mode: 'shell', ...size(), term }));
    const raw = stdin.isTTY === true;
    const restore = (): void => {
      if (raw && stdin.isRaw) stdin.setRawMode(false);
    };
    // However this process ends, the terminal is left as it was found.
    process.once('exit', restore);
    const onResize = (): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'resize', ...size() }));
    };
    // Without raw mode (stdin not a terminal) the keys that make signals never arrive as bytes: forward the signals.
    const stopForwarding = raw ? () => undefined : forwardSignals((signal) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'signal', name: signal }));
    });
    try {
      if (raw) stdin.setRawMode(true);
      stdout.on('resize', onResize);
      stdin.on('data', (data: Buffer) => sendInput(ws, stdin, data));
      stdin.on('error', () => undefined);
      process.exitCode = await runTerminal(ws, {
        stdout: (data) => stdout.write(data),
        stderr: (data) => process.stderr.write(data),
        notice: (text) => process.stderr.write(`\r\n${text}\r\n`),
      });
    } finally {
      restore();
      stopForwarding();
      stdout.off('resize', onResize);
      stdin.destroy();
    }
  });
}
