/**
 * The HTML report of one simulated federated run.
 * @module
 */
import { escapeHtml, toPlainJson } from './escape.js';
import { DASH, fixed, formatBytes, formatDelta, formatEpsilon, formatInt, formatSeconds, percent, signed } from './format.js';
import { html, num, type Cell } from './html.js';
import { configSection, headlineCards, pageFooter, pageHeader, readableTime, tableSection, type HeadlineCard } from './layout.js';
import { renderPage } from './page.js';
import { chartFigure, textFigure, type Figure, type PlotSpec } from './plot.js';
import { PALETTE, classColour } from './style.js';
import type { RoundLine, SimulationReport } from './types.js';
import { validateSimulationReport } from './validate.js';

/**
 * The `data-plot` ids of the simulation page, in page order.
 * @example
 * ```ts
 * for (const id of SIMULATION_PLOTS) page.locator(`figure[data-plot="${id}"]`);
 * ```
 */
export const SIMULATION_PLOTS = ['auc', 'accuracy', 'loss', 'epsilon', 'survivors', 'labels'] as const;

/**
 * True when the run used differential privacy (some ε is recorded and finite).
 * @example
 * ```ts
 * usesDp(exampleSimulationReport({ dp: false })); // false
 * ```
 */
export function usesDp(r: SimulationReport): boolean {
  const finite = (e: number | null): boolean => e !== null && Number.isFinite(e);
  return finite(r.summary.epsilon) || r.rounds.some((l) => finite(l.epsilon) || finite(l.epsilonWorstCase));
}

const siteName = (r: SimulationReport, id: number): string => r.sites.find((s) => s.site === id)?.name ?? `site ${id}`;
const dropoutText = (r: SimulationReport, l: RoundLine): string => l.dropouts.map((d) => `${siteName(r, d.site)} (${d.stage})`).join(', ');

/** Per-point tooltip notes: why a round aborted. */
const abortNotes = (r: SimulationReport): (string | null)[] => r.rounds.map((l) => (l.aborted !== null ? `round aborted: ${l.aborted}` : null));

function headline(r: SimulationReport): string {
  const s = r.summary;
  const b = r.baseline;
  const vs = (x: number, ref: number | undefined): Pick<HeadlineCard, 'sub' | 'tone'> =>
    ref === undefined ? {} : { sub: `${signed(x - ref)} vs baseline ${fixed(ref)}`, tone: x - ref < -0.0005 ? 'neg' : x - ref > 0.0005 ? 'pos' : undefined! };
  const clean = (c: HeadlineCard): HeadlineCard => (c.tone === undefined ? { label: c.label, value: c.value, ...(c.sub ? { sub: c.sub } : {}) } : c);
  const dp = usesDp(r);
  const cards: HeadlineCard[] = [
    clean({ label: 'Test AUC', value: fixed(s.testAuc), ...vs(s.testAuc, b?.auc) }),
    clean({ label: 'Test accuracy', value: fixed(s.testAccuracy), ...vs(s.testAccuracy, b?.accuracy) }),
    { label: 'Balanced accuracy', value: fixed(s.balancedAccuracy) },
    dp
      ? { label: 'Privacy spent', value: `ε = ${formatEpsilon(s.epsilon ?? lastEpsilon(r))}`, sub: `δ = ${formatDelta(s.delta)}` }
      : { label: 'Privacy spent', value: 'ε = ∞', sub: 'no differential privacy' },
    { label: 'Rounds', value: String(s.rounds), sub: `${s.sites} sites · ${formatSeconds(s.wallSeconds)}` },
  ];
  const baseline = b
    ? `<p class="callout">Baseline: <strong>${escapeHtml(b.name)}</strong> — test AUC ${escapeHtml(fixed(b.auc))}, accuracy ${escapeHtml(fixed(b.accuracy))}. It is drawn as the dashed line in the figures.</p>`
    : '';
  return `<section aria-labelledby="h-results"><h2 id="h-results">Results</h2>
${headlineCards(cards)}
${baseline}
</section>`;
}

