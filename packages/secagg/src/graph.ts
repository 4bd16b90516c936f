/**
 * The neighbour graph of a round. Complete: everyone neighbours everyone (SecAgg, Bonawitz et al.
 * 2017). Sparse: a Harary graph H(k, n) on a random permutation of the members (SecAgg+, Bell et al.
 * 2020, §3: "a random k-regular graph"): place the members on a ring in a random order and link each to
 * the k/2 nearest on either side. The permutation comes from public round randomness,
 * SHA-256("tessera/v1/graph" || session digest || round), so every party derives the same graph and no
 * party chooses it.
 * @module
 */
import { concat, randomBelow, seededRandom, sha256, u32be, utf8 } from '@tessera/crypto';
import type { Session } from './config.js';

export interface NeighbourGraph {
  readonly n: number;
  /** Degree: n − 1 for the complete graph. */
  readonly degree: number;
  /** The neighbours of member u (1-based), ascending. */
  neighbours(u: number): readonly number[];
  isNeighbour(u: number, v: number): boolean;
}

/** The public randomness the graph of `round` is drawn from. */
export function graphSeed(session: Session, round: number): Uint8Array {
  return sha256(concat(utf8('tessera/v1/graph'), session.digest, u32be(round)));
}

class CompleteGraph implements NeighbourGraph {
  readonly degree: number;
  readonly #all: number[][] = [];
  constructor(readonly n: number) {
    this.degree = n - 1;
  }
  neighbours(u: number): readonly number[] {
    let list = this.#all[u];
    if (!list) {
      list = [];
      for (let v = 1; v <= this.n; v++) if (v !== u) list.push(v);
      this.#all[u] = list;
    }
    return list;
  }
  isNeighbour(u: number, v: number): boolean {
    return u !== v && u >= 1 && v >= 1 && u <= this.n && v <= this.n;
  }
}

class HararyGraph implements NeighbourGraph {
  readonly #lists: number[][];
  readonly #sets: Set<number>[];
  constructor(readonly n: number, readonly degree: number, seed: Uint8Array) {
    const rng = seededRandom(seed);
    const order = Array.from({ length: n }, (_, i) => i + 1);
    for (let i = n - 1; i > 0; i--) {
      const j = randomBelow(rng, i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    this.#lists = [[]];
    this.#sets = [new Set()];
    const half = degree / 2;
    for (let u = 1; u <= n; u++) {
      this.#lists.push([]);
      this.#sets.push(new Set());
    }
    for (let p = 0; p < n; p++) {
      const u = order[p]!;
      for (let s = 1; s <= half; s++) {
        const v = order[(p + s) % n]!;
        this.#sets[u]!.add(v);
        this.#sets[v]!.add(u);
      }
    }
    for (let u = 1; u <= n; u++) this.#lists[u] = [...this.#sets[u]!].sort((a, b) => a - b);
  }
  neighbours(u: number): readonly number[] {
    return this.#lists[u] ?? [];
  }
  isNeighbour(u: number, v: number): boolean {
    return this.#sets[u]?.has(v) ?? false;
  }
}

/** The graph of `round` in `session`. */
export function roundGraph(session: Session, round: number): NeighbourGraph {
  if (session.graph.kind === 'complete' || session.graph.degree >= session.n - 1) return new CompleteGraph(session.n);
  return new HararyGraph(session.n, session.graph.degree, graphSeed(session, round));
}
