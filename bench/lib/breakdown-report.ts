// The CPU breakdown step's tables for bench/RESULTS.md.
import { BREAKDOWN_TARGETS, BUCKETS, type CpuBreakdown } from './cpu-breakdown.js';

const us = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(1));

export function breakdownSection(breakdowns: readonly CpuBreakdown[] | undefined): string[] {
  if (!breakdowns || breakdowns.length === 0) return [];
  const lines = [
    '### On-CPU time by part, µs per transaction (perf, kernel included)',
    '',
    '`perf record -F 999 -g` on each proxy process (started fresh; Node with `--perf-basic-prof`) for the middle third of a pgbench run; ' +
      "every sample's call stack goes in one bucket (bench/lib/cpu-breakdown.ts: in the kernel, the system call named by libc's wrapper above it decides, a write or send to a socket or the audit file, a read or recv, or other kernel work; in user space, the innermost frame that names a part of Airlock or Node's stream code); " +
      "the buckets' shares are scaled to the CPU time /proc reports for the window, per transaction pgbench completed in it. Unlike the V8 profile below, this counts only time on a CPU, and sees into the kernel.",
    '',
  ];
  const workloads = [...new Set(breakdowns.map((b) => b.workload))];
  for (const workload of workloads) {
    const byTarget = new Map(breakdowns.filter((b) => b.workload === workload).map((b) => [b.target, b]));
    const targets = BREAKDOWN_TARGETS.filter((t) => byTarget.has(t));
    const relay = byTarget.get('node-relay');
    const airlock = byTarget.get('airlock');
    const diff = relay && airlock;
    lines.push(`**${workload}**`, '', `| part | ${targets.join(' | ')}${diff ? ' | airlock − node-relay' : ''} |`, `| --- |${targets.map(() => ' ---: |').join('')}${diff ? ' ---: |' : ''}`);
    for (const bucket of BUCKETS) {
      const values = targets.map((t) => byTarget.get(t)?.bucketsUsPerTx[bucket]);
      if (values.every((v) => v === undefined || v < 0.05)) continue;
      const delta = diff ? ` | ${signed(airlock.bucketsUsPerTx[bucket] - relay.bucketsUsPerTx[bucket])}` : '';
      lines.push(`| ${bucket} | ${values.map(us).join(' | ')}${delta} |`);
    }
    const totals = targets.map((t) => byTarget.get(t)?.cpuUsPerTx);
    lines.push(`| **total CPU per transaction** | ${totals.map((v) => `**${us(v)}**`).join(' | ')}${diff ? ` | **${signed(airlock.cpuUsPerTx - relay.cpuUsPerTx)}**` : ''} |`);
    lines.push(`| samples / window / transactions | ${targets.map((t) => { const b = byTarget.get(t); return b ? `${b.samples} / ${b.windowSec} s / ${Math.round(b.transactions)}` : '–'; }).join(' | ')}${diff ? ' | |' : ''}`, '');
  }
  return lines;
}

function signed(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(1)}`;
}
