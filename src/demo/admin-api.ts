import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';

/**
 * The demo's HTTP upstream: a small admin-style JSON API kept in memory, with
 * users to list, create, change and delete, a WebSocket echo at /ws, and a
 * count of what it was asked, so the walkthrough (and its test) can show
 * that a held DELETE ran exactly once. Reachable only through Airlock (a Unix socket in the data dir).
 */
export interface DemoAdminApi {
  /** The Unix socket it listens on: nothing reaches it around Airlock. */
  readonly socketPath: string;
  /** Requests the API received, by "METHOD /path". */
  readonly received: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

interface User {
  id: number;
  name: string;
  email: string;
  role: string;
}

function seedUsers(): Map<number, User> {
  const users: User[] = [
    { id: 1, name: 'Ada Lovelace', email: 'ada@example.com', role: 'admin' },
    { id: 2, name: 'Grace Hopper', email: 'grace@example.com', role: 'engineer' },
    { id: 3, name: 'Alan Turing', email: 'alan@example.com', role: 'engineer' },
  ];
  return new Map(users.map((u) => [u.id, u]));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? '' : `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 65_536) return undefined;
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function startDemoAdminApi(options: { readonly socketPath: string }): Promise<DemoAdminApi> {
  const users = seedUsers();
  let nextId = users.size + 1;
  const received = new Map<string, number>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://demo');
    const key = `${req.method} ${url.pathname}`;
    received.set(key, (received.get(key) ?? 0) + 1);
    const match = /^\/users(?:\/(\d+))?$/.exec(url.pathname);
    if (url.pathname === '/health') return send(res, 200, { ok: true });
    if (!match) return send(res, 404, { error: 'not found' });
    const id = match[1] === undefined ? undefined : Number(match[1]);
    if (id === undefined) {
      if (req.method === 'GET') return send(res, 200, [...users.values()]);
      if (req.method === 'POST') {
        const body = await readJson(req);
        if (!body || typeof body.name !== 'string' || typeof body.email !== 'string') return send(res, 400, { error: 'expected {"name", "email"}' });
        const user: User = { id: nextId++, name: body.name, email: body.email, role: typeof body.role === 'string' ? body.role : 'engineer' };
        users.set(user.id, user);
        return send(res, 201, user);
      }
      return send(res, 405, { error: 'method not allowed' });
    }
    const user = users.get(id);
    if (!user) return send(res, 404, { error: `no user ${id}` });
    switch (req.method) {
      case 'GET':
        return send(res, 200, user);
      case 'PATCH': {
        const body = await readJson(req);
        if (!body) return send(res, 400, { error: 'expected a JSON object' });
        for (const field of ['name', 'email', 'role'] as const) if (typeof body[field] === 'string') user[field] = body[field];
        return send(res, 200, user);
      }
      case 'DELETE':
        users.delete(id);
        return send(res, 200, { deleted: id });
      default:
        return send(res, 405, { error: 'method not allowed' });
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { error: 'internal error' }));
  });
  const echo = new WebSocketServer({ server, path: '/ws' });
  echo.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  rmSync(options.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => resolve());
  });
  return {
    socketPath: options.socketPath,
    received,
    async close() {
      for (const client of echo.clients) client.terminate();
      echo.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
