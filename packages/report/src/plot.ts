/**
 * Figures: the JSON plot description the in-page script turns into a Chart.js chart, and the
 * `<figure>` markup around it (canvas, caption, a no-JS note and a `<details>` data table).
 * @module
 */
import { escapeHtml } from './escape.js';
import { table, type Cell } from './html.js';

/**
 * One series of a plot.
 * @example
 * ```ts
 * const d: PlotDataset = { label: 'test AUC', data: [0.8, 0.85, null, 0.9], color: '#0072B2' };
 * ```
 */
export interface PlotDataset {
  readonly label: string;
  /** y values by category, or `{ x, y }` points on a numeric x axis; null is a gap. */
  readonly data: readonly (number | null)[] | readonly { readonly x: number; readonly y: number | null }[];
  readonly color: string;
  /** Dashed thin line without points: a reference value such as a baseline. */
  readonly dashed?: boolean;
  /** Mixed charts: draw this series as bars or as a line. */
  readonly kind?: 'line' | 'bar';
  /** Diagonal hatching (bars), e.g. for aborted rounds. */
  readonly hatch?: boolean;
  /** Point marker, so series differ by more than colour. */
  readonly pointStyle?: 'circle' | 'rect' | 'triangle' | 'rectRot' | 'crossRot' | 'line';
  /** Extra tooltip line per point (null: none). */
  readonly notes?: readonly (string | null)[];
  /** Digits in tooltips (default 3). */
  readonly digits?: number;
}

/**
 * One axis.
 * @example
 * ```ts
 * const a: PlotAxis = { title: 'AUC', suggestedMin: 0.5, max: 1 };
 * ```
 */
export interface PlotAxis {
  readonly title: string;
  readonly type?: 'category' | 'linear' | 'logarithmic';
  readonly min?: number;
  readonly max?: number;
  readonly suggestedMin?: number;
  readonly suggestedMax?: number;
  /** Whole-number ticks. */
  readonly integer?: boolean;
  /** Explicit tick positions (used for log axes). */
  readonly ticks?: readonly number[];
  /** A tick position that is labelled specially, e.g. ε = ∞ placed at the right end. */
  readonly infinity?: { readonly at: number; readonly label: string };
}

/**
 * Everything the page script needs to draw one chart. Plain JSON: no functions.
 * @example
 * ```ts
 * const spec: PlotSpec = { id: 'auc', type: 'line', labels: ['1', '2'], datasets: [d], x: { title: 'round' }, y: { title: 'AUC' } };
 * ```
 */
export interface PlotSpec {
  /** The figure's `data-plot` id. */
  readonly id: string;
  readonly type: 'line' | 'bar';
  /** Category labels (category x axis, or y axis when `horizontal`). */
  readonly labels?: readonly string[];
  /** Tooltip titles per data index (default: the category label or x value). */
  readonly titles?: readonly string[];
  readonly datasets: readonly PlotDataset[];
  readonly horizontal?: boolean;
  readonly stacked?: boolean;
  /** Category indices to shade (e.g. aborted rounds), with a legend-free pale band. */
  readonly shade?: readonly number[];
  readonly x: PlotAxis;
  readonly y: PlotAxis;
  /** Accessible one-sentence description of the chart (the canvas's `aria-label`). */
  readonly description: string;
}

/**
 * The data table shown under a figure in a `<details>` element.
 * @example
 * ```ts
 * const t: DataTable = { headers: ['round', 'AUC'], rows: [['1', '0.80']] };
 * ```
 */
export interface DataTable {
  readonly headers: readonly Cell[];
  readonly rows: readonly (readonly Cell[])[];
  readonly rowClass?: (i: number) => string | undefined;
}

/**
 * A rendered figure: its markup and, for charts, the spec the page script draws.
 * @example
 * ```ts
 * const f: Figure = chartFigure(spec, 1, 'AUC per round.', table);
 * f.spec?.id; // 'auc'
 * ```
 */
export interface Figure {
  readonly markup: string;
  readonly spec: PlotSpec | null;
}

/**
 * Figure numbering and markup. Ids must be lowercase words with dashes (they are used in selectors).
 * @example
 * ```ts
 * chartFigure(spec, 1, 'AUC per round.', { headers, rows });
 * ```
 */
export function chartFigure(spec: PlotSpec, n: number, caption: string, data: DataTable, options: { wide?: boolean; height?: number } = {}): Figure {
  checkId(spec.id);
  const style = options.height ? ` style="height:${Math.round(options.height)}px"` : '';
  const markup = `<figure class="plot${options.wide ? ' wide' : ''}" data-plot="${spec.id}" data-render="chart" aria-labelledby="cap-${spec.id}">
<div class="chart-box"${style}><canvas role="img" aria-label="${escapeHtml(spec.description)}"></canvas></div>
<noscript><p class="nojs">This chart needs JavaScript. The same numbers are in the data table below.</p></noscript>
<figcaption id="cap-${spec.id}"><strong>Figure ${n}.</strong> ${escapeHtml(caption)}</figcaption>
<details><summary>Data table</summary>${table(data.headers, data.rows, data.rowClass ? { rowClass: data.rowClass } : {})}</details>
</figure>`;
  return { markup, spec };
}

/**
 * A figure without a chart, only a statement (e.g. "no differential privacy: ε = ∞").
 * It keeps its `data-plot` id; the page script reports 0 points for it.
 * @example
 * ```ts
 * textFigure('epsilon', 2, 'No differential privacy: ε = ∞', 'Nothing was added.', 'Privacy spent per round.');
 * ```
 */
export function textFigure(id: string, n: number, statement: string, detail: string, caption: string): Figure {
  checkId(id);
  const markup = `<figure class="plot" data-plot="${id}" data-render="text" aria-labelledby="cap-${id}">
<div class="plot-text" role="note"><span class="big">${escapeHtml(statement)}</span><span class="small">${escapeHtml(detail)}</span></div>
<figcaption id="cap-${id}"><strong>Figure ${n}.</strong> ${escapeHtml(caption)}</figcaption>
</figure>`;
  return { markup, spec: null };
}

function checkId(id: string): void {
  if (!/^[a-z][a-z0-9-]*$/.test(id)) throw new RangeError(`plot id must be lowercase letters, digits and dashes (got ${JSON.stringify(id)})`);
}

/**
 * Counts the points a spec will draw (non-null values), as the page script reports them.
 * @example
 * ```ts
 * pointCount({ ...spec, datasets: [{ label: 'a', data: [1, null, 2], color: '#000' }] }); // 2
 * ```
 */
export function pointCount(spec: PlotSpec): number {
  let n = 0;
  for (const d of spec.datasets) for (const v of d.data) if (v !== null && (typeof v === 'number' || v.y !== null)) n++;
  return n;
}
