// bench/RESULTS.md, generated from one results file.
import { breakdownSection } from './breakdown-report.js';
import type { PinnedCell, PinnedResult } from './pinned.js';
import type { ProfileResult } from './profile.js';
import type { BenchResults, CellSummary } from './results.js';

const f = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const signed = (n: number, digits = 3): string => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(digits)}` : 'n/a');
const pct = (ratio: number): string => (Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)}%` : 'n/a');

function cell(results: BenchResults, workload: string, target: string): CellSummary | undefined {
  return results.summary.find((c) => c.workload === workload && c.target === target);
}

function cpuTotal(c: CellSummary): number {
  return (c.proxyCpuUserUs ?? Number.NaN) + (c.proxyCpuSysUs ?? Number.NaN);
}

function cpuCell(c: CellSummary): string {
  const total = cpuTotal(c);
  return Number.isFinite(total) ? `${f(total, 1)} (${f(c.proxyCpuUserUs, 1)} + ${f(c.proxyCpuSysUs, 1)})` : '';
}

function cpuRatio(c: CellSummary, bouncer: CellSummary): string {
  const ratio = cpuTotal(c) / cpuTotal(bouncer);
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '';
}

function throughputTables(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const w of results.workloads) {
    lines.push(`### ${w.name}: ${w.description}`, '', `\`${w.command}\``, '');
    lines.push('| target | TPS | TPS vs direct | TPS vs PgBouncer | avg ms | p50 ms | p99 ms | added avg ms | added p50 ms | added p99 ms | added avg vs PgBouncer\'s | proxy CPU µs/tx (user + sys) | proxy CPU vs PgBouncer |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const bouncer = cell(results, w.name, 'pgbouncer');
    for (const t of results.targets) {
      const c = cell(results, w.name, t.name);
      if (!c) continue;
      const vsBouncer = bouncer && t.name !== 'direct' ? signed(c.addedAvgMs - bouncer.addedAvgMs) : '';
      const rounds = c.tpsRounds.map((x) => x.toFixed(0)).join(' / ');
      lines.push(
        `| ${t.name} | ${f(c.tps, 0)} <sub>(${rounds})</sub> | ${pct(c.tpsVsDirect)} | ${pct(c.tpsVsPgbouncer)} | ${f(c.avgMs, 3)} | ${f(c.p50Ms, 3)} | ${f(c.p99Ms, 3)} | ${t.name === 'direct' ? '' : signed(c.addedAvgMs)} | ${t.name === 'direct' ? '' : signed(c.addedP50Ms)} | ${t.name === 'direct' ? '' : signed(c.addedP99Ms)} | ${vsBouncer} | ${cpuCell(c)} | ${bouncer ? cpuRatio(c, bouncer) : ''} |`,
      );
    }
    lines.push('');
  }
  return lines;
}

