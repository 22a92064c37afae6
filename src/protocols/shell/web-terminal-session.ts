import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { ShellClassifier } from '../../classifiers/shell/index.js';
import type { ShellTargetConfig } from '../../config/schema.js';
import type { Gate } from '../../gate/gate.js';
import type { SessionRegistry } from '../../gate/session-registry.js';
import type { Principal } from '../../model/principal.js';
import { CommandGate } from './command-gate.js';
import { ExecRequest } from './exec-request.js';
import { InteractiveShell } from './interactive-shell.js';
import type { TerminalInfo } from './pty-process.js';
import type { SessionRecording } from './session-recording.js';
import type { ShellRecordings } from './shell-recordings.js';
import { isBash } from './target-process.js';
import { type ClientMessage, parseClientMessage, type SignalName, WS_CLOSE } from './web-terminal-protocol.js';
import { WebSocketChannel } from './websocket-channel.js';

export interface WebTerminalContext {
  readonly gate: Gate;
  readonly classifier: ShellClassifier;
  readonly sessions: SessionRegistry;
  readonly logger: Logger;
  readonly noticeIntervalMs: number;
  readonly publicUrl?: string;
  /** Every terminal is recorded as an SSH session channel is (shell.recording). */
  readonly recordings: ShellRecordings;
}

/** Life cycle of one WebSocket terminal. */
export const TerminalStep = { awaitingStart: 'awaiting_start', running: 'running', closed: 'closed' } as const;
export type TerminalStep = (typeof TerminalStep)[keyof typeof TerminalStep];

/** A client that opens the socket and says nothing is closed after this long. */
const START_TIMEOUT_MS = 10_000;
/** After a revocation, the socket is destroyed if the client does not finish the close handshake. */
const CLOSE_GRACE_MS = 500;
/** Close reasons are at most 123 bytes on the wire. */
const MAX_REASON_CHARS = 120;
/** setTimeout fires at once beyond this; a longer wait is taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Running {
  resize(cols: number, rows: number): void;
  terminate(reason: string): void;
}

/**
 * One authenticated WebSocket terminal: waits for the `start` message, then
 * serves exactly one exec or interactive shell through the same
 * ExecRequest / InteractiveShell as SSH. It is a live session, so revocation
 * and token expiry close it (1008 with the reason) on every replica.
 */
export class WebTerminalSession {
  private step: TerminalStep = TerminalStep.awaitingStart;
  private readonly channel: WebSocketChannel;
  private running: Running | null = null;
  private exec: ExecRequest | null = null;
  private recording: SessionRecording | null = null;
  private terminal: TerminalInfo | null = null;
  private mode: 'shell' | 'exec' | null = null;
  private unregister: (() => void) | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly logger: Logger;

  constructor(
    private readonly ws: WebSocket,
    private readonly init: { readonly id: string; readonly principal: Principal; readonly target: ShellTargetConfig; readonly source: string; readonly ctx: WebTerminalContext },
  ) {
    this.channel = new WebSocketChannel(ws);
    this.logger = init.ctx.logger.child({ sessionId: init.id, source: init.source, subject: init.principal.subject, target: init.target.name, transport: 'websocket' });
  }

  open(): void {
    const { ws, init } = this;
    const { principal, target } = init;
    this.unregister = init.ctx.sessions.register({ id: init.id, protocol: 'shell', target: target.name, principal, source: init.source, startedAt: Date.now(), terminate: (reason) => this.terminate(reason) });
    this.endAtExpiry();
    this.timer(START_TIMEOUT_MS, () => {
      if (this.step === TerminalStep.awaitingStart) this.refuse(WS_CLOSE.policy, 'no start message');
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.message(data, isBinary));
    ws.on('close', () => this.closed());
    ws.on('error', (err) => {
      this.logger.debug({ err }, 'websocket terminal error');
      ws.terminate();
    });
    this.logger.info('shell session started');
  }

  private endAtExpiry(): void {
    const remaining = this.init.principal.expiresAt - Date.now();
    if (!Number.isFinite(remaining)) return;
    if (remaining > MAX_TIMER_MS) return this.timer(MAX_TIMER_MS, () => this.endAtExpiry());
    this.timer(Math.max(0, remaining), () => this.terminate('your token expired; reconnect with a fresh one'));
  }

  /** Revocation, token expiry or shutdown: what runs is told why and stopped, then the socket closes with the reason. */
  terminate(reason: string, code: number = WS_CLOSE.policy): void {
    if (this.step === TerminalStep.closed) return;
    this.logger.info({ reason }, 'shell session terminated');
    this.step = TerminalStep.closed;
    this.channel.closeWith(code, reason.slice(0, MAX_REASON_CHARS));
    this.running?.terminate(reason);
    if (!this.running) this.channel.sendJson({ type: 'notice', text: `airlock: ${reason}` });
    this.close(code, reason);
  }

  private message(data: RawData, isBinary: boolean): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (this.step === TerminalStep.closed) return;
    if (isBinary) {
      if (this.step !== TerminalStep.running) return this.refuse(WS_CLOSE.policy, 'terminal data before the start message');
      this.channel.input(bytes);
      return;
    }
    const parsed = parseClientMessage(bytes.toString('utf8'));
    if (!parsed.ok) return this.refuse(WS_CLOSE.invalid, parsed.reason);
    this.control(parsed.message);
  }

