import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import { registerCommands } from '../../../cmd/commands/index.js';

/**
 * Every `airlock ...` command line inside a code block of the README and
 * docs/ (what a reader copies and runs), with where it is. Inline mentions in
 * prose (`airlock explain`, usage synopses with [brackets]) are references,
 * not command lines.
 */
function documentedCommands(): { where: string; args: string[] }[] {
  const files = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const out: { where: string; args: string[] }[] = [];
  for (const file of files) {
    let inBlock = false;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        if (line.trimStart().startsWith('```')) {
          inBlock = !inBlock;
          return;
        }
        if (!inBlock) return;
        // A shell line (optionally after `$ `), or one inside $(...); not an echo of a server message.
        const source = line.replace(/^\s*\$\s*/, '');
        if (/^(NOTICE|DETAIL|HINT|ERROR|airlock:)/.test(source)) return;
        for (const match of source.matchAll(/(?:^|[\s(;])(?:npx\s+)?airlock\s+([a-z][^|;)#\n]*)/g)) {
          out.push({ where: `${file}:${index + 1}`, args: shellWords((match[1] as string).trim()) });
        }
      });
  }
  return out;
}

/** Splits like a shell would for plain words and quoted strings (no expansion). */
function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2] ?? (match[3] as string));
  return words;
}

class Parsed extends Error {}

/**
 * Parses a documented command line with the real CLI definition, stopping
 * before any action runs: an unknown command or option, or a missing
 * argument, fails the test, so the docs cannot drift from the CLI.
 */
async function parse(args: string[]): Promise<string | null> {
  const program = new Command('airlock').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  registerCommands(program);
  const stopBeforeActions = (command: Command): void => {
    command.exitOverride();
    command.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    command.hook('preAction', () => {
      throw new Parsed();
    });
    for (const sub of command.commands) stopBeforeActions(sub);
  };
  stopBeforeActions(program);
  try {
    await program.parseAsync(args, { from: 'user' });
    return 'no action ran (not a command?)';
  } catch (err) {
    if (err instanceof Parsed) return null;
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' ? null : `${err.code}: ${err.message}`;
    throw err;
  }
}

describe('docs: every airlock command line in the README and docs/ parses with the real CLI', () => {
  it('finds the documented commands', () => {
    assert.ok(documentedCommands().length >= 15);
  });

  it('accepts each of them', async () => {
    const problems: string[] = [];
    for (const { where, args } of documentedCommands()) {
      const problem = await parse(args);
      if (problem) problems.push(`${where}: airlock ${args.join(' ')}: ${problem}`);
    }
    assert.deepEqual(problems, []);
  });
});
