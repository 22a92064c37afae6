import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { ControlApiError, controlClient, resolveToken, withControlOptions } from '../support/control-client.js';

interface ConnectOptions {
  url: string;
  token?: string;
  json?: boolean;
  reason?: string;
}

type TargetInfo =
  | { name: string; protocol: 'postgres'; host: string; port: number; sslmode: string }
  | { name: string; protocol: 'http'; url: string }
  | { name: string; protocol: 'shell' };

/** The target as the control API describes it, with the token that reaches it. */
async function resolveTarget(name: string, options: ConnectOptions, protocol?: TargetInfo['protocol']): Promise<{ target: TargetInfo; token: string }> {
  const token = resolveToken(options);
  const client = controlClient({ url: options.url, ...(token ? { token } : {}) });
  const { targets } = await client.get<{ targets: TargetInfo[] }>('/v1/targets');
  const target = targets.find((t) => t.name === name);
  if (!target) throw new ControlApiError(404, 'AIRLOCK_UNKNOWN_TARGET', `no target ${name}; targets: ${targets.map((t) => `${t.name} (${t.protocol})`).join(', ') || 'none'}`);
  if (protocol !== undefined && target.protocol !== protocol) throw new ControlApiError(400, 'AIRLOCK_BAD_REQUEST', `${name} is a ${target.protocol} target, not ${protocol}`);
  return { target, token: token as string };
}

/** The libpq environment that reaches a PostgreSQL target through Airlock (the JWT is the password). */
function libpqEnv(target: Extract<TargetInfo, { protocol: 'postgres' }>, token: string, user: string): Record<string, string> {
  return { PGHOST: target.host, PGPORT: String(target.port), PGDATABASE: target.name, PGUSER: user, PGPASSWORD: token, PGSSLMODE: target.sslmode };
}

/** The `sub` of a JWT, to name the PostgreSQL user (Airlock takes the identity from the token, not from this). */
function subjectOf(token: string): string {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof payload.sub === 'string' ? payload.sub : 'airlock';
  } catch {
    return 'airlock';
  }
}

/** Runs a client program with inherited terminal, exiting with its status. */
function run(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: 'inherit', env });
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ControlApiError(0, 'AIRLOCK_CLIENT_MISSING', err.code === 'ENOENT' ? `${program} is not installed (or not on PATH)` : `${program}: ${err.message}`)),
    );
    child.once('exit', (code, signal) => {
      process.exitCode = code ?? (signal ? 128 : 1);
      resolve();
    });
  });
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export function registerConnectCommands(program: Command): void {
  withControlOptions(
    program
      .command('env <target>')
      .description('Print the environment that reaches a target through Airlock: PGHOST ... PGPASSWORD for a PostgreSQL target (any libpq program or driver), AIRLOCK_HTTP_URL and AIRLOCK_TOKEN for an HTTP one. Use: eval "$(airlock env demo)"')
      .option('--json', 'print the variables as a JSON object'),
  ).action(async (name: string, options: ConnectOptions) => {
    const { target, token } = await resolveTarget(name, options);
    if (target.protocol === 'shell') throw new ControlApiError(400, 'AIRLOCK_BAD_REQUEST', `${name} is a shell target: connect with ssh`);
    const vars = target.protocol === 'postgres' ? libpqEnv(target, token, subjectOf(token)) : { AIRLOCK_HTTP_URL: target.url, AIRLOCK_TOKEN: token };
    if (options.json) process.stdout.write(`${JSON.stringify(vars, null, 2)}\n`);
    else process.stdout.write(Object.entries(vars).map(([k, v]) => `export ${k}=${shellQuote(v)}\n`).join(''));
  });

  withControlOptions(
    program
      .command('psql <target> [args...]')
      .description('Start psql on a PostgreSQL target through Airlock, with your token as the password; arguments after the target go to psql (e.g. airlock psql demo -c "SELECT 1")')
      .option('--reason <text>', 'the reason approvers see for what this session runs (a ticket, an incident)')
      .allowUnknownOption(true)
      .passThroughOptions(true),
  ).action(async (name: string, args: string[], options: ConnectOptions) => {
    const { target, token } = await resolveTarget(name, options, 'postgres');
    if (target.protocol !== 'postgres') return;
    const env = { ...process.env, ...libpqEnv(target, token, subjectOf(token)) };
    if (options.reason) env.PGOPTIONS = `${process.env.PGOPTIONS ?? ''} -c airlock.reason=${options.reason.replace(/[\s\\]/g, (c) => `\\${c}`)}`.trim();
    await run('psql', args, env);
  });

  withControlOptions(
    program
      .command('curl <target> <path> [args...]')
      .description('Run curl on an HTTP target through Airlock with your token; arguments after the path go to curl (e.g. airlock curl admin-api /users -X POST -d @user.json)')
      .option('--reason <text>', 'the reason approvers see (sent as Airlock-Reason)')
      .allowUnknownOption(true)
      .passThroughOptions(true),
  ).action(async (name: string, path: string, args: string[], options: ConnectOptions) => {
    const { target, token } = await resolveTarget(name, options, 'http');
    if (target.protocol !== 'http') return;
    if (!path.startsWith('/')) throw new ControlApiError(400, 'AIRLOCK_BAD_REQUEST', `the path must start with / (got ${path})`);
    // The token goes through a config on stdin, never on the command line where ps shows it.
    const headers = [`header = "Authorization: Bearer ${token}"`, ...(options.reason ? [`header = "Airlock-Reason: ${options.reason.replace(/["\\\r\n]/g, ' ')}"`] : [])];
    await runWithStdin('curl', ['--config', '-', ...args, `${target.url}${path}`], headers.join('\n'), process.env);
  });
}

function runWithStdin(program: string, args: string[], input: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'inherit', 'inherit'], env });
    child.once('error', (err: NodeJS.ErrnoException) => reject(new ControlApiError(0, 'AIRLOCK_CLIENT_MISSING', err.code === 'ENOENT' ? `${program} is not installed (or not on PATH)` : `${program}: ${err.message}`)));
    child.stdin?.end(`${input}\n`);
    child.once('exit', (code, signal) => {
      process.exitCode = code ?? (signal ? 128 : 1);
      resolve();
    });
  });
}
