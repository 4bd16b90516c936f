/**
 * The HTML report of a sweep: the privacy–utility curve and a table of runs.
 * @module
 */
import { escapeHtml, toPlainJson } from './escape.js';
import { DASH, fixed, formatEpsilon, formatSeconds, signed } from './format.js';
import { html, num, type Cell } from './html.js';
import { configSection, headlineCards, pageFooter, pageHeader, readableTime, tableSection, type HeadlineCard } from './layout.js';
import { renderPage } from './page.js';
import { chartFigure, type Figure, type PlotAxis } from './plot.js';
import { PALETTE } from './style.js';
import type { SweepPoint, SweepReport } from './types.js';
import { validateSweepReport } from './validate.js';

/**
 * The `data-plot` ids of the sweep page, in page order.
 * @example
 * ```ts
 * SWEEP_PLOTS; // ['privacy-utility', 'by-parameter']
 * ```
 */
export const SWEEP_PLOTS = ['privacy-utility', 'by-parameter'] as const;

const noDp = (e: number | null): boolean => e === null || e === Infinity;

/**
 * Where each point goes on the logarithmic ε axis: finite ε as is, ε = ∞ (null) half a decade or more
 * right of the largest finite ε, under a tick labelled "∞ (no DP)".
 * @example
 * ```ts
 * epsilonAxis([0.5, 8, null]).positions; // [0.5, 8, 27.7…]
 * ```
 */
export function epsilonAxis(epsilons: readonly (number | null)[]): { positions: number[]; axis: PlotAxis } {
  const finite = epsilons.filter((e): e is number => !noDp(e));
  const anyInf = finite.length < epsilons.length;
  // Axis range in decades: a little room around the finite values, then the ∞ column.
  let lo = finite.length ? Math.log10(Math.min(...finite)) : 0;
  let hi = finite.length ? Math.log10(Math.max(...finite)) : 0;
  if (hi - lo < 1) {
    const mid = (hi + lo) / 2;
    lo = mid - 0.5;
    hi = mid + 0.5;
  }
  const pad = 0.08 * (hi - lo) + 0.05;
  const infLog = hi + Math.max(0.45, 0.22 * (hi - lo));
  const infAt = Math.pow(10, infLog);
  // Ticks: 1, 2, 5 × 10^k inside the finite range; only powers of ten when the range is wide.
  const steps = hi - lo >= 2.5 ? [1] : [1, 2, 5];
  const ticks: number[] = [];
  for (let k = Math.floor(lo - pad); k <= Math.ceil(hi + pad); k++)
    for (const m of steps) {
      const t = Number(`${m}e${k}`);
      const lt = Math.log10(t);
      if (lt >= lo - pad - 1e-9 && lt <= hi + pad + 1e-9 && (!anyInf || lt < infLog - 0.3)) ticks.push(t);
    }
  if (anyInf) ticks.push(infAt);
  const axis: PlotAxis = {
    title: 'ε spent (log scale)',
    type: 'logarithmic',
    min: Math.pow(10, lo - pad),
    max: Math.pow(10, (anyInf ? infLog : hi) + pad),
    ticks: finite.length === 0 ? [infAt] : ticks,
    ...(anyInf ? { infinity: { at: infAt, label: '∞ (no DP)' } } : {}),
  };
  return { positions: epsilons.map((e) => (noDp(e) ? infAt : (e as number))), axis };
}