function lastEpsilon(r: SimulationReport): number | null {
  for (let i = r.rounds.length - 1; i >= 0; i--) if (r.rounds[i]!.epsilon !== null) return r.rounds[i]!.epsilon;
  return null;
}

function summaryTable(r: SimulationReport): string {
  const s = r.summary;
  const aborted = r.rounds.filter((l) => l.aborted !== null);
  const completed = r.rounds.filter((l) => l.aborted === null);
  const meanSurvivors = completed.length ? completed.reduce((a, l) => a + l.survivors.length, 0) / completed.length : NaN;
  const dropouts = r.rounds.reduce((a, l) => a + l.dropouts.length, 0);
  const meanSeconds = r.rounds.length ? r.rounds.reduce((a, l) => a + l.seconds, 0) / r.rounds.length : NaN;
  const meanBytes = r.rounds.length ? r.rounds.reduce((a, l) => a + l.bytesPerSite, 0) / r.rounds.length : NaN;
  const b = r.baseline;
  const vs = (x: number, ref: number | undefined): string => (ref === undefined ? fixed(x) : `${fixed(x)}  (baseline ${fixed(ref)}, ${signed(x - ref)})`);
  const rows: Cell[][] = [
    ['Test AUC', num(vs(s.testAuc, b?.auc))],
    ['Test accuracy', num(vs(s.testAccuracy, b?.accuracy))],
    ['Balanced accuracy', num(fixed(s.balancedAccuracy))],
    ['ε spent', num(usesDp(r) ? formatEpsilon(s.epsilon ?? lastEpsilon(r)) : '∞ (no DP)')],
    ['δ', num(formatDelta(s.delta))],
    ['Rounds (completed / aborted)', num(`${s.rounds} (${completed.length} / ${aborted.length})`)],
    ['Sites', num(String(s.sites))],
    ['Mean sites in the sum', num(Number.isNaN(meanSurvivors) ? DASH : meanSurvivors.toFixed(1))],
    ['Dropouts (all rounds)', num(String(dropouts))],
    ['Mean round time', num(Number.isNaN(meanSeconds) ? DASH : formatSeconds(meanSeconds))],
    ['Mean traffic per site per round', num(Number.isNaN(meanBytes) ? DASH : formatBytes(meanBytes))],
    ['Wall time', num(formatSeconds(s.wallSeconds))],
  ];
  return tableSection('h-summary', 'Summary', ['', num('value')], rows, { className: 'kv', ...(b ? { after: `Baseline: ${b.name}.` } : {}) });
}

function roundLabels(r: SimulationReport): string[] {
  return r.rounds.map((l) => String(l.round));
}
const roundTitles = (r: SimulationReport): string[] => r.rounds.map((l) => `Round ${l.round}${l.aborted !== null ? ' (aborted)' : ''}`);
/** Indices of aborted rounds, shaded in the per-round line charts. */
const abortedIdx = (r: SimulationReport): number[] => r.rounds.flatMap((l, i) => (l.aborted !== null ? [i] : []));
const shadeNote = (r: SimulationReport): string => {
  const a = r.rounds.filter((l) => l.aborted !== null).map((l) => l.round);
  return a.length ? ` Shaded: aborted round${a.length > 1 ? 's' : ''} ${a.join(', ')}.` : '';
};
const abortedClass = (r: SimulationReport) => (i: number) => (r.rounds[i]?.aborted !== null ? 'aborted' : undefined);

/**
 * A per-round line chart of two model metrics (the first with the abort notes) and, when the run has a
 * published baseline, that baseline as a dashed line, with its data table.
 */
