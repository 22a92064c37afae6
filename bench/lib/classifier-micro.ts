// Micro-benchmark of the SQL classifier as built (dist/): a cache hit, and a
// miss (parse with the real PostgreSQL parser + analysis + insert).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './stats.js';

interface Classifier {
  classify(sql: string): unknown;
}
interface ClassifierModule {
  createSqlClassifier(options?: { cacheSize?: number }): Promise<Classifier>;
}

export interface ClassifierResult {
  /** ns per classify() of a text already in the cache (10,000 entries, cycled). */
  readonly hitNs: number;
  /** ns per classify() of the same text over and over. */
  readonly hotHitNs: number;
  /** µs per classify() of a new text (pgbench -S -M simple: every aid is a new text). */
  readonly missUs: { readonly select: number; readonly tpcbUpdate: number };
}

function timePerCall(calls: number, fn: (i: number) => void): number {
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn(i);
    runs.push(Number(process.hrtime.bigint() - t0) / calls);
  }
  return median(runs);
}

export async function runClassifierMicro(repoRoot: string): Promise<ClassifierResult> {
  const mod = (await import(pathToFileURL(join(repoRoot, 'dist/src/classifiers/sql/index.js')).href)) as ClassifierModule;
  const select = (aid: number) => `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`;
  const update = (aid: number) => `UPDATE pgbench_accounts SET abalance = abalance + ${aid % 5000} WHERE aid = ${aid};`;

  const cached = await mod.createSqlClassifier({ cacheSize: 10_000 });
  const texts = Array.from({ length: 10_000 }, (_, i) => select(i + 1));
  for (const t of texts) cached.classify(t);
  const hitNs = timePerCall(200_000, (i) => cached.classify(texts[(i * 7919) % texts.length] as string));
  const one = select(42);
  // Fewer calls: a repeated hit can cost tens of µs (see the report), and 200,000 of those would take a minute.
  const hotHitNs = timePerCall(20_000, () => cached.classify(one));

  const fresh = await mod.createSqlClassifier({ cacheSize: 10_000 });
  let n = 1_000_000;
  const missSelect = timePerCall(4000, () => fresh.classify(select(n++))) / 1000;
  const missUpdate = timePerCall(4000, () => fresh.classify(update(n++))) / 1000;
  return { hitNs, hotHitNs, missUs: { select: missSelect, tpcbUpdate: missUpdate } };
}
