/**
 * `tessera audit report`: a machine-readable summary of one transcript (the coordinator's or a
 * member's) — the session, each round's participants, survivors, dropouts (inferred from the messages
 * missing), outcome and ε, and the anomalies (integrity failures, aborted rounds, rounds a member aborted
 * itself) — and its rendering as an HTML page or Markdown by @tessera/report.
 * @module
 */
import { decodeCanonical, toHex, type Canonical } from '@tessera/crypto';
import { type AuditAnomaly, type AuditDropout, type AuditRound, type AuditSession, type AuditSummary } from '@tessera/report';
import { isMap, type CanonicalMap, type Entry, type MessageEntry, type NoteEntry } from './entry.js';
import { inspectEnvelope } from './envelope.js';
import { MAX_ENVELOPE_BYTES } from './format.js';
import type { DecodedParams } from './params.js';
import { readTranscriptFile, scanTranscript } from './reader.js';
import { verifyIntegrity, type RosterPin } from './verify.js';

export type { AuditAnomaly, AuditDropout, AuditMember, AuditRound, AuditSession, AuditSummary } from '@tessera/report';
export { renderAuditHtml, renderAuditMarkdown, validateAuditSummary } from '@tessera/report';

/**
 * Options of {@link auditSummary}.
 *
 * @example
 * await auditSummary(dir, { roster: session });
 */
export interface AuditSummaryOptions {
  /** The roster the auditor trusts (verifyIntegrity's pin). */
  readonly roster?: RosterPin;
  /** The summary's `generatedAt` (ISO); now by default. */
  readonly generatedAt?: string;
}

/**
 * What a member's abort code means, in plain words (for the report's anomalies).
 *
 * @example
 * ABORT_EXPLANATIONS.ERR_BOTH_SHARES_REQUESTED; // 'the coordinator asked for both shares of one neighbour'
 */
export const ABORT_EXPLANATIONS: Readonly<Record<string, string>> = Object.freeze({
  ERR_BOTH_SHARES_REQUESTED: 'the coordinator asked for both shares of one neighbour',
  ERR_SURVIVOR_SET_MISMATCH: 'the coordinator presented survivor sets that do not agree',
  ERR_BELOW_THRESHOLD: 'fewer members than the threshold remained',
  ERR_NOT_NEIGHBOUR: 'the coordinator relayed a member that is not a neighbour',
  ERR_DUPLICATE: 'the coordinator relayed one member twice',
  ERR_WRONG_RECIPIENT: 'the coordinator relayed a message addressed to another member',
  ERR_DECRYPT: 'relayed shares failed authentication',
  ERR_BAD_SIGNATURE: 'the coordinator relayed a message whose signature does not verify',
  ERR_MALFORMED: 'the coordinator sent or relayed a malformed message',
  ERR_WRONG_ROUND: 'the coordinator relayed a message of another round',
});

const STAGE_TYPES = [['advertise', 'advertise'], ['share', 'share'], ['masked', 'masked'], ['consistency', 'consistency'], ['unmask', 'unmask']] as const;

const real = (v: Canonical | undefined): number | null => {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  const x = Number(v);
  return Number.isFinite(x) ? x : null;
};
const ints = (v: Canonical | undefined): number[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null);
const text = (v: Canonical | undefined): string | null => (typeof v === 'string' ? v : null);

/** A canonical value as plain JSON (bytes as hex). */
function plain(v: Canonical): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(plain);
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function sessionOf(p: DecodedParams): AuditSession {
  const s = p.session;
  const privacy = p.privacy;
  return {
    digest: toHex(s.digest),
    sessionId: toHex(s.sessionId),
    coordinatorKey: toHex(s.serverKey),
    members: s.memberKeys.map((k, i) => ({ index: i + 1, id: toHex(k).slice(0, 16), publicKey: toHex(k) })),
    threshold: s.threshold,
    graph: s.graph.kind === 'sparse' ? `sparse (k = ${s.graph.degree})` : 'complete',
    bits: s.bits,
    vectorLength: s.vectorLength,
    privacy: privacy ? (plain(privacy) as { [k: string]: unknown }) : null,
    targets: {
      mechanism: privacy ? text(privacy.mechanism) : null,
      delta: privacy ? real(privacy.delta) : null,
      epsilonTarget: privacy ? real(privacy.epsilonTarget ?? privacy.epsilon) : null,
      rounds: privacy && typeof privacy.rounds === 'number' ? privacy.rounds : null,
    },
    extra: p.extra ? (plain(p.extra) as { [k: string]: unknown }) : null,
  };
}

