import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { RecordingInvalidError } from '../../src/errors.js';
import { parseAsciicast } from '../../src/protocols/shell/asciicast.js';
import { markerLine, playEvents } from '../support/asciicast-player.js';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected seconds (0 or more)');
  return n;
}

interface ReplayOptions {
  speed: number;
  maxIdle?: number;
  markers?: boolean;
  json?: boolean;
  verify?: string;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay <file>')
    .description('Play a shell session recording (asciicast v2) to the terminal with its timing, or list its markers or events')
    .option('--speed <n>', 'play this many times faster', positiveNumber, 1)
    .option('--max-idle <seconds>', 'cut longer pauses to this many seconds (0: no pauses)', seconds)
    .option('--markers', 'print only the markers (what Airlock held, allowed, denied), one a line with its time')
    .option('--json', 'print every event as one JSON object a line ({"time","code","data"}), header first')
    .option('--verify <sha256>', 'refuse the file unless its SHA-256 is this (the session.recorded audit event names it)')
    .addHelpText(
      'after',
      '\nThe whole file is checked before anything is printed: a malformed header or event line is refused\nwith its line number. Exit status: 0 played, 1 malformed or SHA-256 mismatch, 2 usage or read error.\n',
    )
    .action(async (file: string, options: ReplayOptions) => {
      const bytes = await readFile(file).catch((err: unknown) => {
        throw new Error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
      });
      if (options.verify !== undefined) {
        const actual = createHash('sha256').update(bytes).digest('hex');
        if (actual !== options.verify.toLowerCase()) throw new RecordingInvalidError(`${file}: SHA-256 ${actual} is not the expected ${options.verify}`);
      }
      const { header, events } = (() => {
        try {
          return parseAsciicast(bytes.toString('utf8'));
        } catch (err) {
          if (err instanceof RecordingInvalidError) throw new RecordingInvalidError(`${file} is not a valid recording: ${err.message}`);
          throw err;
        }
      })();
      if (options.json) {
        process.stdout.write(`${JSON.stringify(header)}\n`);
        for (const event of events) process.stdout.write(`${JSON.stringify(event)}\n`);
        return;
      }
      if (options.markers) {
        for (const event of events) if (event.code === 'm') process.stdout.write(`${markerLine(event)}\n`);
        return;
      }
      await playEvents(events, {
        speed: options.speed,
        maxIdle: options.maxIdle ?? Number.POSITIVE_INFINITY,
        write: (data) => process.stdout.write(data),
        sleep: (ms) => sleep(ms),
      });
    });
}
