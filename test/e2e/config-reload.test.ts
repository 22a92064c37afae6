import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type AirlockProcess, ReplicaGroup } from '../support/airlock-process.js';
import { requirePostgres, waitFor } from '../support/services.js';

// A real `airlock serve` process and real writes to its config file: a bad, empty, cut-off or
// half-written file never replaces the running policy; SIGHUP and the watcher reload once.
describe('e2e: config reload never replaces a good policy with a bad one', () => {
  let group: ReplicaGroup;
  let solo: AirlockProcess;
  let original: string;

  before(async () => {
    group = new ReplicaGroup();
  });
  after(async () => group?.close());

  const lines = (type: string) => solo.audit().filter((l) => l.type === type);

  it('refuses an empty file, a cut-off file and one that drops rules; applies a good one once (watcher + SIGHUP)', { timeout: 120_000 }, async (t) => {
    if (!(await requirePostgres(t))) return;
    solo = await group.start('solo');
    original = readFileSync(solo.configFile, 'utf8');

    // `> file` (an editor's first step, or a truncation): empty.
    writeFileSync(solo.configFile, '');
    await waitFor(() => lines('config.reload_failed').length === 1, 15_000, 'the refused empty file');
    assert.match(String(lines('config.reload_failed')[0]?.reason), /must serve at least one target/);

    // The first lines of the real file: valid YAML, but the policy rules are gone.
    const cut = original.slice(0, original.indexOf('  rules:'));
    writeFileSync(solo.configFile, cut);
    await waitFor(() => lines('config.reload_failed').length === 2, 15_000, 'the refused cut-off file');
    assert.match(String(lines('config.reload_failed')[1]?.reason), /would remove policy rule\(s\) drop-and-truncate-need-approval/);
    assert.equal(lines('config.reloaded').length, 0, 'the running policy was never replaced');

    // The same file again plus a new rule, written in two parts (a slow editor): one reload, of the whole file.
    const extended = `${original}    - id: selects-are-fine\n      match: { protocols: [postgres], kinds: [select] }\n      require: allow\n`;
    const half = Math.floor(extended.length / 2);
    writeFileSync(solo.configFile, extended.slice(0, half));
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(solo.configFile, extended);
    await waitFor(() => lines('config.reloaded').length === 1, 15_000, 'the reload');
    assert.equal(lines('config.reloaded')[0]?.data?.['rules'], 2);

    // SIGHUP after the watcher already applied it: nothing new, so no second reload.
    process.kill(solo.pid as number, 'SIGHUP');
    const marker = `${extended}# touched\n`;
    writeFileSync(solo.configFile, marker);
    await waitFor(() => lines('config.reloaded').length >= 2, 15_000, 'the next reload');
    assert.equal(lines('config.reloaded').length, 2, 'the SIGHUP of an applied file did not reload it again');
    // A writer that pauses longer than the settle time mid-file (a loaded machine) gets its half refused, never applied.
    for (const failed of lines('config.reload_failed').slice(2)) assert.match(String(failed.reason), /would remove|YAML|must serve/);

    // A deliberate removal says so in the file.
    writeFileSync(solo.configFile, `${cut}reload: { allow_removals: true }\n`);
    await waitFor(() => lines('config.reloaded').length === 3, 15_000, 'the allowed removal');
    assert.equal(lines('config.reloaded')[2]?.data?.['rules'], 0);
  });
});
