import { WebSocket } from 'ws';
import { type ServerMessage, TERMINAL_PROTOCOL } from '../../src/protocols/shell/web-terminal-protocol.js';
import { ControlApiError } from './control-client.js';

/** Exit status when the session ended without the program's (Airlock closed it, the network failed), as ssh does. */
export const CONNECTION_LOST_STATUS = 255;
const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, PIPE: 13, ALRM: 14, TERM: 15 };
/** Local input is paused while this much waits to be sent. */
const HIGH_WATER_BYTES = 1 << 20;

/** Opens the WebSocket terminal; a refused upgrade becomes the control API's error (status, code, detail). */
export function openTerminal(url: string, token: string): Promise<WebSocket> {
  const ws = new WebSocket(url, [TERMINAL_PROTOCOL], { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: 15_000, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        let problem: { code?: string; detail?: string } = {};
        try {
          problem = JSON.parse(body) as typeof problem;
        } catch {
          // not a problem document
        }
        reject(new ControlApiError(res.statusCode ?? 0, problem.code ?? 'AIRLOCK_HTTP_ERROR', problem.detail ?? `HTTP ${res.statusCode ?? '?'}`));
      });
    });
    ws.once('error', (err) => reject(new ControlApiError(0, 'AIRLOCK_UNREACHABLE', `cannot open the terminal at ${url} (${err.message})`)));
  });
}

export interface TerminalIo {
  /** Terminal data from the program. */
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
  /** A line from Airlock itself (a notice, why the session ended). */
  notice(text: string): void;
}

/**
 * Runs one terminal session over an open socket: server messages go to `io`,
 * and the promise resolves with the exit status to leave with (the program's,
 * 128+N for a signal, 255 when the session ended without one).
 */
export function runTerminal(ws: WebSocket, io: TerminalIo): Promise<number> {
  let status: number | null = null;
  return new Promise((resolve) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return io.stdout(data);
      let message: ServerMessage;
      try {
        message = JSON.parse(data.toString('utf8')) as ServerMessage;
      } catch {
        return;
      }
      if (message.type === 'stderr') io.stderr(Buffer.from(message.data, 'base64'));
      else if (message.type === 'notice') io.notice(message.text);
      else if (message.type === 'exit') status = 'code' in message ? message.code : 128 + (SIGNAL_NUMBERS[message.signal] ?? 9);
    });
    ws.on('error', () => undefined);
    ws.on('close', (code: number, reason: Buffer) => {
      if (status === null) io.notice(`airlock: the session ended${reason.length > 0 ? `: ${reason.toString('utf8')}` : ''} (${code})`);
      resolve(status ?? CONNECTION_LOST_STATUS);
    });
  });
}

/** Local input to the terminal, paused while the socket is congested. */
export function sendInput(ws: WebSocket, input: NodeJS.ReadStream, data: Buffer): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.send(data, { binary: true }, () => {
    if (ws.bufferedAmount < HIGH_WATER_BYTES && input.isPaused()) input.resume();
  });
  if (ws.bufferedAmount >= HIGH_WATER_BYTES) input.pause();
}
