// Config globs (`public.*`, `prod-*`) for target and object names. This
// matches names from config, never SQL text: classification uses the parser.
export type NameMatcher = (name: string) => boolean;

export function compileGlobs(patterns: readonly string[]): NameMatcher {
  const exact = new Set<string>();
  const regexes: RegExp[] = [];
  for (const pattern of patterns) {
    // `{name}` is a path template's one segment (`/indices/{index}`): HTTP paths, never SQL names.
    const template = /\{[A-Za-z0-9_]+\}/.test(pattern);
    if (!pattern.includes('*') && !pattern.includes('?') && !template) {
      exact.add(pattern);
      continue;
    }
    const source = pattern
      .replace(/\{[A-Za-z0-9_]+\}/g, '\u0000')
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')
      .replace(/\u0000/g, '[^/]+');
    regexes.push(new RegExp(`^${source}$`));
  }
  return (name) => exact.has(name) || regexes.some((re) => re.test(name));
}
