// Start-up time of `airlock serve` (built, dist/) to a ready /readyz, with one
// real PostgreSQL target and the memory store: spawn, poll every 5 ms, stop.
// Usage: npm run build && node --import tsx bench/startup.ts [runs]
// AIRLOCK_BENCH_NODE=/path/to/node runs the sidecar on another Node (22, 24);
// NODE_DISABLE_COMPILE_CACHE=1 measures it without Node's compile cache.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './lib/processes.js';

const runs = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'airlock-startup-'));
const controlPort = await freePort();
const pgPort = await freePort();
const config = join(dir, 'airlock.yaml');
writeFileSync(
  config,
  `server: { data_dir: ${JSON.stringify(join(dir, 'data'))} }
control: { listen: 127.0.0.1:${controlPort} }
identity: { dev_issuer: { enabled: true } }
store: { kind: memory }
log: { level: warn }
postgres: { listen: 127.0.0.1:${pgPort} }
targets:
  - { name: app, protocol: postgres, upstream: { host: 127.0.0.1, port: 5432, user: postgres, database: test } }
`,
);
const times: number[] = [];
for (let i = 0; i <= runs; i++) {
  const started = performance.now();
  const child = spawn(process.env['AIRLOCK_BENCH_NODE'] ?? process.execPath, ['dist/cmd/airlock.js', 'serve', '--config', config], { stdio: 'ignore' });
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${controlPort}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (performance.now() - started > 30_000) throw new Error('not ready within 30 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  // The first run creates the data dir, keys and certificate (and fills the compile cache): not counted.
  if (i > 0) times.push(Math.round(performance.now() - started));
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}
const sorted = [...times].sort((a, b) => a - b);
process.stdout.write(`start-up to ready (ms): ${times.join(' ')}; median ${sorted[Math.floor(sorted.length / 2)]}\n`);
