/** Words bash reads as themselves: no quoting needed (the set Python's shlex.quote leaves alone). */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One argument as a bash word that means exactly it: POSIX single quotes,
 * where nothing is special, and each `'` written as `'\''` (close, an
 * escaped quote, reopen). The approach of Python's shlex.quote; a small
 * function, so no library.
 */
export function quoteWord(arg: string): string {
  if (PLAIN_WORD.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** An argv as one bash command line that runs exactly that argv. */
export function quoteCommand(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ');
}