function metricFigure(r: SimulationReport, n: number, o: {
  readonly id: string;
  /** The metric's name on the axis and in the baseline's label ('AUC', 'accuracy'). */
  readonly metric: string;
  readonly baseline: { readonly name: string; readonly value: number } | null;
  /** [first, second]: label, values, colour and marker of each series. */
  readonly series: readonly [MetricSeries, MetricSeries];
  /** The series' order in the data table's columns. */
  readonly tableOrder: readonly [0 | 1, 0 | 1];
  readonly description: string;
  /** The caption is lead + "Dashed: …" (with a baseline) + tail + the shading note. */
  readonly lead: string;
  readonly tail: string;
}): Figure {
  const b = o.baseline;
  const labels = roundLabels(r);
  const [first, second] = o.series;
  const spec: PlotSpec = {
    id: o.id,
    type: 'line',
    shade: abortedIdx(r),
    labels,
    titles: roundTitles(r),
    description: o.description + (b ? `, with the baseline ${o.metric} ${fixed(b.value)} as a dashed line.` : '.'),
    datasets: [
      { label: first.label, data: first.values, color: first.color, pointStyle: first.pointStyle, notes: abortNotes(r) },
      { label: second.label, data: second.values, color: second.color, pointStyle: second.pointStyle },
      ...(b ? [{ label: `baseline ${o.metric} (${b.name})`, data: labels.map(() => b.value), color: PALETTE.grey, dashed: true }] : []),
    ],
    x: { title: 'round', type: 'category' },
    y: { title: o.metric, suggestedMin: 0.5, max: 1 },
  };
  const caption = `${o.lead}${b ? ` Dashed: ${b.name} (${o.metric} ${fixed(b.value)}).` : ''}${o.tail}${shadeNote(r)}`;
  const columns = o.tableOrder.map((k) => o.series[k]);
  return chartFigure(spec, n, caption, {
    headers: ['round', ...columns.map((c) => num(c.label)), ...(b ? [num(`baseline ${o.metric}`)] : [])],
    rows: r.rounds.map((l, i) => [String(l.round), ...columns.map((c) => num(fixed(c.values[i]))), ...(b ? [num(fixed(b.value))] : [])]),
    rowClass: abortedClass(r),
  });
}

interface MetricSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color: string;
  readonly pointStyle: 'circle' | 'rect' | 'triangle';
}

function aucFigure(r: SimulationReport, n: number): Figure {
  return metricFigure(r, n, {
    id: 'auc',
    metric: 'AUC',
    baseline: r.baseline ? { name: r.baseline.name, value: r.baseline.auc } : null,
    series: [
      { label: 'test AUC', values: r.rounds.map((l) => l.testAuc), color: PALETTE.blue, pointStyle: 'circle' },
      { label: 'validation AUC', values: r.rounds.map((l) => l.valAuc), color: PALETTE.green, pointStyle: 'rect' },
    ],
    tableOrder: [1, 0],
    description: 'Line chart of validation and test AUC per round',
    lead: 'Area under the ROC curve of the global model after each round, on the validation and test sets.',
    tail: ' Gaps are rounds without an evaluation.',
  });
}

function accuracyFigure(r: SimulationReport, n: number): Figure {
  return metricFigure(r, n, {
    id: 'accuracy',
    metric: 'accuracy',
    baseline: r.baseline ? { name: r.baseline.name, value: r.baseline.accuracy } : null,
    series: [
      { label: 'test accuracy', values: r.rounds.map((l) => l.testAccuracy), color: PALETTE.blue, pointStyle: 'circle' },
      { label: 'balanced accuracy', values: r.rounds.map((l) => l.balancedAccuracy), color: PALETTE.orange, pointStyle: 'triangle' },
    ],
    tableOrder: [0, 1],
    description: 'Line chart of test accuracy and balanced accuracy per round',
    lead: 'Test accuracy and balanced accuracy (the mean of per-class recalls, which is not flattered by class imbalance) after each round.',
    tail: '',
  });
}

