/**
 * The simulation page: renders the realistic fixture (5 sites, 10 rounds, dropouts, an aborted round),
 * with and without DP; is self-contained; escapes every string; carries its data as a JSON island.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { exampleSimulationReport, renderSimulationHtml, SIMULATION_PLOTS, type SimulationReport } from '../src/index.js';
import { island, markupOnly, plotIds } from './helpers.js';

const dp = exampleSimulationReport();
const noDp = exampleSimulationReport({ dp: false });

test('fixture: 5 sites, 10 rounds, dropouts, an aborted round', (t) => {
  t.is(dp.sites.length, 5);
  t.is(dp.rounds.length, 10);
  t.true(dp.rounds.some((l) => l.dropouts.length > 0));
  t.true(dp.rounds.some((l) => l.aborted !== null));
});

test('DP page: every figure, with caption, in order; headline numbers and baseline', (t) => {
  const page = renderSimulationHtml(dp);
  t.true(page.startsWith('<!doctype html>'));
  t.deepEqual(plotIds(page), [...SIMULATION_PLOTS]);
  for (const id of SIMULATION_PLOTS) {
    const fig = new RegExp(`<figure[^>]*data-plot="${id}"[\\s\\S]*?</figure>`).exec(page)![0];
    t.regex(fig, /<figcaption[^>]*>/, id);
    t.regex(fig, /<canvas role="img" aria-label="[^"]+">/, id);
    t.regex(fig, /<details><summary>Data table<\/summary><div class="table-wrap"><table>/, id);
  }
  t.regex(page, /<span class="value">0\.918<\/span><span class="sub delta-neg">−0\.026 vs baseline 0\.944<\/span>/);
  t.regex(page, /<span class="value">0\.836<\/span>/);
  t.regex(page, /ε = 3\.48/);
  t.regex(page, /δ = 1e-5/);
  t.true(page.includes('MedMNIST v2 ResNet-18 (28)'));
  t.regex(page, /<h2 id="h-parties">What each party saw<\/h2>/);
  t.regex(page, /<h2 id="h-notes">Notes<\/h2>/);
  t.regex(page, /<h2 id="h-config">Configuration<\/h2>/);
  t.regex(page, /<td class="key">dp\.mechanism<\/td><td class="val">ddgauss<\/td>/);
  t.regex(page, /Round 6 aborted: only 2 of 5 sites/);
  t.regex(page, /<tr class="aborted">/);
});

test('no-DP page: the ε figure is a text figure saying ε = ∞', (t) => {
  const page = renderSimulationHtml(noDp);
  t.deepEqual(plotIds(page), [...SIMULATION_PLOTS]);
  const fig = /<figure[^>]*data-plot="epsilon"[\s\S]*?<\/figure>/.exec(page)![0];
  t.regex(fig, /data-render="text"/);
  t.regex(fig, /No differential privacy: ε = ∞/);
  t.false(fig.includes('<canvas'));
  const specs = island(page).plots.map((p: { id: string }) => p.id);
  t.deepEqual(specs, SIMULATION_PLOTS.filter((id) => id !== 'epsilon'));
  t.regex(page, /<span class="value">ε = ∞<\/span><span class="sub">no differential privacy<\/span>/);
});

test('without a baseline: no dashed series and no "vs baseline"', (t) => {
  const { baseline: _, ...rest } = dp;
  const page = renderSimulationHtml(rest);
  t.false(page.includes('vs baseline'));
  for (const spec of island(page).plots) t.false(spec.datasets.some((d: { dashed?: boolean }) => d.dashed), spec.id);
});

test('self-contained: no external src/href, no <link>, CSP with script hashes that match', (t) => {
  for (const r of [dp, noDp]) {
    const page = renderSimulationHtml(r);
    const markup = markupOnly(page);
    t.notRegex(markup, /\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    t.notRegex(markup, /<link\b/i);
    t.notRegex(markup, /<script[^>]+src=/i);
    t.notRegex(markup, /<(iframe|img|object|embed)\b/i);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)![1]!.replace(/&#39;/g, "'");
    t.regex(csp, /^default-src 'none'; /);
    t.regex(csp, /style-src 'unsafe-inline'/);
    t.regex(csp, /img-src data:/);
    t.notRegex(csp, /script-src[^;]*'unsafe-inline'/);
    const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    t.is(scripts.length, 2, 'Chart.js and the page script');
    for (const s of scripts) t.true(csp.includes(`'sha256-${createHash('sha256').update(s).digest('base64')}'`));
    t.true(scripts[0]!.includes('Chart.js v4'), 'Chart.js inlined');
  }
});

test('escaping: hostile strings in names, notes and config appear only escaped', (t) => {
  const evil = '<script>alert(1)</script>';
  const r: SimulationReport = {
    ...dp,
    title: `Run ${evil}`,
    classNames: [`normal ${evil}`, 'pneumonia"\''],
    sites: dp.sites.map((s, i) => (i === 1 ? { ...s, name: evil } : s)),
    parties: [{ party: evil, saw: `<img src=x onerror=alert(1)>`, neverSaw: '" onmouseover="alert(1)' }],
    notes: [`note ${evil}`, '</script><script>alert(2)</script>'],
    summary: { ...dp.summary, config: { [evil]: evil, nested: { s: '</script>', u: '\u2028' } } },
    baseline: { name: evil, auc: 0.9, accuracy: 0.8 },
    rounds: dp.rounds.map((l) => (l.aborted ? { ...l, aborted: evil, dropouts: [{ site: 2, stage: evil }] } : l)),
  };
  const page = renderSimulationHtml(r);
  t.is(page.split('<script>alert').length, 1, 'no raw <script>alert');
  t.false(page.includes('<img'));
  t.false(markupOnly(page).includes('" onmouseover'), 'attribute quotes escaped');
  t.true(markupOnly(page).includes('&quot; onmouseover=&quot;alert(1)'));
  t.true(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  // exactly three <script> elements: the island, Chart.js, the page script
  t.is(page.match(/<script\b/g)!.length, 3);
  t.is(page.match(/<\/script>/g)!.length, 3);
  t.deepEqual(island(page).report, JSON.parse(JSON.stringify(r)));
});

test('JSON island round-trips the report and holds the plot specs', (t) => {
  const page = renderSimulationHtml(dp);
  const data = island(page);
  t.is(data.kind, 'simulation');
  t.deepEqual(data.report, JSON.parse(JSON.stringify(dp)));
  const auc = data.plots.find((p: { id: string }) => p.id === 'auc');
  t.deepEqual(auc.datasets[0].data, dp.rounds.map((l) => l.testAuc));
  t.is(auc.datasets[2].dashed, true);
  t.deepEqual(auc.datasets[2].data, dp.rounds.map(() => 0.944));
  const survivors = data.plots.find((p: { id: string }) => p.id === 'survivors');
  t.deepEqual(survivors.datasets.map((d: { label: string }) => d.label), ['in the sum', 'dropped out', 'round aborted']);
  t.deepEqual(survivors.datasets[2].data, dp.rounds.map((l) => (l.aborted ? 5 : null)));
  const labels = data.plots.find((p: { id: string }) => p.id === 'labels');
  t.deepEqual(labels.labels, dp.sites.map((s) => s.name));
  t.deepEqual(labels.datasets.map((d: { data: number[] }) => d.data), [dp.sites.map((s) => s.labelCounts[0]), dp.sites.map((s) => s.labelCounts[1])]);
});

test('odd but valid inputs render: no rounds, Infinity ε, cyclic/bigint config, many classes', (t) => {
  t.notThrows(() => renderSimulationHtml({ ...dp, rounds: [], summary: { ...dp.summary, rounds: 0 } }));
  t.notThrows(() => renderSimulationHtml({ ...noDp, summary: { ...noDp.summary, epsilon: Infinity } }));
  const cyclic: any = { a: 1n, f: () => 1 };
  cyclic.self = cyclic;
  const page = renderSimulationHtml({ ...dp, summary: { ...dp.summary, config: cyclic } });
  t.regex(page, /<td class="key">self<\/td><td class="val">\[circular\]<\/td>/);
  const onlyTotal = renderSimulationHtml({ ...dp, rounds: dp.rounds.map((l) => ({ ...l, epsilon: null, epsilonWorstCase: null })) });
  t.regex(/<figure[^>]*data-plot="epsilon"[\s\S]*?<\/figure>/.exec(onlyTotal)![0], /data-render="text"[\s\S]*ε = 3\.48 in total/);
  const classes = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  t.notThrows(() => renderSimulationHtml({ ...dp, classNames: classes, sites: dp.sites.map((s) => ({ ...s, labelCounts: classes.map(() => 10) })) }));
});
