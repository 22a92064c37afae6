// A minimal PostgreSQL frontend on a raw socket, for thousands of connections
// in one process: the `pg` driver keeps far more state per connection than a
// test of idle and held sessions needs. Startup with a cleartext password
// (Airlock's JWT), simple queries, nothing else.
import { connect, type Socket } from 'node:net';

export interface WireError {
  readonly code: string;
  readonly message: string;
}

export interface QueryOutcome {
  readonly error: WireError | null;
  readonly notices: number;
}

const AUTH_CLEARTEXT = 3;
const AUTH_OK = 0;

function cstrings(parts: readonly string[]): Buffer {
  return Buffer.concat(parts.map((p) => Buffer.from(`${p}\0`, 'utf8')));
}

function startupMessage(user: string, database: string): Buffer {
  const body = Buffer.concat([cstrings(['user', user, 'database', database, 'application_name', 'airlock-bench']), Buffer.from([0])]);
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, body]);
}

function typed(code: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(code, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function parseError(body: Buffer): WireError {
  let code = '';
  let message = '';
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const field = String.fromCharCode(body[i] as number);
    const end = body.indexOf(0, i + 1);
    const value = body.toString('utf8', i + 1, end);
    if (field === 'C') code = value;
    if (field === 'M') message = value;
    i = end + 1;
  }
  return { code, message };
}

export class WireClient {
  private buffer: Buffer = Buffer.alloc(0);
  private waiter: ((type: string, body: Buffer) => void) | null = null;
  private failed: Error | null = null;
  private closedReject: ((err: Error) => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    const gone = (err?: Error) => {
      this.failed ??= err ?? new Error('connection closed');
      this.closedReject?.(this.failed);
    };
    socket.on('error', gone);
    socket.on('close', () => gone());
  }

  /** Connects and completes the startup; resolves when the server is ReadyForQuery. */
  static async open(options: { host: string; port: number; user: string; database: string; password: string; timeoutMs?: number }): Promise<WireClient> {
    const socket = connect({ host: options.host, port: options.port });
    const client = new WireClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write(startupMessage(options.user, options.database));
    const timer = setTimeout(() => socket.destroy(new Error('startup timed out')), options.timeoutMs ?? 60_000);
    try {
      for (;;) {
        const { type, body } = await client.next();
        if (type === 'R') {
          const kind = body.readInt32BE(0);
          if (kind === AUTH_CLEARTEXT) socket.write(typed('p', cstrings([options.password])));
          else if (kind !== AUTH_OK) throw new Error(`unsupported authentication request ${kind}`);
        } else if (type === 'E') {
          const e = parseError(body);
          throw new Error(`startup refused: ${e.code} ${e.message}`);
        } else if (type === 'Z') {
          return client;
        }
      }
    } catch (err) {
      socket.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a simple query; resolves at ReadyForQuery with the first error, if any. */
  async query(sql: string, onNotice?: () => void): Promise<QueryOutcome> {
    this.socket.write(typed('Q', cstrings([sql])));
    let error: WireError | null = null;
    let notices = 0;
    for (;;) {
      const { type, body } = await this.next();
      if (type === 'E') error ??= parseError(body);
      else if (type === 'N') {
        notices++;
        onNotice?.();
      } else if (type === 'Z') return { error, notices };
    }
  }

  close(): void {
    if (this.socket.destroyed) return;
    this.socket.end(Buffer.from([0x58, 0, 0, 0, 4]));
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.deliver();
  }

  private deliver(): void {
    while (this.waiter && this.buffer.length >= 5) {
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < length + 1) return;
      const type = String.fromCharCode(this.buffer[0] as number);
      const body = this.buffer.subarray(5, length + 1);
      this.buffer = this.buffer.subarray(length + 1);
      const waiter = this.waiter;
      this.waiter = null;
      waiter(type, body);
    }
  }

  private next(): Promise<{ type: string; body: Buffer }> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.closedReject = reject;
      this.waiter = (type, body) => {
        this.closedReject = null;
        resolve({ type, body });
      };
      this.deliver();
    });
  }
}
