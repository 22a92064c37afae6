import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.js';
import { loadDevIssuer, type DevIssuer } from '../../src/identity/dev-issuer.js';
import { loadStepUpKey } from '../../src/identity/step-up-token.js';
import { loadTotpEncryptionKey } from '../../src/identity/totp/index.js';
import { POSTGRES } from './services.js';

// Real replicas as separate `airlock serve` processes: what a deployment runs,
// so a SIGKILL or a lost Redis is the real thing, not a simulation in-process.

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A TCP port nobody listens on right now (bound and released; the usual small race). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

/** True when something accepts TCP connections on 127.0.0.1:port (within half a second). */
export function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export interface ReplicaGroupOptions {
  /** Redis URL shared by every replica; omitted: each replica has its own memory store. */
  readonly redisUrl?: string;
  /** Shared key prefix (one per deployment); a fresh one per group by default. */
  readonly keyPrefix?: string;
  /** approvals.timeout, e.g. '3s'. */
  readonly approvalTimeout?: string;
  /** Groups whose members approve (count 1). */
  readonly approvers?: string;
  /** Object globs whose INSERTs need approval (a log table that would show a double run). */
  readonly gatedInsertObjects?: readonly string[];
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** The console approval channel writes every request to the log; off for benchmarks. */
  readonly consoleChannel?: boolean;
  /** audit.include_allowed */
  readonly auditAllowed?: boolean;
  readonly noticeInterval?: string;
}

/**
 * Replicas of one deployment: a shared data_dir (dev signing key, step-up key,
 * TOTP encryption key, as a Kubernetes Secret would share them), a shared
 * Redis key prefix, and per replica its own ports, audit file and log file.
 */
export class ReplicaGroup {
  readonly dir: string;
  readonly keyPrefix: string;
  readonly issuer: DevIssuer;
  private readonly replicas = new Set<AirlockProcess>();