/** Proxy CPU per transaction side by side: what a proxy costs the machine, whatever else runs on it. */
function cpuTable(results: BenchResults): string[] {
  const proxies = results.targets.map((t) => t.name).filter((name) => results.summary.some((c) => c.target === name && Number.isFinite(cpuTotal(c))));
  if (proxies.length === 0) return [];
  // Ratios the goals are stated in, when both sides were measured.
  const pairs = ([['airlock', 'node-relay'], ['airlock-tls', 'pgbouncer-tls']] as const).filter(([a, b]) => proxies.includes(a) && proxies.includes(b));
  const lines = [
    '## Proxy CPU per transaction',
    '',
    'CPU time the proxy process used (all threads, from `/proc/PID/stat`) divided by the transactions pgbench completed, mean of the rounds, µs: user + system; ' +
      '"= N x" is the ratio to PgBouncer (plaintext). ' +
      'On a machine where pgbench, PostgreSQL and the proxy share the cores, TPS follows this figure.',
    '',
    `| workload | ${[...proxies, ...pairs.map(([a, b]) => `${a} / ${b}`)].join(' | ')} |`,
    `| --- | ${[...proxies, ...pairs].map(() => '---:').join(' | ')} |`,
  ];
  for (const w of results.workloads) {
    const bouncer = cell(results, w.name, 'pgbouncer');
    const cells = proxies.map((name) => {
      const c = cell(results, w.name, name);
      if (!c) return '';
      const ratio = bouncer && name !== 'pgbouncer' ? ` = ${cpuRatio(c, bouncer)}` : '';
      return `${cpuCell(c)}${ratio}`;
    });
    for (const [a, b] of pairs) {
      const ca = cell(results, w.name, a);
      const cb = cell(results, w.name, b);
      cells.push(ca && cb ? cpuRatio(ca, cb) : '');
    }
    lines.push(`| ${w.name} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  return lines;
}

interface Check {
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | null;
}

const NOT_MEASURED = 'not measured';
const WORKLOAD_NAMES = ['select-prepared', 'select-simple', 'tpcb-simple', 'tpcb-prepared'] as const;
/** Goal 3: Airlock with client TLS may use up to this multiple of PgBouncer-with-client-TLS's CPU per transaction. */
const TLS_CPU_FACTOR = 1.3;
/** Goal 2: pinned, Airlock's added latency minus PgBouncer's, µs. */
const PINNED_P50_SLACK_US = 50;
const PINNED_P99_SLACK_US = 200;
const RSS_LIMIT_MIB = 256;
const STARTUP_LIMIT_MS = 500;

function pinnedCell(pinned: PinnedResult | null | undefined, workload: string, target: string): PinnedCell | undefined {
  return pinned?.summary?.find((c) => c.workload === workload && c.target === target);
}

function checks(results: BenchResults): Check[] {
  const out: Check[] = [];
  const missing = (goal: string): void => void out.push({ goal, measured: NOT_MEASURED, met: null });
  for (const w of WORKLOAD_NAMES) {
    const a = cell(results, w, 'airlock');
    const b = cell(results, w, 'pgbouncer');
    const tpsGoal = `${w}: Airlock TPS >= PgBouncer's (same run, shared cores)`;
    const latGoal = `${w}: latency added over direct <= PgBouncer's (avg)`;
    if (a && b) {
      out.push({ goal: tpsGoal, measured: `${f(a.tps, 0)} vs ${f(b.tps, 0)} (${pct(a.tps / b.tps)})`, met: a.tps >= b.tps });
      out.push({ goal: latGoal, measured: `${signed(a.addedAvgMs)} ms vs ${signed(b.addedAvgMs)} ms`, met: a.addedAvgMs <= b.addedAvgMs });
    } else {
      missing(tpsGoal);
      missing(latGoal);
    }
  }
  for (const w of WORKLOAD_NAMES) {
    const a = cell(results, w, 'airlock');
    const r = cell(results, w, 'node-relay');
    const goal = `${w}: Airlock proxy CPU/tx <= the Node relay's (airlock / node-relay <= 1.00)`;
    const ratio = a && r ? cpuTotal(a) / cpuTotal(r) : Number.NaN;
    if (a && r && Number.isFinite(ratio)) out.push({ goal, measured: `${f(cpuTotal(a), 1)} vs ${f(cpuTotal(r), 1)} µs/tx = ${ratio.toFixed(2)}x`, met: ratio <= 1 });
    else missing(goal);
  }
  for (const w of WORKLOAD_NAMES) {
    const a = cell(results, w, 'airlock-tls');
    const b = cell(results, w, 'pgbouncer-tls');
    const goal = `${w}: client TLS, Airlock proxy CPU/tx <= ${TLS_CPU_FACTOR}x PgBouncer's (airlock-tls / pgbouncer-tls)`;
    const ratio = a && b ? cpuTotal(a) / cpuTotal(b) : Number.NaN;
    if (a && b && Number.isFinite(ratio)) out.push({ goal, measured: `${f(cpuTotal(a), 1)} vs ${f(cpuTotal(b), 1)} µs/tx = ${ratio.toFixed(2)}x`, met: ratio <= TLS_CPU_FACTOR });
    else missing(goal);
  }
  for (const w of ['select-prepared', 'select-simple']) {
    const a = pinnedCell(results.pinned, w, 'airlock');
    const b = pinnedCell(results.pinned, w, 'pgbouncer');
    const goals = [
      { q: 'p50', slack: PINNED_P50_SLACK_US, pick: (c: PinnedCell) => c.addedP50Us },
      { q: 'p99', slack: PINNED_P99_SLACK_US, pick: (c: PinnedCell) => c.addedP99Us },
    ];
    for (const g of goals) {
      const goal = `${w}, pinned (proxy on its own core, 1 client): Airlock added ${g.q} − PgBouncer added ${g.q} <= ${g.slack} µs`;
      const diff = a && b ? g.pick(a) - g.pick(b) : Number.NaN;
      if (a && b && Number.isFinite(diff)) {
        out.push({ goal, measured: `${signed(diff, 0)} µs (Airlock ${signed(g.pick(a), 0)} µs, PgBouncer ${signed(g.pick(b), 0)} µs per statement)`, met: diff <= g.slack });
      } else missing(goal);
    }
  }
  const s = results.scale;
  const rssGoal = `${s?.idle ?? 5000} idle + ${s?.held ?? 1000} held: RSS < ${RSS_LIMIT_MIB} MiB`;
  const loopGoal = 'event-loop delay p99 < 10 ms while they wait';
  if (s) {
    out.push({ goal: rssGoal, measured: `${f(s.rssMiB.idleAndHeld, 0)} MiB`, met: s.rssMiB.idleAndHeld < RSS_LIMIT_MIB });
    out.push({
      goal: loopGoal,
      measured: `worst 1 s p99 ${f(s.eventLoop.p99DelayMs, 1)} ms over the 10 ms sampling interval (raw ${f(s.eventLoop.p99RawMaxMs, 1)} ms, median raw ${f(s.eventLoop.p99RawMedianMs, 1)} ms)`,
      met: s.eventLoop.p99DelayMs < 10,
    });
  } else {
    missing(rssGoal);
    missing(loopGoal);
  }
  const startupGoal = `start-up of \`airlock serve\` to ready (no demo database) < ${STARTUP_LIMIT_MS} ms (median)`;
  const st = results.startup;
  if (st && Number.isFinite(st.medianMs)) out.push({ goal: startupGoal, measured: `${f(st.medianMs, 0)} ms (median of ${st.runsMs.length})`, met: st.medianMs < STARTUP_LIMIT_MS });
  else missing(startupGoal);
  const c = results.classifier;
  // A hit is a hit: the repeated text (BEGIN, COMMIT, a pool's ping) must be fast too.
  const classifierGoal = 'classification cache hit < 5 µs';
  if (c) {
    const shape = c.shapeHitNs !== undefined ? `, ${f(c.shapeHitNs / 1000, 3)} µs (a known statement with new literals, by literal shape)` : '';
    out.push({
      goal: classifierGoal,
      measured: `${f(c.hitNs / 1000, 3)} µs (10,000-entry cache, texts cycled), ${f(c.hotHitNs / 1000, 3)} µs (the same text again and again)${shape}`,
      met: Math.max(c.hitNs, c.hotHitNs, c.shapeHitNs ?? 0) < 5000,
    });
  } else missing(classifierGoal);
  return out;
}

/** Latency with PostgreSQL and pgbench on CPU 0 and the proxy alone on CPU 1, one client. */
function pinnedSection(pinned: PinnedResult | null | undefined): string[] {
  const lines = ['## Latency with the proxy on its own core', ''];
  if (!pinned || !Array.isArray(pinned.summary)) return [...lines, 'Not run.', ''];
  const a = pinned.affinity;
  const proxies = Object.entries(a?.proxies ?? {}).map(([name, p]) => `${name} (pid ${p.pid}, ${p.threads} threads) on CPU ${p.cpus}`);
  lines.push(
    `PostgreSQL (${a?.postgres?.processes ?? '?'} processes: the postmaster and every backend, \`taskset -a -p -c ${a?.pgbench ?? '0'}\`; new backends inherit it) and pgbench (\`taskset -c ${a?.pgbench ?? '0'}\`) on CPU ${a?.postgres?.cpus ?? '?'}; ` +
      `the proxy alone on the other core, every thread (\`taskset -a -p\`, read back from \`/proc/PID/task/*/status\`): ${proxies.join('; ') || 'n/a'}. ` +
      `Affinity restored to CPUs ${a?.restoredTo ?? '?'} afterwards. ` +
      `One client (\`${pinned.command}\`), so a latency is the path through the proxy, not queueing behind other clients; ${pinned.durationSec} s per run, ${pinned.rounds} round${pinned.rounds === 1 ? "" : "s"} with the targets interleaved (order rotated every round). ` +
      'These workloads send one statement per transaction, so the per-transaction latency pgbench logs (`--log`, µs, pooled over the rounds) is the per-statement latency. ' +
      '"added" is the difference to `direct` pinned the same way; "vs PgBouncer" is the proxy\'s added latency minus PgBouncer\'s.',
    '',
  );
  const workloads = [...new Set(pinned.summary.map((c) => c.workload))];
  for (const w of workloads) {
    const bouncer = pinnedCell(pinned, w, 'pgbouncer');
    lines.push(`### ${w}, pinned`, '');
    lines.push('| target | TPS | avg µs | p50 µs | p99 µs | added p50 µs | added p99 µs | added p50 vs PgBouncer\'s µs | added p99 vs PgBouncer\'s µs |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const c of pinned.summary.filter((x) => x.workload === w)) {
      const isDirect = c.target === 'direct';
      const vs = (pick: (x: PinnedCell) => number) => (bouncer && !isDirect ? signed(pick(c) - pick(bouncer), 0) : '');
      lines.push(
        `| ${c.target} | ${f(c.tps, 0)} | ${f(c.avgUs, 0)} | ${f(c.p50Us, 0)} | ${f(c.p99Us, 0)} | ${isDirect ? '' : signed(c.addedP50Us, 0)} | ${isDirect ? '' : signed(c.addedP99Us, 0)} | ${vs((x) => x.addedP50Us)} | ${vs((x) => x.addedP99Us)} |`,
      );
    }
    lines.push('');
  }
  const failed = (pinned.runs ?? []).filter((r) => r.error);
  if (failed.length > 0) lines.push('Failed runs: ' + failed.map((r) => `${r.workload} / ${r.target} round ${r.round}: \`${r.error}\``).join('; '), '');
  return lines;
}

/** One profiled workload: self time by area and the top functions, as % of the profile and as µs per transaction. */
function profileSection(p: ProfileResult): string[] {
  const tx = p.transactions ?? Number.NaN;
  const perTx = (selfMs: number | undefined) => (selfMs !== undefined && tx > 0 ? f((selfMs * 1000) / tx, 2) : 'n/a');
  const busyMs = (p.summary.totalMs * p.summary.busyPercent) / 100;
  return [
    `### ${p.workload}`,
    '',
    `\`node --cpu-prof\` on Airlock during a \`${p.workload}\` run (${f(p.tps, 0)} TPS under the profiler, ${Number.isFinite(tx) ? tx : 'n/a'} transactions); ` +
      `busy ${f(p.summary.busyPercent, 1)}% of ${f(p.summary.totalMs / 1000, 1)} s, ${perTx(busyMs)} µs per transaction in all. ` +
      'µs/tx is self time × 1000 / transactions completed during the profiled run' +
      (p.summary.window
        ? ', counting only the samples taken while pgbench ran (not Airlock\'s start-up or shutdown). '
        : ' (this profile also covers the process\'s start-up and shutdown). ') +
      `Top self time (\`node --import tsx bench/profile-top.ts FILE.cpuprofile${p.summary.window ? ` --from-us ${p.summary.window.fromUs} --to-us ${p.summary.window.toUs}` : ''}\`):`,
    '',
    '| area | self ms | self % | µs/tx |',
    '| --- | ---: | ---: | ---: |',
    // Results written before areas carried self ms: derived from the share of the profile.
    ...p.summary.byArea.map((a) => ({ ...a, ms: a.selfMs ?? (a.selfPercent * p.summary.totalMs) / 100 })).map((a) => `| ${a.area} | ${f(a.ms, 0)} | ${f(a.selfPercent, 1)} | ${perTx(a.ms)} |`),
    '',
    '| self % | self ms | µs/tx | function | location |',
    '| ---: | ---: | ---: | --- | --- |',
    ...p.summary.top.map((e) => `| ${f(e.selfPercent)} | ${f(e.selfMs, 0)} | ${perTx(e.selfMs)} | \`${e.function}\` | ${e.location} |`),
    '',
  ];
}

interface Quantiles {
  readonly p50?: number;
  readonly p99?: number;
}
interface RoundtripScenario {
  readonly scenario?: string;
  readonly description?: string;
  readonly round_trip_ms?: Quantiles;
  readonly approve_http_ms?: Quantiles;
  readonly hold_notice_ms?: Quantiles;
}

/** The approval round trip, as bench/approval-roundtrip.ts records it; raw JSON when its shape is unknown. */
function approvalRoundtrip(source: NonNullable<BenchResults['approvalRoundtrip']>): string[] {
  const data = source.data as { command?: string; measured?: string; statement?: string; results?: RoundtripScenario[] };
  const head = `From \`${source.file}\` (written by \`bench/approval-roundtrip.ts\`${data.command ? `: \`${data.command}\`` : ''}).`;
  if (!Array.isArray(data.results) || !data.results.every((r) => r.round_trip_ms)) {
    const json = JSON.stringify(source.data, null, 2).split('\n');
    return [head, '', '```json', ...json.slice(0, 80), ...(json.length > 80 ? ['…'] : []), '```', ''];
  }
  const q = (x: Quantiles | undefined) => `${f(x?.p50 ?? Number.NaN)} / ${f(x?.p99 ?? Number.NaN)}`;
  return [
    head,
    ...(data.measured ? ['', `Measured: ${data.measured}.`] : []),
    ...(data.statement ? ['', `Statement: ${data.statement}.`] : []),
    '',
    '| scenario | approve to result at the client, p50 / p99 ms | approve POST, p50 / p99 ms | statement to hold notice, p50 / p99 ms |',
    '| --- | ---: | ---: | ---: |',
    ...data.results.map((r) => `| ${r.scenario ?? '?'} | ${q(r.round_trip_ms)} | ${q(r.approve_http_ms)} | ${q(r.hold_notice_ms)} |`),
    '',
  ];
}

export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  const lines: string[] = [
    '# Benchmarks',
    '',
    '<!-- Generated by bench/run.ts from the results file below; do not edit by hand. -->',
    '',
    `Produced by \`${results.command}\` on ${results.generatedAt.slice(0, 10)}; raw data in \`bench/results/${results.generatedAt.slice(0, 10)}-${m.hostname}.json\`.`,
    '',
    `Machine: ${m.os}, kernel ${m.kernel}, ${m.cpuCount} x ${m.cpuModel}, ${m.memoryGiB} GiB; load average at start ${m.loadAverageAtStart}. ` +
      `Node ${m.node}, PostgreSQL ${m.postgres}, ${m.pgbouncer}, ${m.pgbench}. Airlock ${m.airlockCommit.slice(0, 12)}${m.airlockTreeDirty ? ' (uncommitted changes in the tree)' : ''}.`,
    '',
    `pgbench: ${results.options['clients']} clients, ${results.options['threads']} threads, ${results.options['durationSec']} s per run, ` +
      `${results.options['rounds']} rounds with the targets interleaved (round-robin, order rotated every round), scale ${results.options['pgbenchScale']}, loopback TCP. ` +
      'TPS is the mean of the rounds (each round in small print); latencies come from every transaction pgbench logged (`--log`), pooled over the rounds: ' +
      'p50/p99 are exact percentiles, not estimates. "added" is the difference to `direct`.',
    '',
    'Targets: ' + results.targets.map((t) => `\`${t.name}\` (${t.description})`).join('; ') + '.',
    '',
    '## Against the goals',
    '',
    '| goal | measured | met |',
    '| --- | --- | :---: |',
    ...checks(results).map((c) => `| ${c.goal} | ${c.measured} | ${c.met === null ? '–' : c.met ? 'yes' : '**no**'} |`),
    '',
    ...cpuTable(results),
    ...pinnedSection(results.pinned),
    '## Throughput and latency',
    '',
    ...throughputTables(results),
  ];

  const s = results.scale;
  lines.push('## Scale: idle sessions and held statements', '');
  if (s) {
    lines.push(
      `One Airlock, ${s.idle} authenticated idle sessions plus ${s.held} sessions each holding \`DROP TABLE bench_hold_<n>\` for approval (upstream: ${s.upstream}; Airlock opens one upstream connection per client session).`,
      '',
      '| measure | value |',
      '| --- | ---: |',
      `| RSS when ready | ${f(s.rssMiB.ready, 0)} MiB |`,
      `| RSS with ${s.idle} idle sessions | ${f(s.rssMiB.idle, 0)} MiB (${f(s.perIdleSessionKiB, 1)} KiB per session) |`,
      `| RSS with ${s.idle} idle + ${s.held} held | ${f(s.rssMiB.idleAndHeld, 0)} MiB (${f(s.perHeldStatementKiB, 1)} KiB per held statement) |`,
      `| RSS after every client closed | ${f(s.rssMiB.afterClose, 0)} MiB |`,
      `| time to open the idle sessions | ${f(s.connectSec.idle, 1)} s |`,
      `| time to open and hold the held sessions | ${f(s.connectSec.held, 1)} s |`,
      `| event-loop p99 while waiting, worst 1 s (prom-client, minus its 10 ms interval) | ${f(s.eventLoop.p99DelayMs, 1)} ms |`,
      `| event-loop p99 raw readings: median / worst | ${f(s.eventLoop.p99RawMedianMs, 1)} / ${f(s.eventLoop.p99RawMaxMs, 1)} ms |`,
      `| \`SELECT 1\` through Airlock while they wait (${s.probe.queries} queries): p50 / p99 / max | ${f(s.probe.p50Ms, 2)} / ${f(s.probe.p99Ms, 2)} / ${f(s.probe.maxMs, 2)} ms |`,
      `| deny all ${s.deny.requests} requests over the control API until every client has its answer | ${f(s.deny.seconds, 2)} s (answers: ${Object.entries(s.deny.codes).map(([k, v]) => `${k} x${v}`).join(', ')}) |`,
      '',
    );
    if (s.errors.length > 0) lines.push('Errors seen: ' + s.errors.map((e) => `\`${e}\``).join('; '), '');
  } else lines.push('Not run.', '');

  lines.push('## Start-up time to ready', '');
  if (results.startup) {
    lines.push(
      `\`node dist/cmd/airlock.js serve\` with the bench config until \`/readyz\` answers 200 and the PostgreSQL port accepts: median ${f(results.startup.medianMs, 0)} ms of ${results.startup.runsMs.length} (${results.startup.runsMs.map((x) => x.toFixed(0)).join(', ')} ms).`,
      '',
    );
  } else lines.push('Not run.', '');

  lines.push('## Classification cache', '');
  const c = results.classifier;
  if (c) {
    lines.push(
      `\`classify()\` of a statement already cached by exact text (10,000 entries, cycled): ${f(c.hitNs / 1000, 3)} µs; the same text again and again: ${f(c.hotHitNs / 1000, 3)} µs. ` +
        (c.shapeHitNs !== undefined
          ? `A known statement with new literals (\`-M simple\` sends a new aid every time), answered by its literal shape: ${f(c.shapeHitNs / 1000, 3)} µs. `
          : '') +
        `A miss (parse with libpg-query + analysis + insert): ${f(c.missUs.select, 1)} µs for the pgbench SELECT, ${f(c.missUs.tpcbUpdate, 1)} µs for the TPC-B UPDATE. ` +
        'A connection parses each statement of `-M prepared` once; with `-M simple` each statement shape is parsed once (see docs/sql-classification.md, Cache).',
      '',
    );
  } else lines.push('Not run.', '');

  lines.push('## Approval round trip', '');
  if (results.approvalRoundtrip) lines.push(...approvalRoundtrip(results.approvalRoundtrip)); else lines.push('No `bench/results/approval-roundtrip-*.json` yet (`bench/approval-roundtrip.ts` writes it).', '');

  const profiles = results.profiles ?? (results.profile ? [results.profile] : []);
  lines.push('## Where Airlock spends its CPU', '');
  lines.push(...breakdownSection(results.cpuBreakdown));
  if (profiles.length > 0) {
    for (const p of profiles) lines.push(...profileSection(p));
    lines.push(
      "V8's sampler measures wall time on the main thread: `writeBuffer` (the socket write(2)) includes the time the thread is " +
        'descheduled when its write wakes PostgreSQL or pgbench on a busy core. The proxy CPU table above is the CPU measure.',
      '',
    );
  } else if (!results.cpuBreakdown?.length) lines.push('Not run.', '');

  if (results.errors.length > 0) lines.push('## Errors during the run', '', ...results.errors.map((e) => `- ${e}`), '');
  return `${lines.join('\n')}\n`;
}
