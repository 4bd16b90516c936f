/**
 * The central property: over hundreds of random dropout schedules (n from 3 to 50, complete and sparse
 * graphs, every threshold the graph allows, 1..32-bit rings, dropouts at every stage), a round succeeds
 * exactly when an independent oracle says it must, and then the server learns the plaintext sum over
 * exactly the members that sent masked inputs, and nothing is ever revealed twice.
 *
 * Every schedule is derived from the seed `sum/<i>`; a failure message names it and the schedule.
 */
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { seededRandom } from '@tessera/crypto';
import {
  ErrorCodes, STAGES, predictRound, roundGraph, runRound, type Delivery, type GraphSpec, type NeighbourGraph, type Stage, type Unmask,
} from '../src/index.js';
import { allMembers, between, fixture, messageOf, plainSum } from './helpers.js';

// ---------------------------------------------------------------------------------------------------
// The oracle: which sets form and where the round stops, derived from the protocol (Bonawitz et al.
// §4 with SecAgg+ neighbourhoods) and written independently of src/predict.ts.

interface OracleOutcome {
  readonly ok: boolean;
  /** The stage whose closing the server aborts in (BELOW_THRESHOLD). */
  readonly failStage?: Stage;
  readonly u1: number[];
  readonly u2: number[];
  readonly u3: number[];
  readonly u4: number[];
  readonly u5: number[];
  /** Members that abort on their own (too few neighbours / signatures), with the stage of the message they refuse. */
  readonly clientAborts: Map<number, Stage>;
}

function oracle(graph: NeighbourGraph, t: number, drops: ReadonlyMap<number, Stage>): OracleOutcome {
  const n = graph.n;
  // A member that drops at stage S neither receives the server's message closing stage S − 1 nor sends in S.
  const sendsIn = (u: number, s: Stage): boolean => !drops.has(u) || STAGES.indexOf(s) < STAGES.indexOf(drops.get(u)!);
  const nbrsIn = (u: number, set: Set<number>): number => graph.neighbours(u).filter((v) => set.has(v)).length;
  const out: OracleOutcome = { ok: false, u1: [], u2: [], u3: [], u4: [], u5: [], clientAborts: new Map() };
  const fail = (s: Stage): OracleOutcome => ({ ...out, failStage: s });

  // AdvertiseKeys.
  out.u1.push(...allMembers(n).filter((u) => sendsIn(u, 'advertise')));
  if (out.u1.length < t) return fail('advertise');
  // ShareKeys: u receives its advertised neighbours; it needs t of them to hold its shares.
  const u1 = new Set(out.u1);
  for (const u of out.u1) {
    if (!sendsIn(u, 'share')) continue;
    if (nbrsIn(u, u1) < t) out.clientAborts.set(u, 'share');
    else out.u2.push(u);
  }
  if (out.u2.length < t) return fail('share');
  // MaskedInput: u receives the shares of its neighbours that completed ShareKeys; it needs t.
  const u2 = new Set(out.u2);
  for (const u of out.u2) {
    if (!sendsIn(u, 'masked')) continue;
    if (nbrsIn(u, u2) < t) out.clientAborts.set(u, 'masked');
    else out.u3.push(u);
  }
  if (out.u3.length < t) return fail('masked');
  // ConsistencyCheck: with an honest server every member of U3 that is still online signs.
  out.u4.push(...out.u3.filter((u) => sendsIn(u, 'consistency')));
  if (out.u4.length < t) return fail('consistency');
  // Unmasking: u needs t signatures on U3 from itself and its neighbours in U4.
  const u4 = new Set(out.u4);
  for (const u of out.u4) {
    if (!sendsIn(u, 'unmask')) continue;
    if (1 + nbrsIn(u, u4) < t) out.clientAborts.set(u, 'unmask');
    else out.u5.push(u);
  }
  // Every u in U2 (b_u if u ∈ U3, s_sk_u if u ∈ U2 \ U3) needs t of its share holders among U5.
  // The holders of u's shares are exactly its neighbours in U2, and U5 ⊆ U2.
  const u5 = new Set(out.u5);
  for (const u of out.u2) if (nbrsIn(u, u5) < t) return fail('unmask');
  return { ...out, ok: true };
}

// ---------------------------------------------------------------------------------------------------
// Schedules.

interface Schedule {
  readonly id: string;
  readonly n: number;
  readonly graph: GraphSpec;
  readonly k: number;
  readonly t: number;
  readonly bits: number;
  readonly d: number;
  readonly drops: Map<number, Stage>;
  /** Inputs at 2^bits − 1 everywhere (maximal wrap-around). */
  readonly maxInputs: boolean;
}

