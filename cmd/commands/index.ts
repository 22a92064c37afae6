import type { Command } from 'commander';

/** Every command registers itself from its own file; one line each here. */
export function registerCommands(program: Command): void {
  void program;
}
