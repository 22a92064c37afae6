import { basename } from 'node:path';
import type { ShellTargetConfig } from '../../config/schema.js';

/** A program to start for a session: what, where, with which environment. */
export interface ProcessSpec {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

/** What the session's program inherits: never Airlock's own environment (tokens, keys). */
function baseEnv(target: ShellTargetConfig, term: string | undefined): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: process.env['HOME'] ?? '/',
    LANG: process.env['LANG'] ?? 'C.UTF-8',
    AIRLOCK_TARGET: target.name,
  };
  if (term) env['TERM'] = term;
  return { ...env, ...target.env };
}

function cwdOf(target: ShellTargetConfig): string {
  return target.cwd ?? process.env['HOME'] ?? '/';
}

/** True when the target's program is bash, the only shell whose prompt Airlock knows how to mark. */
export function isBash(target: ShellTargetConfig): boolean {
  return basename(target.command[0] ?? '') === 'bash';
}

/** An exec request: the target's program with `-c COMMAND`, the text that was classified, unchanged. */
export function execSpec(target: ShellTargetConfig, command: string, term?: string): ProcessSpec {
  const [file, ...args] = target.command as [string, ...string[]];
  return { file, args: [...args, '-c', command], cwd: cwdOf(target), env: baseEnv(target, term) };
}

/**
 * An interactive bash with its line editor off (Airlock edits the line) and
 * the prompt hooks that tell Airlock when bash waits for a command.
 */
export function interactiveSpec(target: ShellTargetConfig, hooks: Readonly<Record<string, string>>, term: string): ProcessSpec {
  const [file, ...args] = target.command as [string, ...string[]];
  const extra = ['--noediting', '-i'].filter((a) => !args.includes(a));
  return { file, args: [...args, ...extra], cwd: cwdOf(target), env: { ...baseEnv(target, term), HISTFILE: '', ...hooks } };
}
