/**
 * The audit page of one transcript (`tessera audit report --html`): the session, every round's
 * participants, survivors, dropouts and outcome, ε per round, and the anomalies an auditor should look
 * at (integrity failures, aborted rounds, rounds a member aborted itself). A self-contained page built
 * with the same shell, layout and chart helpers as the simulation page.
 * @module
 */
import { escapeHtml, toPlainJson } from './escape.js';
import { DASH, formatDelta, formatEpsilon } from './format.js';
import { html, num, type Cell } from './html.js';
import { configSection, headlineCards, pageFooter, pageHeader, readableTime, tableSection, type HeadlineCard } from './layout.js';
import { renderPage } from './page.js';
import { chartFigure, textFigure, type Figure, type PlotSpec } from './plot.js';
import { PALETTE } from './style.js';
import { validateAuditSummary, type AuditRound, type AuditSummary } from './audit-types.js';

export type { AuditAnomaly, AuditDropout, AuditMember, AuditRound, AuditSession, AuditSummary } from './audit-types.js';
export { validateAuditSummary } from './audit-types.js';
export { renderAuditMarkdown } from './audit-markdown.js';

/**
 * The `data-plot` ids of the audit page, in page order.
 * @example
 * ```ts
 * AUDIT_PLOTS; // ['audit-survivors', 'audit-epsilon']
 * ```
 */
export const AUDIT_PLOTS = ['audit-survivors', 'audit-epsilon'] as const;

/**
 * Who recorded the transcript, in words.
 * @example
 * ```ts
 * recorderName(0); // 'the coordinator'
 * ```
 */
export function recorderName(recorder: number | null): string {
  return recorder === null ? 'an unknown recorder' : recorder === 0 ? 'the coordinator' : `member ${recorder}`;
}

/**
 * A round's outcome in words: `completed`, `aborted (ERR_…)`, plus the member's own abort.
 * @example
 * ```ts
 * outcomeText(round); // 'completed; member 1 aborted: ERR_BOTH_SHARES_REQUESTED'
 * ```
 */
export function outcomeText(r: AuditRound): string {
  const base = r.outcome === 'completed' ? 'completed' : r.outcome === 'aborted' ? `aborted${r.code ? ` (${r.code})` : ''}` : 'unknown (transcript ends)';
  const self = r.selfAborted ? `; member ${r.selfAborted.member} aborted its round: ${r.selfAborted.code} — ${r.selfAborted.explanation}` : '';
  const skipped = r.skipped ? `; member ${r.skipped.member} skipped (${r.skipped.code})` : '';
  return base + self + skipped;
}

/** Members as "1, 2, 4" or a dash. */
export const memberList = (xs: readonly number[] | null): string => (xs === null ? DASH : xs.length ? xs.join(', ') : 'none');
/** Dropouts as "3 (masked), 4 (unmask)". */
export const dropoutList = (r: AuditRound): string => r.dropouts.map((d) => `${d.member} (${d.stage})`).join(', ') || DASH;

const usesDp = (s: AuditSummary): boolean => s.session?.privacy != null || s.rounds.some((r) => r.epsilon !== null);
const flagged = (r: AuditRound): boolean => r.outcome !== 'completed' || r.selfAborted !== null;

function survivorsFigure(s: AuditSummary, n: number): Figure {
  const members = s.session?.members.length ?? Math.max(0, ...s.rounds.map((r) => r.participants.length));
  const aborted = s.rounds.filter((r) => r.outcome === 'aborted');
  const spec: PlotSpec = {
    id: 'audit-survivors',
    type: 'bar',
    stacked: true,
    labels: s.rounds.map((r) => String(r.round)),
    titles: s.rounds.map((r) => `Round ${r.round}: ${outcomeText(r)}`),
    description: `Stacked bar chart of members in the sum and members that dropped out, per round${aborted.length ? `; aborted rounds hatched` : ''}.`,
    datasets: [
      { label: 'in the sum', data: s.rounds.map((r) => (r.outcome === 'completed' && r.survivors ? r.survivors.length : null)), color: PALETTE.blue, digits: 0 },
      {
        label: 'dropped out', data: s.rounds.map((r) => (r.outcome === 'completed' ? r.dropouts.length : null)), color: PALETTE.orange, digits: 0,
        notes: s.rounds.map((r) => (r.dropouts.length ? dropoutList(r) : null)),
      },
      ...(aborted.length
        ? [{
            label: 'round aborted', data: s.rounds.map((r) => (r.outcome === 'aborted' ? members : null)), color: PALETTE.vermillion, hatch: true, digits: 0,
            notes: s.rounds.map((r) => (r.outcome === 'aborted' ? outcomeText(r) : null)),
          }]
        : []),
    ],
    x: { title: 'round', type: 'category' },
    y: { title: 'members', min: 0, max: Math.max(1, members), integer: true },
  };
  return chartFigure(spec, n, `Members whose input is in each round’s sum (U3) and members that dropped out (inferred from the messages missing from the transcript).${
    aborted.length ? ` Hatched: aborted round${aborted.length > 1 ? 's' : ''} ${aborted.map((r) => r.round).join(', ')}.` : ''
  }`, {
    headers: ['round', num('participants'), num('in the sum'), 'dropouts (stage)', 'outcome'],
    rows: s.rounds.map((r) => [String(r.round), num(String(r.participants.length)), num(r.survivors ? String(r.survivors.length) : DASH), dropoutList(r), outcomeText(r)]),
    rowClass: (i) => (flagged(s.rounds[i]!) ? 'aborted' : undefined),
  });
}

