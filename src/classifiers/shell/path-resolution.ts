import { posix } from 'node:path';
import type { RiskLevel } from '../../model/risk-level.js';

/**
 * The directories a relative path may be resolved against: the session's
 * tracked cwd and every `cd` target of the same line (order-independent, so
 * `cd /etc; echo x > passwd` is judged as a write to /etc/passwd). `null`
 * stands for a directory Airlock cannot know (`cd $X`, `cd -`, no tracked cwd).
 */
export type Cwds = readonly (string | null)[];

/** Writes to these are critical (disks) or high (system configuration). */
function absoluteRisk(path: string): RiskLevel | null {
  // bash itself opens network connections for these names (reverse shells, exfiltration).
  if (/^\/dev\/(tcp|udp)\//.test(path)) return 'high';
  if (/^\/dev\/(sd|nvme|hd|vd|xvd|mmcblk|md|dm-|mapper\/)/.test(path)) return 'critical';
  if (path === '/' || /^\/(etc|boot|usr|bin|sbin|lib|lib32|lib64|sys|proc|root|var\/lib)(\/|$)/.test(path)) return 'high';
  return null;
}

export interface PathJudgement {
  /** The riskiest place the path may name, or null when none is sensitive. */
  readonly risk: RiskLevel | null;
  /** It may name the root directory itself. */
  readonly root: boolean;
  /** It is relative and one of the directories is unknown. */
  readonly unknown: boolean;
  /**
   * It has a `..` segment. The kernel resolves `..` after following
   * symbolic links (`/var/run/../etc` is `/etc` where /var/run links to
   * /run), on the target's file system, which Airlock cannot see: the
   * resolved paths above are lexical, so such a path may name anything.
   */
  readonly traversal: boolean;
  readonly resolved: readonly string[];
}

export function judgePath(path: string, cwds: Cwds): PathJudgement {
  const bases: Cwds = path.startsWith('/') ? ['/'] : cwds;
  let risk: RiskLevel | null = null;
  let root = false;
  let unknown = false;
  const resolved: string[] = [];
  for (const base of bases) {
    if (base === null) {
      unknown = true;
      continue;
    }
    const full = posix.resolve(base, path);
    resolved.push(full);
    const r = absoluteRisk(full);
    if (r === 'critical' || (r === 'high' && risk === null)) risk = r;
    if (full === '/') root = true;
  }
  return { risk, root, unknown, resolved, traversal: /(^|\/)\.\.(\/|$)/.test(path) };
}
