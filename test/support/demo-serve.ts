import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './airlock-process.js';
import { waitFor } from './services.js';

/** `airlock serve` on the shipped demo config, as `npm start` runs it, with its own data dir and free ports. */
export interface DemoServe {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly configFile: string;
  readonly yaml: string;
  readonly controlPort: number;
  readonly pgPort: number;
  readonly httpPort: number;
  readonly idpPort: number;
  /** Everything it printed so far (stdout and stderr). */
  readonly log: string;
  kill(): void;
}

export async function startDemoServe(prefix: string): Promise<DemoServe> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const controlPort = await freePort();
  const pgPort = await freePort();
  const httpPort = await freePort();
  const idpPort = await freePort();
  const yaml = readFileSync('config/airlock.demo.yaml', 'utf8')
    .replace('data_dir: .airlock', `data_dir: ${JSON.stringify(dir)}`)
    .replace('public_url: http://127.0.0.1:8080', `public_url: http://127.0.0.1:${controlPort}`)
    .replace('listen: 127.0.0.1:8080', `listen: 127.0.0.1:${controlPort}`)
    .replace('listen: 127.0.0.1:6432', `listen: 127.0.0.1:${pgPort}`)
    .replace('listen: 127.0.0.1:8081', `listen: 127.0.0.1:${httpPort}`)
    .replaceAll('127.0.0.1:8082', `127.0.0.1:${idpPort}`);
  const configFile = join(dir, 'airlock.yaml');
  writeFileSync(configFile, yaml);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRLOCK_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/airlock.ts', 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  await waitFor(() => log.includes('airlock ready') || child.exitCode !== null, 60_000, 'airlock serve to start');
  assert.equal(child.exitCode, null, log);
  return {
    child,
    dir,
    configFile,
    yaml,
    controlPort,
    pgPort,
    httpPort,
    idpPort,
    get log() {
      return log;
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