function lossFigure(r: SimulationReport, n: number): Figure {
  const spec: PlotSpec = {
    id: 'loss',
    type: 'line',
    shade: abortedIdx(r),
    labels: roundLabels(r),
    titles: roundTitles(r),
    description: 'Line chart of the mean local training loss per round.',
    datasets: [{ label: 'mean local training loss', data: r.rounds.map((l) => l.loss), color: PALETTE.vermillion, pointStyle: 'rectRot', digits: 4, notes: abortNotes(r) }],
    x: { title: 'round', type: 'category' },
    y: { title: 'loss', suggestedMin: 0 },
  };
  return chartFigure(spec, n, `Mean local training loss over the sites that trained in each round (cross-entropy on their own data). Gaps: no site computed a loss.${shadeNote(r)}`, {
    headers: ['round', num('mean local loss')],
    rows: r.rounds.map((l) => [String(l.round), num(fixed(l.loss, 4))]),
    rowClass: abortedClass(r),
  });
}

function epsilonFigure(r: SimulationReport, n: number): Figure {
  if (!usesDp(r)) {
    return textFigure(
      'epsilon',
      n,
      'No differential privacy: ε = ∞',
      'No noise was added to the model updates, so there is no privacy budget to account.',
      'Privacy spent per round (ε).',
    );
  }
  const delta = formatDelta(r.summary.delta);
  if (!r.rounds.some((l) => l.epsilon !== null || l.epsilonWorstCase !== null)) {
    return textFigure(
      'epsilon',
      n,
      `ε = ${formatEpsilon(r.summary.epsilon)} in total`,
      `At δ = ${delta}. No per-round values were recorded, so there is no curve to draw.`,
      'Privacy spent per round (ε).',
    );
  }
  const worst = r.rounds.some((l) => l.epsilonWorstCase !== null);
  const spec: PlotSpec = {
    id: 'epsilon',
    type: 'line',
    shade: abortedIdx(r),
    labels: roundLabels(r),
    titles: roundTitles(r),
    description: `Line chart of the cumulative privacy loss ε after each round at δ = ${delta}${worst ? ', with the worst case as a second line' : ''}.`,
    datasets: [
      { label: 'ε spent', data: r.rounds.map((l) => l.epsilon), color: PALETTE.purple, pointStyle: 'circle', digits: 3, notes: abortNotes(r) },
      ...(worst ? [{ label: 'ε, worst case', data: r.rounds.map((l) => l.epsilonWorstCase), color: PALETTE.black, pointStyle: 'triangle' as const, digits: 3 }] : []),
    ],
    x: { title: 'round', type: 'category' },
    y: { title: 'cumulative ε', min: 0 },
  };
  const caption = `Cumulative privacy loss ε after each round, at δ = ${delta}.${
    worst ? ' Triangles: the worst-case ε the accountant reports for the same rounds.' : ''
  }${shadeNote(r)}`;
  return chartFigure(spec, n, caption, {
    headers: ['round', num('ε spent'), ...(worst ? [num('ε worst case')] : [])],
    rows: r.rounds.map((l) => [String(l.round), num(l.epsilon === null ? DASH : formatEpsilon(l.epsilon)), ...(worst ? [num(l.epsilonWorstCase === null ? DASH : formatEpsilon(l.epsilonWorstCase))] : [])]),
    rowClass: abortedClass(r),
  });
}

