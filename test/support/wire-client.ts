import { connect, type Socket } from 'node:net';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';
import { serialize } from 'pg-protocol';
import { startupMessage } from '../../src/protocols/postgres/client-messages.js';

/** A server message as the tests read it: pg-protocol's, with the fields they look at. */
export type WireMessage = BackendMessage & {
  readonly code?: string;
  readonly message?: string;
  readonly severity?: string;
  readonly status?: string;
  readonly text?: string;
  readonly fields?: unknown[];
  readonly parameterName?: string;
  readonly parameterValue?: string;
};

export interface WireLogin {
  readonly user: string;
  readonly database: string;
  /** Answered to AuthenticationCleartextPassword (Airlock asks for the token so). */
  readonly password?: string;
  /** Extra startup parameters (options, client_encoding, ...). */
  readonly parameters?: Readonly<Record<string, string>>;
}

/**
 * A raw protocol client for attack tests: sends exactly the bytes a test
 * builds (pg-protocol's serializer, or hand-made frames) and reads the
 * server's messages one by one, so a test sees every answer in order.
 */
export class WireClient {
  private readonly parser = new Parser();
  private readonly inbox: WireMessage[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.parser.parse(chunk, (message) => this.inbox.push(message as WireMessage));
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  /** Connects and logs in; rejects with the server's error message if the login is refused. */
  static async connect(host: string, port: number, login: WireLogin): Promise<WireClient> {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new WireClient(socket);
    // Built by hand: pg-protocol's startup() appends client_encoding=UTF8, which would hide the test's own.
    socket.write(startupMessage(new Map(Object.entries({ user: login.user, database: login.database, ...login.parameters }))));
    for (;;) {
      const message = await client.next();
      if (message.name === 'authenticationCleartextPassword') socket.write(serialize.password(login.password ?? ''));
      else if (message.name === 'error') {
        socket.destroy();
        throw Object.assign(new Error(message.message ?? 'login refused'), { code: message.code });
      } else if (message.name === 'readyForQuery') return client;
    }
  }

  get closed(): boolean {
    return this.ended && this.inbox.length === 0;
  }

  send(...frames: Buffer[]): void {
    this.socket.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames));
  }

  /** The next message; rejects when the connection closed first, or after `timeoutMs`. */
  async next(timeoutMs = 10_000): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (this.ended) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.inbox.shift() as WireMessage;
  }

  /** Every message up to and including the `count`-th ReadyForQuery (or until the connection closes). */
  async untilReady(count = 1, timeoutMs = 10_000): Promise<WireMessage[]> {
    const out: WireMessage[] = [];
    let seen = 0;
    while (seen < count) {
      let message: WireMessage;
      try {
        message = await this.next(timeoutMs);
      } catch (err) {
        if (this.ended) return out;
        throw err;
      }
      out.push(message);
      if (message.name === 'readyForQuery') seen++;
    }
    return out;
  }

  /** A simple query; its messages up to ReadyForQuery. */
  async query(text: string): Promise<WireMessage[]> {
    this.send(serialize.query(text));
    return this.untilReady();
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.end(serialize.end());
  }

  private wake(): void {
    this.waiter?.();
  }
}

/** Error codes (SQLSTATE) of the ErrorResponses among `messages`. */
export function errorCodes(messages: readonly WireMessage[]): string[] {
  return messages.filter((m) => m.name === 'error').map((m) => m.code ?? '');
}

/** Command tags of the CommandCompletes among `messages`. */
export function commandTags(messages: readonly WireMessage[]): string[] {
  return messages.filter((m) => m.name === 'commandComplete').map((m) => m.text ?? '');
}
