#!/usr/bin/env node
// `npm start` builds only when something changed: a full TypeScript build takes
// 8 s on an idle machine and a minute on a loaded one, for no change at all.
// Up to date means dist/.build-stamp is newer than every source and build input.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = join('dist', '.build-stamp');
const INPUTS = ['src', 'cmd', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

const stampTime = existsSync(STAMP) ? statSync(STAMP).mtimeMs : -1;
const sourceTime = Math.max(...INPUTS.filter((p) => existsSync(p)).map(newest));
if (stampTime > sourceTime && existsSync(join('dist', 'cmd', 'airlock.js'))) {
  process.stderr.write('airlock: build is up to date\n');
  process.exit(0);
}
process.stderr.write('airlock: building (tsc)...\n');
const started = Date.now();
const result = spawnSync(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
process.stderr.write(`airlock: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
