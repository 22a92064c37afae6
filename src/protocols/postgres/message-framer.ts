import { HEADER_LENGTH, MAX_STARTUP_PACKET_LENGTH, STARTUP_HEADER_LENGTH } from './message-codes.js';

// Hand-written because pg-protocol only parses server messages, and a proxy
// must also frame what clients send (untrusted, so with a length limit).

const EMPTY = Buffer.alloc(0);
/** Smallest buffer allocated when a split message must be joined. */
const MIN_CAPACITY = 16 * 1024;

export const FRAME_ERROR = -1;
export const NEED_MORE = 0;
export const FRAME_READY = 1;
export type FrameResult = typeof FRAME_ERROR | typeof NEED_MORE | typeof FRAME_READY;

/**
 * Cuts a byte stream into PostgreSQL messages without copying them.
 *
 * One growable buffer with read/write cursors, as in pg-protocol's parser,
 * with one difference a proxy needs: bytes already handed out are never
 * overwritten, because they may still sit in a socket's write queue or in a
 * batch waiting for its verdict. A split message is joined by appending into
 * never-used capacity, or into a fresh buffer; the old one stays valid for
 * whoever still holds a view of it.
 *
 * After `next()` returns FRAME_READY, `code`, `frameStart`, `bodyStart` and
 * `frameEnd` describe the message inside `buffer` (reused fields, no object
 * per message). In startup mode messages have no code byte and `code` holds
 * the int32 request code (protocol version, SSLRequest, CancelRequest...).
 */
export class MessageFramer {
  buffer: Buffer = EMPTY;
  code = 0;
  frameStart = 0;
  bodyStart = 0;
  frameEnd = 0;
  /** Why the last `next()` returned FRAME_ERROR. */
  error = '';
  private readOffset = 0;
  private writeOffset = 0;

  constructor(
    private readonly maxLength: number,
    /** False while the connection is in its startup phase (untyped packets). */
    public typed: boolean,
  ) {}

  /** Bytes received but not yet returned as a message. */
  get pendingBytes(): number {
    return this.writeOffset - this.readOffset;
  }

  push(chunk: Buffer): void {
    const length = chunk.byteLength;
    if (length === 0) return;
    const pending = this.writeOffset - this.readOffset;
    if (pending === 0) {
      // Nothing to join: the chunk itself becomes the buffer.
      this.buffer = chunk;
      this.readOffset = 0;
      this.writeOffset = length;
      return;
    }
    if (this.buffer.byteLength - this.writeOffset >= length) {
      chunk.copy(this.buffer, this.writeOffset);
      this.writeOffset += length;
      return;
    }
    let capacity = Math.max(pending + length, MIN_CAPACITY);
    const expected = this.expectedLength();
    if (expected > capacity) capacity = expected;
    const next = Buffer.allocUnsafe(capacity);
    this.buffer.copy(next, 0, this.readOffset, this.writeOffset);
    chunk.copy(next, pending);
    this.buffer = next;
    this.readOffset = 0;
    this.writeOffset = pending + length;
  }

  next(): FrameResult {
    const available = this.writeOffset - this.readOffset;
    const start = this.readOffset;
    const buffer = this.buffer;
    if (this.typed) {
      if (available < HEADER_LENGTH) return NEED_MORE;
      const length = buffer.readInt32BE(start + 1);
      if (length < 4) return this.fail(`invalid message length ${length}`);
      if (length + 1 > this.maxLength) return this.fail(`message of ${length + 1} bytes exceeds the limit of ${this.maxLength}`);
      if (available < length + 1) return NEED_MORE;
      this.code = buffer[start] as number;
      this.frameStart = start;
      this.bodyStart = start + HEADER_LENGTH;
      this.frameEnd = start + 1 + length;
    } else {
      if (available < STARTUP_HEADER_LENGTH) {
        // A length can be judged as soon as its 4 bytes are in.
        if (available >= 4) {
          const length = buffer.readInt32BE(start);
          if (length < STARTUP_HEADER_LENGTH || length > MAX_STARTUP_PACKET_LENGTH) return this.fail(`invalid startup packet length ${length}`);
        }
        return NEED_MORE;
      }
      const length = buffer.readInt32BE(start);
      if (length < STARTUP_HEADER_LENGTH || length > MAX_STARTUP_PACKET_LENGTH) return this.fail(`invalid startup packet length ${length}`);
      if (available < length) return NEED_MORE;
      this.code = buffer.readInt32BE(start + 4);
      this.frameStart = start;
      this.bodyStart = start + STARTUP_HEADER_LENGTH;
      this.frameEnd = start + length;
    }
    this.readOffset = this.frameEnd;
    return FRAME_READY;
  }

  /** Removes and returns whatever has not been framed yet (a copy-free view). */
  takePending(): Buffer {
    const rest = this.buffer.subarray(this.readOffset, this.writeOffset);
    this.buffer = EMPTY;
    this.readOffset = 0;
    this.writeOffset = 0;
    return rest;
  }

  /** Size of the message being joined, when its header is in and within limits (so a hostile length allocates nothing). */
  private expectedLength(): number {
    const available = this.writeOffset - this.readOffset;
    let length = 0;
    if (this.typed && available >= HEADER_LENGTH) length = this.buffer.readInt32BE(this.readOffset + 1) + 1;
    else if (!this.typed && available >= 4) length = this.buffer.readInt32BE(this.readOffset);
    const limit = this.typed ? this.maxLength : MAX_STARTUP_PACKET_LENGTH;
    return length > 0 && length <= limit ? length : 0;
  }

  private fail(reason: string): FrameResult {
    this.error = reason;
    return FRAME_ERROR;
  }
}
