import { StringDecoder } from 'node:string_decoder';
import type { HoldNotice } from '../../gate/hold-notice.js';
import type { Verdict } from '../../gate/verdict.js';
import type { Principal } from '../../model/principal.js';
import type { Clock } from '../../time/clock.js';
import type { CommandObserver } from './command-gate.js';
import type { TerminalInfo } from './pty-process.js';
import { type RecordingSummary, SessionRecorder } from './session-recorder.js';
import { heldMarker, verdictMarker } from './verdict-markers.js';

export type RecordInput = 'lines' | 'all' | 'none';

/** A target's recording settings, resolved from `shell.recording` and the target's own `recording`. */
export interface RecordingSettings {
  readonly dir: string;
  readonly required: boolean;
  readonly recordInput: RecordInput;
  readonly bufferBytes: number;
}

/** A finished recording with who and what it was: the audit event `session.recorded`. */
export interface RecordedSession extends RecordingSummary {
  readonly sessionId: string;
  readonly subject: string;
  readonly target: string;
  readonly source: string;
  readonly kind: 'shell' | 'exec';
}

export interface SessionRecordingInit {
  readonly settings: RecordingSettings;
  readonly clock: Clock;
  readonly sessionId: string;
  /** 1 for a connection's first session channel; later ones get `-N` after the session id. */
  readonly channelNumber: number;
  readonly principal: Principal;
  readonly target: string;
  readonly source: string;
  readonly kind: 'shell' | 'exec';
  readonly terminal: TerminalInfo | null;
  readonly command?: string;
  /** Recording stopped early (disk error; a full buffer when required); `fatal` when recording is required. */
  readonly onFailure: (reason: string, fatal: boolean) => void;
}

/** Size of an exec request's recording when no terminal was asked for. */
const PIPED_SIZE = { cols: 80, rows: 24 } as const;

/** What an SSH channel offers to be written to: the output the client sees (stdout and stderr). */
export interface WritableChannel {
  write(data: unknown, ...rest: unknown[]): boolean;
  readonly stderr: { write(data: unknown, ...rest: unknown[]): boolean };
}

/**
 * The recording of one session channel: what the client saw (`o`), the
 * command lines Airlock checked and, when configured, raw keys (`i`), what
 * the Gate said (`m`) and window changes (`r`). Airlock's own prompts for a
 * token or a step-up code are never given to it.
 */
export class SessionRecording implements CommandObserver {
  private readonly stdout = new StringDecoder('utf8');
  private readonly stderr = new StringDecoder('utf8');

  private constructor(
    private readonly recorder: SessionRecorder,
    private readonly init: SessionRecordingInit,
  ) {}

  static async start(init: SessionRecordingInit): Promise<SessionRecording> {
    const { settings, principal, target, terminal, command } = init;
    const size = terminal ?? PIPED_SIZE;
    const name = init.channelNumber > 1 ? `${init.sessionId}-${init.channelNumber}` : init.sessionId;
    const recorder = await SessionRecorder.open({
      dir: settings.dir,
      name,
      header: {
        width: size.cols,
        height: size.rows,
        env: { TERM: terminal?.term ?? 'dumb' },
        title: command === undefined ? `${principal.subject}@${target}` : `${principal.subject}@${target}: ${command.slice(0, 200)}`,
      },
      clock: init.clock,
      maxBufferBytes: settings.bufferBytes,
      required: settings.required,
      onFailure: (reason) => init.onFailure(reason, settings.required),
    });
    return new SessionRecording(recorder, init);
  }

  get file(): string {
    return this.recorder.file;
  }

  /** Tees everything written to the channel (and its stderr) into the recording; the channel is otherwise untouched. */
  tee(channel: WritableChannel): void {
    const stdoutWrite = channel.write.bind(channel);
    const stderrWrite = channel.stderr.write.bind(channel.stderr);
    channel.write = (data: unknown, ...rest: unknown[]) => {
      this.output(this.stdout, data);
      return stdoutWrite(data, ...rest);
    };
    channel.stderr.write = (data: unknown, ...rest: unknown[]) => {
      this.output(this.stderr, data);
      return stderrWrite(data, ...rest);
    };
  }

  /** Raw keys while a program runs: recorded only with `record_input: all`. */
  rawInput(data: string | Buffer): void {
    if (this.init.settings.recordInput === 'all') this.recorder.input(typeof data === 'string' ? data : data.toString('utf8'));
  }

  resize(cols: number, rows: number): void {
    this.recorder.resize(cols, rows);
  }

  checking(command: string): void {
    if (this.init.settings.recordInput !== 'none') this.recorder.input(`${command}\n`);
  }

  held(notice: HoldNotice, command: string): void {
    this.recorder.marker(heldMarker(notice, command));
  }

  decided(verdict: Verdict, command: string): void {
    this.recorder.marker(verdictMarker(verdict, command));
  }

  /** Closes the file once what was queued is written. */
  async finish(): Promise<RecordedSession> {
    this.flushDecoders();
    const summary = await this.recorder.close();
    const { sessionId, principal, target, source, kind } = this.init;
    return { ...summary, sessionId, subject: principal.subject, target, source, kind };
  }

  private output(decoder: StringDecoder, data: unknown): void {
    if (typeof data === 'string') this.recorder.output(data);
    else if (data instanceof Uint8Array) this.recorder.output(decoder.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
  }

  private flushDecoders(): void {
    this.recorder.output(this.stdout.end());
    this.recorder.output(this.stderr.end());
  }
}