  constructor(readonly options: ReplicaGroupOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'airlock-replicas-'));
    this.keyPrefix = options.keyPrefix ?? `airlock-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`;
    // Created here, once, so replicas started together never race to create them.
    const config = parseConfig(this.yaml({ name: 'probe', controlPort: 1, pgPort: 2 }), 'replica-group', {});
    this.issuer = loadDevIssuer({ dataDir: this.dir, identity: config.identity });
    loadStepUpKey(this.dir);
    loadTotpEncryptionKey({ dataDir: this.dir });
  }

  /** A token the replicas of this group accept (dev issuer key in the shared data_dir). */
  token(sub: string, groups: readonly string[], ttlMs = 3_600_000): Promise<string> {
    return this.issuer.mintDevToken({ sub, groups, ttlMs });
  }

  /** The YAML a replica runs with. */
  yaml(replica: { name: string; controlPort: number; pgPort: number }): string {
    const o = this.options;
    const approvers = o.approvers ?? 'approvers';
    const approval = `{ approval: { approvers: ${approvers}, count: 1 } }`;
    const store = o.redisUrl
      ? `{ kind: redis, redis: { url: ${JSON.stringify(o.redisUrl)}, key_prefix: ${JSON.stringify(this.keyPrefix)} } }`
      : '{ kind: memory }';
    const gated = o.gatedInsertObjects?.length
      ? `
    - id: gated-inserts
      match: { protocols: [postgres], kinds: [insert], objects: ${JSON.stringify(o.gatedInsertObjects)} }
      require: ${approval}`
      : '';
    return `
server:
  replica_id: ${replica.name}
  data_dir: ${JSON.stringify(this.dir)}
  shutdown_grace: 2s
control: { listen: "127.0.0.1:${replica.controlPort}" }
log: { level: ${o.logLevel ?? 'info'} }
audit: { file: ${JSON.stringify(join(this.dir, `audit-${replica.name}.log`))}, include_allowed: ${o.auditAllowed ?? true} }
identity: { dev_issuer: { enabled: true } }
store: ${store}
postgres:
  listen: "127.0.0.1:${replica.pgPort}"
  tls: { self_signed: false }
  notice_interval: ${o.noticeInterval ?? '15s'}
targets:
  - name: app
    protocol: postgres
    upstream: { host: ${POSTGRES.host}, port: ${POSTGRES.port}, user: ${POSTGRES.user}, database: ${POSTGRES.database} }
approvals:
  timeout: ${o.approvalTimeout ?? '2m'}
  default_approvers: ${approvers}
  channels: { console: { enabled: ${o.consoleChannel ?? true} } }
policy:
  defaults:
    low: allow
    medium: allow
    high: ${approval}
    critical: ${approval}
  rules:
    - id: drop-and-truncate-need-approval
      match: { protocols: [postgres], kinds: [drop, truncate] }
      require: ${approval}${gated}
`;
  }

  /** Starts one replica process and waits until it is ready (readyz 200 and the pg port accepting). */
  async start(name: string, options: { readyTimeoutMs?: number } = {}): Promise<AirlockProcess> {
    const replica = new AirlockProcess(this, name, await freePort(), await freePort());
    this.replicas.add(replica);
    await replica.launch(options.readyTimeoutMs);
    return replica;
  }

  /** Stops every replica still running (SIGTERM, then SIGKILL), and removes the shared directory. */
  async close(): Promise<void> {
    await Promise.all([...this.replicas].map((r) => r.stop().catch(() => r.kill())));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface AuditLine {
  readonly type: string;
  readonly approvalId?: string;
  readonly replica?: string;
  readonly reason?: string;
  readonly data?: Record<string, unknown>;
  readonly [field: string]: unknown;
}

/** One `airlock serve` child process. */
export class AirlockProcess {
  readonly configFile: string;
  readonly logFile: string;
  readonly auditFile: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly exitHook = () => this.child?.kill('SIGKILL');

  constructor(
    readonly group: ReplicaGroup,
    readonly name: string,
    readonly controlPort: number,
    readonly pgPort: number,
  ) {
    this.configFile = join(group.dir, `${name}.yaml`);
    this.logFile = join(group.dir, `${name}.log`);
    this.auditFile = join(group.dir, `audit-${name}.log`);
  }

  /** Base URL of the control API. */
  get url(): string {
    return `http://127.0.0.1:${this.controlPort}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** pg.Client options for a user whose password is a token. */
  pgConfig(user: string, token: string): { host: string; port: number; user: string; password: string; database: string; ssl: false } {
    return { host: '127.0.0.1', port: this.pgPort, user, password: token, database: 'app', ssl: false };
  }

  /** Environment for psql / pgbench through this replica. */
  pgEnv(user: string, token: string): NodeJS.ProcessEnv {
    return { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(this.pgPort), PGUSER: user, PGDATABASE: 'app', PGPASSWORD: token, PGSSLMODE: 'disable' };
  }

  /** @internal Starts (or restarts, on the same ports) the process and waits for readiness. */
  async launch(readyTimeoutMs = 20_000): Promise<void> {
    if (this.child) return;
    const yaml = this.group.yaml(this);
    // Validated here too, so a bad config fails in the test with its line, not only in a child's log.
    parseConfig(yaml, this.configFile, {});
    writeFileSync(this.configFile, yaml);
    const log = openSync(this.logFile, 'a');
    // No AIRLOCK_* from the caller's environment: the file alone configures the replica.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRLOCK_')));
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'cmd', 'airlock.ts'), 'serve', '--config', this.configFile], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    this.exited = new Promise((done) => child.once('exit', () => done()));
    void this.exited.then(() => {
      if (this.child === child) this.child = null;
    });
    process.once('exit', this.exitHook);
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (this.child !== child) throw new Error(`replica ${this.name} exited during startup:\n${this.logTail()}`);
      if ((await this.readyz().catch(() => null))?.status === 200 && (await accepts(this.pgPort))) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`replica ${this.name} not ready within ${readyTimeoutMs} ms:\n${this.logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Starts a stopped or killed replica again, with the same ports and config. */
  restart(readyTimeoutMs?: number): Promise<void> {
    return this.launch(readyTimeoutMs);
  }

  /** GET /readyz: status code and body. */
  async readyz(): Promise<{ status: number; body: { status?: string; checks?: Record<string, string> } }> {
    const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: (await response.json()) as { status?: string; checks?: Record<string, string> } };
  }

  /** SIGTERM (drain), waiting for the exit; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    process.removeListener('exit', this.exitHook);
  }

  /** SIGKILL: a replica that dies without a word. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
    process.removeListener('exit', this.exitHook);
  }

  /** Every audit record written so far (the hash chain is not checked here). */
  audit(): AuditLine[] {
    if (!existsSync(this.auditFile)) return [];
    return readFileSync(this.auditFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as AuditLine);
  }

  /** The end of the replica's log, for failure messages. */
  logTail(lines = 40): string {
    if (!existsSync(this.logFile)) return '(no log)';
    return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  }
}

export interface ApprovalView {
  readonly id: string;
  readonly status: string;
  readonly action: { readonly hash: string; readonly command: string };
}

/** Reads a request through a replica's control API. */
export async function getApproval(replica: AirlockProcess, id: string, token: string): Promise<ApprovalView> {
  const response = await fetch(`${replica.url}/v1/approvals/${id}`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`GET /v1/approvals/${id} on ${replica.name}: ${response.status} ${await response.text()}`);
  return (await response.json()) as ApprovalView;
}

/** POST /v1/approvals/:id/approve on a replica; returns the HTTP status and the problem or view. */
export async function approve(replica: AirlockProcess, id: string, token: string, actionHash: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${replica.url}/v1/approvals/${id}/approve`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action_hash: actionHash, reason: 'e2e' }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The approval id a hold notice names (psql stderr or a pg 'notice' message). */
export function heldApprovalId(text: string): string | null {
  return /held for approval \(id ([^)]+)\)/.exec(text)?.[1] ?? null;
}
