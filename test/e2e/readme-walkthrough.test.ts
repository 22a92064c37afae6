import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DemoServe, startDemoServe } from '../support/demo-serve.js';
import { waitFor } from '../support/services.js';

/** The example approval ids the README prints, in order (psql's, then curl's); each is replaced by the real one when its commands run. */
const EXAMPLE_IDS = ['MXOM7VBzu4yg87PU39oKkQ', 'Qk3vZ8bM2xT0rW5yH1nD4g'] as const;

interface Step {
  readonly command: string;
  /** The lines the README shows after it. */
  readonly expected: readonly string[];
}

/** The `console` blocks of the README's walkthrough, as commands and the output shown under each. */
function walkthroughBlocks(): Step[][] {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('## Five-minute walkthrough');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 10));
  const blocks: Step[][] = [];
  for (const match of section.matchAll(/```console\n([\s\S]*?)```/g)) {
    const steps: { command: string; expected: string[] }[] = [];
    for (const line of (match[1] as string).split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: [] });
      else if (line.trim() !== '' && steps.length > 0) steps[steps.length - 1]!.expected.push(line);
    }
    blocks.push(steps);
  }
  return blocks;
}

/** An output line as a pattern: the example id, counters and timings vary; `...` elides. */
function linePattern(line: string, ids: ReadonlyMap<string, string>): RegExp {
  let escaped = line.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const [example, id] of ids) escaped = escaped.replaceAll(example, id);
  escaped = escaped
    .replace(/\\\.\\\.\\\./g, '.*')
    .replace(/\d+s\\\)/g, '\\d+s\\)')
    .replace(/ +/g, '\\s+');
  return new RegExp(escaped);
}

/**
 * The README's walkthrough, run as a newcomer runs it: the shipped demo
 * config, the README's own command lines (read from the README, not copied),
 * each output line the README shows checked against what the command
 * printed. Only ports and the approval id differ: the test uses free ports,
 * and the id the hold NOTICE names. `npx airlock` runs the CLI from source
 * here (`npm test` does not build dist/).
 */
describe('e2e: the README walkthrough, from the README itself', () => {
  let demo: DemoServe;
  let pgPort: number;
  let httpPort: number;
  let controlPort: number;
  let dir: string;

  before(async () => {
    demo = await startDemoServe('airlock-readme-');
    ({ pgPort, httpPort, controlPort, dir } = demo);
  });
  after(() => demo?.kill());

  it('runs every command of the walkthrough with the output the README shows', async () => {
    const blocks = walkthroughBlocks();
    assert.ok(blocks.length >= 4, 'the walkthrough has its console blocks');
    // `npm start`: the log lines it shows (ports aside) are what serve printed.
    const [startBlock, ...rest] = blocks;
    assert.equal(startBlock?.[0]?.command, 'npm start');
    for (const line of startBlock?.[0]?.expected ?? []) {
      const message = /"msg":"([^"]+)"/.exec(line)?.[1];
      // Up to the first number or parenthesis: ports, timings and paths differ here.
      const stem = message?.split(/[\d(]/)[0]?.trim();
      if (stem) assert.ok(demo.log.includes(stem), `serve logged: ${stem}`);
    }

    // One shell state across the walkthrough, as in the reader's terminal: exports carry over.
    const state = join(dir, 'shell-state.sh');
    writeFileSync(state, `export AIRLOCK_URL=http://127.0.0.1:${controlPort}\nexport AIRLOCK_CONFIG=${JSON.stringify(join(dir, 'airlock.yaml'))}\nnpx() { if [ "$1" = airlock ]; then shift; node --import tsx ${resolve('cmd/airlock.ts')} "$@"; else command npx "$@"; fi; }\n`);
    const run = (command: string): { status: number | null; output: string } => {
      const script = `source ${JSON.stringify(state)}\n${command}\nstatus=$?\ndeclare -px | grep -E '^declare -x (PGPASSWORD|AIRLOCK_TOKEN|TOKEN)=' >> ${JSON.stringify(state)}\nexit $status\n`;
      const result = spawnSync('bash', ['-c', script], { cwd: process.cwd(), encoding: 'utf8', timeout: 60_000 });
      return { status: result.status, output: `${result.stdout}${result.stderr}` };
    };
    const portable = (command: string) => command.replaceAll('port=6432', `port=${pgPort}`).replaceAll('127.0.0.1:8081', `127.0.0.1:${httpPort}`);
    const atControl = (line: string) => line.replace(/http:\/\/127\.0\.0\.1:8080/g, `http://127.0.0.1:${controlPort}`);

    const ids = new Map<string, string>();
    const helds: Array<{ child: ChildProcess; output: string; command: string; expected: readonly string[] }> = [];
    for (const block of rest) {
      for (const step of block) {
        let command = portable(step.command);
        for (const [example, id] of ids) command = command.replaceAll(example, id);
        // psql prints a NOTICE, curl -D - a 103 Early Hints header: the id they name replaces the README's example.
        const holdPattern = /held for approval \(id ([A-Za-z0-9_-]+)\)|airlock-approval: ([A-Za-z0-9_-]+)/;
        if (step.expected.some((line) => line.includes('held for approval') || line.startsWith('airlock-hold: held'))) {
          // The held command waits for its approvers: it runs in the background while the next block decides it.
          const held = { child: spawn('bash', ['-c', `source ${JSON.stringify(state)}\n${command}`], { cwd: process.cwd() }), output: '', command, expected: step.expected };
          held.child.stdout?.on('data', (d: Buffer) => (held.output += d.toString()));
          held.child.stderr?.on('data', (d: Buffer) => (held.output += d.toString()));
          await waitFor(() => holdPattern.test(held.output), 20_000, `the hold notice of ${command}`);
          const match = holdPattern.exec(held.output) as RegExpExecArray;
          ids.set(EXAMPLE_IDS[helds.length] as string, (match[1] ?? match[2]) as string);
          for (const line of step.expected) assert.match(held.output, linePattern(atControl(line), ids), `${command}\n${held.output}`);
          helds.push(held);
          continue;
        }
        if (step.command.includes('totp enroll') || step.command.includes('4kd1P0') || /^psql "host=127\.0\.0\.1 port=6432 dbname=demo user=alice"$/.test(step.command)) {
          // The step-up part is interactive (a QR code, a psql prompt): demo-embedded.test.ts runs it.
          continue;
        }
        const result = run(command);
        for (const line of step.expected) {
          if (line.startsWith('demo=>') || line.startsWith('NOTICE:  airlock: statement held for step-up')) continue;
          assert.match(result.output, linePattern(line, ids), `${command}\n${result.output}`);
        }
      }
    }
    assert.equal(helds.length, 2, 'the walkthrough holds a psql statement and a curl request');
    const [psqlHeld, curlHeld] = helds as [(typeof helds)[number], (typeof helds)[number]];
    for (const held of helds) {
      await waitFor(() => held.child.exitCode !== null, 20_000, `${held.command} to finish once approved`);
      assert.equal(held.child.exitCode, 0, held.output);
    }
    assert.equal(psqlHeld.output.match(/^DROP TABLE$/gm)?.length, 1, 'the statement ran, once');
    assert.match(curlHeld.output, /HTTP\/1\.1 200 OK/, curlHeld.output);
    assert.equal(curlHeld.output.match(/\{"deleted":3\}/g)?.length, 1, 'the DELETE ran, once');
  });
});