const evenFloor = (x: number): number => x - (x % 2);

/** Per-member-pair cost cap (n · k), keeping one schedule under about a second on a slow core. */
const COST_CAP = 240;

function drawSchedule(i: number): Schedule {
  const rng = seededRandom(`sum/${i}`);
  const id = `sum/${i}`;
  const r = between(rng, 0, 99);
  const n = r < 55 ? between(rng, 3, 10) : r < 85 ? between(rng, 11, 20) : between(rng, 21, 50);
  // Sparse needs an even 2 ≤ k < n − 1, i.e. n ≥ 4.
  const kMaxSparse = Math.min(evenFloor(n - 2), evenFloor(Math.floor(COST_CAP / n)));
  const completeAffordable = n * (n - 1) <= COST_CAP;
  const sparse = kMaxSparse >= 2 && (!completeAffordable || between(rng, 0, 1) === 1);
  const k = sparse ? 2 * between(rng, 1, kMaxSparse / 2) : n - 1;
  const graph: GraphSpec = sparse ? { kind: 'sparse', degree: k } : { kind: 'complete' };
  // Dropout rate; one schedule in eight has none at all.
  const rates = [0.05, 0.1, 0.15, 0.2, 0.3, 0.45];
  const delta = i % 8 === 0 ? 0 : rates[between(rng, 0, rates.length - 1)]!;
  // Threshold: mostly one the expected survivors can meet, sometimes anything the graph allows.
  const comfortable = Math.max(1, Math.round(k * (1 - 2.2 * delta)));
  const t = between(rng, 0, 9) < 7 ? between(rng, 1, comfortable) : between(rng, 1, k);
  const bits = between(rng, 0, 5) === 0 ? [1, 8, 16, 31, 32][between(rng, 0, 4)]! : between(rng, 1, 32);
  const d = between(rng, 1, 40);
  const drops = new Map<number, Stage>();
  // Drop stages: every stage, with 'masked' (after ShareKeys, before the masked input) weighted double so
  // that many rounds make the server remove dropped members' pairwise masks.
  const stages: readonly Stage[] = ['advertise', 'share', 'masked', 'masked', 'consistency', 'unmask'];
  for (let u = 1; u <= n; u++) if (delta > 0 && between(rng, 0, 9999) < delta * 10000) drops.set(u, stages[between(rng, 0, stages.length - 1)]!);
  return { id, n, graph, k, t, bits, d, drops, maxInputs: between(rng, 0, 11) === 0 };
}

const describe = (s: Schedule): string =>
  `${s.id}: n=${s.n} ${s.graph.kind === 'sparse' ? `sparse k=${s.k}` : 'complete'} t=${s.t} bits=${s.bits} d=${s.d}` +
  ` drops={${[...s.drops].map(([u, st]) => `${u}:${st}`).join(', ')}}${s.maxInputs ? ' max-inputs' : ''}`;

interface Tally {
  total: number;
  ok: number;
  okWithDrops: number;
  /** Succeeded with U2 \ U3 non-empty: the server had to remove dropped members' pairwise masks. */
  okRemovedPairwise: number;
  okSparseWithDrops: number;
  okClientAborts: number;
  /** Schedules (either outcome) in which some client aborted on its own. */
  withClientAborts: number;
  aborted: number;
  abortedAt: Record<string, number>;
}
const tally: Tally = { total: 0, ok: 0, okWithDrops: 0, okRemovedPairwise: 0, okSparseWithDrops: 0, okClientAborts: 0, withClientAborts: 0, aborted: 0, abortedAt: {} };

const eq = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((x, i) => x === b[i]);

