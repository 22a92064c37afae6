import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Path of the redis-server binary, or null when it is not installed. */
export function findRedisServer(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : null;
}

/**
 * For test files that need the binary: in CI its absence is a failure that
 * names it; elsewhere the caller skips. Returns the path or null.
 */
export function requireRedisServerBinary(): string | null {
  const path = findRedisServer();
  if (!path && process.env.CI === 'true') throw new Error('redis-server binary not found on PATH (required in CI)');
  return path;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

/** True once the server answers PING (accepting alone can precede readiness); NOAUTH counts when ACLs are on. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => done(/^(\+PONG|-NOAUTH)/.test(chunk.toString())));
  });
}

/** A real redis-server child on a free port, without persistence; stop and restart keep the port. */
export class RedisServer {
  private child: ChildProcess | null = null;
  private readonly exitHook = () => this.child?.kill('SIGKILL');

  private constructor(
    private readonly binary: string,
    readonly port: number,
    private readonly extraArgs: readonly string[],
    private readonly cwd: string | undefined,
  ) {}

  static async start(binary = findRedisServer(), extra: { args?: readonly string[]; cwd?: string } = {}): Promise<RedisServer> {
    if (!binary) throw new Error('redis-server binary not found on PATH');
    const server = new RedisServer(binary, await freePort(), extra.args ?? [], extra.cwd);
    process.once('exit', server.exitHook);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts the server (again) on the same port and waits until it answers. */
  async restart(timeoutMs = 5000): Promise<void> {
    if (this.child) return;
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...this.extraArgs];
    const child = spawn(this.binary, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(this.cwd ? { cwd: this.cwd } : {}) });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + timeoutMs;
    while (!(await answersPing(this.port))) {
      if (this.child !== child) throw new Error(`redis-server exited at start: ${stderr.trim()}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${this.port} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGKILL: the abrupt outage a store must survive. Resolves once the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  /** SIGSTOP: the server keeps its sockets open but answers nothing (a hung Redis). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async close(): Promise<void> {
    this.resume();
    await this.stop();
    process.removeListener('exit', this.exitHook);
  }
}

/** Three cluster-enabled masters joined with `redis-cli --cluster create`; needs redis-cli too. */
export class RedisCluster {
  private constructor(
    readonly servers: readonly RedisServer[],
    private readonly dir: string,
  ) {}

  static async start(binary = findRedisServer()): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-redis-cluster-'));
    const servers: RedisServer[] = [];
    for (let i = 0; i < 3; i++) {
      const args = ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`];
      servers.push(await RedisServer.start(binary, { args, cwd: dir }));
    }
    const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-yes'], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    const cluster = new RedisCluster(servers, dir);
    await cluster.waitUntilHealthy();
    return cluster;
  }

  get nodes(): string[] {
    return this.servers.map((s) => `127.0.0.1:${s.port}`);
  }

  private async waitUntilHealthy(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const healthy = this.servers.every((s) => {
        const info = spawnSync('redis-cli', ['-p', String(s.port), 'cluster', 'info'], { encoding: 'utf8' });
        return info.stdout.includes('cluster_state:ok');
      });
      if (healthy) return;
      if (Date.now() > deadline) throw new Error(`redis cluster not healthy within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
