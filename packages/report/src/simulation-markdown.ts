/**
 * The Markdown report of one simulated run, for terminals.
 * @module
 */
import { flattenConfig } from './config.js';
import { DASH, fixed, formatBytes, formatDelta, formatEpsilon, formatSeconds, signed } from './format.js';
import { readableTime } from './layout.js';
import { mdEscape, mdTable, sparkline } from './markdown.js';
import { usesDp } from './simulation.js';
import type { SimulationReport } from './types.js';
import { validateSimulationReport } from './validate.js';

/**
 * Renders the report of one run as Markdown: headline numbers next to the baseline, ε and δ, the
 * summary, per-round, site and "what each party saw" tables, the notes and the configuration.
 * Validates the input first (same errors as {@link renderSimulationHtml}).
 * @example
 * ```ts
 * import { exampleSimulationReport, renderSimulationMarkdown } from '@tessera/report';
 * process.stdout.write(renderSimulationMarkdown(exampleSimulationReport()));
 * ```
 */
export function renderSimulationMarkdown(r: SimulationReport): string {
  validateSimulationReport(r);
  const s = r.summary;
  const b = r.baseline;
  const dp = usesDp(r);
  const eps = s.epsilon ?? [...r.rounds].reverse().find((l) => l.epsilon !== null)?.epsilon ?? null;
  const aborted = r.rounds.filter((l) => l.aborted !== null);
  const out: string[] = [];
  out.push(`# ${mdEscape(r.title)}`, '');
  out.push(`Generated ${readableTime(r.generatedAt)} · ${s.sites} sites · ${s.rounds} rounds · classes: ${mdEscape(r.classNames.join(', '))}`, '');

  out.push('## Results', '');
  out.push(
    mdTable(
      ['metric', 'this run', ...(b ? [`baseline: ${b.name}`, 'difference'] : [])],
      [
        ['test AUC', fixed(s.testAuc), ...(b ? [fixed(b.auc), signed(s.testAuc - b.auc)] : [])],
        ['test accuracy', fixed(s.testAccuracy), ...(b ? [fixed(b.accuracy), signed(s.testAccuracy - b.accuracy)] : [])],
        ['balanced accuracy', fixed(s.balancedAccuracy), ...(b ? [DASH, DASH] : [])],
      ],
      b ? [1, 2, 3] : [1],
    ),
    '',
  );
  out.push(dp ? `**Privacy:** ε = ${formatEpsilon(eps)} at δ = ${formatDelta(s.delta)}.` : '**Privacy:** no differential privacy: ε = ∞.', '');
  const auc = r.rounds.map((l) => l.testAuc);
  if (auc.some((v) => v !== null)) out.push(`Test AUC by round: \`${sparkline(auc)}\` (${fixed(auc.find((v) => v !== null) ?? null)} → ${fixed([...auc].reverse().find((v) => v !== null) ?? null)})`, '');
  if (dp) out.push(`ε by round: \`${sparkline(r.rounds.map((l) => l.epsilon))}\``, '');

  out.push('## Summary', '');
  const completed = r.rounds.length - aborted.length;
  out.push(
    mdTable(
      ['', 'value'],
      [
        ['test AUC', fixed(s.testAuc)],
        ['test accuracy', fixed(s.testAccuracy)],
        ['balanced accuracy', fixed(s.balancedAccuracy)],
        ['ε spent', dp ? formatEpsilon(eps) : '∞ (no DP)'],
        ['δ', formatDelta(s.delta)],
        ['rounds (completed / aborted)', `${s.rounds} (${completed} / ${aborted.length})`],
        ['sites', String(s.sites)],
        ['dropouts (all rounds)', String(r.rounds.reduce((a, l) => a + l.dropouts.length, 0))],
        ['wall time', formatSeconds(s.wallSeconds)],
      ],
      [1],
    ),
    '',
  );
  if (aborted.length) out.push(`Aborted rounds: ${aborted.map((l) => `${l.round} (${mdEscape(l.aborted!)})`).join('; ')}.`, '');

  out.push('## What each party saw', '');
  out.push(mdTable(['party', 'saw', 'never saw'], r.parties.map((p) => [p.party, p.saw, p.neverSaw])), '');

  if (r.notes && r.notes.length) {
    out.push('## Notes', '');
    for (const n of r.notes) out.push(mdEscape(n), '');
  }

  out.push('## Rounds', '');
  out.push(
    mdTable(
      ['round', 'loss', 'val AUC', 'test AUC', 'accuracy', 'bal. acc.', 'ε', 'in sum', 'dropouts', 'status', 'time', 'traffic/site'],
      r.rounds.map((l) => [
        String(l.round),
        fixed(l.loss, 4),
        fixed(l.valAuc),
        fixed(l.testAuc),
        fixed(l.testAccuracy),
        fixed(l.balancedAccuracy),
        l.epsilon === null ? DASH : formatEpsilon(l.epsilon),
        String(l.survivors.length),
        l.dropouts.map((d) => `${d.site} (${d.stage})`).join(', ') || DASH,
        l.aborted !== null ? `ABORTED: ${l.aborted}` : 'ok',
        formatSeconds(l.seconds),
        formatBytes(l.bytesPerSite),
      ]),
      [1, 2, 3, 4, 5, 6, 7, 10, 11],
    ),
    '',
  );

  out.push('## Sites', '');
  out.push(
    mdTable(
      ['site', 'name', 'examples', ...r.classNames],
      r.sites.map((x) => [String(x.site), x.name, String(x.examples), ...x.labelCounts.map(String)]),
      [0, 2, ...r.classNames.map((_, i) => i + 3)],
    ),
    '',
  );

  out.push('## Configuration', '');
  const rows = flattenConfig(s.config);
  out.push(rows.length ? mdTable(['setting', 'value'], rows) : 'No configuration was recorded.', '');
  return out.join('\n');
}