function survivorsFigure(r: SimulationReport, n: number): Figure {
  const total = Math.max(r.summary.sites, r.sites.length, ...r.rounds.map((l) => l.survivors.length + l.dropouts.length));
  const aborted = r.rounds.filter((l) => l.aborted !== null);
  const spec: PlotSpec = {
    id: 'survivors',
    type: 'bar',
    stacked: true,
    labels: roundLabels(r),
    titles: roundTitles(r),
    description: `Stacked bar chart of sites in the secure sum and sites that dropped out, per round${aborted.length ? `; ${aborted.length} aborted round(s) shown as hatched full bars` : ''}.`,
    datasets: [
      { label: 'in the sum', data: r.rounds.map((l) => (l.aborted !== null ? null : l.survivors.length)), color: PALETTE.blue, digits: 0 },
      {
        label: 'dropped out',
        data: r.rounds.map((l) => (l.aborted !== null ? null : l.dropouts.length)),
        color: PALETTE.orange,
        digits: 0,
        notes: r.rounds.map((l) => (l.dropouts.length && l.aborted === null ? dropoutText(r, l) : null)),
      },
      ...(aborted.length
        ? [
            {
              label: 'round aborted',
              data: r.rounds.map((l) => (l.aborted !== null ? total : null)),
              color: PALETTE.vermillion,
              hatch: true,
              digits: 0,
              notes: r.rounds.map((l) => (l.aborted !== null ? `${l.aborted}${l.dropouts.length ? `; dropped: ${dropoutText(r, l)}` : ''}` : null)),
            },
          ]
        : []),
    ],
    x: { title: 'round', type: 'category' },
    y: { title: 'sites', min: 0, max: total, integer: true },
  };
  const caption = `Sites whose input is in each round’s secure sum, and sites that dropped out.${
    aborted.length ? ` Hatched: aborted round${aborted.length > 1 ? 's' : ''} ${aborted.map((l) => l.round).join(', ')} — nothing was aggregated and the model was not updated.` : ' No round aborted.'
  }`;
  return chartFigure(spec, n, caption, {
    headers: ['round', num('in the sum'), num('dropped out'), 'survivors', 'dropouts (stage)', 'status'],
    rows: r.rounds.map((l) => [
      String(l.round),
      num(l.aborted !== null ? '0' : String(l.survivors.length)),
      num(String(l.dropouts.length)),
      l.survivors.join(', ') || DASH,
      l.dropouts.map((d) => `${d.site} (${d.stage})`).join(', ') || DASH,
      l.aborted !== null ? { html: html(`<span class="tag bad">aborted</span> ${escapeHtml(l.aborted)}`) } : { html: html('<span class="tag ok">aggregated</span>') },
    ]),
    rowClass: abortedClass(r),
  });
}

function labelsFigure(r: SimulationReport, n: number): Figure {
  const spec: PlotSpec = {
    id: 'labels',
    type: 'bar',
    stacked: true,
    horizontal: true,
    labels: r.sites.map((s) => s.name),
    description: `Stacked horizontal bar chart of each site’s training examples per class (${r.classNames.join(', ')}).`,
    datasets: r.classNames.map((c, k) => ({
      label: c,
      data: r.sites.map((s) => s.labelCounts[k]!),
      color: classColour(k),
      digits: 0,
      notes: r.sites.map((s) => `${percent(s.labelCounts[k]!, s.labelCounts.reduce((a, x) => a + x, 0))} of ${s.name}`),
    })),
    x: { title: 'training examples', min: 0 },
    y: { title: '', type: 'category' },
  };
  const height = Math.max(270, 34 * r.sites.length + 110);
  return chartFigure(
    spec,
    n,
    `Label distribution of each site’s training data, one colour per class. Different mixes across sites (non-IID data) are what makes federated training harder than pooled training.`,
    {
      headers: ['site', 'name', num('examples'), ...r.classNames.map((c) => num(c))],
      rows: r.sites.map((s) => {
        const sum = s.labelCounts.reduce((a, x) => a + x, 0);
        return [String(s.site), s.name, num(formatInt(s.examples)), ...s.labelCounts.map((x) => num(`${formatInt(x)} (${percent(x, sum)})`))];
      }),
    },
    { height },
  );
}

function roundsTable(r: SimulationReport): string {
  const aborted = r.rounds.filter((l) => l.aborted !== null);
  const rows: Cell[][] = r.rounds.map((l) => [
    String(l.round),
    num(fixed(l.loss, 4)),
    num(fixed(l.valAuc)),
    num(fixed(l.testAuc)),
    num(fixed(l.testAccuracy)),
    num(fixed(l.balancedAccuracy)),
    num(l.epsilon === null ? DASH : formatEpsilon(l.epsilon)),
    num(l.aborted !== null ? '0' : `${l.survivors.length}`),
    l.dropouts.length ? { html: html(l.dropouts.map((d) => `<span class="nw">${escapeHtml(`${siteName(r, d.site)} (${d.stage})`)}</span>`).join(', ')) } : DASH,
    l.aborted !== null ? { html: html(`<span class="tag bad">aborted</span>`) } : { html: html('<span class="tag ok">ok</span>') },
    num(formatSeconds(l.seconds)),
    num(formatBytes(l.bytesPerSite)),
  ]);
  return tableSection(
    'h-rounds',
    'Rounds',
    ['round', num('loss'), num('val AUC'), num('test AUC'), num('accuracy'), num('bal. acc.'), num('ε'), num('in sum'), 'dropouts', 'status', num('time'), num('traffic / site')],
    rows,
    {
      intro: 'One line per round of metrics.jsonl. Traffic is the mean number of bytes each site sent and received.',
      rowClass: abortedClass(r),
      ...(aborted.length ? { after: aborted.map((l) => `Round ${l.round} aborted: ${l.aborted}.`).join(' ') } : {}),
    },
  );
}

