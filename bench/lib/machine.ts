// What the figures were measured on.
import { readFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem, type as osType } from 'node:os';
import { run } from './processes.js';
import { serverVersion } from './database.js';

export interface MachineInfo {
  readonly hostname: string;
  readonly os: string;
  readonly kernel: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryGiB: number;
  readonly loadAverageAtStart: string;
  readonly node: string;
  readonly postgres: string;
  readonly pgbouncer: string;
  readonly pgbench: string;
  readonly airlockCommit: string;
  readonly airlockTreeDirty: boolean;
}

function osName(): string {
  try {
    const match = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return match?.[1] ?? osType();
  } catch {
    return osType();
  }
}

async function firstLine(command: string, args: readonly string[], cwd?: string): Promise<string> {
  try {
    const r = await run(command, args, cwd ? { cwd } : {});
    return (r.stdout || r.stderr).trim().split('\n')[0] ?? '';
  } catch {
    return 'unavailable';
  }
}

export async function machineInfo(repoRoot: string): Promise<MachineInfo> {
  const cpuList = cpus();
  const status = await firstLine('git', ['status', '--porcelain', '--untracked-files=no'], repoRoot);
  let load = '';
  try {
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    load = 'unavailable';
  }
  return {
    hostname: hostname(),
    os: osName(),
    kernel: release(),
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cpuCount: cpuList.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    loadAverageAtStart: load,
    node: process.version,
    postgres: await serverVersion().catch(() => 'unavailable'),
    pgbouncer: await firstLine('pgbouncer', ['--version']),
    pgbench: await firstLine('pgbench', ['--version']),
    airlockCommit: await firstLine('git', ['rev-parse', 'HEAD'], repoRoot),
    airlockTreeDirty: status !== '' && status !== 'unavailable',
  };
}
