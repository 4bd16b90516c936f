/**
 * What the in-memory session tests share: a seeded roster (coordinator and member identities, the
 * SecAgg session), a MemoryNetwork, and deterministic per-round inputs whose sums the tests recompute.
 */
import { generateIdentity, seededRandom, type Identity } from '@tessera/crypto';
import { createSession, type Session } from '@tessera/secagg';
import { MemoryNetwork, MemoryTransport } from '@tessera/transport';
import { Coordinator, type CoordinatorEvent } from '../src/index.js';

export const BITS = 16;
export const D = 8;
export const FAST = { advertiseMs: 3000, shareMs: 3000, maskedMs: 3000, consistencyMs: 3000, unmaskMs: 3000 };

export interface World {
  readonly session: Session;
  readonly coordinatorId: Identity;
  readonly members: readonly Identity[];
  readonly network: MemoryNetwork;
}

/** A session of `n` members (complete graph, threshold t) with identities seeded by `seed`. */
export function world(seed: string, n: number, threshold: number): World {
  const rng = seededRandom(seed);
  const coordinatorId = generateIdentity(rng);
  const members = Array.from({ length: n }, () => generateIdentity(rng));
  const session = createSession({ sessionId: rng(16), serverKey: coordinatorId.publicKey, memberKeys: members.map((m) => m.publicKey), threshold, graph: { kind: 'complete' }, bits: BITS, vectorLength: D });
  return { session, coordinatorId, members, network: new MemoryNetwork() };
}

/** Member u's input in round r: deterministic, so the test can recompute every sum. */
export function inputOf(u: number, r: number): Uint32Array {
  return Uint32Array.from({ length: D }, (_, i) => (u * 7919 + r * 104_729 + i * 31 + u * r * i) % 2 ** BITS);
}

/** A coordinator of `w` over its MemoryNetwork (fast deadlines, waits for every member), collecting its events. */
export function coordinator(w: World, rounds: number, extra: Partial<ConstructorParameters<typeof Coordinator>[0]> = {}): { c: Coordinator; events: CoordinatorEvent[] } {
  const c = new Coordinator({
    transport: new MemoryTransport(w.network), session: w.session, identity: w.coordinatorId, rounds, deadlines: FAST,
    minQuorum: w.session.n, startTimeoutMs: 5000, gatherMs: 0, limits: { heartbeatMs: 0 }, ...extra,
  });
  const events: CoordinatorEvent[] = [];
  c.on('event', (e) => events.push(e));
  return { c, events };
}
