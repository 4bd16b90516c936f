/**
 * A model of a round's outcome that uses no cryptography: given the graph, the threshold and when
 * each member drops, which sets form and whether (and why) the round aborts. It restates the rules
 * the state machines enforce (client.ts, server.ts) at the level of sets, so that thousands of dropout
 * schedules can be evaluated in milliseconds; tests check it against real runs of runRound.
 * @module
 */
import type { Stage } from './driver.js';
import { ErrorCodes, type ErrorCode } from './errors.js';
import type { NeighbourGraph } from './graph.js';

export interface Prediction {
  readonly ok: boolean;
  /** Why the round fails, when it does: the stage the server aborts in, and the member whose secret lacks holders. */
  readonly failure?: { readonly code: ErrorCode; readonly stage: Stage; readonly member?: number };
  readonly u1: readonly number[];
  readonly u2: readonly number[];
  readonly u3: readonly number[];
  readonly u4: readonly number[];
  /** Members that sent Unmask. */
  readonly u5: readonly number[];
}

const ORDER: readonly Stage[] = ['advertise', 'share', 'masked', 'consistency', 'unmask'];

/**
 * Predicts the outcome of a round with an honest server.
 *
 * @example
 * predictRound(roundGraph(session, 0), session.threshold, new Map([[3, 'masked']])).ok;
 */
export function predictRound(graph: NeighbourGraph, threshold: number, dropouts: ReadonlyMap<number, Stage> = new Map()): Prediction {
  const t = threshold;
  const all = Array.from({ length: graph.n }, (_, i) => i + 1);
  const activeAt = (u: number, stage: Stage): boolean => {
    const d = dropouts.get(u);
    return d === undefined || ORDER.indexOf(stage) < ORDER.indexOf(d);
  };
  const countIn = (u: number, set: ReadonlySet<number>): number => graph.neighbours(u).reduce((c, v) => c + (set.has(v) ? 1 : 0), 0);
  const sets = { u1: [] as number[], u2: [] as number[], u3: [] as number[], u4: [] as number[], u5: [] as number[] };
  const fail = (stage: Stage): Prediction => ({ ok: false, failure: { code: ErrorCodes.BELOW_THRESHOLD, stage }, ...sets });

  sets.u1 = all.filter((u) => activeAt(u, 'advertise'));
  if (sets.u1.length < t) return fail('advertise');
  const u1 = new Set(sets.u1);
  sets.u2 = sets.u1.filter((u) => {
    if (!activeAt(u, 'share')) return false;
    return countIn(u, u1) >= t; // fewer advertised neighbours than t: the client aborts
  });
  if (sets.u2.length < t) return fail('share');
  const u2 = new Set(sets.u2);
  sets.u3 = sets.u2.filter((u) => {
    if (!activeAt(u, 'masked')) return false;
    return countIn(u, u2) >= t; // fewer holders left after ShareKeys than t: the client aborts
  });
  if (sets.u3.length < t) return fail('masked');
  sets.u4 = sets.u3.filter((u) => activeAt(u, 'consistency'));
  if (sets.u4.length < t) return fail('consistency');
  const u4 = new Set(sets.u4);
  sets.u5 = sets.u4.filter((u) => {
    if (!activeAt(u, 'unmask')) return false;
    return 1 + countIn(u, u4) >= t; // fewer consistency signatures than t: the client aborts
  });
  const u5 = new Set(sets.u5);
  for (const u of sets.u2) {
    // u ∈ U3 needs t self-mask shares, u ∈ U2 \ U3 t mask-key shares, from neighbours that unmasked.
    if (countIn(u, u5) < t) return { ok: false, failure: { code: ErrorCodes.BELOW_THRESHOLD, stage: 'unmask', member: u }, ...sets };
  }
  return { ok: true, ...sets };
}
