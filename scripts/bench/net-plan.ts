/**
 * What the network benchmark's processes share: the plan of one row and how identities, the session and
 * the inputs are rebuilt from its seed.
 */
import { generateIdentity, seededRandom, type Identity } from '@tessera/crypto';
import { createSession, deriveParameters, type Session } from '@tessera/secagg';

export interface NetPlan {
  readonly seed: string;
  readonly peers: number;
  readonly d: number;
  readonly bits: number;
  /** Rounds in the session: one warm-up, then the timed ones. */
  readonly rounds: number;
}

/** The session of a row: k and t as `tessera roster create` derives them by default (10% dropout, malicious). */
export function benchSession(plan: NetPlan): { session: Session; server: Identity; members: Identity[]; k: number; t: number } {
  const rng = seededRandom(`bench net/${plan.seed}/keys`);
  const server = generateIdentity(rng);
  const members = Array.from({ length: plan.peers }, () => generateIdentity(rng));
  const p = deriveParameters({ members: plan.peers, dropoutRate: 0.1 });
  const session = createSession({
    sessionId: rng(16), serverKey: server.publicKey, memberKeys: members.map((m) => m.publicKey), threshold: p.threshold, graph: p.graph,
    bits: plan.bits, vectorLength: plan.d,
  });
  return { session, server, members, k: p.degree, t: p.threshold };
}

/** Member u's input (the same in every round: the bench measures transport, not data). */
export function benchInput(plan: NetPlan, u: number): Uint32Array {
  const x = new Uint32Array(seededRandom(`bench net/${plan.seed}/input/${u}`)(4 * plan.d).buffer);
  if (plan.bits < 32) for (let i = 0; i < x.length; i++) x[i] = x[i]! & (2 ** plan.bits - 1);
  return x;
}
