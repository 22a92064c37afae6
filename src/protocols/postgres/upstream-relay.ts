import type { Socket } from 'node:net';
import { readErrorFields } from './error-fields.js';
import { ServerCode, TxStatus } from './message-codes.js';
import { FRAME_ERROR, FRAME_READY, type MessageFramer } from './message-framer.js';
import type { ProtocolState } from './protocol-state.js';
import { readParameterStatus } from './server-messages.js';

interface RowCap {
  readonly limit: number;
  rows: number;
  readonly refusal: Buffer;
  readonly onExceeded: () => void;
  exceeded: boolean;
}

/**
 * Relays upstream messages to the client as they are, framing them only to
 * see the few that matter: ReadyForQuery (transaction status, and how many
 * answers are still owed), fatal errors, and the answers to Airlock's own
 * abort round, which are swallowed. Complete messages of one chunk go out in
 * one write of one view; nothing is copied.
 */
export class UpstreamRelay {
  /** Transaction status of the last ReadyForQuery ('I', 'T' or 'E'). */
  status: number;
  /** ReadyForQuery messages still owed for forwarded Query/Sync/FunctionCall. */
  outstanding = 0;
  /** Extended messages were forwarded after the last Sync (a Flush batch). */
  unsynced = false;
  /** The upstream said FATAL/PANIC; the client has been told already. */
  fatalSeen = false;
  private swallowing = false;
  private onRow: ((buffer: Buffer, body: number, end: number) => void) | null = null;
  /** Copies of a swallowed round's messages (all but its ReadyForQuery), kept for the client (write-probe.ts). */
  private capture: Buffer[] | null = null;
  private swallowDone: ((status: number) => void) | null = null;
  private caughtUpWaiter: (() => void) | null = null;

  /** Set once the session must end: nothing more is relayed. */
  private stopped = false;
  /** A cap on the rows of the statement being answered (read-caps.ts); null when none applies. */
  private cap: RowCap | null = null;

  constructor(
    private readonly framer: MessageFramer,
    private readonly client: Socket,
    initialStatus: number,
    /** Sees every upstream message, in order, to mirror prepared statements and portals. */
    private readonly state: ProtocolState,
    /** Called with a reason when the upstream's stream is malformed. */
    private readonly onProtocolError: (reason: string) => void,
    /**
     * Every ParameterStatus the upstream reports; false stops the relay before
     * that message reaches the client (a setting the classifier cannot follow).
     */
    private readonly onParameterStatus: (name: string, value: string) => boolean,
  ) {
    this.status = initialStatus;
  }

  /**
   * Caps the rows the next statement's answer may carry: past `limit`
   * DataRows, the rest are read and dropped, `onExceeded` is told once, and
   * the statement's own end (CommandComplete or an error) is replaced by
   * `refusal`. The statement is not cancelled: a CancelRequest can arrive
   * after it ended and cancel the next one instead.
   */
  capRows(limit: number, refusal: Buffer, onExceeded: () => void): void {
    this.cap = { limit, rows: 0, refusal, onExceeded, exceeded: false };
  }

  /** Relays nothing more (the session is ending). */
  stop(): void {
    this.stopped = true;
  }

  get idle(): boolean {
    return this.outstanding === 0 && !this.swallowing;
  }

  /** A Query, Sync or FunctionCall was forwarded: one more ReadyForQuery is owed. */
  expectReady(): void {
    this.outstanding++;
  }