function sitesTable(r: SimulationReport): string {
  const inSum = (id: number): number => r.rounds.filter((l) => l.aborted === null && l.survivors.includes(id)).length;
  const completed = r.rounds.filter((l) => l.aborted === null).length;
  return tableSection(
    'h-sites',
    'Sites',
    ['site', 'name', num('examples'), ...r.classNames.map((c) => num(c)), num('rounds in the sum')],
    r.sites.map((s) => [String(s.site), s.name, num(formatInt(s.examples)), ...s.labelCounts.map((x) => num(formatInt(x))), num(`${inSum(s.site)} / ${completed}`)]),
  );
}

function partiesTable(r: SimulationReport): string {
  return tableSection(
    'h-parties',
    'What each party saw',
    ['party', 'saw', 'never saw'],
    r.parties.map((p) => [p.party, p.saw, p.neverSaw]),
    { intro: 'Who could see what during training, in plain language.' },
  );
}

function notesSection(r: SimulationReport): string {
  if (!r.notes || r.notes.length === 0) return '';
  return `<section aria-labelledby="h-notes" class="notes"><h2 id="h-notes">Notes</h2>
${r.notes.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
</section>`;
}

/**
 * Renders the report of one simulated run as a single self-contained HTML page (inline CSS, inline
 * Chart.js, data as a JSON island, strict CSP; no network access). Validates the input first and
 * throws a `TypeError`/`RangeError` naming the bad field.
 *
 * The page contains figures with `data-plot` ids `auc`, `accuracy`, `loss`, `epsilon`, `survivors`
 * and `labels`; when drawn it sets `window.tesseraPlots[id]` to the number of points drawn (0 for the
 * text-only "no differential privacy" figure) and `document.body.dataset.ready = '1'`.
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { exampleSimulationReport, renderSimulationHtml } from '@tessera/report';
 * writeFileSync('report.html', renderSimulationHtml(exampleSimulationReport()));
 * ```
 */
export function renderSimulationHtml(r: SimulationReport): string {
  validateSimulationReport(r);
  const figures = [aucFigure, accuracyFigure, lossFigure, epsilonFigure, survivorsFigure, labelsFigure].map((f, i) => f(r, i + 1));
  const plots = figures.flatMap((f) => (f.spec ? [f.spec] : []));
  const meta = [`Generated ${readableTime(r.generatedAt)}`, `${r.summary.sites} sites`, `${r.summary.rounds} rounds`, `classes: ${r.classNames.join(', ')}`];
  const body = `<main>
${pageHeader('Tessera · federated training report', r.title, meta)}
${headline(r)}
<section aria-labelledby="h-figures"><h2 id="h-figures">Training and privacy</h2>
<div class="plots">
${figures.map((f) => f.markup).join('\n')}
</div>
</section>
${summaryTable(r)}
${partiesTable(r)}
${notesSection(r)}
${sitesTable(r)}
${roundsTable(r)}
${configSection(r.summary.config, 'h-config')}
${pageFooter(r.generatedAt)}
</main>`;
  return renderPage({ title: `${r.title} — Tessera report`, body, data: { format: 'tessera-report/1', kind: 'simulation', report: toPlainJson(r), plots } });
}
