import type { Logger } from 'pino';
import type { ServerChannel, Session } from 'ssh2';
import type { ShellClassifier } from '../../classifiers/shell/index.js';
import type { ShellTargetConfig } from '../../config/schema.js';
import type { CommandGate } from './command-gate.js';
import { ExecRequest } from './exec-request.js';
import { InteractiveShell } from './interactive-shell.js';
import type { TerminalInfo } from './pty-process.js';
import type { SessionRecording } from './session-recording.js';
import { isBash } from './target-process.js';

export interface SessionChannelInit {
  readonly session: Session;
  readonly target: ShellTargetConfig;
  readonly gate: CommandGate;
  readonly classifier: ShellClassifier;
  readonly logger: Logger;
  /** A request Airlock refuses (forwarding, subsystems): logged for the audit trail with who asked. */
  readonly refused: (what: string) => void;
  /**
   * Starts this channel's recording; rejects (or resolves null when
   * recording is not required and failed) before anything runs.
   */
  readonly record: (request: RecordingRequest) => Promise<SessionRecording | null>;
  /** The channel closed and its recording is complete. */
  readonly recorded: (recording: SessionRecording) => void;
}

export interface RecordingRequest {
  readonly kind: 'shell' | 'exec';
  readonly terminal: TerminalInfo | null;
  readonly command?: string;
  /** Recording stopped early; `fatal` when it is required, and the request is then ended. */
  readonly onFailure: (reason: string, fatal: boolean) => void;
}

/** What a running request can be told: window size, and that the session ends. */
interface RunningRequest {
  resize(cols: number, rows: number): void;
  terminate(reason: string): void;
}

/**
 * One SSH session channel: collects the PTY request, then serves exactly one
 * exec or shell request. Agent and X11 forwarding, environment variables
 * from the client and subsystems (sftp) are refused.
 */
export class SessionChannel {
  private terminal: TerminalInfo | null = null;
  private running: RunningRequest | null = null;
  private recording: SessionRecording | null = null;
  /** Terminated (revoked, shut down) while the recording was being opened: nothing may start. */
  private endedWhileStarting = false;

  constructor(private readonly init: SessionChannelInit) {
    const { session } = init;
    session.on('pty', (accept, _reject, info) => {
      this.terminal = { term: (info as typeof info & { term?: string }).term || 'xterm', cols: info.cols || 80, rows: info.rows || 24 };
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      if (this.terminal) this.terminal = { ...this.terminal, cols: info.cols, rows: info.rows };
      this.running?.resize(info.cols, info.rows);
      this.recording?.resize(info.cols, info.rows);
      accept?.();
    });
    // The target's environment is configured; a client's own variables (LANG, LC_*) never change what runs.
    session.on('env', (_accept, reject) => reject?.());
    session.on('signal', (_accept, reject) => reject?.());
    session.on('auth-agent', (_accept, reject) => {
      init.refused('agent forwarding');
      reject?.();
    });
    session.on('x11', (_accept, reject) => {
      init.refused('X11 forwarding');
      reject?.();
    });
    session.on('sftp', (_accept, reject) => {
      init.refused('subsystem sftp');
      reject?.();
    });
    session.on('subsystem', (accept, _reject, info) => {
      init.refused(`subsystem ${info.name}`);
      this.refuse(accept(), `the ${info.name} subsystem is not available through Airlock; run commands with ssh instead`);
    });
    session.on('exec', (accept, reject, info) => {
      if (this.running) return reject?.();
      const channel = accept();
      this.running = this.starting(channel);
      void this.startRecording(channel, 'exec', info.command).then((ok) => {
        if (!ok) return;
        const request = new ExecRequest({ channel, command: info.command, target: init.target, terminal: this.terminal, gate: init.gate, logger: init.logger });
        this.running = request;
        request.run().catch((err: unknown) => init.logger.error({ err }, 'shell exec failed'));
        // After run() paused the channel: a data listener now does not start the flow early.
        if (this.recording) channel.on('data', (data: Buffer) => this.recording?.rawInput(data));
      });
    });
    session.on('shell', (accept, reject) => {
      if (this.running) return reject?.();
      const channel = accept();
      if (!this.terminal) return this.refuse(channel, 'an interactive shell needs a terminal: use ssh -t, or pass the command as an argument');
      if (!isBash(init.target)) return this.refuse(channel, `target ${init.target.name} runs ${init.target.command[0]}, not bash: Airlock gates interactive lines only in bash; pass the command as an argument`);
      const terminal = this.terminal;
      this.running = this.starting(channel);
      void this.startRecording(channel, 'shell', undefined).then((ok) => {
        if (!ok) return;
        const recording = this.recording;
        const shell = new InteractiveShell({
          channel,
          target: init.target,
          terminal,
          gate: init.gate,
          classifier: init.classifier,
          logger: init.logger,
          ...(recording ? { onRawInput: (data: string) => recording.rawInput(data) } : {}),
        });
        this.running = shell;
        shell.start();
      });
    });
  }

  private recordingFailed(reason: string, fatal: boolean): void {
    this.init.logger.error({ reason, fatal }, fatal ? 'session recording failed; ending the session' : 'session recording failed; the session goes on unrecorded');
    if (fatal) this.running?.terminate('the session recording failed and recording is required: the session is ended');
  }

  /** Until the request runs: a termination just ends the channel. */
  private starting(channel: ServerChannel): RunningRequest {
    return {
      resize: () => undefined,
      terminate: (reason) => {
        this.endedWhileStarting = true;
        if (!channel.destroyed) this.refuse(channel, reason);
      },
    };
  }

  /**
   * Opens the recording before anything runs. A required recording that
   * cannot be opened refuses the request; one that fails later ends it.
   */
  private async startRecording(channel: ServerChannel, kind: 'shell' | 'exec', command: string | undefined): Promise<boolean> {
    const { init } = this;
    let recording: SessionRecording | null;
    try {
      recording = await init.record({ kind, terminal: this.terminal, ...(command !== undefined ? { command } : {}), onFailure: (reason, fatal) => this.recordingFailed(reason, fatal) });
    } catch (err) {
      init.logger.error({ err }, 'cannot record the session; refused');
      if (!channel.destroyed) this.refuse(channel, 'this session cannot be recorded, and recording is required: refused (the operator has the reason in the log)');
      return false;
    }
    if (channel.destroyed || this.endedWhileStarting) {
      if (recording) init.recorded(recording);
      return false;
    }
    this.recording = recording;
    if (recording) {
      recording.tee(channel);
      init.gate.observe(recording);
      channel.once('close', () => init.recorded(recording));
    }
    return true;
  }

  terminate(reason: string): void {
    this.running?.terminate(reason);
  }

  private refuse(channel: ServerChannel, message: string): void {
    channel.stderr.write(`airlock: ${message}\r\n`);
    channel.exit(1);
    channel.end();
  }
}
