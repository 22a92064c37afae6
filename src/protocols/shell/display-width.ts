/**
 * How many terminal columns text takes, as xterm-like terminals draw it, so
 * that Airlock's line editor can place the cursor after a wide character or
 * across a wrapped line. A small wcwidth: Node's own table is internal to
 * `readline`, and the editor needs only this one function.
 */

/** Combining marks and format characters (zero-width joiner, bidi marks) take no column. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
/** Emoji drawn as pictures take two columns. */
const EMOJI = /^\p{Emoji_Presentation}$/u;

/** East Asian wide and fullwidth ranges (Unicode's EastAsianWidth W and F), first and last code point. */
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18aff],
  [0x1b000, 0x1b2ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

/** Columns one code point takes (0, 1 or 2). */
export function charWidth(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1;
  if (ZERO_WIDTH.test(ch)) return 0;
  if (EMOJI.test(ch)) return 2;
  for (const [first, last] of WIDE_RANGES) {
    if (cp < first) return 1;
    if (cp <= last) return 2;
  }
  return 1;
}

/** Columns a run of code points takes. */
export function textWidth(chars: readonly string[] | string, from = 0, to?: number): number {
  const list = typeof chars === 'string' ? Array.from(chars) : chars;
  let width = 0;
  for (let i = from; i < (to ?? list.length); i++) width += charWidth(list[i] as string);
  return width;
}

/** ANSI escape sequences (CSI, OSC, two-byte) draw nothing. */
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** The column the cursor is at after printing `text` from column 0 of a line (wrapping not counted). */
export function columnAfter(text: string): number {
  const plain = text.replace(ESCAPES, '');
  const lastBreak = Math.max(plain.lastIndexOf('\n'), plain.lastIndexOf('\r'));
  return textWidth(plain.slice(lastBreak + 1));
}
