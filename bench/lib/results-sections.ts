// bench/RESULTS.md holds the PostgreSQL report (bench/run.ts) and sections that
// other benchmarks write (bench/http.ts). Each keeps the others' sections.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const sectionPattern = (name: string) => new RegExp(`<!-- section:${name}:begin -->[\\s\\S]*?<!-- section:${name}:end -->\\n?`);

/** The named sections of a RESULTS.md, as text. */
function sectionsOf(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- section:([a-z-]+):begin -->[\s\S]*?<!-- section:\1:end -->\n?/g)].map((m) => m[0]);
}

/** Writes the main report, keeping the sections other benchmarks wrote into the previous file. */
export function writeReportKeepingSections(file: string, report: string): void {
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = sectionsOf(previous).filter((section) => !report.includes(section.split('\n')[0]!));
  writeFileSync(file, kept.length === 0 ? report : `${report.trimEnd()}\n\n${kept.join('\n')}`);
}

/** Replaces (or appends) one named section of the file. */
export function writeSection(file: string, name: string, content: string): void {
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const block = `<!-- section:${name}:begin -->\n${content.trimEnd()}\n<!-- section:${name}:end -->\n`;
  const pattern = sectionPattern(name);
  writeFileSync(file, pattern.test(previous) ? previous.replace(pattern, block) : `${previous.trimEnd()}\n\n${block}`);
}
