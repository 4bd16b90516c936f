/**
 * The secure-aggregation side of a federation: the session (identities, threshold, graph, ring), the
 * dropout schedules, and one secure sum through `runRound` — the real SecAggClient/SecAggServer state
 * machines exchanging real signed envelopes with real pairwise and self masks. Nothing here sees
 * a plaintext vector except the client state machines that own them.
 * @module
 */
import { generateIdentity, seededRandom, systemRandom, type Identity, type RandomSource } from '@tessera/crypto';
import {
  STAGES, createSession, deriveParameters, runRound, type Delivery, type GraphSpec, type RoundOutcome, type Session, type Stage,
} from '@tessera/secagg';

/** How the federation runs SecAgg. */
export interface SecAggOptions {
  /** Shamir threshold t (default: `deriveParameters` for the member count and dropout rate). Also DP-SGD's n_min. */
  readonly threshold?: number;
  /** 'auto' (default: the sparsest SecAgg+ graph meeting the targets), 'complete', or an explicit graph. */
  readonly graph?: 'auto' | 'complete' | GraphSpec;
  /** Ring width b (default 32). */
  readonly bits?: number;
}

/** A dropout schedule: site (1-based) → the stage at which it drops, per round. */
export type DropoutSchedule = (round: number) => ReadonlyMap<number, Stage>;

/** A seeded random source per purpose, or the system CSPRNG when there is no seed. */
export function rngFactory(seed: string | undefined, scope: string): (purpose: string) => RandomSource {
  return (purpose) => (seed === undefined ? systemRandom : seededRandom(`tessera/federated/${scope}/${seed}/${purpose}`));
}

/** Every site drops independently with probability `rate`, at a uniformly chosen stage (seeded). */
export function randomDropouts(rate: number, sites: number, rngFor: (purpose: string) => RandomSource): DropoutSchedule {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  return (round) => {
    const out = new Map<number, Stage>();
    if (rate === 0) return out;
    const bytes = rngFor(`dropouts/round-${round}`)(8 * sites);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let u = 1; u <= sites; u++) {
      const p = view.getUint32(8 * (u - 1), true) / 2 ** 32;
      if (p < rate) out.set(u, STAGES[view.getUint32(8 * (u - 1) + 4, true) % STAGES.length]!);
    }
    return out;
  };
}

/** The long-lived secure-aggregation setup of a federation. */
export interface SecureChannel {
  readonly session: Session;
  readonly serverIdentity: Identity;
  readonly memberIdentities: readonly Identity[];
  readonly threshold: number;
  readonly graph: GraphSpec;
  readonly bits: number;
  readonly vectorLength: number;
  /** Per-member randomness of the state machines in round r (seeded runs), or undefined (system CSPRNG). */
  readonly memberRng?: (round: number, member: number) => RandomSource;
}

/** Builds the session: identities, threshold and graph (seeded when `seed` is given). */
export function createChannel(o: { sites: number; vectorLength: number; secagg?: SecAggOptions; dropoutRate?: number; seed?: string }): SecureChannel {
  const rngFor = rngFactory(o.seed, 'secagg');
  const n = o.sites;
  const bits = o.secagg?.bits ?? 32;
  const g = o.secagg?.graph ?? 'auto';
  const derived = deriveParameters({ members: n, dropoutRate: Math.min(o.dropoutRate ?? 0, 0.99), graph: typeof g === 'string' ? g : 'complete' });
  const graph: GraphSpec = typeof g === 'string' ? derived.graph : g;
  const maxT = graph.kind === 'complete' ? n - 1 : graph.degree;
  const threshold = o.secagg?.threshold ?? Math.min(derived.threshold, maxT);
  const idRng = rngFor('identities');
  const serverIdentity = generateIdentity(idRng);
  const memberIdentities = Array.from({ length: n }, () => generateIdentity(idRng));
  const session = createSession({
    sessionId: rngFor('session')(16), serverKey: serverIdentity.publicKey, memberKeys: memberIdentities.map((m) => m.publicKey),
    threshold, graph, bits, vectorLength: o.vectorLength,
  });
  const seed = o.seed;
  return {
    session, serverIdentity, memberIdentities, threshold, graph, bits, vectorLength: o.vectorLength,
    ...(seed === undefined ? {} : { memberRng: (round: number, member: number) => seededRandom(`tessera/federated/secagg/${seed}/round-${round}/member-${member}`) }),
  };
}

/** What one secure sum produced. */
export interface SecureSum {
  /** Σ over the survivors mod 2^b, or undefined when the round aborted. */
  readonly sum?: Uint32Array;
  /** Members (1-based) whose masked input is in the sum. */
  readonly survivors: readonly number[];
  /** Bytes of every envelope moved (both directions). */
  readonly bytes: number;
  /** Why the round aborted, if it did. */
  readonly error?: Error;
  readonly outcome: RoundOutcome;
}

/**
 * One secure sum over `inputs` (inputs[i] is member i + 1's ring vector) through `runRound`.
 *
 * @example
 * const s = secureSum(channel, 0, vectors, new Map([[2, 'masked']]));
 * s.sum; s.survivors; // the sum over the survivors only
 */
export function secureSum(
  channel: SecureChannel, round: number, inputs: readonly Uint32Array[], dropouts: ReadonlyMap<number, Stage> = new Map(),
  observe?: (d: Delivery) => void,
): SecureSum {
  let bytes = 0;
  const outcome = runRound({
    session: channel.session, round, serverIdentity: channel.serverIdentity, memberIdentities: channel.memberIdentities, inputs, dropouts,
    observe: (d) => {
      bytes += d.bytes.length;
      observe?.(d);
    },
    ...(channel.memberRng ? { rngFor: (u: number) => channel.memberRng!(round, u) } : {}),
  });
  const r = outcome.result;
  if (!r) return { survivors: [], bytes, error: outcome.error ?? new Error('the round produced no result'), outcome };
  return { sum: r.sum, survivors: [...r.survivors], bytes, outcome };
}