/** Runs one schedule and checks it; returns a description of the first violated property, if any. */
function checkSchedule(s: Schedule): string | undefined {
  const f = fixture(s.id, { n: s.n, threshold: s.t, graph: s.graph, bits: s.bits, vectorLength: s.d });
  const inputs = s.maxInputs ? f.inputs.map(() => new Uint32Array(s.d).fill(2 ** s.bits - 1)) : f.inputs;
  const deliveries: Delivery[] = [];
  const out = runRound({
    session: f.session, round: 7, serverIdentity: f.serverIdentity, memberIdentities: f.memberIdentities, inputs,
    dropouts: s.drops, rngFor: f.rngFor, observe: (dl) => deliveries.push(dl),
  });
  const graph = roundGraph(f.session, 7);
  const want = oracle(graph, s.t, s.drops);

  if (graph.degree !== s.k) return `graph degree ${graph.degree}, expected ${s.k}`;
  if (out.refused.length > 0) return `the server refused honest envelopes: ${out.refused.map((r) => `${r.from}: ${r.error.message}`).join('; ')}`;
  // Clients abort exactly where the oracle says, always for lack of t.
  const gotAborts = [...out.clientErrors.keys()].sort((a, b) => a - b);
  const wantAborts = [...want.clientAborts.keys()].sort((a, b) => a - b);
  if (!eq(gotAborts, wantAborts)) return `clients that aborted: ${gotAborts}, oracle: ${wantAborts}`;
  for (const [u, e] of out.clientErrors)
    if (e.code !== ErrorCodes.BELOW_THRESHOLD || !e.fatal || out.clients[u - 1]!.stage !== 'aborted') return `client ${u} failed with ${e.message}`;
  // The server's sets match the oracle's as far as the round got.
  const sets = out.server.sets;
  for (const key of ['u1', 'u2', 'u3', 'u4'] as const)
    if (!eq(sets[key], want[key])) return `server ${key} = [${sets[key]}], oracle [${want[key]}]`;
  // The members that actually sent a masked input, as seen on the wire.
  const sentMasked = [...new Set(deliveries.filter((dl) => dl.from !== 0 && dl.stage === 'masked').map((dl) => dl.from))].sort((a, b) => a - b);
  if (!eq(sentMasked, want.u3)) return `members that sent masked inputs [${sentMasked}], oracle U3 [${want.u3}]`;
  // Never both shares of one member, from anyone; and each client reveals only the kind that matches U3.
  const u3 = new Set(want.u3);
  const selfOf = new Set<number>();
  const keyOf = new Set<number>();
  for (const dl of deliveries.filter((x) => x.from !== 0 && x.stage === 'unmask')) {
    const m = messageOf(dl.bytes, f.session) as Unmask;
    for (const [v] of m.selfMaskShares) selfOf.add(v);
    for (const [v] of m.maskKeyShares) keyOf.add(v);
  }
  for (const v of selfOf) if (keyOf.has(v)) return `both the self-mask and the mask-key shares of member ${v} were revealed`;
  for (const v of selfOf) if (!u3.has(v)) return `a self-mask share of member ${v}, not in U3, was revealed`;
  for (const v of keyOf) if (u3.has(v)) return `a mask-key share of member ${v}, in U3, was revealed`;
  // src/predict.ts restates the same rules: it must agree with the oracle.
  const p = predictRound(graph, s.t, s.drops);
  if (p.ok !== want.ok || !eq(p.u3, want.u3) || !eq(p.u4, want.u4) || !eq(p.u5, want.u5) || (!p.ok && p.failure?.stage !== want.failStage))
    return `predictRound says ok=${p.ok} (${p.failure?.stage}), oracle ok=${want.ok} (${want.failStage})`;

  if (s.drops.size === 0 && !want.ok) return 'the oracle expects a round without dropouts to fail';
  if (want.ok) {
    if (!out.result) return `the round aborted (${out.error?.message}) but the oracle expects success`;
    if (out.error) return `unexpected server error ${out.error.message}`;
    if (out.server.stage !== 'done') return `server stage ${out.server.stage}`;
    if (!eq(out.result.survivors, want.u3)) return `result.survivors [${out.result.survivors}], expected [${want.u3}]`;
    if (out.result.bits !== s.bits || out.result.round !== 7) return 'result carries the wrong bits or round';
    const expected = plainSum(inputs, want.u3, s.bits, s.d);
    if (!eq(out.result.sum, expected)) return `sum [${out.result.sum}] ≠ plaintext sum over U3 [${expected}]`;
    const unmaskers = new Set(deliveries.filter((x) => x.from !== 0 && x.stage === 'unmask').map((x) => x.from));
    if (!eq([...unmaskers].sort((a, b) => a - b), want.u5)) return `members that unmasked [${[...unmaskers]}], oracle [${want.u5}]`;
    tally.ok++;
    if (s.drops.size > 0) tally.okWithDrops++;
    if (want.u2.length > want.u3.length) tally.okRemovedPairwise++;
    if (s.drops.size > 0 && s.graph.kind === 'sparse') tally.okSparseWithDrops++;
    if (want.clientAborts.size > 0) tally.okClientAborts++;
  } else {
    if (out.result) return `the round produced a result but the oracle expects an abort at ${want.failStage}`;
    if (!out.error || out.error.code !== ErrorCodes.BELOW_THRESHOLD || !out.error.fatal) return `expected a fatal BELOW_THRESHOLD, got ${out.error?.message}`;
    if (out.server.stage !== 'aborted' || out.server.abortReason !== out.error) return `server stage ${out.server.stage}`;
    // Nobody unmasks unless the round reached Unmasking.
    if (want.failStage !== 'unmask' && deliveries.some((x) => x.stage === 'unmask' && x.from !== 0)) return 'a member sent an unmask message in a round that aborted earlier';
    tally.aborted++;
    tally.abortedAt[want.failStage!] = (tally.abortedAt[want.failStage!] ?? 0) + 1;
  }
  if (want.clientAborts.size > 0) tally.withClientAborts++;
  tally.total++;
  return undefined;
}

