import type { ServedHttpTarget } from './served-target.js';

export interface RoutedRequest {
  readonly target: ServedHttpTarget;
  /** Maps a path of this request (classified or forwarded form) to the upstream's: prefix removed, the upstream URL's path before it. */
  upstreamPath(path: string): string;
}

/**
 * Picks the target of a request: by Host (name without port, case-insensitive)
 * first, else by the longest path prefix that ends at a segment boundary.
 * Routing runs on the normalised path, so `/es/../admin` never reaches `/es`'s target.
 */
export class TargetRouter {
  private readonly byHost = new Map<string, ServedHttpTarget>();
  private readonly byPrefix: Array<{ prefix: string; target: ServedHttpTarget }>;

  constructor(targets: readonly ServedHttpTarget[]) {
    for (const target of targets) for (const host of target.hosts) this.byHost.set(host.toLowerCase(), target);
    this.byPrefix = targets
      .filter((t) => t.path_prefix !== undefined)
      .map((t) => ({ prefix: t.path_prefix!.replace(/\/+$/, ''), target: t }))
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The host name of a Host header value, lower-case, without the port; undefined when malformed. */
  static hostName(host: string): string | undefined {
    const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?$/.exec(host);
    return match ? match[1]!.toLowerCase() : undefined;
  }

  route(hostName: string | undefined, path: string): RoutedRequest | undefined {
    const byHost = hostName === undefined ? undefined : this.byHost.get(hostName);
    if (byHost) return { target: byHost, upstreamPath: (p) => joinPath(basePath(byHost), p) };
    for (const { prefix, target } of this.byPrefix) {
      if (prefix === '' || path === prefix || path.startsWith(`${prefix}/`)) {
        const drop = prefix.split('/').length - 1;
        return { target, upstreamPath: (p) => joinPath(basePath(target), withoutSegments(p, drop)) };
      }
    }
    return undefined;
  }
}

function basePath(target: ServedHttpTarget): string {
  return new URL(target.upstream.url).pathname.replace(/\/+$/, '');
}

function joinPath(base: string, path: string): string {
  return base === '' ? path : `${base}${path}`;
}

/** The path without its first `count` segments (both forms of a path have the same segments). */
function withoutSegments(path: string, count: number): string {
  let at = 0;
  for (let i = 0; i < count; i++) {
    const next = path.indexOf('/', at + 1);
    if (next === -1) return '/';
    at = next;
  }
  return path.slice(at) || '/';
}
