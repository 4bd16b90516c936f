/**
 * The audit report of one transcript as Markdown (`tessera audit report`, the default output).
 * @module
 */
import { DASH, formatDelta, formatEpsilon } from './format.js';
import { readableTime } from './layout.js';
import { mdEscape, mdTable, sparkline } from './markdown.js';
import { validateAuditSummary, type AuditRound, type AuditSummary } from './audit-types.js';
import { sessionRows } from './audit.js';

const recorderName = (recorder: number | null): string => (recorder === null ? 'an unknown recorder' : recorder === 0 ? 'the coordinator' : `member ${recorder}`);
const members = (xs: readonly number[] | null): string => (xs === null ? DASH : xs.length ? xs.join(', ') : 'none');
const dropouts = (r: AuditRound): string => r.dropouts.map((d) => `${d.member} (${d.stage})`).join(', ') || DASH;
const eps = (x: number | null): string => (x === null ? DASH : formatEpsilon(x));

function outcome(r: AuditRound): string {
  let s = r.outcome === 'completed' ? 'completed' : r.outcome === 'aborted' ? `ABORTED${r.code ? ` ${r.code}` : ''}` : 'unknown (transcript ends)';
  if (r.selfAborted) s += `; ABORTED BY MEMBER ${r.selfAborted.member}: ${r.selfAborted.code} (${r.selfAborted.explanation})`;
  if (r.skipped) s += `; member ${r.skipped.member} skipped (${r.skipped.code})`;
  return s;
}

/**
 * Renders the audit summary as Markdown: verdict, anomalies, rounds (participants, survivors, dropouts
 * with their stage, outcome, ε), the session and its members. Validates the input first.
 * @example
 * ```ts
 * process.stdout.write(renderAuditMarkdown(await auditSummary(dir)));
 * ```
 */
export function renderAuditMarkdown(s: AuditSummary): string {
  validateAuditSummary(s);
  const t = s.totals;
  const dp = s.session?.privacy != null || s.rounds.some((r) => r.epsilon !== null);
  const out: string[] = [];
  out.push(`# Transcript audit: ${s.session ? `session ${s.session.digest.slice(0, 16)}…` : mdEscape(s.dir)}`, '');
  out.push(`Generated ${readableTime(s.generatedAt)} · ${mdEscape(s.dir)} · recorded by ${recorderName(s.recorder)}`, '');

  out.push('## Verdict', '');
  const i = s.integrity;
  out.push(
    mdTable(['', 'value'], [
      ['integrity', i.ok ? `verified (${i.entries} entries, ${i.closed ? 'closed' : 'not closed'}${i.unverifiable ? `, ${i.unverifiable} digest-only` : ''})` : `FAILED: ${i.failures[0]?.code ?? ''} ${i.failures[0]?.message ?? ''}`],
      ['rounds', `${t.rounds} (${t.completed} completed, ${t.aborted} aborted${t.selfAborted ? `, ${t.selfAborted} aborted by a member` : ''})`],
      ['dropouts (all rounds)', String(t.dropouts)],
      ['ε spent', dp && t.epsilon === null ? `not reported in this transcript (δ = ${formatDelta(t.delta)})` : dp ? `${eps(t.epsilon)} at δ = ${formatDelta(t.delta)}${s.session?.targets.epsilonTarget != null ? ` (target ${formatEpsilon(s.session.targets.epsilonTarget)})` : ''}` : '∞ (no DP)'],
      ['anomalies', String(s.anomalies.length)],
      ['chain head', i.head],
    ]),
    '',
  );
  if (dp && s.rounds.some((r) => r.epsilon !== null)) out.push(`Cumulative ε by round: \`${sparkline(s.rounds.map((r) => r.epsilon))}\``, '');

  out.push('## Anomalies', '');
  if (s.anomalies.length === 0) out.push('None: the transcript verified and every round completed.', '');
  else out.push(mdTable(['kind', 'round', 'code', 'what'], s.anomalies.map((a) => [a.kind, a.round === null ? DASH : String(a.round), a.code ?? DASH, a.message])), '');

  out.push('## Rounds', '');
  if (s.rounds.length === 0) out.push('No round was recorded.', '');
  else {
    out.push(
      mdTable(
        ['round', 'participants', 'survivors (U3)', 'dropouts (stage)', 'outcome', 'ε round', 'ε total'],
        s.rounds.map((r) => [String(r.round), members(r.participants), members(r.survivors), dropouts(r), outcome(r), eps(r.epsilonRound), eps(r.epsilon)]),
        [0, 5, 6],
      ),
      '',
    );
  }
  if (i.failures.length) {
    out.push('## Integrity failures', '');
    out.push(mdTable(['entry', 'code', 'message'], i.failures.map((f) => [f.seq === null ? DASH : String(f.seq), f.code, f.message])), '');
  }
  out.push('## Session', '');
  const x = s.session;
  if (!x) out.push('The session entry could not be read.', '');
  else {
    out.push(
      mdTable(['', 'value'], sessionRows(x)),
      '',
    );
    out.push(mdTable(['member', 'id', 'public key'], x.members.map((m) => [String(m.index), m.id, m.publicKey]), [0]), '');
  }
  return out.join('\n');
}
