// Approval round trip: from "approve call issued" to "statement result received
// by the client", through real `airlock serve` processes in front of the real
// PostgreSQL. Scenarios: two replicas sharing Redis (held on A, approved on B),
// and one replica with the Redis store and with the memory store.
//
// Usage: node --import tsx bench/approval-roundtrip.ts [--n 1000] [--warmup 50] [--scenario NAME ...]
// Needs PostgreSQL on 127.0.0.1:5432 (trust, database test) and redis-server on PATH.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, hostname, loadavg, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { getApproval, heldApprovalId, ReplicaGroup, type AirlockProcess } from '../test/support/airlock-process.js';
import { findRedisServer, RedisServer } from '../test/support/redis-server.js';
import { POSTGRES } from '../test/support/services.js';

const SCENARIOS = ['two-replicas-redis', 'one-replica-redis', 'one-replica-memory'] as const;
type Scenario = (typeof SCENARIOS)[number];
const DESCRIPTIONS: Record<Scenario, string> = {
  'two-replicas-redis': 'held on replica A, approved through replica B; Redis store (pub/sub wake-up)',
  'one-replica-redis': 'held and approved on one replica; Redis store',
  'one-replica-memory': 'held and approved on one replica; memory store',
};

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '50' },
    scenario: { type: 'string', multiple: true },
    out: { type: 'string' },
  },
});
const n = Number(values.n);
const warmup = Number(values.warmup);
if (!Number.isInteger(n) || n < 1 || !Number.isInteger(warmup) || warmup < 0) throw new TypeError('--n and --warmup take whole numbers');
const scenarios = (values.scenario ?? [...SCENARIOS]) as Scenario[];
for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new TypeError(`unknown scenario ${s}; one of ${SCENARIOS.join(', ')}`);

interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  // Nearest-rank percentiles: every figure is a measured sample.
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { n: s.length, p50: round(at(50)), p90: round(at(90)), p99: round(at(99)), max: round(s[s.length - 1] as number), mean: round(s.reduce((a, b) => a + b, 0) / s.length) };
}

/** One pg connection through `holder` issuing the held INSERT; decisions go to `approver`'s control API. */
async function measure(holder: AirlockProcess, approver: AirlockProcess, group: ReplicaGroup, table: string): Promise<{ roundTrip: Summary; approveHttp: Summary; holdNotice: Summary }> {
  const requester = await group.token('bench-requester', ['engineers']);
  const approverToken = await group.token('bench-approver', ['approvers']);
  const client = new pg.Client(holder.pgConfig('bench-requester', requester));
  await client.connect();
  let onHeld: ((id: string) => void) | null = null;
  client.on('notice', (notice) => {
    const id = heldApprovalId(notice.message ?? '');
    if (id && onHeld) onHeld(id);
  });
  const sql = `INSERT INTO ${table} (note) VALUES ('approved')`;
  const roundTrips: number[] = [];
  const approveTimes: number[] = [];
  const noticeTimes: number[] = [];
  try {
    for (let i = 0; i < warmup + n; i++) {
      const heldAt = performance.now();
      const held = new Promise<string>((resolve) => (onHeld = resolve));
      const result = client.query(sql);
      result.catch(() => undefined);
      const id = await held;
      const noticeAt = performance.now();
      onHeld = null;
      const { hash } = (await getApproval(approver, id, approverToken)).action;
      const issued = performance.now();
      const approved = fetch(`${approver.url}/v1/approvals/${id}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${approverToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action_hash: hash }),
      }).then(async (response) => {
        const answeredAt = performance.now();
        if (response.status !== 200) throw new Error(`approve ${id}: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
        return answeredAt;
      });
      const outcome = await result;
      const received = performance.now();
      const answeredAt = await approved;
      if (outcome.rowCount !== 1) throw new Error(`held INSERT returned rowCount ${outcome.rowCount}`);
      if (i >= warmup) {
        roundTrips.push(received - issued);
        approveTimes.push(answeredAt - issued);
        noticeTimes.push(noticeAt - heldAt);
      }
    }
  } finally {
    await client.end();
  }
  return { roundTrip: summarize(roundTrips), approveHttp: summarize(approveTimes), holdNotice: summarize(noticeTimes) };
}

