// `npm run bench:http`: requests/s and added latency of Airlock's HTTP proxy
// against nginx as a reverse proxy to the same upstream, and against the
// upstream directly, at 8 and 64 connections, interleaved in one run (wrk).
// Every request through Airlock is authenticated, classified, gated and
// audited (audit.include_allowed). Results: bench/results/<date>-http.json and
// a section of bench/RESULTS.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, portAccepts, startProcess, waitFor, type Managed } from './lib/processes.js';
import { writeSection } from './lib/results-sections.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '8,64' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write('usage: npm run bench:http -- [--duration SEC (10)] [--rounds N (2)] [--connections 8,64] [--no-write]\n');
  process.exit(0);
}
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const connections = values.connections.split(',').map(Number);
const log = (msg: string) => process.stderr.write(`[bench:http] ${msg}\n`);

for (const tool of ['nginx', 'wrk']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    log(`${tool} is missing: apt-get install -y nginx-light wrk`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'airlock-bench-http-'));
const processes: Managed[] = [];
const stopAll = async () => {
  for (const p of processes.reverse()) await p.stop('SIGTERM', 3000).catch(() => undefined);
};
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));

/** One nginx with its own prefix: the upstream (a fixed JSON answer) or a reverse proxy to it. */
async function startNginx(name: string, server: string): Promise<number> {
  const port = await freePort();
  const dir = join(work, name);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  keepalive_requests 1000000;
  ${server.replaceAll('PORT', String(port))}
}
`,
  );
  const nginx = startProcess(name, 'nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], join(work, `${name}.log`));
  processes.push(nginx);
  await waitFor(name, () => portAccepts('127.0.0.1', port), { deadlineMs: 10_000, process: nginx });
  return port;
}

interface WrkResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!match) return Number.NaN;
  const n = Number(match[1]);
  return match[2] === 'us' ? n / 1000 : match[2] === 's' ? n * 1000 : n;
}

function wrk(url: string, conns: number, token: string): WrkResult {
  const result = spawnSync('wrk', ['-t2', `-c${conns}`, `-d${duration}s`, '--latency', '-H', `Authorization: Bearer ${token}`, url], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  const out = result.stdout;
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) throw new Error(`wrk saw ${non2xx[1]} non-2xx responses from ${url}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50Ms: toMs(/\n\s+50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99Ms: toMs(/\n\s+99%\s+(\S+)/.exec(out)?.[1] ?? ''),
  };
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function main(): Promise<void> {
  const upstreamPort = await startNginx('upstream', `server { listen 127.0.0.1:PORT; location / { default_type application/json; return 200 '{"ok":true,"items":[1,2,3]}'; } }`);
  const nginxPort = await startNginx(
    'nginx-proxy',
    `upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server { listen 127.0.0.1:PORT; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Authorization ""; } }`,
  );
  const nodeProxyPort = await freePort();
  const nodeProxy = startProcess('node-proxy', process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/node-http-proxy.ts'), String(nodeProxyPort), String(upstreamPort)], join(work, 'node-proxy.log'), { cwd: repoRoot });
  processes.push(nodeProxy);
  await waitFor('node-proxy', () => portAccepts('127.0.0.1', nodeProxyPort), { deadlineMs: 30_000, process: nodeProxy });
  const airlockPort = await freePort();
  const controlPort = await freePort();
  const dataDir = join(work, 'airlock');
  const config = join(work, 'airlock.yaml');
  writeFileSync(
    config,
    `server: { data_dir: ${JSON.stringify(dataDir)} }
control: { listen: 127.0.0.1:${controlPort} }
identity: { issuer: airlock-dev, audience: airlock, dev_issuer: { enabled: true } }
store: { kind: memory }
log: { level: warn }
audit: { include_allowed: true, file: ${JSON.stringify(join(work, 'audit.log'))} }
postgres: { enabled: false }
http: { enabled: true, listen: 127.0.0.1:${airlockPort} }
targets:
  - { name: api, protocol: http, upstream: { url: "http://127.0.0.1:${upstreamPort}" }, hosts: [127.0.0.1] }
`,
  );
  const cli = ['--import', 'tsx', join(repoRoot, 'cmd/airlock.ts')];
  const airlock = startProcess('airlock', process.execPath, [...cli, 'serve', '--config', config], join(work, 'airlock.log'), { cwd: repoRoot });
  processes.push(airlock);
  await waitFor('airlock', () => portAccepts('127.0.0.1', airlockPort), { deadlineMs: 30_000, process: airlock });
  const minted = spawnSync(process.execPath, [...cli, 'token', '--dev', '--sub', 'bench', '--groups', 'dev', '--config', config], { encoding: 'utf8', cwd: repoRoot });
  const token = minted.stdout.trim();
  if (!token) throw new Error(`could not mint a token: ${minted.stderr}`);

  const targets = [
    { name: 'direct', url: `http://127.0.0.1:${upstreamPort}/items` },
    { name: 'nginx', url: `http://127.0.0.1:${nginxPort}/items` },
    { name: 'node-proxy', url: `http://127.0.0.1:${nodeProxyPort}/items` },
    { name: 'airlock', url: `http://127.0.0.1:${airlockPort}/items` },
  ];
  // Warm-up: JIT, pools, the classification and verdict caches.
  for (const target of targets.slice(1)) wrk(target.url, 8, token);
  const samples: Array<{ target: string; connections: number; round: number; result: WrkResult; airlockCpuMsPerRequest?: number }> = [];
  for (let round = 0; round < rounds; round++) {
    for (const conns of connections) {
      const order = [...targets.slice(round % targets.length), ...targets.slice(0, round % targets.length)];
      for (const target of order) {
        const before = target.name === 'airlock' ? cpuMs(airlock.pid) : 0;
        const result = wrk(target.url, conns, token);
        const sample = { target: target.name, connections: conns, round, result, ...(target.name === 'airlock' ? { airlockCpuMsPerRequest: (cpuMs(airlock.pid) - before) / (result.rps * duration) } : {}) };
        samples.push(sample);
        log(`round ${round + 1} c${conns} ${target.name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms`);
      }
    }
  }
  const audited = readFileSync(join(work, 'audit.log'), 'utf8').split('\n').filter((l) => l.includes('"type":"verdict"')).length;
  await stopAll();

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rows: string[] = [];
  const goals: string[] = [];
  for (const conns of connections) {
    const of = (name: string) => samples.filter((s) => s.target === name && s.connections === conns);
    const summary = (name: string) => ({ rps: mean(of(name).map((s) => s.result.rps)), p50: mean(of(name).map((s) => s.result.p50Ms)), p99: mean(of(name).map((s) => s.result.p99Ms)) });
    const direct = summary('direct');
    for (const name of ['direct', 'nginx', 'node-proxy', 'airlock']) {
      const s = summary(name);
      const cpu = name === 'airlock' ? ` ${(mean(of(name).map((x) => x.airlockCpuMsPerRequest ?? 0)) * 1000).toFixed(0)} µs CPU/request` : '';
      rows.push(`| c${conns} | ${name} | ${s.rps.toFixed(0)} | ${s.p50.toFixed(3)} | ${s.p99.toFixed(3)} | ${name === 'direct' ? '' : `+${(s.p50 - direct.p50).toFixed(3)} / +${(s.p99 - direct.p99).toFixed(3)}`} | ${of(name).map((x) => x.result.rps.toFixed(0)).join(', ')}${cpu} |`);
    }
    const nginx = summary('nginx');
    const airlock = summary('airlock');
    const nodeProxy = summary('node-proxy');
    const ratio = airlock.rps / nginx.rps;
    goals.push(`| c${conns}: Airlock req/s >= 0.8 x nginx's | ${airlock.rps.toFixed(0)} vs ${nginx.rps.toFixed(0)} (${ratio.toFixed(2)}x; a plain Node proxy: ${(nodeProxy.rps / nginx.rps).toFixed(2)}x) | ${ratio >= 0.8 ? 'yes' : '**no**'} |`);
    goals.push(`| c${conns}: Airlock req/s vs a plain Node.js proxy (context) | ${airlock.rps.toFixed(0)} vs ${nodeProxy.rps.toFixed(0)} (${(airlock.rps / nodeProxy.rps).toFixed(2)}x) | |`);
    const addedP99 = airlock.p99 - direct.p99;
    goals.push(`| c${conns}: added p99 < 1 ms | +${addedP99.toFixed(3)} ms (nginx +${(nginx.p99 - direct.p99).toFixed(3)} ms) | ${addedP99 < 1 ? 'yes' : '**no**'} |`);
  }
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench:http -- --duration ${duration} --rounds ${rounds} --connections ${connections.join(',')}`;
  const nginxVersion = spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim();
  const wrkVersion = spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() ?? '';
  const markdown = `## HTTP proxy

Produced by \`${command}\` on ${date}; raw data in \`bench/results/${date}-http.json\`. ${nginxVersion}; ${wrkVersion}; Node ${process.version}. Load: \`wrk -t2\`, keep-alive, \`GET /items\` with a bearer token, ${duration} s per run, ${rounds} rounds with the targets interleaved (order rotated every round), all on this 2-core machine (wrk, the proxy and the upstream share the cores).

Targets: \`direct\` (the upstream: nginx answering a fixed JSON body); \`nginx\` (nginx as a reverse proxy to it, upstream keep-alive pool); \`node-proxy\` (bench/node-http-proxy.ts: Node's http server and client with a keep-alive pool and nothing else, the floor of any proxy on Node's http module); \`airlock\` (every request's JWT checked (cached per connection), normalised, classified, gated and audited: ${audited} verdict lines written to the audit log in this run).

| goal | measured | met |
| --- | --- | :---: |
${goals.join('\n')}

| connections | target | req/s | p50 ms | p99 ms | added p50 / p99 ms | rounds (req/s) |
| --- | --- | ---: | ---: | ---: | --- | --- |
${rows.join('\n')}
`;
  process.stdout.write(`${markdown}\n`);
  if (!values['no-write']) {
    mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(join(repoRoot, `bench/results/${date}-http.json`), `${JSON.stringify({ date, command, samples, audited }, null, 2)}\n`);
    writeSection(join(repoRoot, 'bench/RESULTS.md'), 'http', markdown);
    log(`wrote bench/results/${date}-http.json and the HTTP section of bench/RESULTS.md`);
  }
}

main().catch(async (err: unknown) => {
  await stopAll();
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
