import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestAirlock } from '../support/airlock-instance.js';
import { shellBoxConfig } from '../support/shell-box-config.js';
import { heldApprovalId } from '../support/airlock-process.js';
import { waitFor } from '../support/services.js';
import { requirePrograms, sshArgs, TmuxSession } from '../support/ssh-clients.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

// Attempts to make bash run a line other than the one Airlock judged, each
// checked by its effect on the real shell (a file that must not appear), not
// by what Airlock reports. Even lines an approver lets through cannot switch
// the gate off for the lines after them.
describe('e2e: shell lines that try to get around the gate (ssh -t inside tmux)', () => {
  let airlock: Instance;
  let tmux: TmuxSession | null = null;
  let bobToken: string;
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-evasion-e2e-'));

  before(async () => {
    airlock = await startTestAirlock(shellBoxConfig(scratch));
    bobToken = await airlock.token('bob', ['approvers']);
  });
  after(async () => {
    await tmux?.kill();
    await airlock?.shutdown('test done');
    rmSync(scratch, { recursive: true, force: true });
  });

  async function approve(id: string): Promise<void> {
    const headers = { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json' };
    const view = (await (await fetch(`${airlock.url}/v1/approvals/${id}`, { headers })).json()) as { action: { hash: string } };
    const response = await fetch(`${airlock.url}/v1/approvals/${id}/approve`, { method: 'POST', headers, body: JSON.stringify({ action_hash: view.action.hash }) });
    assert.equal(response.status, 200);
  }

  it('approved attempts to empty or replace the prompt hook fail, and the next risky line is still held', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass', 'tmux'])) return;
    const token = await airlock.token('alice', ['engineers']);
    const port = (airlock.shell as { port: number }).port;
    const ssh = `${['sshpass', '-e', 'ssh', '-t', ...sshArgs(port, 'box')].join(' ')}; sleep 60`;
    tmux = await TmuxSession.start(join(scratch, 'tmux.sock'), 'airlock', ssh, { SSHPASS: token });
    const session = tmux;
    const screen = () => session.screen();
    /** Waits until the screen shows something; on a timeout the error carries the screen. */
    const shows = async (test: (text: string) => boolean, what: string) => {
      try {
        await waitFor(async () => test(await screen()), 10_000, what);
      } catch (err) {
        throw new Error(`${(err as Error).message}; the screen:\n${await screen()}`);
      }
    };
    const clear = async () => {
      await session.type('clear', 'Enter');
      await shows((text) => /^box:\S*[$#]$/.test(text.trim()), 'a clear screen with the prompt');
    };
    await waitFor(async () => /^box:\S*[$#]/m.test(await screen()), 15_000, 'the shell prompt');

    // Each is held (high), then approved as a careless approver might, and must still leave the gate on.
    const tampering = ['PROMPT_COMMAND=', 'declare -n x=PROMPT_COMMAND; x=', '(( PS1=0 )); (( PROMPT_COMMAND=0 ))', 'unset PROMPT_COMMAND PS1', '__airlock_prompt() { :; }'];
    for (const [i, line] of tampering.entries()) {
      await clear();
      await session.type(line, 'Enter');
      await shows((text) => heldApprovalId(text) !== null, `the hold of: ${line}`);
      await approve(heldApprovalId(await screen()) as string);
      await shows((text) => /readonly (variable|function)|cannot unset/.test(text), `bash to refuse: ${line}`);
      const marker = join(scratch, `after-${i}`);
      await session.type(`rm -rf ${marker}`, 'Enter');
      await shows((text) => /held for approval/.test((text).split(`rm -rf ${marker}`)[1] ?? ''), `the next risky line still held after: ${line}`);
      await session.type('', 'C-c');
      await shows((text) => /withdrawn; nothing was run/.test(text), 'the withdrawal');
    }

    // An integer attribute on the hook's variable would make bash evaluate text typed ahead while a program
    // runs (and the $(...) in it) as the hook reads it back; the hook's own variables are local.
    await clear();
    await session.type('declare -i __airlock_line; echo declared', 'Enter');
    await shows((text) => /^declared$/m.test(text), 'the declare to run');
    await session.type('sleep 2; echo slept', 'Enter');
    await shows((text) => /# sleep 2; echo slept\s*$/.test(text), 'the sleep to start');
    await session.type(`a[$(touch ${join(scratch, 'pwned-arith')})]`, 'Enter');
    await shows((text) => /^slept$/m.test(text), 'the sleep to end');
    await shows((text) => /# a\[\$\(touch /.test(text), 'the typed-ahead line offered at the prompt');
    await session.type('', 'C-c');
    assert.equal(existsSync(join(scratch, 'pwned-arith')), false, 'typed-ahead text was never evaluated');

    // `stty kill '#'` would make the terminal drop what was typed before a `#`: bash must get the line as judged.
    await clear();
    await session.type("stty kill '#'; echo kill-set", 'Enter');
    await shows((text) => /^kill-set$/m.test(text), 'stty to change the kill character');
    await session.type(`echo judged #touch ${join(scratch, 'pwned-stty')}`, 'Enter');
    await shows((text) => /^judged$/m.test(text), 'the echo to run whole');
    assert.equal(existsSync(join(scratch, 'pwned-stty')), false, 'the comment stayed a comment');

    // The shell reading its next commands from a file is not an everyday line: held.
    writeFileSync(join(scratch, 'cmds'), `touch ${join(scratch, 'pwned-exec')}\n`);
    await clear();
    await session.type(`exec 0<${join(scratch, 'cmds')}`, 'Enter');
    await shows((text) => heldApprovalId(text) !== null, 'exec <file to be held');
    await session.type('', 'C-c');
    await shows((text) => /withdrawn; nothing was run/.test(text), 'the withdrawal');

    // `..` after a symbolic link: the write lands in the link's target's parent, so it is judged unknown (held).
    await clear();
    await session.type(`ln -s /tmp ${join(scratch, 'link')} && echo linked`, 'Enter');
    await shows((text) => /^linked$/m.test(text), 'the link');
    // Lexically this is a file in the scratch directory; the kernel writes /pwned-dotdot (the parent of /tmp).
    await session.type(`echo x >> ${scratch}/link/../pwned-dotdot`, 'Enter');
    await shows((text) => heldApprovalId(text) !== null, 'the write through .. to be held');
    await session.type('', 'C-c');
    await shows((text) => /withdrawn; nothing was run/.test(text), 'the withdrawal');
    assert.equal(existsSync('/pwned-dotdot'), false);
  });

  it('a line longer than a terminal hands to bash whole is refused, not cut short', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass', 'tmux'])) return;
    const session = tmux as TmuxSession;
    await session.type('clear', 'Enter');
    await waitFor(async () => /^box:\S*[$#]$/.test((await session.screen()).trim()), 10_000, 'a clear screen with the prompt');
    // Pasted in one piece: the editor takes up to 4095 bytes and rings the bell for the rest.
    await session.type(`echo ${'a'.repeat(4100)}; touch ${join(scratch, 'pwned-long')}`, 'Enter');
    try {
      await waitFor(async () => /^a{100,}/m.test(await session.screen()), 10_000, 'the cut echo to run');
    } catch (err) {
      throw new Error(`${(err as Error).message}; the screen:\n${await session.screen()}`);
    }
    assert.equal(existsSync(join(scratch, 'pwned-long')), false);
  });

  it('a state change no line announced (arithmetic evaluating a variable set earlier) makes every later line held', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass', 'tmux'])) return;
    const session = tmux as TmuxSession;
    const screen = () => session.screen();
    await session.type('clear', 'Enter');
    await waitFor(async () => /^box:\S*[$#]$/.test((await screen()).trim()), 10_000, 'a clear screen with the prompt');
    // Each line is low on its own: a string assignment, then arithmetic on a bare name (bash evaluates the value: PATH=0).
    await session.type("v='PATH=0'; echo assigned", 'Enter');
    await waitFor(async () => /^assigned$/m.test(await screen()), 10_000, 'the assignment');
    await session.type('(( v )); echo evaluated', 'Enter');
    await waitFor(async () => /^evaluated$/m.test(await screen()), 10_000, 'the arithmetic');
    assert.equal(heldApprovalId(await screen()), null);
    // Bash's own report at the next prompt says PATH changed: even `ls` is now held.
    await session.type('ls', 'Enter');
    await waitFor(async () => heldApprovalId(await screen()) !== null, 10_000, 'ls to be held once the state is unmodelled');
    const id = heldApprovalId(await screen()) as string;
    const view = (await (await fetch(`${airlock.url}/v1/approvals/${id}`, { headers: { authorization: `Bearer ${bobToken}` } })).json()) as { action: { flags?: string[]; classification?: { flags?: string[] } } };
    assert.match(JSON.stringify(view), /shell_state_unmodelled/);
    await session.type('', 'C-c');
    await waitFor(async () => /withdrawn; nothing was run/.test(await screen()), 10_000, 'the withdrawal');
  });
});
