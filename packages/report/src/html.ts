/**
 * Small HTML builders. Every string that is not explicitly marked as HTML is escaped.
 * @module
 */
import { escapeHtml } from './escape.js';

/**
 * Markup that is already safe (built by this package from escaped parts).
 * @example
 * ```ts
 * const h: Html = html(`<strong>${escapeHtml(name)}</strong>`);
 * ```
 */
export interface Html {
  readonly __html: string;
}

/**
 * Marks a string as already-escaped markup.
 * @example
 * ```ts
 * html('<em>ok</em>').__html; // '<em>ok</em>'
 * ```
 */
export function html(markup: string): Html {
  return { __html: markup };
}

/**
 * A table cell: plain text (escaped), or markup; `num` right-aligns it.
 * @example
 * ```ts
 * const c: Cell = { text: '0.944', num: true };
 * ```
 */
export type Cell = string | { readonly text: string; readonly num?: boolean } | { readonly html: Html; readonly num?: boolean };

const cellHtml = (c: Cell): string => (typeof c === 'string' ? escapeHtml(c) : 'html' in c ? c.html.__html : escapeHtml(c.text));
const isNum = (c: Cell): boolean => typeof c !== 'string' && c.num === true;

/**
 * A `<table>` with a header row; `rowClass` may add a class per row (e.g. `aborted`).
 * @example
 * ```ts
 * table(['site', { text: 'examples', num: true }], [['North', { text: '820', num: true }]]);
 * ```
 */
export function table(headers: readonly Cell[], rows: readonly (readonly Cell[])[], options: { caption?: string; rowClass?: (i: number) => string | undefined; className?: string } = {}): string {
  const head = headers.map((h) => `<th scope="col"${isNum(h) ? ' class="num"' : ''}>${cellHtml(h)}</th>`).join('');
  const body = rows
    .map((row, i) => {
      const cls = options.rowClass?.(i);
      const cells = row.map((c, j) => (j === 0 ? `<th scope="row"${isNum(c) ? ' class="num"' : ''}>${cellHtml(c)}</th>` : `<td${isNum(c) ? ' class="num"' : ''}>${cellHtml(c)}</td>`));
      return `<tr${cls ? ` class="${escapeHtml(cls)}"` : ''}>${cells.join('')}</tr>`;
    })
    .join('\n');
  const caption = options.caption ? `<caption class="sr-only">${escapeHtml(options.caption)}</caption>` : '';
  return `<div class="table-wrap"><table${options.className ? ` class="${escapeHtml(options.className)}"` : ''}>${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/**
 * A right-aligned numeric cell.
 * @example
 * ```ts
 * num('0.944'); // { text: '0.944', num: true }
 * ```
 */
export function num(text: string): Cell {
  return { text, num: true };
}
