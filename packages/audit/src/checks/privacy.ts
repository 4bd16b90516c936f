/**
 * Check `privacy`: re-run the accountant. For each completed round (its first `round-result` note, in
 * file order) add `{ ...params.privacy.round, clients: |survivors| }` to a PrivacyLedger({ unit: 'patient' })
 * and compare ε at δ with the note's `epsilon`, and the worst case (clients = t) with `epsilonWorstCase`
 * (relative tolerance 1e-9); report the total ε spent against the target.
 * @module
 */
import { PrivacyLedger, type Round } from '@tessera/dp';
import { privacyFromCanonical, type PrivacyProfile } from '@tessera/federated';
import type { Canonical } from '@tessera/crypto';
import type { AuditModel, RecordedNote } from './model.js';
import { memberList, sortedRounds } from './model.js';
import { announcedSurvivors } from './survivor-set.js';
import { CheckCodes, CheckCollector, type CheckResult } from './types.js';

/** Relative tolerance of the ε comparison. */
export const EPSILON_TOLERANCE = 1e-9;

/**
 * ε figures recomputed from the transcript (null: no privacy setting; Infinity is written null in JSON).
 *
 * @example
 * console.log(`ε = ${figures.epsilon} of ${figures.epsilonTarget}`);
 */
export interface PrivacyFigures {
  readonly delta: number;
  /** ε spent after the last completed round (survivors' noise), recomputed. */
  readonly epsilon: number;
  /** The worst case (t survivors every round), recomputed. */
  readonly epsilonWorstCase: number;
  /** What the last round-result said (null when it said nothing or there was none). */
  readonly epsilonReported: number | null;
  readonly epsilonTarget: number | null;
  /** Completed rounds accounted. */
  readonly rounds: number;
  readonly plannedRounds: number;
  /** ε ≤ target (null without a target). */
  readonly withinTarget: boolean | null;
}

const close = (a: number, b: number): boolean =>
  a === b || (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= EPSILON_TOLERANCE * Math.max(Math.abs(a), Math.abs(b)));

function reported(v: Canonical | undefined): number | null | undefined {
  if (v === null) return null;
  if (typeof v !== 'string' || !/^-?(\d+(\.\d+)?([eE][+-]?\d+)?|Infinity)$/.test(v)) return undefined;
  return Number(v);
}

/**
 * Runs the check; `figures` is null when params.privacy is null.
 *
 * @example
 * const { result, figures } = checkPrivacy(model);
 */
export function checkPrivacy(model: AuditModel): { readonly result: CheckResult; readonly figures: PrivacyFigures | null } {
  const c = new CheckCollector('privacy');
  const notes: RecordedNote[] = [];
  for (const view of sortedRounds(model)) {
    const n = view.notes.find((x) => x.entry.event === 'round-result');
    if (n) notes.push(n);
  }
  notes.sort((a, b) => a.seq - b.seq);
  let profile: PrivacyProfile | null;
  try {
    profile = privacyFromCanonical(model.privacy as Canonical);
  } catch (e) {
    c.fail({ seq: 0, offset: 19 }, CheckCodes.PRIVACY_PARAMS, `params.privacy: ${(e as Error).message}`, { party: model.recorder });
    return { result: c.result('params.privacy cannot be read'), figures: null };
  }
  if (profile === null) {
    for (const n of notes) {
      c.checked++;
      const e = n.entry.data.epsilon, w = n.entry.data.epsilonWorstCase;
      if ((e !== undefined && e !== null) || (w !== undefined && w !== null))
        c.fail(n, CheckCodes.EPSILON_MISMATCH, `round ${n.entry.round}: the round-result reports ε, but the session has no privacy setting (params.privacy is null)`, { round: n.entry.round, party: model.recorder });
    }
    return { result: c.result(c.failures.length > 0 ? 'ε reported without a privacy setting' : 'no differential privacy (params.privacy is null)'), figures: null };
  }
  if (notes.length === 0 && model.recorder !== 0) {
    c.skip(`member ${model.recorder}'s transcript has no round-result notes (the coordinator reports ε): check the coordinator's transcript`);
    return { result: c.result(`not checkable on member ${model.recorder}'s transcript`), figures: null };
  }
  const { delta } = profile;
  const ledger = new PrivacyLedger({ unit: 'patient' });
  const worst = new PrivacyLedger({ unit: 'patient' });
  const t = model.session.threshold;
  let last: number | null = null;
  for (const n of notes) {
    const round = n.entry.round;
    const survivors = announcedSurvivors(model.rounds.get(round)?.messages ?? [])?.survivors ?? memberList(n.entry.data.survivors);
    if (!survivors) {
      c.fail(n, CheckCodes.PRIVACY_PARAMS, `round ${round}: the round-result names no survivors to account`, { round, party: model.recorder });
      continue;
    }
    try {
      ledger.addRound({ ...profile.round, clients: survivors.length } as Round);
      worst.addRound({ ...profile.round, clients: t } as Round);
    } catch (e) {
      c.fail(n, CheckCodes.PRIVACY_PARAMS, `round ${round}: params.privacy.round is not an accountable round: ${(e as Error).message}`, { round, party: model.recorder });
      return { result: c.result('params.privacy.round cannot be accounted'), figures: null };
    }
    c.checked++;
    const eps = ledger.epsilon(delta).epsilon;
    const epsWorst = worst.epsilon(delta).epsilon;
    for (const [field, want] of [['epsilon', eps], ['epsilonWorstCase', epsWorst]] as const) {
      const got = reported(n.entry.data[field]);
      if (got === undefined) c.fail(n, CheckCodes.EPSILON_MISMATCH, `round ${round}: the round-result's ${field} is not a decimal text or null`, { round, party: model.recorder });
      // null is how an infinite ε is written.
      else if (got === null ? Number.isFinite(want) : !close(got, want))
        c.fail(n, CheckCodes.EPSILON_MISMATCH, `round ${round}: the round-result reports ${field} ${got === null ? 'null' : String(got)}, the accountant gives ${want} (${field === 'epsilon' ? `${survivors.length} survivors this round` : `the worst case, t = ${t} survivors every round`}, δ ${delta})`, { round, party: model.recorder });
      if (field === 'epsilon') last = got ?? null;
    }
  }
  const epsilon = notes.length === 0 ? 0 : ledger.epsilon(delta).epsilon;
  const epsilonWorstCase = notes.length === 0 ? 0 : worst.epsilon(delta).epsilon;
  const figures: PrivacyFigures = {
    delta, epsilon, epsilonWorstCase, epsilonReported: last, epsilonTarget: profile.epsilonTarget, rounds: c.checked, plannedRounds: profile.rounds,
    withinTarget: profile.epsilonTarget === null ? null : epsilon <= profile.epsilonTarget * (1 + EPSILON_TOLERANCE),
  };
  const n = c.failures.length;
  return {
    result: c.result(n > 0 ? `${n} wrong ε report${n === 1 ? '' : 's'}`
      : `ε = ${epsilon.toPrecision(6)} at δ = ${delta} after ${c.checked} round${c.checked === 1 ? '' : 's'} (worst case ${epsilonWorstCase.toPrecision(6)}${profile.epsilonTarget === null ? '' : `; target ${profile.epsilonTarget}`})`),
    figures,
  };
}
