/**
 * Output: where text goes (an injectable pair of streams), the JSON mode, and the formatting helpers
 * the human-readable reports share (tables, member sets, probabilities, sizes, times).
 * @module
 */
import Table from 'cli-table3';

/** Where a command writes. Tests and embedding programs can capture both streams. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** Prints `value` as the only thing on stdout (the --json contract). */
export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2) + '\n');
}

/** Prints "warning: …" lines to stderr (in both modes, so scripts see them without parsing JSON). */
export function printWarnings(io: Io, warnings: readonly string[]): void {
  for (const w of warnings) io.err(`warning: ${w}\n`);
}

/** A plain table (no colours: output is often piped or logged). */
export function table(head: string[], options: { colWidths?: (number | null)[]; colAligns?: ('left' | 'right' | 'center')[] } = {}): Table.Table {
  return new Table({
    head,
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true },
    wordWrap: true,
    wrapOnWordBoundary: true,
    ...(options.colWidths ? { colWidths: options.colWidths } : {}),
    ...(options.colAligns ? { colAligns: options.colAligns } : {}),
  });
}

/** Label/value lines with the labels padded to one width; continuation lines are indented. */
export function keyValues(rows: readonly (readonly [string, string])[], total = 98): string {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => k.padEnd(width) + wrap(v, total - width).split('\n').join('\n' + ' '.repeat(width))).join('\n') + '\n';
}

/** Ascending members as ranges: [1, 2, 3, 5, 7, 8] → "1-3,5,7-8"; "none" when empty. */
export function memberRanges(members: readonly number[], max = 60): string {
  if (members.length === 0) return 'none';
  const sorted = [...members].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  const s = parts.join(',');
  if (s.length <= max) return s;
  const cut = s.lastIndexOf(',', max - 1);
  return `${s.slice(0, cut > 0 ? cut : max)},… (${sorted.length} in all)`;
}

/** log2 of a probability bound for humans: "2^-20.3", "0" for −∞, "1" for 0. */
export function formatLog2(x: number): string {
  if (x === -Infinity) return '0';
  if (x >= 0) return '1';
  return `2^${x.toFixed(1)}`;
}

/** log2 of a probability bound for JSON: −∞ (probability zero) becomes null. */
export function log2Json(x: number): number | null {
  return Number.isFinite(x) ? Math.round(x * 100) / 100 : null;
}

/** How often a probability bound 2^log2p allows something: "as often as 1 round in 37". */
export function oneIn(log2p: number): string {
  if (log2p >= -0.05) return 'as often as every round';
  const n = 2 ** -log2p;
  return `as often as 1 round in ${n < 100 ? n.toFixed(1).replace(/\.0$/, '') : Math.round(n).toLocaleString('en-US')}`;
}

export const percent = (x: number): string => `${Number((x * 100).toFixed(2))}%`;
/** "1,784 B" below 100,000 bytes, "1,155 kB" above. */
export const bytesText = (n: number): string => (n < 100_000 ? `${n.toLocaleString('en-US')} B` : `${Math.round(n / 1000).toLocaleString('en-US')} kB`);
export const msText = (x: number): string => (x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x).toLocaleString('en-US')} ms`);
export const roundMs = (x: number): number => Math.round(x * 10) / 10;

/** Wraps `text` at word boundaries to `width` columns (the report must fit a 100-column terminal). */
export function wrap(text: string, width = 98, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}
