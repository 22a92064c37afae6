#!/usr/bin/env node
// Runs every test file under test/ with node's own runner (TypeScript through tsx).
// Node 20's --test does not expand globs, so the file list is built here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.AIRLOCK_TEST_CONCURRENCY ?? '2';
// The spec reporter, also when stdout is not a terminal (CI): it repeats every
// failing test with its error after the totals, so the end of a long log says what failed.
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${concurrency}`,
    '--test-timeout=120000',
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, AIRLOCK_TEST: '1' } },
);
process.exit(result.status ?? 1);