function messageMap(e: MessageEntry): CanonicalMap | null {
  if (!e.env) return null;
  try {
    const m = decodeCanonical(inspectEnvelope(e.tag as 1 | 2, e.env).m, MAX_ENVELOPE_BYTES);
    return isMap(m) ? m : null;
  } catch {
    return null;
  }
}

/**
 * Summarises the transcript in `dir`: verifies its integrity (every failure is an anomaly; a summary of
 * an unverified transcript shows what it claims, flagged), then reads its session and rounds. Never
 * throws for a bad transcript (an unreadable one gives a summary with an ERR_IO anomaly and no rounds).
 *
 * @example
 * const s = await auditSummary('runs/s1/member-1');
 * s.rounds.find((r) => r.selfAborted)?.selfAborted?.code; // 'ERR_BOTH_SHARES_REQUESTED'
 */
export async function auditSummary(dir: string, options: AuditSummaryOptions = {}): Promise<AuditSummary> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('dir must be a non-empty path string');
  const integrity = await verifyIntegrity(dir, { collectAll: true, ...(options.roster ? { roster: options.roster } : {}) });
  let entries: readonly Entry[] = [];
  try {
    entries = scanTranscript(await readTranscriptFile(dir)).records.map((r) => r.entry);
  } catch {
    entries = [];
  }
  const anomalies: AuditAnomaly[] = integrity.failures.map((f) => ({ kind: 'integrity', round: null, code: f.code, message: f.message }));
  for (const u of integrity.unverifiable) anomalies.push({ kind: 'unverifiable', round: null, code: null, message: `entry ${u.seq}: ${u.reason}` });
  const params = integrity.session;
  const recorder = params?.recorder ?? (entries[0]?.recorder ?? null);
  const session = params ? sessionOf(params) : null;

  // Per round: the messages and notes of that round, in transcript order.
  const byRound = new Map<number, { messages: { e: MessageEntry; m: CanonicalMap | null }[]; notes: NoteEntry[] }>();
  const slot = (r: number) => {
    let s = byRound.get(r);
    if (!s) byRound.set(r, (s = { messages: [], notes: [] }));
    return s;
  };
  for (const e of entries) {
    if (e.kind === 'message') {
      if (e.type === 'session-end') continue;
      slot(e.round).messages.push({ e, m: messageMap(e) });
    } else if (e.kind === 'note' && e.event !== 'close') slot(e.round).notes.push(e);
  }

  const rounds: AuditRound[] = [];
  let lastEpsilon: number | null = null;
  for (const r of [...byRound.keys()].sort((a, b) => a - b)) {
    const { messages, notes } = byRound.get(r)!;
    const secagg = messages.filter((x) => x.e.tag === 1);
    const control = (type: string) => messages.filter((x) => x.e.type === type && x.m);
    const start = control('round-start')[0]?.m;
    const end = control('round-end')[0]?.m;
    const sentBy = (u: number, type: string) => secagg.some((x) => x.e.from === u && x.e.type === type);
    let participants = ints(start?.participants) ?? [];
    if (participants.length === 0) participants = [...new Set(secagg.filter((x) => x.e.from !== 0).map((x) => x.e.from))].sort((a, b) => a - b);
    const request = (type: string) => secagg.find((x) => x.e.from === 0 && x.e.type === type && x.m)?.m;
    const result = notes.find((x) => x.event === 'round-result');
    const abortedNote = notes.find((x) => x.event === 'round-aborted');
    const u3 = ints(result?.data.survivors) ?? ints(request('consistency-request')?.survivors) ?? ints(request('unmask-request')?.survivors) ?? (end?.ok === true ? ints(end.survivors) : null);

    const dropouts: AuditDropout[] = [];
    if (recorder === 0) {
      // The coordinator's view: a member dropped at the first stage it sent nothing in, among stages the round reached.
      const reached = STAGE_TYPES.filter(([, type]) => secagg.some((x) => x.e.from !== 0 && x.e.type === type)).length;
      for (const u of participants) {
        const at = STAGE_TYPES.findIndex(([, type]) => !sentBy(u, type));
        if (at >= 0 && at < Math.max(reached, result ? STAGE_TYPES.length : 0)) dropouts.push({ member: u, stage: STAGE_TYPES[at]![0] });
      }
    } else if (recorder !== null) {
      // A member's view: the dropped set of its unmask request (they sent no masked input), others outside U3 dropped earlier.
      const dropped = ints(request('unmask-request')?.dropped) ?? [];
      for (const u of participants) {
        if (dropped.includes(u) && !u3?.includes(u)) dropouts.push({ member: u, stage: 'masked' });
        else if (u3 && !u3.includes(u)) dropouts.push({ member: u, stage: 'before masked' });
      }
    }

    let outcome: AuditRound['outcome'] = 'unknown';
    let code: string | null = null;
    let reason: string | null = null;
    if (result) outcome = 'completed';
    else if (abortedNote && recorder === 0) {
      outcome = 'aborted';
      code = text(abortedNote.data.code);
      reason = text(abortedNote.data.reason);
      if (code && reason?.startsWith(`${code}: `)) reason = reason.slice(code.length + 2);
    } else if (end) {
      outcome = end.ok === true ? 'completed' : 'aborted';
      if (end.ok !== true) code = text(end.code);
    }

    let selfAborted: AuditRound['selfAborted'] = null;
    if (recorder !== null && recorder !== 0 && abortedNote) {
      const c = text(abortedNote.data.code) ?? 'unknown';
      const said = text(abortedNote.data.message) ?? '';
      selfAborted = { member: recorder, code: c, message: said.startsWith(`${c}: `) ? said.slice(c.length + 2) : said, explanation: ABORT_EXPLANATIONS[c] ?? 'the member refused the coordinator’s message' };
      anomalies.push({
        kind: 'peer-aborted', round: r, code: c,
        message: `member ${recorder} aborted round ${r} itself: ${selfAborted.explanation} (${c}${selfAborted.message ? `: ${selfAborted.message}` : ''})`,
      });
    }
    const skippedNote = notes.find((x) => x.event === 'round-skipped');
    const skipped = recorder !== null && recorder !== 0 && skippedNote ? { member: recorder, code: text(skippedNote.data.code) ?? 'unknown' } : null;
    if (skipped) anomalies.push({ kind: 'round-skipped', round: r, code: skipped.code, message: `member ${recorder} did not take part in round ${r} (${skipped.code})` });
    if (outcome === 'aborted') anomalies.push({ kind: 'round-aborted', round: r, code, message: `round ${r} aborted${code ? ` with ${code}` : ''}${reason ? `: ${reason}` : ''}` });
    if (outcome === 'unknown' && !skipped && !selfAborted) anomalies.push({ kind: 'incomplete', round: r, code: null, message: `the transcript does not say how round ${r} ended` });
    for (const note of notes.filter((x) => x.event === 'refused'))
      anomalies.push({ kind: 'refused', round: r, code: text(note.data.code), message: `round ${r}: ${recorderName(recorder)} refused an authentic envelope (${text(note.data.code) ?? 'no code'})` });

    const epsilon = result ? real(result.data.epsilon) : null;
    const epsilonWorstCase = result ? real(result.data.epsilonWorstCase) : null;
    const epsilonRound = epsilon === null ? null : epsilon - (lastEpsilon ?? 0);
    if (epsilon !== null) lastEpsilon = epsilon;
    rounds.push({
      round: r, participants, survivors: u3, dropouts, outcome, code, reason,
      epsilon, epsilonRound: epsilonRound === null ? null : Math.max(0, epsilonRound), epsilonWorstCase, selfAborted, skipped,
      published: messages.some((x) => x.e.type === 'publish'),
    });
  }

  const worst = [...rounds].reverse().find((r) => r.epsilonWorstCase !== null)?.epsilonWorstCase ?? null;
  return {
    format: 'tessera-audit-summary/1',
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    dir,
    recorder,
    integrity: {
      ok: integrity.ok, entries: integrity.entries, verified: integrity.verified, closed: integrity.closed,
      failures: integrity.failures.map((f) => ({ seq: f.seq, code: f.code, message: f.message })),
      unverifiable: integrity.unverifiable.length, head: toHex(integrity.head),
    },
    session,
    rounds,
    totals: {
      rounds: rounds.length,
      completed: rounds.filter((r) => r.outcome === 'completed').length,
      aborted: rounds.filter((r) => r.outcome === 'aborted').length,
      selfAborted: rounds.filter((r) => r.selfAborted !== null).length,
      dropouts: rounds.reduce((a, r) => a + r.dropouts.length, 0),
      epsilon: lastEpsilon,
      epsilonWorstCase: worst,
      delta: session?.targets.delta ?? null,
    },
    anomalies,
  };
}

const recorderName = (recorder: number | null): string => (recorder === null ? 'the recorder' : recorder === 0 ? 'the coordinator' : `member ${recorder}`);