function epsilonFigure(s: AuditSummary, n: number): Figure {
  if (!usesDp(s)) return textFigure('audit-epsilon', n, 'No differential privacy: ε = ∞', 'The session records no DP mechanism, so there is no privacy budget to account.', 'Privacy spent per round (ε).');
  if (!s.rounds.some((r) => r.epsilon !== null)) {
    return textFigure('audit-epsilon', n, 'ε not reported', s.recorder === 0 ? 'No round-result note carries ε.' : 'A member’s transcript holds no ε reports; audit the coordinator’s transcript.', 'Privacy spent per round (ε).');
  }
  const spec: PlotSpec = {
    id: 'audit-epsilon',
    type: 'bar',
    labels: s.rounds.map((r) => String(r.round)),
    titles: s.rounds.map((r) => `Round ${r.round}: ${outcomeText(r)}`),
    description: `ε spent per round as bars and the cumulative ε as a line, at δ = ${formatDelta(s.totals.delta)}.`,
    datasets: [
      { label: 'ε this round', kind: 'bar', data: s.rounds.map((r) => r.epsilonRound), color: PALETTE.sky, digits: 3 },
      { label: 'cumulative ε', kind: 'line', data: s.rounds.map((r) => r.epsilon), color: PALETTE.purple, pointStyle: 'circle', digits: 3 },
      ...(s.rounds.some((r) => r.epsilonWorstCase !== null)
        ? [{ label: 'cumulative ε, worst case', kind: 'line' as const, data: s.rounds.map((r) => r.epsilonWorstCase), color: PALETTE.black, pointStyle: 'triangle' as const, digits: 3 }]
        : []),
    ],
    x: { title: 'round', type: 'category' },
    y: { title: 'ε', min: 0 },
  };
  return chartFigure(spec, n, `Privacy spent: ε of each round and cumulative ε as the coordinator reported it in its round-result notes, at δ = ${formatDelta(s.totals.delta)}.${
    s.session?.targets.epsilonTarget != null ? ` Target: ε = ${formatEpsilon(s.session.targets.epsilonTarget)}.` : ''
  }`, {
    headers: ['round', num('ε this round'), num('cumulative ε'), num('worst case')],
    rows: s.rounds.map((r) => [String(r.round), num(r.epsilonRound === null ? DASH : formatEpsilon(r.epsilonRound)), num(r.epsilon === null ? DASH : formatEpsilon(r.epsilon)), num(r.epsilonWorstCase === null ? DASH : formatEpsilon(r.epsilonWorstCase))]),
  });
}

function headline(s: AuditSummary): string {
  const t = s.totals;
  const cards: HeadlineCard[] = [
    { label: 'Integrity', value: s.integrity.ok ? 'verified' : 'FAILED', sub: s.integrity.ok ? `${s.integrity.entries} entries, ${s.integrity.closed ? 'closed' : 'not closed'}` : `${s.integrity.failures.length} failure(s)`, ...(s.integrity.ok ? {} : { tone: 'neg' as const }) },
    { label: 'Rounds', value: String(t.rounds), sub: `${t.completed} completed · ${t.aborted} aborted${t.selfAborted ? ` · ${t.selfAborted} aborted by a member` : ''}` },
    usesDp(s) ? { label: 'Privacy spent', value: `ε = ${t.epsilon === null ? DASH : formatEpsilon(t.epsilon)}`, sub: `δ = ${formatDelta(t.delta)}` } : { label: 'Privacy spent', value: 'ε = ∞', sub: 'no differential privacy' },
    { label: 'Anomalies', value: String(s.anomalies.length), ...(s.anomalies.length ? { sub: 'see the table below', tone: 'neg' as const } : { sub: 'none' }) },
    { label: 'Members', value: String(s.session?.members.length ?? DASH), sub: s.session ? `t = ${s.session.threshold} · ${s.session.graph}` : 'session unreadable' },
  ];
  return `<section aria-labelledby="h-results"><h2 id="h-results">Verdict</h2>
${headlineCards(cards)}
</section>`;
}

function anomaliesTable(s: AuditSummary): string {
  if (s.anomalies.length === 0) return `<section aria-labelledby="h-anomalies"><h2 id="h-anomalies">Anomalies</h2>\n<p>None: the transcript verified and every round completed.</p>\n</section>`;
  return tableSection('h-anomalies', 'Anomalies', ['kind', 'round', 'code', 'what'], s.anomalies.map((a) => [
    { html: html(`<span class="tag bad">${escapeHtml(a.kind)}</span>`) }, a.round === null ? DASH : String(a.round), a.code ?? DASH, a.message,
  ]), { intro: 'Integrity failures, aborted rounds, and rounds a member aborted itself because the coordinator broke the protocol.' });
}

