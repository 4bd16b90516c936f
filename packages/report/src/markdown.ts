/**
 * Markdown for terminals (and anything that renders GitHub-flavoured Markdown): tables, sparklines.
 * @module
 */

/**
 * Escapes text for a Markdown table cell or paragraph: backslash, `|`, `<`, `>`, backtick; newlines
 * become spaces. Readable raw in a terminal, and renders as the original text.
 * @example
 * ```ts
 * mdEscape('a|b <x>'); // 'a\\|b \\<x\\>'
 * ```
 */
export function mdEscape(text: string): string {
  return text.replace(/[\\|<>`]/g, (c) => '\\' + c).replace(/\r?\n|\r/g, ' ');
}

/**
 * A GitHub-flavoured Markdown table. Cells are escaped; columns listed in `right` are right-aligned.
 * @example
 * ```ts
 * mdTable(['site', 'examples'], [['North', '820']], [1]);
 * // '| site | examples |\n| --- | ---: |\n| North | 820 |'
 * ```
 */
export function mdTable(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(mdEscape).join(' | ')} |`;
  const sep = `| ${headers.map((_, i) => (right.includes(i) ? '---:' : '---')).join(' | ')} |`;
  return [line(headers), sep, ...rows.map(line)].join('\n');
}

/**
 * Unicode sparkline (▁▂▃▄▅▆▇█) of a series; null values print as a space.
 * @example
 * ```ts
 * sparkline([0.5, 0.7, null, 0.9]); // '▁▅ █'
 * ```
 */
export function sparkline(values: readonly (number | null)[]): string {
  const bars = '▁▂▃▄▅▆▇█';
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length === 0) return '';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return values.map((v) => (v === null || !Number.isFinite(v) ? ' ' : bars[hi === lo ? 4 : Math.round(((v - lo) / (hi - lo)) * 7)])).join('');
}
