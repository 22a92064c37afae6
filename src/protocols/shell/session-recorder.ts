import { createHash, type Hash } from 'node:crypto';
import { chmod, type FileHandle, mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../time/clock.js';
import { type AsciicastHeader, type EventCode, eventLine, headerLine, resizeData } from './asciicast.js';

export interface RecorderOptions {
  readonly dir: string;
  /** File name without extension: the session id (and the channel's number after the first). */
  readonly name: string;
  readonly header: Omit<AsciicastHeader, 'version' | 'timestamp'>;
  readonly clock: Clock;
  /** Bytes of events waiting for the disk, at most; beyond, events are dropped (see `required`). */
  readonly maxBufferBytes: number;
  /**
   * Required: a dropped event or a failed write calls `onFailure` once and
   * nothing more is recorded (the caller ends the session). Not required:
   * dropped events are counted and a gap marker is written once the disk
   * catches up; a failed write still stops recording (and calls onFailure).
   */
  readonly required: boolean;
  readonly onFailure: (reason: string) => void;
}

/** What a finished recording is: where, how long, and the SHA-256 of every byte of the file. */
export interface RecordingSummary {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly events: number;
  /** Bytes of events dropped because the disk fell behind (only when not required). */
  readonly droppedBytes: number;
  /** Why recording stopped early, if it did. */
  readonly failure: string | null;
}

/**
 * One session's asciicast file, written in the background: the terminal
 * never waits for the disk. Events queue up to `maxBufferBytes` and go out
 * in one write each time the previous write completes; the hash is taken
 * over exactly the bytes written, so it is the file's SHA-256.
 */
export class SessionRecorder {
  private queue: string[] = [];
  /** Characters queued or being written. */
  private queuedBytes = 0;
  private writing: Promise<void> | null = null;
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private events = 0;
  private droppedBytes = 0;
  private gapBytes = 0;
  private lastTime = 0;
  private failure: string | null = null;
  private writeFailed = false;
  private closed: Promise<RecordingSummary> | null = null;

  private constructor(
    private readonly handle: FileHandle,
    readonly file: string,
    private readonly startedAt: number,
    private readonly options: RecorderOptions,
  ) {}

  /** Creates the directory (0700) and a new file (0600, never an existing one) and writes the header. */
  static async open(options: RecorderOptions): Promise<SessionRecorder> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    // A directory made by someone else with wider permissions is narrowed; one Airlock cannot change is an error.
    if (((await stat(options.dir)).mode & 0o077) !== 0) await chmod(options.dir, 0o700);
    const file = join(options.dir, `${options.name}.cast`);
    const handle = await open(file, 'wx', 0o600);
    const startedAt = options.clock.now();
    const recorder = new SessionRecorder(handle, file, startedAt, options);
    recorder.enqueue(headerLine({ version: 2, ...options.header, timestamp: Math.floor(startedAt / 1000) }));
    return recorder;
  }

  output(data: string): void {
    if (data) this.event('o', data);
  }

  input(data: string): void {
    if (data) this.event('i', data);
  }

  marker(label: string): void {
    this.event('m', label);
  }

  resize(cols: number, rows: number): void {
    this.event('r', resizeData(cols, rows));
  }

  get failed(): string | null {
    return this.failure;
  }

  /** Waits for every queued event, closes the file and sums it up. Idempotent. */
  close(): Promise<RecordingSummary> {
    this.closed ??= this.finish();
    return this.closed;
  }

  private async finish(): Promise<RecordingSummary> {
    while (this.writing) await this.writing;
    await this.handle.close().catch(() => undefined);
    return { file: this.file, bytes: this.bytes, sha256: this.hash.digest('hex'), events: this.events, droppedBytes: this.droppedBytes, failure: this.failure };
  }

  private event(code: EventCode, data: string): void {
    if (this.closed || this.failure) return;
    // Monotonic even if the clock steps back.
    const time = Math.max(this.lastTime, (this.options.clock.now() - this.startedAt) / 1000);
    this.lastTime = time;
    if (this.gapBytes > 0 && this.queuedBytes === 0) {
      this.enqueue(eventLine(time, 'm', `recording gap: ${this.gapBytes} bytes of events dropped (the disk fell behind)`));
      this.gapBytes = 0;
    }
    const line = eventLine(time, code, data);
    // UTF-16 length is a cheap bound: at most 3 bytes per code unit.
    if (this.queuedBytes + line.length > this.options.maxBufferBytes) {
      if (this.options.required) return this.fail(`the recording buffer is full (${this.options.maxBufferBytes} bytes): the disk is too slow`);
      this.droppedBytes += line.length;
      this.gapBytes += line.length;
      return;
    }
    this.events++;
    this.enqueue(line);
  }

  private enqueue(line: string): void {
    this.queue.push(line);
    this.queuedBytes += line.length;
    this.writing ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      // After a full buffer what was queued is still written; after a write error nothing more is tried.
      while (this.queue.length > 0 && !this.writeFailed) {
        const text = this.queue.join('');
        this.queue = [];
        const chunk = Buffer.from(text, 'utf8');
        for (let offset = 0; offset < chunk.length; ) offset += (await this.handle.write(chunk, offset)).bytesWritten;
        // Counted until written, so the bound covers what is in flight too.
        this.queuedBytes -= text.length;
        this.hash.update(chunk);
        this.bytes += chunk.length;
      }
    } catch (err) {
      this.writeFailed = true;
      this.queue = [];
      this.fail(`cannot write ${this.file}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.writing = null;
    }
  }

  private fail(reason: string): void {
    if (this.failure) return;
    this.failure = reason;
    this.options.onFailure(reason);
  }
}
