/**
 * The keys of a query string, parsed once, decoded the way servers decode
 * them (`+` is a space, percent escapes). A malformed escape is refused: one
 * server would read it literally and another not, so a rule on a key could be
 * dodged.
 */
export function parseQueryKeys(query: string): { ok: true; keys: string[]; values: Map<string, string[]> } | { ok: false; reason: string } {
  const keys: string[] = [];
  const values = new Map<string, string[]>();
  if (query === '') return { ok: true, keys, values };
  for (const pair of query.split(/[&]/)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replaceAll('+', ' '));
      value = decodeURIComponent(rawValue.replaceAll('+', ' '));
    } catch {
      return { ok: false, reason: 'a malformed percent escape in the query' };
    }
    if (/[\x00-\x1f\x7f]/.test(key)) return { ok: false, reason: 'a control byte in a query key' };
    const list = values.get(key);
    if (list) list.push(value);
    else {
      keys.push(key);
      values.set(key, [value]);
    }
  }
  return { ok: true, keys, values };
}
