import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AirlockEvent } from '../../src/audit/events.js';
import { startTestAirlock } from '../support/airlock-instance.js';
import { spawnProgram } from '../support/pg-clients.js';
import { loadOrCreateHostKey } from '../../src/protocols/shell/host-key.js';
import { waitFor } from '../support/services.js';
import { requirePrograms, sshArgs, sshExec, TmuxSession } from '../support/ssh-clients.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

// The real composition (src/server.ts) with the SSH gateway, driven by
// OpenSSH's own `ssh` (password typed by sshpass), inside tmux for the
// interactive cases. Approvals are decided by another user through the control API.
describe('e2e: shell targets through plain ssh', () => {
  let airlock: Instance;
  let aliceToken: string;
  let bobToken: string;
  let port: number;
  const events: AirlockEvent[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-shell-e2e-'));

  before(async () => {
    airlock = await startTestAirlock(`
control: { listen: "127.0.0.1:0", admin_groups: [airlock-admins] }
shell: { enabled: true, listen: "127.0.0.1:0", notice_interval: 1s }
targets:
  - name: box
    protocol: shell
    command: [/bin/bash, --noprofile, --norc]
    cwd: ${scratch}
policy:
  defaults:
    low: allow
    medium: allow
    high: { approval: { approvers: approvers, count: 1 } }
    critical: { approval: { approvers: approvers, count: 1 } }
`);
    aliceToken = await airlock.token('alice', ['engineers']);
    bobToken = await airlock.token('bob', ['approvers']);
    port = (airlock.shell as { port: number }).port;
    airlock.bus.on((e) => events.push(e));
  });
  after(async () => {
    await airlock?.shutdown('test done');
    rmSync(scratch, { recursive: true, force: true });
  });

  async function decide(id: string, decision: 'approve' | 'deny'): Promise<number> {
    const headers = { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json' };
    const view = (await (await fetch(`${airlock.url}/v1/approvals/${id}`, { headers })).json()) as { action: { hash: string } };
    const response = await fetch(`${airlock.url}/v1/approvals/${id}/${decision}`, { method: 'POST', headers, body: JSON.stringify({ action_hash: view.action.hash, reason: 'e2e' }) });
    return response.status;
  }

  function airlockCli(...args: string[]) {
    return spawnProgram(process.execPath, ['--import', 'tsx', 'cmd/airlock.ts', ...args], process.env).done;
  }

  function heldId(text: string): string | null {
    return /held for approval \(id ([^)]+)\)/.exec(text)?.[1] ?? null;
  }

  function victim(name: string): string {
    const dir = join(scratch, `${name}-${Math.random().toString(36).slice(2, 8)}`);
    mkdirSync(join(dir, 'inner'), { recursive: true });
    return dir;
  }

  it('exec: ls runs at once and its output and exit status come back', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    mkdirSync(join(scratch, 'listed-here'), { recursive: true });
    const result = await sshExec(port, 'box', aliceToken, 'ls; exit 3').done;
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stdout, /listed-here/);
    assert.equal(result.stderr, '');
  });

  it('exec: rm -rf is held, approved by another user, runs exactly once, and its exit status returns', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    const dir = victim('approved');
    const run = sshExec(port, 'box', aliceToken, `rm -rf ${dir} && echo removed && exit 7`);
    await waitFor(() => heldId(run.stderr) !== null, 10_000, 'the hold notice on stderr');
    assert.ok(existsSync(dir), 'nothing runs while held');
    assert.match(run.stderr, /Ctrl-C or disconnecting withdraws it/);
    assert.equal(await decide(heldId(run.stderr) as string, 'approve'), 200);
    const result = await run.done;
    assert.equal(result.code, 7, result.stderr);
    assert.equal(result.stdout, 'removed\n');
    assert.equal(existsSync(dir), false);
  });

  it('exec: a denial leaves the directory in place, says why on stderr, exit status 126', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    const dir = victim('denied');
    const run = sshExec(port, 'box', aliceToken, `rm -rf ${dir}`);
    await waitFor(() => heldId(run.stderr) !== null, 10_000, 'the hold notice on stderr');
    assert.equal(await decide(heldId(run.stderr) as string, 'deny'), 200);
    const result = await run.done;
    assert.equal(result.code, 126);
    assert.match(result.stderr, /airlock: denied: .*decided by bob/);
    assert.ok(existsSync(join(dir, 'inner')));
  });

  it('exec: disconnecting while held withdraws the request; nothing runs', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    const dir = victim('withdrawn');
    const run = sshExec(port, 'box', aliceToken, `rm -rf ${dir}`);
    await waitFor(() => heldId(run.stderr) !== null, 10_000, 'the hold notice on stderr');
    const id = heldId(run.stderr) as string;
    run.child.kill('SIGTERM');
    await run.done;
    await waitFor(async () => (await decide(id, 'approve')) !== 200, 5000, 'the request to be withdrawn');
    assert.ok(existsSync(dir));
  });

  it('exec with a terminal (ssh -tt): runs on a PTY and its exit status returns', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    const result = await sshExec(port, 'box', aliceToken, 'test -t 0 && echo on-a-tty; exit 4', ['-tt']).done;
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stdout, /on-a-tty/);
  });

  it('keyboard-interactive: the token typed at the Airlock prompt logs in', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    const args = sshArgs(port, 'box').map((a) => (a === 'PreferredAuthentications=password' ? 'PreferredAuthentications=keyboard-interactive' : a));
    const run = spawnProgram('sshpass', ['-e', '-P', 'Airlock token', 'ssh', ...args, 'echo via-kbd'], { ...process.env, SSHPASS: aliceToken });
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'via-kbd\n');
  });

  it('GET /v1/targets says where to ssh and which host key to expect (the one ssh sees)', async () => {
    const response = await fetch(`${airlock.url}/v1/targets`, { headers: { authorization: `Bearer ${aliceToken}` } });
    const { targets } = (await response.json()) as { targets: Array<Record<string, unknown>> };
    const box = targets.find((x) => x['name'] === 'box');
    assert.deepEqual(box, { name: 'box', protocol: 'shell', host: '127.0.0.1', port, host_key_fingerprint: loadOrCreateHostKey(airlock.dataDir).fingerprint, websocket_url: `${airlock.url.replace(/^http/, 'ws')}/v1/shell/box` });
  });

  it('refuses a wrong token and an unknown target', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    const wrong = await sshExec(port, 'box', 'not-a-token', 'true').done;
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /Permission denied/);
    const unknown = await sshExec(port, 'nowhere', aliceToken, 'true').done;
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /Permission denied/);
  });

  it('refuses port forwarding and subsystems, and the session goes on', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    const forwarded = await sshExec(port, 'box', aliceToken, 'echo still-here', ['-o', 'ExitOnForwardFailure=no', '-R', '0:127.0.0.1:9']).done;
    assert.equal(forwarded.code, 0, forwarded.stderr);
    assert.equal(forwarded.stdout, 'still-here\n');
    const sub = await sshExec(port, 'box', aliceToken, 'netconf', ['-s']).done;
    assert.equal(sub.code, 1);
    assert.match(sub.stderr, /airlock: the netconf subsystem is not available/);
  });

  it('revocation through the control API ends a running session within a second, with the reason, and refuses the next login', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    const carol = await airlock.token('carol', ['engineers']);
    const admin = await airlock.token('root', ['airlock-admins']);
    const run = sshExec(port, 'box', carol, 'echo started; sleep 30');
    await waitFor(() => run.stdout.includes('started'), 10_000, 'the command to start');
    const started = Date.now();
    const response = await fetch(`${airlock.url}/v1/revocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'subject', id: 'carol', reason: 'laptop stolen' }),
    });
    assert.equal(response.status, 201);
    const result = await run.done;
    assert.ok(Date.now() - started < 1000, `ended after ${Date.now() - started} ms`);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /airlock: .*laptop stolen/);
    const again = await sshExec(port, 'box', carol, 'true').done;
    assert.match(again.stderr, /Permission denied/);
  });

  it('exec: standard input reaches the command', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    const run = spawnProgram('sshpass', ['-e', 'ssh', ...sshArgs(port, 'box'), 'tr a-z A-Z'], { ...process.env, SSHPASS: aliceToken }, 'piped through\n');
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'PIPED THROUGH\n');
  });

  it('a shell without a terminal (ssh -T) is refused with a message: its lines could not be gated one by one', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    const run = spawnProgram('sshpass', ['-e', 'ssh', '-T', ...sshArgs(port, 'box')], { ...process.env, SSHPASS: aliceToken }, 'rm -rf /tmp/never\n');
    const result = await run.done;
    assert.equal(result.code, 1);
    assert.match(result.stderr, /airlock: an interactive shell needs a terminal/);
  });

  it('exec requests are recorded too; no token typed at login is in any recording', async () => {
    await waitFor(() => events.some((e) => e.type === 'session.recorded' && e.data?.['kind'] === 'exec'), 10_000, 'an exec recording');
    const dir = join(airlock.dataDir, 'recordings');
    const files = readdirSync(dir);
    assert.ok(files.length >= 5, files.join(', '));
    for (const name of files) {
      const text = readFileSync(join(dir, name), 'utf8');
      assert.equal(text.includes(aliceToken), false, `${name} holds the token`);
    }
    const removed = events.find((e) => e.type === 'session.recorded' && e.data?.['kind'] === 'exec' && readFileSync(e.data?.['file'] as string, 'utf8').includes('removed'));
    assert.ok(removed, 'the approved exec request\'s output is recorded');
    const markers = (await airlockCli('replay', '--markers', removed.data?.['file'] as string)).stdout;
    assert.match(markers, /held for approval .*\n.*approved by bob/);
  });

  it('decisions on shell commands are in the audit log with the command and who decided', async () => {
    const records = readFileSync(join(airlock.dataDir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const shellRecords = records.filter((r) => JSON.stringify(r).includes('"shell"'));
    assert.ok(shellRecords.some((r) => JSON.stringify(r).includes('approved-') && JSON.stringify(r).includes('bob')), JSON.stringify(shellRecords.slice(0, 3)));
  });

  describe('interactive (ssh -t inside tmux)', () => {
    let tmux: TmuxSession | null = null;
    after(async () => tmux?.kill());

    it('echo runs; rm -rf is held, then approved and run once; a denial shows the reason; Ctrl-C withdraws', async (t) => {
      if (!requirePrograms(t, ['ssh', 'sshpass', 'tmux'])) return;
      const ssh = `${['sshpass', '-e', 'ssh', '-t', ...sshArgs(port, 'box')].join(' ')}; echo "ssh-exit=$?"; sleep 60`;
      tmux = await TmuxSession.start(join(scratch, 'tmux.sock'), 'airlock', ssh, { SSHPASS: aliceToken });
      const screen = () => (tmux as TmuxSession).screen();
      await waitFor(async () => /^box:\S*[$#]/m.test(await screen()), 15_000, 'the shell prompt');

      await tmux.type('echo hel""lo', 'Enter');
      await waitFor(async () => /^hello$/m.test(await screen()), 10_000, 'echo output');

      const approved = victim('tty-approved');
      await tmux.type(`rm -rf ${approved}`, 'Enter');
      await waitFor(async () => heldId(await screen()) !== null, 10_000, 'the hold notice in the terminal');
      assert.ok(existsSync(approved));
      assert.equal(await decide(heldId(await screen()) as string, 'approve'), 200);
      await waitFor(() => !existsSync(approved), 10_000, 'the approved rm to run');

      // A line typed in parts (open quote) is collected until complete, then judged whole.
      await tmux.type('echo "multi', 'Enter');
      await tmux.type('line"', 'Enter');
      await waitFor(async () => /^line$/m.test(await screen()), 10_000, 'the continued line to run');

      const denied = victim('tty-denied');
      await tmux.type('clear', 'Enter');
      await waitFor(async () => !(await screen()).includes('held for approval'), 10_000, 'the screen to clear');
      await tmux.type(`rm -rf ${denied}`, 'Enter');
      await waitFor(async () => heldId(await screen()) !== null, 10_000, 'the second hold notice');
      assert.equal(await decide(heldId(await screen()) as string, 'deny'), 200);
      await waitFor(async () => /airlock: denied: .*decided by bob/.test(await screen()), 10_000, 'the denial in the terminal');
      assert.ok(existsSync(join(denied, 'inner')));

      await tmux.type('clear', 'Enter');
      await waitFor(async () => !(await screen()).includes('airlock: denied'), 10_000, 'the screen to clear');
      await tmux.type(`rm -rf ${denied}`, 'Enter');
      await waitFor(async () => heldId(await screen()) !== null, 10_000, 'the third hold notice');
      await tmux.type('', 'C-c');
      await waitFor(async () => /airlock: withdrawn; nothing was run/.test(await screen()), 10_000, 'the withdrawal');
      assert.ok(existsSync(join(denied, 'inner')));

      // Keys typed while a program runs go to it raw; the shell is still gated afterwards.
      await tmux.type('read -r answer; echo "got:$answer"', 'Enter');
      await tmux.type('typed-raw', 'Enter');
      await waitFor(async () => /^got:typed-raw$/m.test(await screen()), 10_000, 'the raw input to reach read');

      // Ctrl-C while a program runs reaches it (raw), and the next line is gated again.
      await tmux.type('clear', 'Enter');
      await waitFor(async () => /^box:\S*[$#]\s*$/.test((await screen()).trim()), 10_000, 'the prompt on a clear screen');
      await tmux.type('sleep 30; echo not-interrupted', 'Enter');
      await waitFor(async () => (await screen()).includes('sleep 30'), 10_000, 'sleep to start');
      await tmux.type('', 'C-c');
      await waitFor(async () => /^box:\S*[$#]\s*$/m.test((await screen()).trimEnd().split('\n').at(-1) ?? ''), 10_000, 'the prompt after Ctrl-C');
      assert.equal(/^not-interrupted$/m.test(await screen()), false);

      // The window size follows the client's.
      await (tmux as TmuxSession).resize(100, 40);
      await tmux.type('stty size', 'Enter');
      await waitFor(async () => /^40 100$/m.test(await screen()), 10_000, 'the new window size');

      // Lines typed while a command runs, which it does not read, are offered at the next prompt and checked there.
      await tmux.type('sleep 1', 'Enter');
      await tmux.type('echo typed-ahead', 'Enter');
      await waitFor(async () => /^typed-ahead$/m.test(await screen()), 10_000, 'the typed-ahead echo to run');
      await tmux.type('clear', 'Enter');
      await waitFor(async () => /^box:\S*[$#]\s*$/.test((await screen()).trim()), 10_000, 'the prompt on a clear screen');
      await tmux.type('sleep 1', 'Enter');
      await tmux.type(`rm -rf ${denied}`, 'Enter');
      await waitFor(async () => heldId(await screen()) !== null, 10_000, 'the typed-ahead rm to be held');
      await tmux.type('', 'C-c');
      await waitFor(async () => /airlock: withdrawn; nothing was run/.test(await screen()), 10_000, 'its withdrawal');
      assert.ok(existsSync(join(denied, 'inner')));

      // Ctrl-U erases what was typed; nothing of it runs.
      await tmux.type(`touch ${join(scratch, 'erased')}`, 'C-u');
      await tmux.type('exit 5', 'Enter');
      await waitFor(async () => /^ssh-exit=5$/m.test(await screen()), 10_000, 'the remote exit status');
      assert.equal(existsSync(join(scratch, 'erased')), false);

      // The session was recorded: the audit event names the file and its SHA-256, and `airlock replay` plays it back.
      await waitFor(() => events.some((e) => e.type === 'session.recorded' && e.data?.['kind'] === 'shell'), 10_000, 'the session.recorded event');
      const recorded = events.find((e) => e.type === 'session.recorded' && e.data?.['kind'] === 'shell') as AirlockEvent;
      assert.equal(recorded.subject, 'alice');
      assert.equal(recorded.target, 'box');
      const file = recorded.data?.['file'] as string;
      assert.equal(file, join(airlock.dataDir, 'recordings', `${recorded.sessionId}.cast`));
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(join(airlock.dataDir, 'recordings')).mode & 0o777, 0o700);
      const bytes = readFileSync(file);
      assert.equal(recorded.data?.['bytes'], bytes.length);
      assert.equal(recorded.data?.['sha256'], createHash('sha256').update(bytes).digest('hex'));
      const auditLine = () => readFileSync(join(airlock.dataDir, 'audit.log'), 'utf8').split('\n').find((l) => l.includes('"session.recorded"') && l.includes(recorded.sessionId as string));
      await waitFor(() => auditLine() !== undefined, 10_000, 'the session.recorded audit line');
      assert.ok(String(auditLine()).includes(createHash('sha256').update(bytes).digest('hex')), 'the audit line carries the file\'s SHA-256');

      const played = await airlockCli('replay', '--max-idle', '0', '--verify', recorded.data?.['sha256'] as string, file);
      assert.equal(played.code, 0, played.stderr);
      assert.match(played.stdout, /^hello\r?$/m);
      assert.match(played.stdout, /got:typed-raw/);
      assert.match(played.stdout, /typed-ahead/);
      assert.match(played.stdout, /airlock: withdrawn; nothing was run/);
      const markers = (await airlockCli('replay', '--markers', file)).stdout;
      assert.match(markers, new RegExp(`held for approval \\(id \\S+\\): rm -rf ${approved}`));
      assert.match(markers, new RegExp(`approved by bob \\(id \\S+\\): rm -rf ${approved}`));
      assert.match(markers, new RegExp(`denied by bob \\(id \\S+\\): .*rm -rf ${denied}`));
      assert.match(markers, new RegExp(`withdrawn \\(id \\S+\\): rm -rf ${denied}`));
      assert.match(markers, /allowed \(low risk, policy\): echo hel""lo/);
      // Input: the lines Airlock checked; raw keys typed while a program ran are not recorded by default.
      const inputs = (await airlockCli('replay', '--json', file)).stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => JSON.parse(l) as { code: string; data: string })
        .filter((e) => e.code === 'i')
        .map((e) => e.data);
      assert.ok(inputs.includes('echo hel""lo\n'), JSON.stringify(inputs));
      assert.ok(inputs.includes('echo "multi\nline"\n'), JSON.stringify(inputs));
      assert.equal(inputs.some((i) => i.includes('typed-raw')), false, 'raw input is not recorded with record_input: lines');
    });

    it('vim then :wq works through raw mode, and the prompt is gated again afterwards', async (t) => {
      if (!requirePrograms(t, ['ssh', 'sshpass', 'tmux', 'vim'])) return;
      const ssh = `${['sshpass', '-e', 'ssh', '-t', ...sshArgs(port, 'box')].join(' ')}; echo "ssh-exit=$?"; sleep 60`;
      const session = await TmuxSession.start(join(scratch, 'tmux-vim.sock'), 'vim', ssh, { SSHPASS: aliceToken });
      try {
        const screen = () => session.screen();
        await waitFor(async () => /^box:\S*[$#]/m.test(await screen()), 15_000, 'the shell prompt');
        const file = join(scratch, 'edited.txt');
        await session.type(`vim -u NONE ${file}`, 'Enter');
        await waitFor(async () => (await screen()).includes('edited.txt'), 10_000, 'vim to start');
        await session.type('iwritten in vim', 'Escape');
        await session.type(':wq', 'Enter');
        // Wait for vim to leave: keys it reads while exiting are its own, as on any terminal.
        let lastScreen = '';
        await waitFor(
          async () => /^box:\S*[$#]\s*$/.test((lastScreen = await screen()).trimEnd().split('\n').at(-1) ?? ''),
          10_000,
          'the prompt after vim',
        ).catch((err: unknown) => {
          throw new Error(`${err instanceof Error ? err.message : String(err)}; the screen was:\n${lastScreen}`);
        });
        await session.type(`cat ${file}`, 'Enter');
        await waitFor(async () => /^written in vim$/m.test(await screen()), 10_000, 'the file vim wrote');
        const dir = victim('after-vim');
        await session.type(`rm -rf ${dir}`, 'Enter');
        await waitFor(async () => heldId(await screen()) !== null, 10_000, 'the hold after vim');
        assert.ok(existsSync(dir));
      } finally {
        await session.kill();
      }
    });
  });
});

describe('e2e: shell targets at shutdown', () => {
  it('a command held when Airlock shuts down is denied with the reason and never runs', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    const scratch = mkdtempSync(join(tmpdir(), 'airlock-shell-stop-'));
    const airlock = await startTestAirlock(`
shell: { enabled: true, listen: "127.0.0.1:0" }
targets:
  - { name: box, protocol: shell, cwd: ${scratch} }
`);
    try {
      const dir = join(scratch, 'kept');
      mkdirSync(join(dir, 'inner'), { recursive: true });
      const token = await airlock.token('alice', ['engineers']);
      const run = sshExec((airlock.shell as { port: number }).port, 'box', token, `rm -rf ${dir}`);
      await waitFor(() => /held for/.test(run.stderr), 10_000, 'the hold notice');
      await airlock.shutdown('test shutdown');
      const result = await run.done;
      assert.equal(result.code, 126, result.stderr);
      assert.match(result.stderr, /airlock: denied: .*restarting/);
      assert.ok(existsSync(join(dir, 'inner')));
    } finally {
      await airlock.shutdown('test done');
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('e2e: shell sessions that cannot be recorded', () => {
  it('required (the default): refused with a message, nothing runs; not required: the session goes on unrecorded', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass'])) return;
    const scratch = mkdtempSync(join(tmpdir(), 'airlock-shell-norec-'));
    // A file where the recordings directory should be: nothing can be created under it.
    const blocked = join(scratch, 'not-a-directory');
    writeFileSync(blocked, '');
    const airlock = await startTestAirlock(`
shell: { enabled: true, listen: "127.0.0.1:0", recording: { dir: ${blocked} } }
targets:
  - { name: box, protocol: shell, cwd: ${scratch} }
  - { name: loose, protocol: shell, cwd: ${scratch}, recording: { required: false } }
`);
    try {
      const token = await airlock.token('alice', ['engineers']);
      const port = (airlock.shell as { port: number }).port;
      const marker = join(scratch, 'ran');
      const refused = await sshExec(port, 'box', token, `touch ${marker}`).done;
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /airlock: this session cannot be recorded, and recording is required: refused/);
      assert.equal(existsSync(marker), false);
      const loose = await sshExec(port, 'loose', token, `touch ${marker} && echo unrecorded`).done;
      assert.equal(loose.code, 0, loose.stderr);
      assert.equal(loose.stdout, 'unrecorded\n');
    } finally {
      await airlock.shutdown('test done');
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
