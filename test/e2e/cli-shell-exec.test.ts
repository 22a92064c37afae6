import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestAirlock } from '../support/airlock-instance.js';
import { spawnProgram } from '../support/pg-clients.js';
import { waitFor } from '../support/services.js';
import { requirePrograms, TmuxSession } from '../support/ssh-clients.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

const CLI = [process.execPath, '--import', 'tsx', resolve('cmd/airlock.ts')];

function heldId(text: string): string | null {
  return /held for approval \(id ([^)]+)\)/.exec(text)?.[1] ?? null;
}

// `airlock exec` and `airlock shell`: the real CLI process over the WebSocket
// terminal, with only the control URL and a token; approvals by another user.
describe('e2e: airlock exec and airlock shell', () => {
  let airlock: Instance;
  let env: NodeJS.ProcessEnv;
  let bob: string;
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-cli-shell-'));

  before(async () => {
    airlock = await startTestAirlock(`
control: { listen: "127.0.0.1:0" }
shell: { enabled: true, listen: "127.0.0.1:0", notice_interval: 1s }
targets:
  - { name: box, protocol: shell, command: [/bin/bash, --noprofile, --norc], cwd: ${scratch} }
  - { name: other, protocol: shell, command: [/bin/sh], cwd: ${scratch} }
policy:
  defaults: { low: allow, medium: allow, high: { approval: { approvers: approvers, count: 1 } }, critical: { approval: { approvers: approvers, count: 1 } } }
`);
    env = { ...process.env, AIRLOCK_URL: airlock.url, AIRLOCK_TOKEN: await airlock.token('alice', ['engineers']) };
    bob = await airlock.token('bob', ['approvers']);
  });
  after(async () => {
    await airlock?.shutdown('test done');
    rmSync(scratch, { recursive: true, force: true });
  });

  const exec = (args: string[], input?: string) => spawnProgram(CLI[0] as string, [...CLI.slice(1), 'exec', 'box', '--', ...args], env, input);

  async function decide(id: string, decision: 'approve' | 'deny'): Promise<number> {
    const headers = { authorization: `Bearer ${bob}`, 'content-type': 'application/json' };
    const view = (await (await fetch(`${airlock.url}/v1/approvals/${id}`, { headers })).json()) as { action: { hash: string } };
    const response = await fetch(`${airlock.url}/v1/approvals/${id}/${decision}`, { method: 'POST', headers, body: JSON.stringify({ action_hash: view.action.hash, reason: 'e2e' }) });
    return response.status;
  }

  function victim(name: string): string {
    const dir = join(scratch, `${name}-${Math.random().toString(36).slice(2, 8)}`);
    mkdirSync(join(dir, 'inner'), { recursive: true });
    return dir;
  }

  it('airlock exec box -- ls runs and returns exit code 0 with the output', async () => {
    mkdirSync(join(scratch, 'listed-by-cli'), { recursive: true });
    const result = await exec(['ls']).done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /listed-by-cli/);
    assert.equal(result.stderr, '');
  });

  it("airlock exec box -- sh -c 'exit 7' returns 7; stdin and stderr are piped", async () => {
    const seven = await exec(['sh', '-c', 'exit 7']).done;
    assert.equal(seven.code, 7, seven.stderr);
    const piped = await exec(['sh', '-c', 'tr a-z A-Z; echo err >&2'], 'through the pipe\n').done;
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'THROUGH THE PIPE\n');
    assert.equal(piped.stderr, 'err\n');
  });

  it('runs exactly the argv given: quotes, dollars and semicolons are not reinterpreted', async () => {
    const args = ["it's", '$HOME', 'a; touch pwned', '$(id)', '*', ''];
    const result = await exec(['printf', '[%s]\\n', ...args]).done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, args.map((a) => `[${a}]\n`).join(''));
    assert.equal(existsSync(join(scratch, 'pwned')), false);
  });

  it('rm -rf is held with progress on stderr, approved by another user, runs exactly once; exit 0', async () => {
    const dir = victim('approved');
    const run = exec(['rm', '-rf', dir]);
    await waitFor(() => heldId(run.stderr) !== null, 15_000, 'the hold notice on stderr');
    assert.match(run.stderr, /airlock: waiting for approval/);
    assert.ok(existsSync(dir), 'nothing runs while held');
    assert.equal(await decide(heldId(run.stderr) as string, 'approve'), 200);
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(existsSync(dir), false);
    // The approval was consumed once: approving again does not run it again.
    assert.notEqual(await decide(heldId(result.stderr) as string, 'approve'), 200);
  });

  it('a denial leaves the directory, says why on stderr, and exits non-zero', async () => {
    const dir = victim('denied');
    const run = exec(['rm', '-rf', dir]);
    await waitFor(() => heldId(run.stderr) !== null, 15_000, 'the hold notice on stderr');
    assert.equal(await decide(heldId(run.stderr) as string, 'deny'), 200);
    const result = await run.done;
    assert.equal(result.code, 126);
    assert.match(result.stderr, /airlock: denied: .*decided by bob/);
    assert.ok(existsSync(join(dir, 'inner')));
  });

  it('SIGINT while held withdraws the command (exit 130); nothing runs', async () => {
    const dir = victim('interrupted');
    const run = exec(['rm', '-rf', dir]);
    await waitFor(() => heldId(run.stderr) !== null, 15_000, 'the hold notice on stderr');
    run.child.kill('SIGINT');
    const result = await run.done;
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /withdrawn; nothing was run/);
    assert.ok(existsSync(join(dir, 'inner')));
  });

  it('names the targets when asked for an unknown one, and refuses a bad token', async () => {
    const missing = await spawnProgram(CLI[0] as string, [...CLI.slice(1), 'exec', 'nope', '--', 'true'], env).done;
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no target nope; targets: box \(shell\), other \(shell\)/);
    const bad = await spawnProgram(CLI[0] as string, [...CLI.slice(1), 'exec', 'box', '--', 'true'], { ...env, AIRLOCK_TOKEN: 'not.a.jwt' }).done;
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /airlock: /);
  });

  it('airlock shell --help and airlock exec --help describe them', async () => {
    const help = await spawnProgram(CLI[0] as string, [...CLI.slice(1), 'exec', '--help'], env).done;
    assert.equal(help.code, 0);
    assert.match(help.stdout, /quoted for bash/);
  });

  describe('airlock shell in tmux', () => {
    let tmux: TmuxSession | null = null;
    after(async () => tmux?.kill());

    it('echo runs; a risky line is held and Ctrl-C withdraws it; exit 3 returns 3 and the terminal is restored', async (t) => {
      if (!requirePrograms(t, ['tmux'])) return;
      const command = `cd ${resolve('.')} && ${CLI.join(' ')} shell box; echo "cli-exit=$?"; stty -a | grep -o -- '-icanon\\|icanon' | head -1; sleep 60`;
      tmux = await TmuxSession.start(join(scratch, 'tmux.sock'), 'cli', command, { AIRLOCK_URL: airlock.url, AIRLOCK_TOKEN: env.AIRLOCK_TOKEN as string });
      const screen = () => (tmux as TmuxSession).screen();
      await waitFor(async () => /^box:\S*[$#]/m.test(await screen()), 20_000, 'the shell prompt');

      await tmux.type('echo hel""lo', 'Enter');
      await waitFor(async () => /^hello$/m.test(await screen()), 10_000, 'echo output');

      const dir = victim('tty-withdrawn');
      await tmux.type(`rm -rf ${dir}`, 'Enter');
      await waitFor(async () => heldId(await screen()) !== null, 10_000, 'the hold notice in the terminal');
      await tmux.type('', 'C-c');
      await waitFor(async () => /airlock: withdrawn; nothing was run/.test(await screen()), 10_000, 'the withdrawal');
      assert.ok(existsSync(join(dir, 'inner')));

      // The window size follows the local terminal's.
      await tmux.resize(100, 40);
      await tmux.type('stty size', 'Enter');
      await waitFor(async () => /^40 100$/m.test(await screen()), 10_000, 'the new window size');

      await tmux.type('exit 3', 'Enter');
      await waitFor(async () => /^cli-exit=3$/m.test(await screen()), 10_000, 'the remote exit status');
      // Raw mode was left: the local terminal is canonical again.
      await waitFor(async () => /^icanon$/m.test(await screen()), 5000, 'the terminal restored');
    });
  });
});
