import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import type { AirlockEvent } from '../../src/audit/events.js';
import { startTestAirlock } from '../support/airlock-instance.js';
import { waitFor } from '../support/services.js';
import { requirePrograms, sshArgs, TmuxSession } from '../support/ssh-clients.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

/** Real time plus an offset the test moves, so a fresh TOTP step is reachable without waiting 30 s. */
const clock = { offset: 0, now: () => Date.now() + clock.offset };

// A medium-risk line needs the requester's own second factor: the terminal
// asks for the code at Airlock's prompt with echo off, and the code goes
// through the same confirmation as the control API.
describe('e2e: step-up code typed in the ssh terminal', () => {
  let airlock: Instance;
  let token: string;
  let secret: string;
  let tmux: TmuxSession | null = null;
  const events: AirlockEvent[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-shell-stepup-'));

  async function api(path: string, body: unknown) {
    const response = await fetch(`${airlock.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const currentCode = () => generate({ secret, epoch: Math.floor(clock.now() / 1000) });

  before(async () => {
    airlock = await startTestAirlock(
      `
shell: { enabled: true, listen: "127.0.0.1:0", notice_interval: 1s }
targets:
  - { name: box, protocol: shell, cwd: ${scratch} }
policy:
  defaults:
    low: allow
    medium: step_up
    high: deny
    critical: deny
`,
      { clock },
    );
    airlock.bus.on((e) => events.push(e));
    token = await airlock.token('alice', ['engineers']);
    const enrolled = await api('/v1/totp/enroll', {});
    assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
    secret = new URL(enrolled.body['otpauth_uri'] as string).searchParams.get('secret') as string;
    assert.equal((await api('/v1/totp/activate', { code: await currentCode() })).status, 200);
  });
  after(async () => {
    await tmux?.kill();
    await airlock?.shutdown('test done');
    rmSync(scratch, { recursive: true, force: true });
  });

  it('prompts with echo off, refuses a wrong code, releases the command once on the right one; the code is neither on screen nor recorded', async (t) => {
    if (!requirePrograms(t, ['ssh', 'sshpass', 'tmux'])) return;
    const port = (airlock.shell as { port: number }).port;
    const ssh = `${['sshpass', '-e', 'ssh', '-t', ...sshArgs(port, 'box')].join(' ')}; echo "ssh-exit=$?"; sleep 60`;
    tmux = await TmuxSession.start(join(scratch, 'tmux.sock'), 'stepup', ssh, { SSHPASS: token });
    const screen = () => (tmux as TmuxSession).screen();
    await waitFor(async () => /^box:\S*[$#]/m.test(await screen()), 15_000, 'the shell prompt');

    const from = join(scratch, 'from.txt');
    const to = join(scratch, 'to.txt');
    const runs = join(scratch, 'runs.log');
    writeFileSync(from, 'moved\n');
    await tmux.type(`mv ${from} ${to} && echo ran >> ${runs}`, 'Enter');
    await waitFor(async () => /Second factor for mv .*: enter the code from your authenticator: $/m.test(await screen()), 10_000, 'the code prompt');
    assert.match(await screen(), /airlock: command held for step-up \(id \S+\): mv /);
    assert.ok(existsSync(from), 'nothing runs while held');

    const wrong = (Number(await currentCode()) + 1).toString().padStart(6, '0').slice(-6);
    await tmux.type(wrong, 'Enter');
    await waitFor(async () => /airlock: code refused: the code is wrong/.test(await screen()), 10_000, 'the refusal of the wrong code');
    assert.ok(existsSync(from), 'a wrong code releases nothing');
    await waitFor(() => events.some((e) => e.type === 'mfa.failure' && e.subject === 'alice'), 5000, 'the failure to be counted');

    clock.offset += 30_000; // the activation code's step is used up; move to a fresh one
    const code = await currentCode();
    // Backspace works at the prompt: a stray digit is erased before Enter.
    await tmux.type(`${code}7`, 'BSpace', 'Enter');
    await waitFor(() => existsSync(to) && existsSync(runs), 10_000, 'the command to run after the right code');
    await waitFor(async () => /^box:\S*[$#]\s*$/m.test((await screen()).trimEnd().split('\n').at(-1) ?? ''), 10_000, 'the prompt after the command');
    assert.equal(readFileSync(runs, 'utf8'), 'ran\n', 'the command ran exactly once');
    const shown = await screen();
    assert.equal(shown.includes(code), false, 'the code is not echoed');
    assert.equal(shown.includes(wrong), false, 'the wrong code is not echoed');

    await tmux.type('exit', 'Enter');
    await waitFor(async () => /^ssh-exit=0$/m.test(await screen()), 10_000, 'the session to end');
    await waitFor(() => events.some((e) => e.type === 'session.recorded' && e.data?.['kind'] === 'shell'), 10_000, 'the recording');
    const recorded = events.find((e) => e.type === 'session.recorded' && e.data?.['kind'] === 'shell') as AirlockEvent;
    const text = readFileSync(recorded.data?.['file'] as string, 'utf8');
    assert.equal(text.includes(code), false, 'the code is not in the recording');
    assert.equal(text.includes(wrong), false, 'the wrong code is not in the recording');
    assert.equal(text.includes(token), false, 'the token is not in the recording');
    assert.match(text, /"m","held for step-up \(id \S+\): mv /);
    assert.match(text, /"m","step-up confirmed by alice \(id \S+\): mv /);
    assert.match(text, /Second factor for mv /);
    assert.equal(events.filter((e) => e.type === 'mfa.failure' && e.subject === 'alice').length, 1, 'the wrong code was counted once');
  });
});
