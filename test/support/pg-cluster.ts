import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, copyFileSync, chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';

export interface ScratchCluster {
  readonly port: number;
  readonly dir: string;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Why a scratch cluster cannot be started here, or null when it can. */
export function scratchClusterUnavailable(): string | null {
  if (!existsSync(join(BIN, 'initdb'))) return 'initdb is not installed';
  if (userInfo().uid !== 0) return 'starting a cluster needs root (initdb runs as the postgres user via runuser)';
  return null;
}

/**
 * A throw-away PostgreSQL 15 cluster on a free port: SCRAM-SHA-256 for
 * `postgres`, MD5 for `md5user`, and TLS with the given certificate.
 */
export async function startScratchCluster(options: { password: string; md5Password: string; cert: { certFile: string; keyFile: string } }): Promise<ScratchCluster> {
  const { dir, data, uid, gid, asPostgres } = clusterDir('airlock-pg-cluster-');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${options.password}\n`);
  chownSync(pwfile, uid, gid);
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8']);
  for (const [from, to] of [
    [options.cert.certFile, 'server.crt'],
    [options.cert.keyFile, 'server.key'],
  ] as const) {
    copyFileSync(from, join(data, to));
    chownSync(join(data, to), uid, gid);
    chmodSync(join(data, to), 0o600);
  }
  // md5user's line must come before the catch-all scram line.
  const hba = join(data, 'pg_hba.conf');
  writeFileSync(hba, `host all md5user 127.0.0.1/32 md5\n` + execFileSync('cat', [hba]).toString());
  appendFileSync(join(data, 'postgresql.conf'), `\nssl = on\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\n`);
  return startCluster(dir, data, asPostgres, `SET password_encryption = 'md5'; CREATE ROLE md5user LOGIN PASSWORD '${options.md5Password}';`);
}

/**
 * A throw-away PostgreSQL 15 cluster with trust authentication on a free
 * loopback port and a `test` database: for tests whose inputs may crash or
 * wedge a backend (random protocol sequences), so the shared server stays up.
 */
export async function startTrustCluster(): Promise<ScratchCluster> {
  const { dir, data, asPostgres } = clusterDir('airlock-pg-trust-');
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  appendFileSync(join(data, 'postgresql.conf'), `\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nfsync = off\n`);
  return startCluster(dir, data, asPostgres, 'CREATE DATABASE test');
}

type AsPostgres = (program: string, args: string[]) => Buffer;

/** A fresh directory owned by the postgres user, and a way to run the server's programs as that user. */
function clusterDir(prefix: string): { dir: string; data: string; uid: number; gid: number; asPostgres: AsPostgres } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  chownSync(dir, uid, gid);
  const asPostgres: AsPostgres = (program, args) => execFileSync('runuser', ['-u', 'postgres', '--', join(BIN, program), ...args], { stdio: 'pipe' });
  return { dir, data: join(dir, 'data'), uid, gid, asPostgres };
}

/** Starts an initialised cluster on a free port, runs `setupSql` as postgres, and stops (and removes) it on stop(). */
async function startCluster(dir: string, data: string, asPostgres: AsPostgres, setupSql: string): Promise<ScratchCluster> {
  const port = await freePort();
  asPostgres('pg_ctl', ['-D', data, '-o', `-p ${port}`, '-w', '-l', join(dir, 'log'), 'start']);
  execFileSync('psql', ['-X', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', setupSql], { stdio: 'pipe' });
  return {
    port,
    dir,
    stop() {
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
