/**
 * Check `update`: every publication (the `data` of a `publish`, a `tessera/global-model` map) whose
 * `update` is not null carries exactly `decodeRoundSum(planFromCanonical(params.extra), sum of
 * updateRound, roundSeed of updateRound's publication).mean` as float64 little-endian, where the sum is
 * the one the `sum` check recomputed. Not checkable where that sum is not (a member's transcript).
 * @module
 */
import { equalBytes, type Canonical } from '@tessera/crypto';
import { decodeRoundSum, float64Bytes, parsePublication, planFromCanonical, type DecodePlan, type RawPublication } from '@tessera/federated';
import { isMap, type CanonicalMap } from '../entry.js';
import type { AuditModel, RecordedMessage } from './model.js';
import { firstNote } from './model.js';
import { CheckCodes, CheckCollector, type CheckResult } from './types.js';

/**
 * Runs the check (after checkSum, whose recomputed sums it reads).
 *
 * @example
 * const result = checkUpdate(model);
 */
export function checkUpdate(model: AuditModel): CheckResult {
  const c = new CheckCollector('update');
  const publishes = model.items.filter((i): i is RecordedMessage => i.kind === 'message' && i.entry.type === 'publish');
  const training = isMap(model.extra as Canonical) && (model.extra as CanonicalMap).kind === 'tessera/federated';
  if (!training) {
    // A plain secure-sum session: publications are opaque to the protocol.
    return c.result(publishes.length === 0 ? 'no publications' : `${publishes.length} publication${publishes.length === 1 ? '' : 's'} of a non-training session (opaque)`);
  }
  let plan: DecodePlan | undefined;
  try {
    plan = planFromCanonical(model.extra as CanonicalMap);
  } catch (e) {
    const first = publishes[0];
    if (first) c.fail(first, CheckCodes.PUBLICATION, `params.extra is not a decode plan: ${(e as Error).message}`, { party: 0 });
    return c.result('params.extra is not a decode plan');
  }
  // The first decodable publication of each round: its roundSeed.
  const decoded = new Map<RecordedMessage, RawPublication>();
  const seeds = new Map<number, Uint8Array>();
  for (const m of publishes) {
    if (!m.control) {
      c.skip(`entry ${m.seq} (publish): ${m.undecoded ?? 'not decoded'}`, { round: m.entry.round, seq: m.seq });
      continue;
    }
    try {
      const p = parsePublication(m.control.data);
      if (p.round !== m.entry.round) throw new TypeError(`the publication names round ${p.round} in a publish of round ${m.entry.round}`);
      if (p.updateRound !== null && p.updateRound >= p.round) throw new TypeError(`the publication's update is of round ${p.updateRound}, not before round ${p.round}`);
      decoded.set(m, p);
      if (!seeds.has(p.round)) seeds.set(p.round, p.roundSeed);
    } catch (e) {
      c.fail(m, CheckCodes.PUBLICATION, `round ${m.entry.round}: ${(e as Error).message}`, { round: m.entry.round, party: 0 });
    }
  }
  const expected = new Map<number, Uint8Array | string>();
  for (const [m, p] of decoded) {
    if (p.update === null || p.updateRound === null) continue;
    const r = p.updateRound;
    let want = expected.get(r);
    if (want === undefined) {
      const sum = model.sums.get(r);
      const seed = seeds.get(r);
      const completed = firstNote(model.rounds.get(r), 'round-result');
      if (seed === undefined) want = `no publication of round ${r} (with its roundSeed) was recorded`;
      else if (sum === undefined && completed === undefined && model.recorder === 0) want = `round ${r} produced no sum (no round-result)`;
      else if (sum === undefined) want = '';
      else {
        try {
          want = float64Bytes(decodeRoundSum(plan, sum, seed).mean);
        } catch (e) {
          want = `round ${r}'s sum cannot be decoded: ${(e as Error).message}`;
        }
      }
      expected.set(r, want);
    }
    if (want === '') {
      c.skip(`entry ${m.seq}: round ${r}'s sum was not recomputed (see the sum check)`, { round: m.entry.round, seq: m.seq });
      continue;
    }
    c.checked++;
    if (typeof want === 'string') c.fail(m, CheckCodes.PUBLICATION, `round ${m.entry.round}: the publication's update is of round ${r}, but ${want}`, { round: m.entry.round, party: 0 });
    else if (!equalBytes(want, p.update)) {
      const detail = want.length !== p.update.length ? `${p.update.length} bytes instead of ${want.length}` : `first difference at byte ${want.findIndex((b, i) => b !== p.update![i])}`;
      c.fail(m, CheckCodes.UPDATE_MISMATCH, `round ${m.entry.round}: the published update is not the decoded sum of round ${r} (${detail})`, { round: m.entry.round, party: 0 });
    }
  }
  const n = c.failures.length;
  const nc = c.notCheckable.length;
  return c.result(n > 0 ? `${n} publication${n === 1 ? '' : 's'} with a wrong update`
    : nc > 0 ? `${c.checked} published update${c.checked === 1 ? '' : 's'} checked; ${nc} not checkable (sums not recomputed)`
      : `${c.checked} published update${c.checked === 1 ? '' : 's'} equal the decoded recomputed sums`);
}
