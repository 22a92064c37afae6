/** Lines kept per session; the oldest go first. */
const MAX_ENTRIES = 500;

/**
 * The command lines of one session, for the up and down keys and Ctrl-R.
 * Only what the person typed at Airlock's prompt is kept (never a second
 * factor: that is read elsewhere), in memory, for the session's lifetime.
 */
export class LineHistory {
  private readonly entries: string[] = [];

  get size(): number {
    return this.entries.length;
  }

  /** Keeps a finished single line (not a repeat of the last one). */
  add(line: string): void {
    if (line.trim() === '' || line.includes('\n') || this.entries.at(-1) === line) return;
    this.entries.push(line);
    if (this.entries.length > MAX_ENTRIES) this.entries.shift();
  }

  /** Entry `index` (0 = oldest), if any. */
  at(index: number): string | undefined {
    return this.entries[index];
  }

  /** The newest entry before `before` (exclusive) that contains `query`, as an index; -1 if none. */
  searchBack(query: string, before: number): number {
    for (let i = Math.min(before, this.entries.length) - 1; i >= 0; i--) {
      if ((this.entries[i] as string).includes(query)) return i;
    }
    return -1;
  }
}
