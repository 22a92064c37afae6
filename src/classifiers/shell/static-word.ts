import { type BashNode, hasBraceExpansion, list, nodeType, text } from './bash-syntax.js';

/**
 * The value bash gives a word when that value is known before it runs:
 * quotes removed and backslashes resolved. A word whose value depends on the
 * run (parameters, substitutions, globs, brace expansion, `$'...'` escapes)
 * has `value: null` and says why, so a caller can treat it as unknowable.
 */
export interface StaticWord {
  readonly value: string | null;
  readonly reason?: 'expansion' | 'substitution' | 'glob' | 'brace_expansion' | 'escape_encoding';
  /** The source text as typed, for messages and objects. */
  readonly raw: string;
}

// `[` alone is the test builtin; a bracket glob needs its closing `]`.
const GLOB = /[*?]|\[.*\]/s;

function unescapeUnquoted(s: string): string {
  return s.replace(/\\\n/g, '').replace(/\\(.)/gs, '$1');
}

function unescapeDoubleQuoted(s: string): string {
  return s.replace(/\\\n/g, '').replace(/\\([$`"\\])/g, '$1');
}

type Part = { value: string } | { reason: NonNullable<StaticWord['reason']> };

function partValue(part: BashNode, quoted: boolean): Part {
  switch (nodeType(part)) {
    case 'Lit': {
      const v = text(part, 'Value');
      if (!quoted && GLOB.test(v.replace(/\\./gs, ''))) return { reason: 'glob' };
      return { value: quoted ? unescapeDoubleQuoted(v) : unescapeUnquoted(v) };
    }
    case 'SglQuoted':
      // $'\x72m' spells `rm` in escapes: decoding it is possible but it is an evasion shape.
      if (part['Dollar'] === true) return { reason: 'escape_encoding' };
      return { value: text(part, 'Value') };
    case 'DblQuoted': {
      if (part['Dollar'] === true) return { reason: 'escape_encoding' };
      let out = '';
      for (const inner of list(part['Parts'])) {
        const v = partValue(inner, true);
        if (!('value' in v)) return v;
        out += v.value;
      }
      return { value: out };
    }
    case 'CmdSubst':
    case 'ProcSubst':
      return { reason: 'substitution' };
    case 'ExtGlob':
      return { reason: 'glob' };
    default:
      return { reason: 'expansion' };
  }
}

export function staticWord(word: BashNode, source: string): StaticWord {
  const raw = sourceOf(word, source);
  if (hasBraceExpansion(word)) return { value: null, reason: 'brace_expansion', raw };
  let value = '';
  for (const part of list(word['Parts'])) {
    const v = partValue(part, false);
    if (!('value' in v)) return { value: null, reason: v.reason, raw };
    value += v.value;
  }
  return { value, raw };
}

interface Pos {
  Offset(): number;
}

/** The exact source text of a node (mvdan-sh positions are byte offsets). */
export function sourceOf(node: BashNode, source: string): string {
  try {
    const pos = (node['Pos'] as () => Pos).call(node).Offset();
    const end = (node['End'] as () => Pos).call(node).Offset();
    return Buffer.from(source, 'utf8').subarray(pos, end).toString('utf8');
  } catch {
    return '';
  }
}
