// Config globs (`public.*`, `prod-*`) for target and object names. This
// matches names from config, never SQL text: classification uses the parser.
export type NameMatcher = (name: string) => boolean;

export function compileGlobs(patterns: readonly string[]): NameMatcher {
  const exact = new Set<string>();
  const regexes: RegExp[] = [];
  for (const pattern of patterns) {
    if (!pattern.includes('*') && !pattern.includes('?')) {
      exact.add(pattern);
      continue;
    }
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    regexes.push(new RegExp(`^${source}$`));
  }
  return (name) => exact.has(name) || regexes.some((re) => re.test(name));
}
