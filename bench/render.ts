// Regenerates bench/RESULTS.md from a results file without re-running anything
// (e.g. after bench/approval-roundtrip.ts wrote new figures).
// Usage: node --import tsx bench/render.ts bench/results/<date>-<host>.json
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderMarkdown } from './lib/report.js';
import { writeReportKeepingSections } from './lib/results-sections.js';
import type { BenchResults } from './lib/results.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node --import tsx bench/render.ts bench/results/<date>-<host>.json\n');
  process.exit(2);
}
const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
// Pick up the newest approval round trip, which another script writes.
const roundtrips = readdirSync(join(repoRoot, 'bench/results')).filter((f) => /^approval-roundtrip-.*\.json$/.test(f)).sort();
const latest = roundtrips.at(-1);
const approvalRoundtrip = latest ? { file: `bench/results/${latest}`, data: JSON.parse(readFileSync(join(repoRoot, 'bench/results', latest), 'utf8')) as unknown } : results.approvalRoundtrip;
writeReportKeepingSections(join(repoRoot, 'bench/RESULTS.md'), renderMarkdown({ ...results, approvalRoundtrip }));
process.stdout.write('wrote bench/RESULTS.md\n');