function privacyUtilityFigure(s: SweepReport, n: number): Figure {
  const order = s.points.map((p, i) => ({ p, i })).sort((a, b) => (noDp(a.p.epsilon) ? Infinity : a.p.epsilon!) - (noDp(b.p.epsilon) ? Infinity : b.p.epsilon!) || a.i - b.i);
  const pts = order.map((o) => o.p);
  const { positions, axis } = epsilonAxis(pts.map((p) => p.epsilon));
  const b = s.baseline;
  const span = [axis.min!, axis.max!];
  // A gap (y: null) between the last finite ε and ∞, so no line suggests values in between.
  const firstInf = pts.findIndex((p) => noDp(p.epsilon));
  const gapAt = firstInf > 0 ? Math.sqrt(positions[firstInf - 1]! * positions[firstInf]!) : null;
  const series = (metric: (p: SweepPoint) => number): { x: number; y: number | null }[] => {
    const out: { x: number; y: number | null }[] = pts.map((p, i) => ({ x: positions[i]!, y: metric(p) }));
    if (gapAt !== null) out.splice(firstInf, 0, { x: gapAt, y: null });
    return out;
  };
  const titles = pts.map((p) => `${p.label} — ε = ${formatEpsilon(p.epsilon)}`);
  if (gapAt !== null) titles.splice(firstInf, 0, '');
  const spec = {
    id: 'privacy-utility',
    type: 'line' as const,
    titles,
    description: `Privacy–utility curve: test AUC and accuracy against ε spent on a logarithmic axis, runs without differential privacy at the right end${b ? `; baseline AUC ${fixed(b.auc)} dashed` : ''}.`,
    datasets: [
      { label: 'test AUC', data: series((p) => p.testAuc), color: PALETTE.blue, pointStyle: 'circle' as const },
      { label: 'test accuracy', data: series((p) => p.testAccuracy), color: PALETTE.orange, pointStyle: 'triangle' as const },
      ...(b
        ? [
            { label: `baseline AUC (${b.name})`, data: span.map((x) => ({ x, y: b.auc })), color: PALETTE.blue, dashed: true },
            { label: 'baseline accuracy', data: span.map((x) => ({ x, y: b.accuracy })), color: PALETTE.orange, dashed: true },
          ]
        : []),
    ],
    x: axis,
    y: { title: 'test metric', suggestedMin: 0.5, max: 1 },
  };
  const caption = `Privacy–utility trade-off: test AUC (circles) and accuracy (triangles) of each run against the ε it spent, on a logarithmic axis; smaller ε is stronger privacy. Runs without differential privacy (ε = ∞) sit at the right end.${
    b ? ` Dashed: ${b.name} (AUC ${fixed(b.auc)}, accuracy ${fixed(b.accuracy)}).` : ''
  }`;
  return chartFigure(
    spec,
    n,
    caption,
    {
      headers: ['run', num('ε spent'), num('test AUC'), num('test accuracy')],
      rows: pts.map((p) => [p.label, num(formatEpsilon(p.epsilon)), num(fixed(p.testAuc)), num(fixed(p.testAccuracy))]),
    },
    { wide: true, height: 340 },
  );
}

function byParameterFigure(s: SweepReport, n: number): Figure {
  const b = s.baseline;
  const labels = s.points.map((p) => p.label);
  const spec = {
    id: 'by-parameter',
    type: 'line' as const,
    labels,
    description: `Line chart of test AUC and accuracy for each value of ${s.parameter}, in sweep order.`,
    datasets: [
      { label: 'test AUC', data: s.points.map((p) => p.testAuc), color: PALETTE.blue, pointStyle: 'circle' as const, notes: s.points.map((p) => `ε = ${formatEpsilon(p.epsilon)}`) },
      { label: 'test accuracy', data: s.points.map((p) => p.testAccuracy), color: PALETTE.orange, pointStyle: 'triangle' as const },
      ...(b
        ? [
            { label: 'baseline AUC', data: labels.map(() => b.auc), color: PALETTE.blue, dashed: true },
            { label: 'baseline accuracy', data: labels.map(() => b.accuracy), color: PALETTE.orange, dashed: true },
          ]
        : []),
    ],
    x: { title: s.parameter, type: 'category' as const },
    y: { title: 'test metric', suggestedMin: 0.5, max: 1 },
  };
  return chartFigure(
    spec,
    n,
    `Test AUC and accuracy for each value of ${s.parameter}, in the order the sweep ran.${b ? ' Dashed: the baseline.' : ''}`,
    {
      headers: [s.parameter, num('value'), num('test AUC'), num('test accuracy')],
      rows: s.points.map((p) => [p.label, num(String(p.value)), num(fixed(p.testAuc)), num(fixed(p.testAccuracy))]),
    },
    { wide: true, height: 280 },
  );
}

