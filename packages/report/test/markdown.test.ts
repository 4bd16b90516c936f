/**
 * Markdown: headline numbers, the tables, escaping, sparklines.
 */
import test from 'ava';
import { exampleSimulationReport, exampleSweepReport, renderSimulationMarkdown, renderSweepMarkdown } from '../src/index.js';
import { mdEscape, mdTable, sparkline } from '../src/markdown.js';

test('simulation Markdown: headline next to the baseline, ε and δ, tables', (t) => {
  const md = renderSimulationMarkdown(exampleSimulationReport());
  t.true(md.startsWith('# PneumoniaMNIST, 5 hospitals, distributed DP\n'));
  t.true(md.includes('| metric | this run | baseline: MedMNIST v2 ResNet-18 (28) | difference |'));
  t.true(md.includes('| test AUC | 0.918 | 0.944 | −0.026 |'));
  t.true(md.includes('| test accuracy | 0.836 | 0.854 | −0.018 |'));
  t.true(md.includes('**Privacy:** ε = 3.48 at δ = 1e-5.'));
  for (const h of ['## Results', '## Summary', '## What each party saw', '## Notes', '## Rounds', '## Sites', '## Configuration']) t.true(md.includes(`\n${h}\n`), h);
  t.regex(md, /\| 6 \| — \| — \| — \| — \| — \| 1\.93 \| 2 \| 2 \(key-share\), 3 \(key-share\), 5 \(masked-input\) \| ABORTED: only 2 of 5 sites/);
  t.true(md.includes('| 2 | St. Anne’s Children’s | 988 | 129 | 859 |'));
  t.true(md.includes('| party | saw | never saw |'));
  t.true(md.includes('| dp.mechanism | ddgauss |'));
  t.regex(md, /Test AUC by round: `[▁-█ ]{10}` \(0\.742 → 0\.918\)/);
  // every table row has the same number of cells as its header
  for (const block of md.split('\n\n').filter((b) => b.startsWith('|'))) {
    const lines = block.split('\n');
    const cells = (l: string) => l.replace(/\\\|/g, '').split('|').length;
    for (const l of lines.filter((x) => x !== '')) t.is(cells(l), cells(lines[0]!), l);
  }
});

test('simulation Markdown without DP says ε = ∞', (t) => {
  const md = renderSimulationMarkdown(exampleSimulationReport({ dp: false }));
  t.true(md.includes('**Privacy:** no differential privacy: ε = ∞.'));
  t.true(md.includes('| ε spent | ∞ (no DP) |'));
});

test('Markdown escapes pipes, angle brackets and newlines in cells', (t) => {
  const r = exampleSimulationReport();
  const md = renderSimulationMarkdown({ ...r, sites: r.sites.map((s, i) => (i === 0 ? { ...s, name: 'A|B <script>\nC' } : s)) });
  t.true(md.includes('| 1 | A\\|B \\<script\\> C |'));
  t.is(mdEscape('`x`'), '\\`x\\`');
  t.is(mdTable(['a', 'b'], [['1', '2']], [1]), '| a | b |\n| --- | ---: |\n| 1 | 2 |');
});

test('sparkline', (t) => {
  t.is(sparkline([0, 0.5, 1]), '▁▅█');
  t.is(sparkline([1, null, 1]), '▅ ▅');
  t.is(sparkline([null]), '');
});

test('sweep Markdown: one row per run, ∞ for no DP, links to each report', (t) => {
  const md = renderSweepMarkdown(exampleSweepReport());
  t.true(md.includes('| run | target ε | ε spent | test AUC | Δ AUC | test accuracy | Δ accuracy | wall time | report |'));
  t.true(md.includes('| ε = 0.5 | 0.5 | 0.49 | 0.781 | −0.163 | 0.694 | −0.160 | 2 min 08 s | [report](runs/eps-0.5/report.html) |'));
  t.true(md.includes('| no DP | none | ∞ (no DP) | 0.931 | −0.013 |'));
  t.true(md.includes('Baseline: MedMNIST v2 ResNet-18 (28) — test AUC 0.944, accuracy 0.854.'));
  t.true(md.includes('| sweep.values | [0.5, 1, 2, 4, 8, "none"] |'));
});
