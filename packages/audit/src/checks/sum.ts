/**
 * Check `sum`: for every round with a `round-result` note, recompute the sum from the recorded masked
 * inputs and the revealed shares with the server's own unmasking (`unmaskSum` of @tessera/secagg), and
 * compare its SHA-256 (the sum as uint32 little-endian words) with the note's `sumSha256`. Only a
 * coordinator's transcript holds every member's masked input: a member's transcript, or a round with
 * digest-only envelopes, is not checkable.
 * @module
 */
import { equalBytes, sha256, toHex } from '@tessera/crypto';
import { SecAggError, roundGraph, unmaskSum, type Unmask } from '@tessera/secagg';
import type { AuditModel, RecordedMessage } from './model.js';
import { firstNote, memberList, sortedRounds } from './model.js';
import { CheckCodes, CheckCollector, type CheckResult } from './types.js';

/** The types whose envelopes the recomputation reads. */
const NEEDED = new Set(['advertise', 'share', 'share-relay', 'masked', 'unmask-request', 'unmask']);

/**
 * SHA-256 of a sum as uint32 little-endian words (the round-result's sumSha256).
 *
 * @example
 * toHex(sumSha256(result.sum));
 */
export function sumSha256(sum: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(sum.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < sum.length; i++) view.setUint32(4 * i, sum[i]!, true);
  return sha256(bytes);
}

/**
 * Recomputes a round's sum from a coordinator's recorded messages of that round (as the server saw
 * them: the first advertise, commitment, masked input and accepted unmask of each member). Throws a
 * SecAggError when the shares do not allow it.
 *
 * @example
 * const sum = recomputeRoundSum(model, 0, model.rounds.get(0)!.messages, [1, 2, 3]);
 */
export function recomputeRoundSum(model: AuditModel, round: number, messages: readonly RecordedMessage[], fallbackSurvivors: readonly number[]): Uint32Array {
  const { session } = model;
  const graph = roundGraph(session, round);
  const sPk = new Map<number, Uint8Array>();
  const commitments = new Map<number, Uint8Array>();
  const masked = new Map<number, Uint8Array>();
  const sharesTo = new Map<number, Set<number>>();
  let request: { survivors: readonly number[]; dropped: readonly number[] } | undefined;
  const u4 = new Set<number>();
  const unmask = new Map<number, Unmask>();
  for (const m of messages) {
    const s = m.secagg;
    if (!s) continue;
    switch (s.type) {
      case 'advertise': if (!sPk.has(s.from)) sPk.set(s.from, s.sPk); break;
      case 'share': {
        if (!commitments.has(s.from)) commitments.set(s.from, s.commit);
        const to = sharesTo.get(s.from);
        if (to) to.add(s.to);
        else sharesTo.set(s.from, new Set([s.to]));
        break;
      }
      case 'masked': if (!masked.has(s.from)) masked.set(s.from, s.data); break;
      case 'unmask-request': request ??= s; u4.add(s.to); break;
      default: break;
    }
  }
  const survivors = request?.survivors ?? fallbackSurvivors;
  const u3 = new Set(survivors);
  // U1: who advertised; U2: who sent shares to every advertised neighbour (as the server decides).
  const u1 = new Set(sPk.keys());
  const u2 = [...u1].filter((u) => graph.neighbours(u).every((v) => !u1.has(v) || (sharesTo.get(u)?.has(v) ?? false)));
  const dropped = u2.filter((u) => !u3.has(u));
  const droppedSet = new Set(dropped);
  for (const m of messages) {
    const s = m.secagg;
    if (s?.type !== 'unmask' || !u4.has(s.from) || unmask.has(s.from)) continue;
    // The server refuses an unmask revealing shares it did not ask for; so does the recomputation.
    const fine = s.selfMaskShares.every(([v]) => u3.has(v) && graph.isNeighbour(s.from, v)) && s.maskKeyShares.every(([v]) => droppedSet.has(v) && graph.isNeighbour(s.from, v));
    if (fine) unmask.set(s.from, s);
  }
  return unmaskSum({ session, round, graph, survivors: [...survivors], dropped, masked, commitments, maskPublicKeys: sPk, unmask }).sum;
}

/**
 * Runs the check (and stores each recomputed sum in `model.sums`).
 *
 * @example
 * const result = checkSum(model);
 */
export function checkSum(model: AuditModel): CheckResult {
  const c = new CheckCollector('sum');
  if (model.recorder !== 0) {
    c.skip(`member ${model.recorder}'s transcript holds no other member's masked input: only the coordinator's transcript allows recomputing sums`);
    return c.result(`not checkable on member ${model.recorder}'s transcript`);
  }
  for (const view of sortedRounds(model)) {
    const round = view.round;
    const note = firstNote(view, 'round-result');
    if (!note) continue;
    const missing = view.messages.find((m) => NEEDED.has(m.entry.type) && !m.secagg);
    if (missing) {
      c.skip(`round ${round}: entry ${missing.seq} ('${missing.entry.type}'): ${missing.undecoded ?? 'not decoded'}`, { round, seq: missing.seq });
      continue;
    }
    c.checked++;
    const claimed = note.entry.data.sumSha256;
    let sum: Uint32Array;
    try {
      sum = recomputeRoundSum(model, round, view.messages, memberList(note.entry.data.survivors) ?? []);
    } catch (e) {
      if (!(e instanceof SecAggError)) throw e;
      c.fail(note, CheckCodes.SUM_UNRECOVERABLE, `round ${round}: the round-result claims a sum, but the recorded messages do not yield one: ${e.message}`, { round, party: 0 });
      continue;
    }
    model.sums.set(round, sum);
    const digest = sumSha256(sum);
    if (!(claimed instanceof Uint8Array) || claimed.length !== 32)
      c.fail(note, CheckCodes.SUM_MISMATCH, `round ${round}: the round-result note has no 32-byte sumSha256 (the recomputed sum hashes to ${toHex(digest)})`, { round, party: 0 });
    else if (!equalBytes(claimed, digest))
      c.fail(note, CheckCodes.SUM_MISMATCH, `round ${round}: the recomputed sum hashes to ${toHex(digest)}, the round-result says ${toHex(claimed)}`, { round, party: 0 });
  }
  const n = c.failures.length;
  return c.result(
    n > 0 ? `${n} round${n === 1 ? '' : 's'} whose sum does not match`
      : c.notCheckable.length > 0 ? `${c.checked} sum${c.checked === 1 ? '' : 's'} recomputed; ${c.notCheckable.length} round${c.notCheckable.length === 1 ? '' : 's'} not checkable`
        : `${c.checked} round sum${c.checked === 1 ? '' : 's'} recomputed and matching`,
  );
}
