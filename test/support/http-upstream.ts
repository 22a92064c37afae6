import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/**
 * A real HTTP upstream for proxy tests: records every request it receives
 * (method, URL, headers, body), answers JSON, echoes WebSocket messages at
 * /ws, answers /slow after a delay, and counts its open sockets, so tests
 * check what actually reached it rather than what Airlock reports.
 */
export class RecordingUpstream {
  readonly seen: SeenRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  url = '';

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const reply = (): void => {
          if (res.destroyed) return;
          const text = JSON.stringify({ ok: true, method: req.method, url: req.url, bytes: Buffer.byteLength(body) });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'set-cookie': ['a=1', 'b=2'] });
          res.end(text);
        };
        if (req.url?.startsWith('/slow')) setTimeout(reply, 2000);
        else reply();
      });
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.wss = new WebSocketServer({ server, path: '/ws', handleProtocols: (protocols) => (protocols.has('echo.v1') ? 'echo.v1' : false) });
    this.wss.on('connection', (socket, req) => {
      this.seen.push({ method: 'WEBSOCKET', url: req.url ?? '', headers: req.headers, body: '' });
      socket.on('message', (data, isBinary) => {
        // The upstream can be asked to close: closing from either side must close the other.
        if (String(data) === 'close-me') socket.close(4000, 'bye');
        else socket.send(data, { binary: isBinary });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    this.server = server;
    return this;
  }

  /** Requests received with this method and path (query excluded). */
  count(method: string, path: string): number {
    return this.seen.filter((r) => r.method === method && r.url.split('?')[0] === path).length;
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const client of this.wss?.clients ?? []) client.terminate();
    this.wss?.close();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Sends raw bytes to a host:port and returns everything received until the server closes or `ms` pass. */
export async function rawExchange(port: number, bytes: string, ms = 1500): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', done);
    socket.on('error', done);
    socket.write(bytes, 'latin1');
  });
}
