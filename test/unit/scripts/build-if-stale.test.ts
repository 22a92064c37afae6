import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';

const script = resolve('scripts/build-if-stale.mjs');

/** `npm start` must not rebuild an up-to-date tree (a minute on a loaded machine), and must rebuild a changed one. */
describe('npm start builds only what changed (scripts/build-if-stale.mjs)', () => {
  it('skips the build when dist is newer than every source, and builds after a source changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-build-'));
    for (const sub of ['src', 'cmd', 'dist/cmd']) mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 1;\n');
    writeFileSync(join(dir, 'cmd', 'airlock.ts'), '\n');
    writeFileSync(join(dir, 'dist', 'cmd', 'airlock.js'), '\n');
    const old = new Date(Date.now() - 60_000);
    for (const file of ['src/a.ts', 'src', 'cmd/airlock.ts', 'cmd']) utimesSync(join(dir, file), old, old);
    writeFileSync(join(dir, 'dist', '.build-stamp'), 'now\n');
    const fresh = spawnSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' });
    assert.equal(fresh.status, 0, fresh.stderr);
    assert.match(fresh.stderr, /up to date/);
    // A changed source: it builds (here there is no compiler in the temporary tree, so the build itself fails).
    writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 2;\n');
    const stale = spawnSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' });
    assert.match(stale.stderr, /building/);
    assert.notEqual(stale.status, 0);
  });
});
