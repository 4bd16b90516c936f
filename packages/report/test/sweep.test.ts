/**
 * The sweep page: the privacy–utility curve on a log ε axis with ε = ∞ at the right end, the runs table
 * with links, self-containment and escaping.
 */
import test from 'ava';
import { epsilonAxis, exampleSweepReport, renderSweepHtml, SWEEP_PLOTS, type SweepReport } from '../src/index.js';
import { island, markupOnly, plotIds } from './helpers.js';

const s = exampleSweepReport();

test('sweep page: figures, the ∞ point at the right end, baseline dashed', (t) => {
  const page = renderSweepHtml(s);
  t.deepEqual(plotIds(page), [...SWEEP_PLOTS]);
  const spec = island(page).plots.find((p: { id: string }) => p.id === 'privacy-utility');
  t.is(spec.x.type, 'logarithmic');
  t.is(spec.x.infinity.label, '∞ (no DP)');
  const auc = spec.datasets[0].data.filter((p: { y: number | null }) => p.y !== null);
  t.is(auc.length, s.points.length);
  const xs = auc.map((p: { x: number }) => p.x);
  t.deepEqual(xs, [...xs].sort((a, b) => a - b), 'sorted by ε');
  t.is(xs[xs.length - 1], spec.x.infinity.at, 'no-DP point at the ∞ tick');
  t.true(spec.x.infinity.at > Math.max(...s.points.filter((p) => p.epsilon !== null).map((p) => p.epsilon!)));
  t.true(spec.x.max > spec.x.infinity.at && spec.x.min < 0.49);
  t.true(spec.datasets[0].data.some((p: { y: number | null }) => p.y === null), 'the line breaks before ∞');
  const baseline = spec.datasets.find((d: { label: string }) => d.label.startsWith('baseline AUC'));
  t.true(baseline.dashed);
  t.deepEqual(baseline.data.map((p: { y: number }) => p.y), [0.944, 0.944]);
  t.regex(page, /<a href="runs\/eps-0\.5\/report\.html">report<\/a>/);
  t.regex(page, /<th scope="row">no DP<\/th><td class="num">none<\/td><td class="num">∞ \(no DP\)<\/td>/);
  t.deepEqual(island(page).sweep, JSON.parse(JSON.stringify(s)));
});

test('epsilonAxis: only ∞, only finite, ticks inside the range', (t) => {
  const inf = epsilonAxis([null, null]);
  t.deepEqual(inf.axis.ticks, [inf.axis.infinity!.at]);
  t.true(inf.axis.min! < inf.positions[0]! && inf.positions[0]! < inf.axis.max!);
  const fin = epsilonAxis([0.1, 100]);
  t.is(fin.axis.infinity, undefined);
  t.deepEqual(fin.axis.ticks, [0.1, 1, 10, 100]);
  const one = epsilonAxis([3]);
  t.true(one.axis.min! < 3 && one.axis.max! > 3);
  for (const x of [fin, one]) for (const tk of x.axis.ticks!) t.true(tk >= x.axis.min! && tk <= x.axis.max!);
});

test('sweep with a single no-DP point, string values, no baseline, no links', (t) => {
  const only: SweepReport = { title: 't', generatedAt: '2026-01-01T00:00:00Z', parameter: 'sites', points: [{ label: 'n=5', value: 5, epsilon: null, testAuc: 0.9, testAccuracy: 0.8, wallSeconds: 3 }], config: {} };
  const page = renderSweepHtml(only);
  t.deepEqual(plotIds(page), [...SWEEP_PLOTS]);
  t.false(page.includes('<a href'));
});

test('sweep page is self-contained and escapes', (t) => {
  const evil = '<script>alert(1)</script>';
  const page = renderSweepHtml({ ...s, title: evil, parameter: evil, points: s.points.map((p) => ({ ...p, label: evil, value: evil, report: `a"><script>x</script>.html` })) });
  t.is(page.split('<script>alert').length, 1);
  t.is(page.match(/<script\b/g)!.length, 3);
  t.regex(page, /<a href="a&quot;&gt;&lt;script&gt;x&lt;\/script&gt;\.html">/);
  const markup = markupOnly(page);
  t.notRegex(markup, /\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  t.notRegex(markup, /<link\b/i);
});
