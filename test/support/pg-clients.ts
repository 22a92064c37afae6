import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import pg from 'pg';
import { POSTGRES } from './services.js';

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running client program whose output can be awaited while it runs. */
export interface RunningProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly done: Promise<ProcessResult>;
}

export function spawnProgram(program: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string): RunningProcess {
  const child = spawn(program, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const running: RunningProcess = {
    child,
    stdout: '',
    stderr: '',
    done: new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: running.stdout, stderr: running.stderr }));
    }),
  };
  child.stdout?.on('data', (d: Buffer) => (running.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (running.stderr += d.toString()));
  child.stdin?.on('error', () => undefined);
  if (input !== undefined) child.stdin?.end(input);
  else child.stdin?.end();
  return running;
}

export function psql(env: NodeJS.ProcessEnv, args: readonly string[], input?: string): RunningProcess {
  return spawnProgram('psql', ['-X', ...args], env, input);
}

/** A direct connection to the real PostgreSQL, to check what happened upstream. */
export async function direct<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database: POSTGRES.database });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function tableExists(name: string): Promise<boolean> {
  return direct(async (c) => (await c.query('SELECT to_regclass($1) IS NOT NULL AS present', [name])).rows[0].present === true);
}

/** A name unique to this test run, for tables. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Sends a CancelRequest as libpq does, on a new connection; resolves when the proxy closes it. */
export function sendCancel(host: string, port: number, processId: number, secretKey: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.on('connect', () => {
      const packet = Buffer.alloc(16);
      packet.writeInt32BE(16, 0);
      packet.writeInt32BE(80877102, 4);
      packet.writeInt32BE(processId, 8);
      packet.writeInt32BE(secretKey, 12);
      socket.write(packet);
    });
  });
}

/** The BackendKeyData a `pg` client received (Airlock's, when connected through the proxy). */
export function keyOf(client: pg.Client): { processId: number; secretKey: number } {
  const c = client as unknown as { processID: number; secretKey: number };
  return { processId: c.processID, secretKey: c.secretKey };
}
