import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import type { TerminalChannel, TerminalOutput } from './terminal-channel.js';
import { type ServerMessage, WS_CLOSE } from './web-terminal-protocol.js';

/** Writers are told to wait (write() returns false) while this much is unsent. */
const HIGH_WATER_BYTES = 256 * 1024;
/** Input kept while the request is paused (a command being decided); beyond it the socket stops being read. */
const MAX_PAUSED_INPUT_BYTES = 1024 * 1024;

/**
 * A WebSocket terminal seen as a TerminalChannel: binary frames carry the
 * terminal's data, standard error and the exit status travel as JSON text
 * frames. Input is held here while paused, so control messages (Ctrl-C as a
 * signal, a resize) keep being read while a command is decided.
 */
export class WebSocketChannel extends EventEmitter implements TerminalChannel {
  readonly stderr: TerminalOutput;
  private paused = false;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private eofPending = false;
  private ended = false;
  private closedEmitted = false;
  private closeFrame: { code: number; reason: string } = { code: WS_CLOSE.normal, reason: 'exited' };

  constructor(private readonly ws: WebSocket) {
    super();
    const stderr = new EventEmitter();
    this.stderr = {
      write: (data) => this.sendJson({ type: 'stderr', data: Buffer.from(data).toString('base64') }),
      once: (event, listener) => stderr.once(event, listener),
    };
    // One drain for both outputs: they share the socket.
    this.on('drain', () => stderr.emit('drain'));
    ws.on('close', () => this.closed());
  }

  get destroyed(): boolean {
    return this.ws.readyState !== WebSocket.OPEN;
  }

  /** Terminal data from the client. */
  input(data: Buffer): void {
    if (this.eofPending || this.closedEmitted) return;
    if (!this.paused) {
      this.emit('data', data);
      return;
    }
    this.queued.push(data);
    this.queuedBytes += data.length;
    if (this.queuedBytes > MAX_PAUSED_INPUT_BYTES) this.ws.pause();
  }

  /** The client closed its input. */
  endOfInput(): void {
    if (this.eofPending) return;
    this.eofPending = true;
    if (!this.paused) this.emit('end');
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    const queued = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    if (this.ws.isPaused) this.ws.resume();
    for (const data of queued) {
      if (this.paused) {
        this.input(data);
        continue;
      }
      this.emit('data', data);
    }
    if (this.eofPending && !this.paused) this.emit('end');
    return this;
  }

  write(data: string | Buffer): boolean {
    if (this.destroyed) return true;
    return this.send(Buffer.from(data), true);
  }

  exit(status: number): void;
  exit(signalName: string, coreDumped: boolean, message: string): void;
  exit(statusOrSignal: number | string): void {
    this.sendJson(typeof statusOrSignal === 'number' ? { type: 'exit', code: statusOrSignal } : { type: 'exit', signal: statusOrSignal });
  }

  /** Sends a control message (exit, notice, stderr). */
  sendJson(message: ServerMessage): boolean {
    if (this.destroyed) return true;
    return this.send(JSON.stringify(message), false);
  }

  /** The close frame end() sends when the session is ended by Airlock (revocation, a protocol error) rather than by the program. */
  closeWith(code: number, reason: string): void {
    this.closeFrame = { code, reason };
  }

  end(): this {
    if (this.ended) return this;
    this.ended = true;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(this.closeFrame.code, this.closeFrame.reason);
    return this;
  }

  private send(data: Buffer | string, binary: boolean): boolean {
    this.ws.send(data, { binary }, () => {
      if (this.ws.bufferedAmount < HIGH_WATER_BYTES) this.emit('drain');
    });
    return this.ws.bufferedAmount < HIGH_WATER_BYTES;
  }

  private closed(): void {
    if (this.closedEmitted) return;
    this.closedEmitted = true;
    this.emit('close');
  }
}