function timeFigureRows(s: SweepReport): Cell[][] {
  const b = s.baseline;
  return s.points.map((p: SweepPoint) => [
    p.label,
    num(String(p.value)),
    num(formatEpsilon(p.epsilon)),
    num(fixed(p.testAuc)),
    num(b ? signed(p.testAuc - b.auc) : DASH),
    num(fixed(p.testAccuracy)),
    num(b ? signed(p.testAccuracy - b.accuracy) : DASH),
    num(formatSeconds(p.wallSeconds)),
    p.report !== undefined && p.report !== null ? { html: html(`<a href="${escapeHtml(p.report)}">report</a>`) } : DASH,
  ]);
}

/**
 * Renders a sweep as a single self-contained HTML page: the privacy–utility curve (test AUC against ε on
 * a log axis, ε = ∞ at the right end labelled "∞ (no DP)", baseline dashed), the metrics per parameter
 * value, and a table of runs linking to each run's report. Validates the input first.
 *
 * Figures have `data-plot` ids `privacy-utility` and `by-parameter`; the page sets
 * `window.tesseraPlots` and `document.body.dataset.ready = '1'` once they are drawn.
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { exampleSweepReport, renderSweepHtml } from '@tessera/report';
 * writeFileSync('sweep.html', renderSweepHtml(exampleSweepReport()));
 * ```
 */
export function renderSweepHtml(s: SweepReport): string {
  validateSweepReport(s);
  const b = s.baseline;
  const best = s.points.reduce((a, p) => (p.testAuc > a.testAuc ? p : a));
  const strongest = s.points.filter((p) => !noDp(p.epsilon)).reduce<SweepPoint | null>((a, p) => (a === null || p.epsilon! < a.epsilon! ? p : a), null);
  const cards: HeadlineCard[] = [
    { label: 'Runs', value: String(s.points.length), sub: `sweeping ${s.parameter}` },
    { label: 'Best test AUC', value: fixed(best.testAuc), sub: noDp(best.epsilon) ? `${best.label} · ε = ∞` : `${best.label} (ε spent ${formatEpsilon(best.epsilon)})` },
    ...(strongest ? [{ label: 'Strongest privacy', value: `ε = ${formatEpsilon(strongest.epsilon)}`, sub: `test AUC ${fixed(strongest.testAuc)}` }] : []),
    ...(b ? [{ label: 'Baseline AUC', value: fixed(b.auc), sub: b.name }] : []),
  ];
  const figures = [privacyUtilityFigure, byParameterFigure].map((f, i) => f(s, i + 1));
  const body = `<main>
${pageHeader('Tessera · sweep report', s.title, [`Generated ${readableTime(s.generatedAt)}`, `parameter: ${s.parameter}`, `${s.points.length} runs`])}
<section aria-labelledby="h-results"><h2 id="h-results">Results</h2>
${headlineCards(cards)}
</section>
<section aria-labelledby="h-figures"><h2 id="h-figures">Privacy and utility</h2>
<div class="plots">
${figures.map((f) => f.markup).join('\n')}
</div>
</section>
${tableSection(
  'h-runs',
  'Runs',
  ['run', num(s.parameter), num('ε spent'), num('test AUC'), num('Δ AUC vs baseline'), num('test accuracy'), num('Δ acc. vs baseline'), num('wall time'), 'report'],
  timeFigureRows(s),
  { intro: `Each row is one complete simulated run; "report" opens that run's own report.${b ? ` Differences are against ${b.name}.` : ''}` },
)}
${configSection(s.config, 'h-config')}
${pageFooter(s.generatedAt)}
</main>`;
  const plots = figures.flatMap((f) => (f.spec ? [f.spec] : []));
  return renderPage({ title: `${s.title} — Tessera sweep`, body, data: { format: 'tessera-report/1', kind: 'sweep', sweep: toPlainJson(s), plots } });
}
