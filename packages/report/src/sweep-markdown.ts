/**
 * The Markdown report of a sweep, for terminals.
 * @module
 */
import { flattenConfig } from './config.js';
import { DASH, fixed, formatEpsilon, formatSeconds, signed } from './format.js';
import { readableTime } from './layout.js';
import { mdEscape, mdTable } from './markdown.js';
import type { SweepReport } from './types.js';
import { validateSweepReport } from './validate.js';

/**
 * Renders a sweep as Markdown: one table row per run (ε, test AUC and accuracy with their differences
 * to the baseline, wall time, a link to the run's report) and the configuration. ε = null prints as
 * "∞ (no DP)". Validates the input first.
 * @example
 * ```ts
 * import { exampleSweepReport, renderSweepMarkdown } from '@tessera/report';
 * process.stdout.write(renderSweepMarkdown(exampleSweepReport()));
 * ```
 */
export function renderSweepMarkdown(s: SweepReport): string {
  validateSweepReport(s);
  const b = s.baseline;
  const out: string[] = [];
  out.push(`# ${mdEscape(s.title)}`, '');
  out.push(`Generated ${readableTime(s.generatedAt)} · parameter: ${mdEscape(s.parameter)} · ${s.points.length} runs`, '');
  if (b) out.push(`Baseline: ${mdEscape(b.name)} — test AUC ${fixed(b.auc)}, accuracy ${fixed(b.accuracy)}.`, '');
  out.push('## Runs', '');
  const link = (p: string | undefined): string => (p === undefined || p === null ? DASH : `[report](${encodeURI(p).replace(/[()]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())})`);
  const rows = s.points.map((p) => [
    mdEscape(p.label),
    mdEscape(String(p.value)),
    formatEpsilon(p.epsilon),
    fixed(p.testAuc),
    b ? signed(p.testAuc - b.auc) : DASH,
    fixed(p.testAccuracy),
    b ? signed(p.testAccuracy - b.accuracy) : DASH,
    formatSeconds(p.wallSeconds),
    link(p.report),
  ]);
  // Cells are escaped above (links must keep their brackets), so build the table by hand.
  const headers = ['run', mdEscape(s.parameter), 'ε spent', 'test AUC', 'Δ AUC', 'test accuracy', 'Δ accuracy', 'wall time', 'report'];
  out.push(`| ${headers.join(' | ')} |`, `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |`, ...rows.map((r) => `| ${r.join(' | ')} |`), '');
  out.push('## Configuration', '');
  const cfg = flattenConfig(s.config);
  out.push(cfg.length ? mdTable(['setting', 'value'], cfg) : 'No configuration was recorded.', '');
  return out.join('\n');
}