const SCHEDULES = 240;
const BATCH = 30;

for (let start = 0; start < SCHEDULES; start += BATCH) {
  test.serial(`random dropout schedules sum/${start}..sum/${start + BATCH - 1}: outcome matches the oracle, sum is exact`, (t) => {
    for (let i = start; i < start + BATCH; i++) {
      const s = drawSchedule(i);
      const problem = checkSchedule(s);
      if (problem !== undefined) t.fail(`${describe(s)}\n  → ${problem}`);
    }
    t.pass();
  });
}

test.serial('the schedules cover successful rounds with dropouts, removed pairwise masks, sparse graphs and aborts', (t: ExecutionContext) => {
  t.is(tally.total, SCHEDULES, 'every schedule ran');
  const pct = (x: number): string => `${x} (${((100 * x) / tally.total).toFixed(0)}%)`;
  t.log(`schedules: ${tally.total}; succeeded ${pct(tally.ok)}; aborted ${pct(tally.aborted)} ${JSON.stringify(tally.abortedAt)}`);
  t.log(`succeeded with dropouts ${pct(tally.okWithDrops)}; with pairwise masks of dropped members removed ${pct(tally.okRemovedPairwise)};` +
    ` sparse with dropouts ${pct(tally.okSparseWithDrops)}; despite client-side aborts ${pct(tally.okClientAborts)};` +
    ` with client-side aborts (either outcome) ${pct(tally.withClientAborts)}`);
  t.true(tally.okWithDrops >= 0.3 * tally.total, 'at least 30% succeed with dropouts');
  t.true(tally.okRemovedPairwise >= 0.15 * tally.total, 'at least 15% succeed after removing dropped members\' pairwise masks');
  t.true(tally.okSparseWithDrops >= 0.1 * tally.total, 'at least 10% succeed on sparse graphs with dropouts');
  t.true(tally.aborted >= 0.05 * tally.total, 'at least 5% abort');
  t.true(Object.keys(tally.abortedAt).length >= 3, 'aborts happen in at least three different stages');
});

test('no dropouts: every round succeeds with the exact sum (fast-check, seed 0x5ecA66)', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 3, max: 10 }), fc.boolean(), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 16 }), fc.nat(),
      (n, wantSparse, kPick, tPick, bits, d, seed) => {
        const sparse = wantSparse && n >= 4;
        const k = sparse ? 2 * (1 + (kPick % (evenFloor(n - 2) / 2))) : n - 1;
        const threshold = 1 + (tPick % k);
        const id = `nodrop/${seed}`;
        const f = fixture(id, { n, threshold, graph: sparse ? { kind: 'sparse', degree: k } : { kind: 'complete' }, bits, vectorLength: d });
        const out = runRound({ session: f.session, round: 0, serverIdentity: f.serverIdentity, memberIdentities: f.memberIdentities, inputs: f.inputs, rngFor: f.rngFor });
        const where = `${id} n=${n} k=${k} t=${threshold} bits=${bits} d=${d}`;
        if (!out.result) throw new Error(`${where}: aborted: ${out.error?.message}`);
        if (!eq(out.result.survivors, allMembers(n))) throw new Error(`${where}: survivors ${out.result.survivors}`);
        if (!eq(out.result.sum, plainSum(f.inputs, allMembers(n), bits, d))) throw new Error(`${where}: wrong sum`);
        if (out.clientErrors.size > 0 || out.refused.length > 0) throw new Error(`${where}: errors in an honest round`);
      },
    ),
    { seed: 0x5eca66, numRuns: 25 },
  );
  t.pass();
});

test('n = 50 on the complete graph with dropouts after ShareKeys and in Unmasking (seed sum/big)', (t) => {
  const drops = new Map<number, Stage>([[3, 'masked'], [17, 'masked'], [29, 'consistency'], [41, 'unmask'], [50, 'share'], [8, 'advertise']]);
  const s: Schedule = { id: 'sum/big', n: 50, graph: { kind: 'complete' }, k: 49, t: 30, bits: 32, d: 16, drops, maxInputs: false };
  t.is(checkSchedule(s), undefined, describe(s));
});