  private control(message: ClientMessage): void {
    if (message.type === 'start') {
      if (this.step !== TerminalStep.awaitingStart) return this.refuse(WS_CLOSE.policy, 'already started');
      return this.start(message);
    }
    if (this.step !== TerminalStep.running) return this.refuse(WS_CLOSE.policy, `${message.type} before the start message`);
    switch (message.type) {
      case 'resize':
        if (this.terminal) this.terminal = { ...this.terminal, cols: message.cols, rows: message.rows };
        this.recording?.resize(message.cols, message.rows);
        return this.running?.resize(message.cols, message.rows);
      case 'eof':
        return this.channel.endOfInput();
      case 'signal':
        return this.signal(message.name);
    }
  }

  private signal(name: SignalName): void {
    if (this.exec) return this.exec.signal(name);
    // An exec whose recording is still being opened: nothing has been asked or run yet.
    if (this.mode === 'exec') return this.terminate('withdrawn; nothing was run', WS_CLOSE.normal);
    // A shell's terminal turns keys into signals: the same keys are sent, so Airlock's line editor sees them too.
    if (name === 'INT') return this.channel.input(Buffer.from('\x03'));
    if (name === 'QUIT') return this.channel.input(Buffer.from('\x1c'));
    this.terminate('closed by the client', WS_CLOSE.normal);
  }

  private start(message: Extract<ClientMessage, { type: 'start' }>): void {
    const { target } = this.init;
    if (message.mode === 'shell' && !isBash(target)) return this.refuse(WS_CLOSE.policy, `target ${target.name} runs ${target.command[0]}, not bash: use exec`);
    this.step = TerminalStep.running;
    this.mode = message.mode;
    if (message.mode === 'shell') this.terminal = { term: message.term, cols: message.cols, rows: message.rows };
    else if (message.tty && message.cols && message.rows) this.terminal = { term: message.term ?? 'xterm-256color', cols: message.cols, rows: message.rows };
    // Input waits in the channel until the request runs; a termination meanwhile only closes the socket.
    this.channel.pause();
    this.running = { resize: () => undefined, terminate: (reason) => this.channel.sendJson({ type: 'notice', text: `airlock: ${reason}` }) };
    void this.startRecording(message.mode, message.mode === 'exec' ? message.command : undefined).then((ok) => {
      if (ok) this.run(message);
    });
  }

  /** The recording opens before anything runs; a required one that cannot be opened refuses the terminal. */
  private async startRecording(kind: 'shell' | 'exec', command: string | undefined): Promise<boolean> {
    const { ctx, id, principal, target, source } = this.init;
    let recording: SessionRecording | null;
    try {
      recording = await ctx.recordings.start({
        kind,
        terminal: this.terminal,
        ...(command !== undefined ? { command } : {}),
        onFailure: (reason, fatal) => this.recordingFailed(reason, fatal),
        sessionId: id,
        channelNumber: 1,
        principal,
        target,
        source,
      });
    } catch (err) {
      this.logger.error({ err }, 'cannot record the session; refused');
      this.refuse(WS_CLOSE.internal, 'this session cannot be recorded, and recording is required: refused');
      return false;
    }
    if (this.step !== TerminalStep.running) {
      if (recording) ctx.recordings.finished(recording);
      return false;
    }
    this.recording = recording;
    if (recording) {
      recording.tee(this.channel);
      this.ws.once('close', () => ctx.recordings.finished(recording));
    }
    return true;
  }

  private recordingFailed(reason: string, fatal: boolean): void {
    this.logger.error({ reason, fatal }, fatal ? 'session recording failed; ending the session' : 'session recording failed; the session goes on unrecorded');
    if (fatal) this.terminate('the session recording failed and recording is required: the session is ended', WS_CLOSE.internal);
  }

  private run(message: Extract<ClientMessage, { type: 'start' }>): void {
    const { target, principal, id, source, ctx } = this.init;
    const gate = new CommandGate({
      gate: ctx.gate,
      classifier: ctx.classifier,
      principal,
      target: target.name,
      sessionId: id,
      source,
      logger: this.logger,
      noticeIntervalMs: ctx.noticeIntervalMs,
      ...(ctx.publicUrl ? { publicUrl: ctx.publicUrl } : {}),
    });
    const recording = this.recording;
    if (recording) gate.observe(recording);
    if (message.mode === 'exec') {
      const request = new ExecRequest({ channel: this.channel, command: message.command, target, terminal: this.terminal, gate, logger: this.logger });
      this.exec = request;
      this.running = request;
      request.run().catch((err: unknown) => {
        this.logger.error({ err }, 'shell exec failed');
        this.refuse(WS_CLOSE.internal, 'internal error');
      });
      // After run() paused the channel: this listener does not start the flow early.
      if (recording) this.channel.on('data', (data: Buffer) => recording.rawInput(data));
      return;
    }
    const shell = new InteractiveShell({
      channel: this.channel,
      target,
      terminal: this.terminal as TerminalInfo,
      gate,
      classifier: ctx.classifier,
      logger: this.logger,
      ...(recording ? { onRawInput: (data: string) => recording.rawInput(data) } : {}),
    });
    this.running = shell;
    shell.start();
    this.channel.resume();
  }

  /** A client that broke the protocol: told why in the close frame. */
  private refuse(code: number, reason: string): void {
    this.logger.info({ code, reason }, 'websocket terminal refused');
    this.terminate(reason, code);
  }

  private close(code: number, reason: string): void {
    this.ws.close(code, reason.slice(0, MAX_REASON_CHARS));
    this.timer(CLOSE_GRACE_MS, () => this.ws.terminate());
  }

  private timer(ms: number, run: () => void): void {
    const timer = setTimeout(run, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private closed(): void {
    this.step = TerminalStep.closed;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    this.unregister?.();
    this.unregister = null;
  }
}