  /** Resolves once every forwarded Query/Sync has been answered (and relayed). */
  caughtUp(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.caughtUpWaiter = resolve;
    });
  }

  /**
   * Sends a round of Airlock's own (already caught up; it ends with Sync) and
   * resolves with the status of its ReadyForQuery; its answers never reach
   * the client, except DataRows handed to `onRow`.
   */
  ownRound(upstream: Socket, round: Buffer, onRow: ((buffer: Buffer, body: number, end: number) => void) | null = null, capture: Buffer[] | null = null): Promise<number> {
    this.swallowing = true;
    this.onRow = onRow;
    this.capture = capture;
    this.unsynced = false;
    this.outstanding++;
    const done = new Promise<number>((resolve) => {
      this.swallowDone = resolve;
    });
    upstream.write(round);
    return done;
  }

  /** Wakes whoever waits, so a closing session does not leave a promise pending. */
  release(): void {
    this.caughtUpWaiter?.();
    this.caughtUpWaiter = null;
    this.swallowDone?.(TxStatus.Failed);
    this.swallowDone = null;
  }

  receive(chunk: Buffer): void {
    const framer = this.framer;
    framer.push(chunk);
    // next() never replaces the buffer, so every frame of this chunk is in it.
    const buffer = framer.buffer;
    let runStart = -1;
    let runEnd = -1;
    let settled = false;
    let swallowedStatus = -1;
    for (;;) {
      if (this.stopped) return;
      const result = framer.next();
      if (result === FRAME_ERROR) {
        this.stopped = true;
        this.onProtocolError(framer.error);
        return;
      }
      if (result !== FRAME_READY) break;
      const code = framer.code;
      this.state.received(code, buffer, framer.bodyStart, framer.frameEnd);
      if (this.state.desync !== null) {
        // Airlock no longer knows what the server holds under each name: end the session, relay nothing more.
        this.stopped = true;
        if (runStart >= 0) this.client.write(buffer.subarray(runStart, runEnd));
        return;
      }
      if (code === ServerCode.ParameterStatus) {
        const { name, value } = readParameterStatus(buffer, framer.bodyStart, framer.frameEnd);
        if (!this.onParameterStatus(name, value)) {
          this.stopped = true;
          if (runStart >= 0) this.client.write(buffer.subarray(runStart, runEnd));
          return;
        }
      }
      let forward = true;
      let replacement: Buffer | null = null;
      const cap = this.cap;
      if (cap !== null && !this.swallowing) {
        if (code === ServerCode.DataRow) {
          if (++cap.rows > cap.limit) {
            forward = false;
            if (!cap.exceeded) {
              cap.exceeded = true;
              cap.onExceeded();
            }
          }
        } else if (cap.exceeded && (code === ServerCode.CommandComplete || code === ServerCode.ErrorResponse)) {
          forward = false;
          replacement = cap.refusal;
        } else if (code === ServerCode.ReadyForQuery) {
          this.cap = null;
        }
      }
      if (code === ServerCode.ReadyForQuery) {
        this.status = framer.frameEnd > framer.bodyStart ? (buffer[framer.bodyStart] as number) : TxStatus.Idle;
        if (this.outstanding > 0) this.outstanding--;
        if (this.swallowing) {
          this.swallowing = false;
          this.onRow = null;
          this.capture = null;
          swallowedStatus = this.status;
          forward = false;
        }
        if (this.outstanding === 0) settled = true;
      } else if (this.swallowing) {
        if (code === ServerCode.DataRow && this.onRow) this.onRow(buffer, framer.bodyStart, framer.frameEnd);
        // Asynchronous messages still belong to the client.
        forward = code === ServerCode.NotificationResponse || code === ServerCode.ParameterStatus;
        if (!forward && this.capture) this.capture.push(Buffer.from(buffer.subarray(framer.frameStart, framer.frameEnd)));
      } else if (code === ServerCode.ErrorResponse) {
        const severity = readErrorFields(buffer, framer.bodyStart, framer.frameEnd);
        const level = severity.get('V') ?? severity.get('S');
        if (level === 'FATAL' || level === 'PANIC') this.fatalSeen = true;
      }
      if (forward) {
        if (runStart >= 0 && runEnd === framer.frameStart) runEnd = framer.frameEnd;
        else {
          if (runStart >= 0) this.client.write(buffer.subarray(runStart, runEnd));
          runStart = framer.frameStart;
          runEnd = framer.frameEnd;
        }
      } else if (replacement !== null) {
        // In order: what was relayed before it, then Airlock's answer in its place.
        if (runStart >= 0) this.client.write(buffer.subarray(runStart, runEnd));
        runStart = -1;
        runEnd = -1;
        this.client.write(replacement);
      }
    }
    if (runStart >= 0) this.client.write(buffer.subarray(runStart, runEnd));
    if (swallowedStatus >= 0 && this.swallowDone) {
      const done = this.swallowDone;
      this.swallowDone = null;
      done(swallowedStatus);
    }
    if (settled && this.caughtUpWaiter) {
      const waiter = this.caughtUpWaiter;
      this.caughtUpWaiter = null;
      waiter();
    }
  }
}
