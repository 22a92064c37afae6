// Parses pino redaction paths (`a.b`, `a["x-y"]`, `a[0]`, `*`, `a.*.b`) into a
// trie walked alongside the value. pino's own engine (@pinojs/redact) only runs
// inside pino's serializer, after the point where the audit log must hash, and
// its leading-wildcard paths cost 20-100 µs per line (measured), so Airlock
// walks the trie itself.

export interface PathNode {
  readonly children: Map<string, PathNode>;
  wildcard: PathNode | null;
  /** A path ends here: the value under this node is censored. */
  terminal: boolean;
}

function newNode(): PathNode {
  return { children: new Map(), wildcard: null, terminal: false };
}

/** Splits one pino path into its segments; `*` is the wildcard. Throws TypeError on bad syntax. */
export function parseRedactionPath(path: string): string[] {
  const segments: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new TypeError(`invalid redaction path ${JSON.stringify(path)}: ${why}`);
  };
  if (path.length === 0) fail('empty');
  while (i < path.length) {
    const c = path[i];
    if (c === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) fail('unclosed [');
      const inner = path.slice(i + 1, close).trim();
      const quote = inner[0];
      if (quote === '"' || quote === "'") {
        if (inner.length < 2 || inner[inner.length - 1] !== quote) fail('unbalanced quotes');
        segments.push(inner.slice(1, -1));
      } else if (inner === '*' || /^\d+$/.test(inner)) {
        segments.push(inner);
      } else {
        fail(`bad bracket segment [${inner}]`);
      }
      i = close + 1;
      if (path[i] === '.') i++;
      continue;
    }
    let end = i;
    while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
    const name = path.slice(i, end);
    if (name.length === 0) fail('empty segment');
    segments.push(name);
    i = end;
    if (path[i] === '.') {
      i++;
      if (i === path.length) fail('trailing dot');
    }
  }
  return segments;
}

/** Compiles pino paths into one trie; null when there are none. */
export function compilePathTrie(paths: readonly string[]): PathNode | null {
  if (paths.length === 0) return null;
  const root = newNode();
  for (const path of paths) {
    let node = root;
    for (const segment of parseRedactionPath(path)) {
      if (segment === '*') {
        node.wildcard ??= newNode();
        node = node.wildcard;
      } else {
        let next = node.children.get(segment);
        if (!next) {
          next = newNode();
          node.children.set(segment, next);
        }
        node = next;
      }
    }
    node.terminal = true;
  }
  return root;
}

export const NO_STATES: readonly PathNode[] = [];

/**
 * Advances every active trie state by one key. Returns the next states (the
 * shared empty list when none) and whether any path ends at this key.
 */
export function stepPaths(states: readonly PathNode[], key: string): { next: readonly PathNode[]; hit: boolean } {
  let next: PathNode[] | null = null;
  let hit = false;
  for (const state of states) {
    const exact = state.children.get(key);
    if (exact) {
      if (exact.terminal) hit = true;
      (next ??= []).push(exact);
    }
    if (state.wildcard) {
      if (state.wildcard.terminal) hit = true;
      (next ??= []).push(state.wildcard);
    }
  }
  return { next: next ?? NO_STATES, hit };
}