async function runScenario(scenario: Scenario, redis: RedisServer | null): Promise<Record<string, unknown>> {
  const table = `gated_bench_${process.pid}_${scenario.replaceAll('-', '_')}`;
  const group = new ReplicaGroup({
    ...(redis ? { redisUrl: redis.url } : {}),
    gatedInsertObjects: ['gated_bench_*', 'public.gated_bench_*'],
    logLevel: 'warn',
    consoleChannel: false,
  });
  const direct = new pg.Client({ ...POSTGRES });
  await direct.connect();
  await direct.query(`CREATE TABLE ${table} (id bigserial primary key, note text)`);
  try {
    const twoReplicas = scenario === 'two-replicas-redis';
    const replicas = await Promise.all(twoReplicas ? [group.start('bench-a'), group.start('bench-b')] : [group.start('bench-a')]);
    const holder = replicas[0] as AirlockProcess;
    const approver = replicas[replicas.length - 1] as AirlockProcess;
    const started = performance.now();
    const figures = await measure(holder, approver, group, table);
    const seconds = (performance.now() - started) / 1000;
    const rows = Number((await direct.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    if (rows !== warmup + n) throw new Error(`${scenario}: ${rows} rows upstream for ${warmup + n} approvals: a statement ran twice or not at all`);
    return { scenario, description: DESCRIPTIONS[scenario], replicas: replicas.length, store: redis ? 'redis' : 'memory', approvals: n, warmup, seconds: Math.round(seconds * 10) / 10, rows_upstream: rows, ...figures };
  } finally {
    await group.close();
    await direct.query(`DROP TABLE IF EXISTS ${table}`);
    await direct.end();
  }
}

/** The same INSERT straight to PostgreSQL: what any round trip includes anyway. */
async function upstreamBaseline(): Promise<Summary> {
  const client = new pg.Client({ ...POSTGRES });
  await client.connect();
  const table = `gated_bench_${process.pid}_direct`;
  await client.query(`CREATE TABLE ${table} (id bigserial primary key, note text)`);
  const samples: number[] = [];
  try {
    for (let i = 0; i < warmup + n; i++) {
      const t0 = performance.now();
      await client.query(`INSERT INTO ${table} (note) VALUES ('approved')`);
      if (i >= warmup) samples.push(performance.now() - t0);
    }
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  }
  return summarize(samples);
}

function commandOutput(command: string, args: readonly string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

async function machineInfo(redisBinary: string | null): Promise<Record<string, unknown>> {
  const client = new pg.Client({ ...POSTGRES });
  await client.connect();
  const answers: string[] = [];
  for (const q of ['SELECT version() AS v', 'SHOW fsync', 'SHOW synchronous_commit']) answers.push(Object.values((await client.query(q)).rows[0] as object)[0] as string);
  const [version, fsync, syncCommit] = answers;
  await client.end();
  const cpuList = cpus();
  return {
    os: `${type()} ${release()} ${arch()}`,
    host: hostname(),
    cpus: cpuList.length,
    cpu_model: cpuList[0]?.model ?? 'unknown',
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    // Other work on the machine shows up in the tails: record how busy it was.
    load_average_at_start: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    redis: redisBinary ? (commandOutput(redisBinary, ['--version'])?.match(/v=(\S+)/)?.[1] ?? 'unknown') : null,
    postgres: version,
    postgres_fsync: fsync,
    postgres_synchronous_commit: syncCommit,
    git_commit: commandOutput('git', ['rev-parse', '--short', 'HEAD']),
  };
}

const redisBinary = findRedisServer();
if (!redisBinary && scenarios.some((s) => s.includes('redis'))) throw new Error('redis-server not found on PATH');
const machine = await machineInfo(redisBinary);
const results: Record<string, unknown>[] = [];
for (const scenario of scenarios) {
  const redis = scenario.includes('redis') ? await RedisServer.start(redisBinary) : null;
  try {
    process.stderr.write(`${scenario}: ${warmup} warm-up + ${n} approvals...\n`);
    results.push(await runScenario(scenario, redis));
  } finally {
    await redis?.close();
  }
}
const baseline = await upstreamBaseline();

const date = new Date().toISOString().slice(0, 10);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = values.out ?? join(repoRoot, 'bench', 'results', `approval-roundtrip-${date}-${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
mkdirSync(dirname(out), { recursive: true });
const report = {
  benchmark: 'approval-roundtrip',
  command: `node --import tsx bench/approval-roundtrip.ts --n ${n} --warmup ${warmup}${values.scenario ? values.scenario.map((s) => ` --scenario ${s}`).join('') : ''}`,
  date: new Date().toISOString(),
  measured: 'round_trip: from the approve POST being issued to the held statement\'s result at the client (ms); approve_http: the approve POST\'s own response time; hold_notice: from sending the statement to its hold notice',
  statement: 'INSERT INTO gated_bench_* (note) VALUES (...) held by a policy rule (approval by 1 of approvers); one pg connection, sequential',
  machine: { ...machine, load_average_at_end: loadavg().map((x) => Math.round(x * 100) / 100) },
  airlock: 'separate `airlock serve` processes (tsx), log level warn, console channel off, audit of every event on (include_allowed true), dev-issuer JWTs',
  upstream_direct_insert: baseline,
  results: results.map(({ roundTrip, approveHttp, holdNotice, ...rest }) => ({ ...rest, round_trip_ms: roundTrip, approve_http_ms: approveHttp, hold_notice_ms: holdNotice })),
};
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);

const line = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
const lines = [
  line(['scenario', 'approvals', 'round trip p50 (ms)', 'p90', 'p99', 'max', 'approve HTTP p50', 'hold notice p50']),
  line(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  ...results.map((r) => {
    const rt = r.roundTrip as Summary;
    return line([String(r.scenario), rt.n, rt.p50.toFixed(2), rt.p90.toFixed(2), rt.p99.toFixed(2), rt.max.toFixed(2), (r.approveHttp as Summary).p50.toFixed(2), (r.holdNotice as Summary).p50.toFixed(2)]);
  }),
  line(['upstream INSERT alone (direct)', baseline.n, baseline.p50.toFixed(2), baseline.p90.toFixed(2), baseline.p99.toFixed(2), baseline.max.toFixed(2), '', '']),
];
process.stdout.write(`${lines.join('\n')}\n\n${String(machine.os)}, ${String(machine.cpus)} x ${String(machine.cpu_model)}, Node ${process.version}, Redis ${String(machine.redis)}\nresults: ${out}\n`);