function roundsTable(s: AuditSummary): string {
  const rows: Cell[][] = s.rounds.map((r) => [
    String(r.round),
    memberList(r.participants),
    memberList(r.survivors),
    dropoutList(r),
    r.outcome === 'completed' && !r.selfAborted
      ? { html: html(`<span class="tag ok">completed</span>`) }
      : { html: html(`<span class="tag bad">${escapeHtml(r.outcome === 'completed' ? 'completed' : r.outcome)}</span> ${escapeHtml(outcomeText(r).replace(/^(completed|aborted|unknown)/, ''))}`) },
    num(r.epsilonRound === null ? DASH : formatEpsilon(r.epsilonRound)),
    num(r.epsilon === null ? DASH : formatEpsilon(r.epsilon)),
  ]);
  return tableSection('h-rounds', 'Rounds', ['round', 'participants', 'survivors (U3)', 'dropouts (stage)', 'outcome', num('ε round'), num('ε total')], rows, {
    intro: `As ${recorderName(s.recorder)} recorded them. Dropouts are inferred from the messages missing from the transcript.`,
    rowClass: (i) => (flagged(s.rounds[i]!) ? 'aborted' : undefined),
  });
}

/**
 * The session's key facts as [label, value] rows, shared by the HTML and Markdown reports.
 *
 * @example
 * mdTable(['', 'value'], sessionRows(summary.session));
 */
export function sessionRows(x: NonNullable<AuditSummary['session']>): [string, string][] {
  return [
    ['session digest', x.digest],
    ['session id', x.sessionId],
    ['coordinator key', x.coordinatorKey],
    ['members', String(x.members.length)],
    ['threshold t', String(x.threshold)],
    ['graph', x.graph],
    ['bits', String(x.bits)],
    ['vector length', String(x.vectorLength)],
    ['DP mechanism', x.targets.mechanism ?? 'none'],
    ['δ', formatDelta(x.targets.delta)],
    ['ε target', x.targets.epsilonTarget === null ? DASH : formatEpsilon(x.targets.epsilonTarget)],
    ['planned rounds', x.targets.rounds === null ? DASH : String(x.targets.rounds)],
  ];
}

function sessionTable(s: AuditSummary): string {
  const x = s.session;
  if (!x) return `<section aria-labelledby="h-session"><h2 id="h-session">Session</h2>\n<p>The session entry could not be read.</p>\n</section>`;
  const rows: Cell[][] = [
    ...sessionRows(x),
    ['recorder', recorderName(s.recorder)],
    ['chain head', s.integrity.head],
  ];
  return tableSection('h-session', 'Session', ['', 'value'], rows, { className: 'kv' }) + '\n' +
    tableSection('h-members', 'Members', ['index', 'id', 'public key'], x.members.map((m) => [String(m.index), m.id, m.publicKey]));
}

function integrityTable(s: AuditSummary): string {
  const i = s.integrity;
  if (i.failures.length === 0) return '';
  return tableSection('h-integrity', 'Integrity failures', ['entry', 'code', 'message'], i.failures.map((f) => [f.seq === null ? DASH : String(f.seq), f.code, f.message]));
}

/**
 * Renders the audit summary of one transcript as a self-contained HTML page (figures `audit-survivors`
 * and `audit-epsilon`, tables of anomalies, rounds, the session and its members). Validates the input
 * first (TypeError naming the field).
 * @example
 * ```ts
 * writeFileSync('audit.html', renderAuditHtml(await auditSummary('runs/s1/coordinator')));
 * ```
 */
export function renderAuditHtml(s: AuditSummary): string {
  validateAuditSummary(s);
  const figures = [survivorsFigure, epsilonFigure].map((f, i) => f(s, i + 1));
  const plots = figures.flatMap((f) => (f.spec ? [f.spec] : []));
  const title = s.session ? `Session ${s.session.digest.slice(0, 16)}…` : `Transcript ${s.dir}`;
  const meta = [`Generated ${readableTime(s.generatedAt)}`, `recorded by ${recorderName(s.recorder)}`, `${s.totals.rounds} rounds`, s.dir];
  const body = `<main>
${pageHeader('Tessera · transcript audit', title, meta)}
${headline(s)}
${anomaliesTable(s)}
<section aria-labelledby="h-figures"><h2 id="h-figures">Rounds and privacy</h2>
<div class="plots">
${figures.map((f) => f.markup).join('\n')}
</div>
</section>
${roundsTable(s)}
${integrityTable(s)}
${sessionTable(s)}
${configSection({ privacy: s.session?.privacy ?? null, extra: s.session?.extra ?? null }, 'h-config')}
${pageFooter(s.generatedAt)}
</main>`;
  return renderPage({ title: `${title} — Tessera audit`, body, data: { format: 'tessera-report/1', kind: 'audit', summary: toPlainJson(s), plots } });
}
