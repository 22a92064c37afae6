import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestAirlock } from '../support/airlock-instance.js';
import { shellBoxConfig } from '../support/shell-box-config.js';
import { heldApprovalId } from '../support/airlock-process.js';
import { waitFor } from '../support/services.js';
import { requirePrograms, sshArgs, TmuxSession } from '../support/ssh-clients.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

// Airlock's own line editor at bash's prompt, driven through OpenSSH in tmux
// (a real terminal): cursor keys, history and Ctrl-R edit the line, and what
// runs is the edited line as the Gate saw it.
describe('e2e: line editing at the shell prompt (ssh -t inside tmux)', () => {
  let airlock: Instance;
  let tmux: TmuxSession | null = null;
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-line-e2e-'));

  before(async () => {
    airlock = await startTestAirlock(shellBoxConfig(scratch));
  });
  after(async () => {
    await tmux?.kill();
    await airlock?.shutdown('test done');
    rmSync(scratch, { recursive: true, force: true });
  });

  it('arrows, history and Ctrl-R edit the line; an edited or recalled risky line is still held', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass', 'tmux'])) return;
    const token = await airlock.token('alice', ['engineers']);
    const port = (airlock.shell as { port: number }).port;
    const ssh = `${['sshpass', '-e', 'ssh', '-t', ...sshArgs(port, 'box')].join(' ')}; sleep 60`;
    tmux = await TmuxSession.start(join(scratch, 'tmux.sock'), 'airlock', ssh, { SSHPASS: token });
    const session = tmux;
    const screen = () => session.screen();
    const lastLine = async () => (await screen()).trimEnd().split('\n').at(-1) ?? '';
    // Keys typed before bash's prompt is back go to the running program raw: a finished line is offered to
    // the editor with its control characters removed, an unfinished one is dropped (docs/shell.md). Editing
    // keys are Airlock's only at its prompt, so, like a person, the test waits for the prompt before typing.
    const atPrompt = (what: string) => waitFor(async () => /^box:\S*[$#]$/.test(await lastLine()), 10_000, what);
    await waitFor(async () => /^box:\S*[$#]/m.test(await screen()), 15_000, 'the shell prompt');

    // Left arrow, then typing inserts in the middle; the terminal shows the line and the cursor where they are.
    await session.type('echo abd', 'Left');
    await session.type('c');
    await waitFor(async () => /[$#] echo abcd$/.test(await lastLine()), 10_000, 'the edited line on screen');
    const prompt = (await lastLine()).replace(/echo abcd$/, '');
    assert.equal((await session.cursor()).x, prompt.length + 'echo abc'.length);
    await session.type('', 'Enter');
    await waitFor(async () => /^abcd$/m.test(await screen()), 10_000, 'the edited line to run');
    await atPrompt('the prompt after the edited line');

    // Up recalls it; End and more text extend it.
    await session.type('', 'Up', 'End');
    await session.type(' again', 'Enter');
    await waitFor(async () => /^abcd again$/m.test(await screen()), 10_000, 'the recalled line to run');
    await atPrompt('the prompt after the recalled line');

    // Ctrl-R finds it by a fragment; Enter runs it.
    await session.type('clear', 'Enter');
    await waitFor(async () => !(await screen()).includes('abcd again'), 10_000, 'the screen to clear');
    await atPrompt('the prompt on the clear screen');
    await session.type('', 'C-r');
    await session.type('cd ag');
    await waitFor(async () => /reverse-i-search\)`cd ag': echo abcd again/.test(await screen()), 10_000, 'the search prompt');
    await session.type('', 'Enter');
    await waitFor(async () => /^abcd again$/m.test(await screen()), 10_000, 'the found line to run');
    await atPrompt('the prompt after the found line');

    // A risky line built by editing (typed out of order) is judged as it will run, and held.
    const dir = join(scratch, 'victim');
    mkdirSync(dir);
    await session.type(` -rf ${dir}`, 'Home');
    await session.type('rm', 'Enter');
    await waitFor(async () => heldApprovalId(await screen()) !== null, 10_000, 'the edited rm to be held');
    assert.match(await screen(), new RegExp(`rm -rf ${dir}`));
    await session.type('', 'C-c');
    await waitFor(async () => /airlock: withdrawn; nothing was run/.test(await screen()), 10_000, 'the withdrawal');

    // Recalled from history, it is held again: history never skips the Gate.
    await session.type('clear', 'Enter');
    await waitFor(async () => !(await screen()).includes('withdrawn'), 10_000, 'the screen to clear');
    await atPrompt('the prompt on the cleared screen');
    await session.type('', 'Up', 'Up', 'Enter');
    await waitFor(async () => heldApprovalId(await screen()) !== null, 10_000, 'the recalled rm to be held');
    await session.type('', 'C-c');
    await waitFor(async () => /airlock: withdrawn; nothing was run/.test(await screen()), 10_000, 'the second withdrawal');
    assert.ok(existsSync(dir), 'nothing removed the directory');
  });
});
