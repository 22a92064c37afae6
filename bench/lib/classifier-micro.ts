// Micro-benchmark of the SQL classifier as built (dist/): a hit by exact text,
// a hit by literal shape (a known statement with new constants), and a miss
// (parse with the real PostgreSQL parser + analysis + proof + insert).
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
  /** ns per classify() of a text already in the exact-text cache (10,000 entries, cycled). */
  readonly hitNs: number;
  /** ns per classify() of the same text over and over. */
  readonly hotHitNs: number;
  /** ns per classify() of a new text of a known literal shape (pgbench -S -M simple: every aid is a new text). */
  readonly shapeHitNs?: number;
  /** µs per classify() of a statement never seen in any form (a new table name each time). */
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

  // Texts without literals live in the exact-text cache only.
  const exactText = (i: number) => `SELECT abalance FROM pgbench_accounts_${i} WHERE aid = $1`;
  const cached = await mod.createSqlClassifier({ cacheSize: 10_000 });
  const texts = Array.from({ length: 10_000 }, (_, i) => exactText(i + 1));
  for (const t of texts) cached.classify(t);
  const hitNs = timePerCall(200_000, (i) => cached.classify(texts[(i * 7919) % texts.length] as string));
  const one = exactText(42);
  const hotHitNs = timePerCall(200_000, () => cached.classify(one));
  cached.classify(select(1));
  const shapeHitNs = timePerCall(200_000, (i) => cached.classify(select(i + 2)));

  const fresh = await mod.createSqlClassifier({ cacheSize: 10_000 });
  let n = 1_000_000;
  // A new table name is a new shape: the full path, parse and proof included.
  const missSelect = timePerCall(4000, () => fresh.classify(select(1).replace('pgbench_accounts', `pgbench_accounts_${n++}`))) / 1000;
  const missUpdate = timePerCall(4000, () => fresh.classify(update(1).replace(/pgbench_accounts/g, `pgbench_accounts_${n++}`))) / 1000;
  return { hitNs, hotHitNs, shapeHitNs, missUs: { select: missSelect, tpcbUpdate: missUpdate } };
}
