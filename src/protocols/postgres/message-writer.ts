/**
 * Builds one protocol message: an optional code byte, an int32 length that
 * counts itself, then the body. Written by hand because pg-protocol's public
 * API only serializes client messages (its general writer is not part of
 * what it documents), and Airlock also writes server messages (ErrorResponse,
 * ParameterStatus, NegotiateProtocolVersion) and the startup packet.
 */
export class MessageWriter {
  private buffer: Buffer;
  private offset = 5;

  constructor(size = 256) {
    this.buffer = Buffer.allocUnsafe(Math.max(size, 16));
  }

  private ensure(extra: number): void {
    if (this.offset + extra <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + extra));
    this.buffer.copy(bigger, 0, 0, this.offset);
    this.buffer = bigger;
  }

  addInt32(value: number): this {
    this.ensure(4);
    this.buffer.writeInt32BE(value, this.offset);
    this.offset += 4;
    return this;
  }

  /** A NUL-terminated UTF-8 string (the protocol's String type). */
  addCString(value: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    this.ensure(length + 1);
    this.buffer.write(value, this.offset, 'utf8');
    this.offset += length;
    this.buffer[this.offset++] = 0;
    return this;
  }

  /** Raw bytes, as a string's UTF-8 without a terminator (ErrorResponse field codes). */
  addString(value: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    this.ensure(length);
    this.buffer.write(value, this.offset, 'utf8');
    this.offset += length;
    return this;
  }

  /** The message with its code (or, without one, a startup-style message: length and body only). */
  flush(code?: number): Buffer {
    const start = code === undefined ? 1 : 0;
    if (code !== undefined) this.buffer[0] = code;
    this.buffer.writeInt32BE(this.offset - 1, 1);
    const out = Buffer.from(this.buffer.subarray(start, this.offset));
    this.offset = 5;
    return out;
  }
}
