import { createHash } from 'node:crypto';
import { type Stats, readFileSync, statSync, unwatchFile, watchFile } from 'node:fs';

export interface ConfigFileWatchOptions {
  /** How often the file is polled (stat polling follows a Kubernetes ConfigMap's symlink swap, fs.watch does not). */
  readonly pollMs?: number;
  /** The file must stay unchanged this long before it is read: an editor or `>` may be halfway through. */
  readonly settleMs?: number;
}

/**
 * Watches the configuration file and hands over its text once it has
 * settled, only when it differs from what was last handed over (so SIGHUP
 * after an edit the watcher already saw does not reload twice).
 */
export class ConfigFileWatch {
  private lastDigest: string;
  private settleTimer: NodeJS.Timeout | null = null;
  private readonly pollMs: number;
  private readonly settleMs: number;

  constructor(
    private readonly path: string,
    initialSource: string,
    private readonly onChange: (source: string, trigger: string) => void,
    options: ConfigFileWatchOptions = {},
  ) {
    this.lastDigest = digest(initialSource);
    this.pollMs = options.pollMs ?? 2000;
    this.settleMs = options.settleMs ?? 1000;
  }

  start(): void {
    watchFile(this.path, { interval: this.pollMs, persistent: false }, (current, previous) => {
      if (current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino || current.size !== previous.size) this.settle(current, 'file changed');
    });
  }

  stop(): void {
    unwatchFile(this.path);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = null;
  }

  /** An explicit request (SIGHUP): read now; nothing happens when the text is what was last handed over. */
  check(trigger: string): void {
    this.deliver(trigger);
  }

  private settle(seen: Stats, trigger: string): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      let now: Stats;
      try {
        now = statSync(this.path);
      } catch {
        return; // gone for a moment (a symlink swap): the next poll sees the new one
      }
      if (now.mtimeMs !== seen.mtimeMs || now.size !== seen.size || now.ino !== seen.ino) return this.settle(now, trigger);
      this.deliver(trigger);
    }, this.settleMs);
    this.settleTimer.unref();
  }

  private deliver(trigger: string): void {
    let source: string;
    try {
      source = readFileSync(this.path, 'utf8');
    } catch {
      source = '';
    }
    const next = digest(source);
    if (next === this.lastDigest) return;
    this.lastDigest = next;
    this.onChange(source, trigger);
  }
}

function digest(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}
