// A local stand-in for the Slack Web API (and Socket Mode's WebSocket) so the
// real @slack/web-api and @slack/socket-mode clients can be tested offline:
// point `slackApiUrl` at `url`. It records every call and can answer 429
// with Retry-After, 500, or a platform error, a given number of times.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RecordedCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly at: number;
  readonly authorization: string | undefined;
  /** HTTP status sent. */
  readonly status: number;
  /** Whether the answer was a success (`ok: true`). */
  readonly ok: boolean;
  readonly response: Record<string, unknown>;
}

export interface FakeSlackUser {
  readonly id: string;
  readonly email?: string;
  readonly deleted?: boolean;
  readonly is_bot?: boolean;
  readonly is_email_confirmed?: boolean;
}

type Failure = { status: 429; retryAfter: number } | { status: 500 } | { status: 200; error: string };

export class FakeSlackApi {
  readonly calls: RecordedCall[] = [];
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  private sockets = new Set<WebSocket>();
  private readonly failures = new Map<string, Failure[]>();
  private readonly users = new Map<string, FakeSlackUser>();
  private readonly acks = new Map<string, (payload: unknown) => void>();
  private allDown = false;
  private tsCounter = 1000;
  private port = 0;

  /** Base URL for `slackApiUrl` (ends with /api/). */
  get url(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.wss = new WebSocketServer({ server: this.server, path: '/socket' });
    this.wss.on('connection', (ws) => {
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
        if (msg.envelope_id) this.acks.get(msg.envelope_id)?.(msg.payload ?? {});
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1 }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss?.close();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  addUser(user: FakeSlackUser): void {
    this.users.set(user.id, user);
  }

  /** The next `times` calls of `method` fail as described. */
  failNext(method: string, failure: Failure, times = 1): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.failures.set(method, list);
  }

  /** Every call answers 500 until `up()`. */
  down(): void {
    this.allDown = true;
  }

  up(): void {
    this.allDown = false;
  }

  /** Successful calls of `method`. */
  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && c.ok);
  }

  /** Waits (polling, with a deadline) for a successful call matching `predicate`. */
  async waitForCall(method: string, predicate: (c: RecordedCall) => boolean = () => true, timeoutMs = 5000): Promise<RecordedCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.calls.find((c) => c.method === method && c.ok && predicate(c));
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${method}; saw: ${this.calls.map((c) => `${c.method}:${c.status}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Socket Mode: sends an `interactive` envelope and resolves with the client's ack payload. */
  async sendInteractive(payload: unknown, timeoutMs = 5000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size === 0) {
      if (Date.now() > deadline) throw new Error('no Socket Mode client connected');
      await new Promise((r) => setTimeout(r, 10));
    }
    const envelopeId = randomUUID();
    const acked = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ack from the Socket Mode client')), timeoutMs);
      this.acks.set(envelopeId, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
    });
    const ws = [...this.sockets][0] as WebSocket;
    ws.send(JSON.stringify({ type: 'interactive', envelope_id: envelopeId, payload, accepts_response_payload: true }));
    return acked;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const args = parseArgs(raw, req.headers['content-type']);
    const failure = this.failures.get(method)?.shift();
    const send = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      this.calls.push({ method, args, at: Date.now(), authorization: req.headers.authorization, status, ok: status === 200 && !isError(body), response: body });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (this.allDown) return send(500, { ok: false, error: 'internal_error' });
    if (failure?.status === 429) return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfter) });
    if (failure?.status === 500) return send(500, { ok: false, error: 'internal_error' });
    if (failure?.status === 200) return send(200, { ok: false, error: failure.error });
    send(200, this.answer(method, args));
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'chat.postMessage':
        return { ok: true, channel: args['channel'], ts: `${this.tsCounter++}.000100`, message: { text: args['text'] } };
      case 'chat.update':
        return { ok: true, channel: args['channel'], ts: args['ts'] };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `${this.tsCounter++}.000200` };
      case 'views.open':
        return { ok: true, view: { id: `V${this.tsCounter++}` } };
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(args['users'])}` } };
      case 'users.info': {
        const user = this.users.get(String(args['user']));
        if (!user) return { ok: false, error: 'user_not_found' };
        return { ok: true, user: { id: user.id, deleted: user.deleted ?? false, is_bot: user.is_bot ?? false, is_email_confirmed: user.is_email_confirmed ?? true, profile: { email: user.email } } };
      }
      case 'users.lookupByEmail': {
        const user = [...this.users.values()].find((u) => u.email?.toLowerCase() === String(args['email']).toLowerCase());
        return user ? { ok: true, user: { id: user.id, deleted: user.deleted ?? false } } : { ok: false, error: 'users_not_found' };
      }
      case 'apps.connections.open':
        return { ok: true, url: `ws://127.0.0.1:${this.port}/socket` };
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', team_id: 'T1' };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function isError(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { ok?: unknown }).ok === false;
}

/** The SDK sends form bodies whose nested values are JSON strings. */
function parseArgs(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (k === 'token') continue;
    try {
      out[k] = v.startsWith('{') || v.startsWith('[') ? JSON.parse(v) : v;
    } catch {
      out[k] = v;
    }
  }
  return out;
}
