/**
 * Table-driven exact samplers for moderate parameters: the fast paths of {@link DiscreteGaussian}
 * (σ up to about 11 900) and of {@link Poisson} (hence Skellam; μ up to about 1.5·10^7).
 *
 * Rejection sampling from an envelope with INTEGER weights, so that choosing from the envelope is an
 * exact integer operation and only the acceptance involves the target f (an unnormalised pmf with
 * f ≤ 1, known through a double estimate f̂ with |f̂ − f| ≤ margin and through exact bigint bounds):
 *
 * - Window k ∈ [lo, hi]: weight H(k) = ⌈2^S·(f̂(k) + margin)⌉ ≥ 2^S·f(k).
 * - Tails: one extra weight H_T; a tail proposal is k = hi + 1 + G or lo − 1 − G (fair side) with G
 *   geometric of ratio q = e^(−1/t) (exact, ./fast.ts), so it has probability (1 − q)/2 · q^G; the
 *   target supplies H_T with H_T·(1 − q)/2·q^G ≥ 2^S·f(k) for every tail k (a log-concavity or
 *   monotonicity argument, see each target).
 * - A proposal is drawn with probability ∝ weight by Walker's alias method built with exact integer
 *   arithmetic (Vose's construction on w_i·M against capacity W = Σ w < 2^32): a uniform bucket below M
 *   and a uniform integer below W, one 32-bit word each (Lemire's multiply-and-reject, with the
 *   64-bit product formed exactly from 16-bit halves). It is accepted
 *   with probability 2^S·f(k)/H(k) (window) or 2^(S+1)·f(k)/(H_T·(1 − q)·q^G) (tail), decided by a
 *   32-bit uniform against precomputed integer thresholds and, when undecided (probability about
 *   2^−40 per sample, or a tail proposal), exactly by the lazy comparison with bigint bounds.
 *   The accepted k has exactly the normalised distribution f/Σf.
 *
 * The acceptance rate is 1 − O(M/W) (about 1 − 2^−13), so a sample costs three 32-bit words, three
 * table reads and no libm call. Tables take 28 bytes per entry; {@link TABLE_MAX_ENTRIES} bounds them.
 * @module
 */
import { RandomWords } from './words.js';
import type { Rational } from './rational.js';
import { lessThanBounds } from './bernoulli.js';
import { expNegBounds } from './exp.js';
import { U32, geometricExp, type SamplerStats } from './fast.js';

/** Largest table (entries); beyond it the samplers use their table-free rejection method. */
export const TABLE_MAX_ENTRIES = 2 ** 18;
const TWO32 = 4294967296;

/** What a table needs to know about its target f (see the module comment). */
export interface TableTarget {
  readonly lo: number;
  readonly hi: number;
  /** |fhat(k) − f(k)| ≤ margin for k in the window; f ≤ 1. */
  readonly margin: number;
  fhat(k: number): number;
  /** lo ≤ 2^prec·f(k) ≤ hi. */
  exact(k: number, prec: number): readonly [bigint, bigint];
  /** Geometric scale t of the tail proposals. */
  readonly t: number;
  /** A valid H_T for scale 2^S (an integer ≥ 1). */
  tailWeight(S: number): number;
  /** Whether a tail value is in the support (e.g. k ≥ 0). */
  inSupport(k: number): boolean;
  /** lo ≤ 2^prec·f(k)·e^(G/t) ≤ hi for a tail proposal k at distance G beyond the window. */
  tailExact(k: number, g: number, prec: number): readonly [bigint, bigint];
}

export class EnvelopeTable {
  readonly entries: number;
  readonly #target: TableTarget;
  readonly #words: RandomWords;
  readonly #stats: SamplerStats;
  readonly #S: number;
  readonly #tBig: bigint;
  readonly #W: number;
  readonly #remM: number; // 2^32 mod M and 2^32 mod W: Lemire's rejection thresholds
  readonly #remW: number;
  readonly #H: Float64Array;
  readonly #prob: Float64Array;
  readonly #alias: Int32Array;
  readonly #tLo: Float64Array;
  readonly #tHi: Float64Array;
  readonly #HT: number;
  #lastTail = 0;

  constructor(target: TableTarget, words: RandomWords, stats: SamplerStats) {
    this.#target = target;
    this.#words = words;
    this.#stats = stats;
    this.#tBig = BigInt(target.t);
    const span = target.hi - target.lo + 1;
    const M = span + 1; // window entries at index k − lo, then the tail entry
    if (!(span >= 1) || M > TABLE_MAX_ENTRIES) throw new RangeError(`table window too large (${M} entries)`);
    this.entries = M;
    const f = new Float64Array(span);
    let mass = 0;
    for (let i = 0; i < span; i++) mass += f[i] = target.fhat(target.lo + i);
    // S with W < 2^32: W ≤ 2^S·(mass + margin·span + tail) + M; the tail weight is at most ~2^S·mass.
    let S = Math.floor(31.5 - Math.log2(2 * mass + M + 2 + span * target.margin));
    let HT = target.tailWeight(S);
    const H = new Float64Array(M);
    const fill = () => {
      let W = 0;
      for (let i = 0; i < span; i++) W += H[i] = Math.max(1, Math.ceil(2 ** S * (f[i]! + target.margin)));
      H[M - 1] = HT;
      return W + HT;
    };
    let W = fill();
    while (!(W < TWO32)) {
      S--;
      HT = target.tailWeight(S);
      W = fill();
    }
    this.#S = S;
    this.#HT = HT;
    this.#W = W;
    this.#remM = TWO32 % M;
    this.#remW = TWO32 % W;
    this.#H = H;
    // Vose's alias construction on integers: bucket i keeps index i for v < prob[i] (v uniform below W), else alias[i].
    const prob = new Float64Array(M), alias = new Int32Array(M), scaled = new Float64Array(M);
    const small: number[] = [], large: number[] = [];
    for (let i = 0; i < M; i++) {
      scaled[i] = H[i]! * M;
      (scaled[i]! < W ? small : large).push(i);
    }
    while (small.length && large.length) {
      const s = small.pop()!, l = large.pop()!;
      prob[s] = scaled[s]!;
      alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - W;
      (scaled[l]! < W ? small : large).push(l);
    }
    for (const i of [...small, ...large]) {
      prob[i] = W;
      alias[i] = i;
    }
    this.#prob = prob;
    this.#alias = alias;
    // Window acceptance thresholds: accept if a + 1 ≤ tLo, reject if a ≥ tHi (a a 32-bit uniform). The
    // margin in f (≥ 2^−42·2^S/H ≥ 2^−10 threshold units) dwarfs the rounding of these products.
    const tLo = new Float64Array(M), tHi = new Float64Array(M);
    for (let i = 0; i < span; i++) {
      tLo[i] = Math.max(0, Math.floor((TWO32 * 2 ** S * (f[i]! - target.margin)) / H[i]!));
      tHi[i] = Math.min(TWO32, Math.ceil((TWO32 * 2 ** S * (f[i]! + target.margin)) / H[i]!));
    }
    this.#tLo = tLo;
    this.#tHi = tHi;
  }

  /** One exact sample (proposals are counted in stats.iterations, undecided ones in stats.slowPaths). */
  sample(): number {
    const words = this.#words;
    const stats = this.#stats;
    const M = this.entries, W = this.#W, lo = this.#target.lo;
    for (;;) {
      stats.iterations++;
      // Lemire: ⌊u·n/2^32⌋ is uniform below n once the low part u·n mod 2^32 is ≥ 2^32 mod n. For n = M
      // (< 2^18) the product is exact in a double; for n = W (< 2^32) it is split into 16-bit halves.
      let bucket: number, v: number;
      for (;;) {
        const m = words.u32() * M;
        bucket = Math.floor(m * U32);
        if (m - bucket * TWO32 >= this.#remM) break;
      }
      for (;;) {
        const u = words.u32();
        const a = (u >>> 16) * W; // < 2^48
        const ah = Math.floor(a / 65536);
        const c = (a - ah * 65536) * 65536 + (u & 0xffff) * W; // u·W = ah·2^32 + c, c < 2^49
        const ch = Math.floor(c * U32);
        v = ah + ch;
        if (c - ch * TWO32 >= this.#remW) break;
      }
      const i = v < this.#prob[bucket]! ? bucket : this.#alias[bucket]!;
      if (i === M - 1) {
        if (this.#tail()) return this.#lastTail;
        continue;
      }
      const a = words.u32();
      if (a + 1 <= this.#tLo[i]!) return lo + i;
      if (a >= this.#tHi[i]!) continue;
      stats.slowPaths++;
      const k = lo + i;
      const h = BigInt(this.#H[i]!);
      const S = BigInt(this.#S);
      // lo ≤ 2^prec · 2^S·f(k)/H ≤ hi
      if (lessThanBounds(words, { prefix: BigInt(a), k: 32 }, (prec) => {
        const [flo, fhi] = this.#target.exact(k, prec + 64);
        return [(flo << S) / (h << 64n), ((fhi << S) + (h << 64n) - 1n) / (h << 64n)];
      })) return k;
    }
  }

  /** One tail proposal; true if accepted (the value is in #lastTail). */
  #tail(): boolean {
    const words = this.#words;
    const target = this.#target;
    this.#stats.slowPaths++;
    const g = geometricExp(words, target.t, this.#tBig, this.#stats);
    const k = words.bit() ? target.lo - 1 - g : target.hi + 1 + g;
    if (!target.inSupport(k)) return false;
    // ratio = 2^(S+1)·f(k)·e^(g/t)/(H_T·(1 − e^(−1/t))) ≤ 1
    const HT = BigInt(this.#HT);
    const S1 = BigInt(this.#S + 1);
    const ok = lessThanBounds(words, { prefix: BigInt(words.u32()), k: 32 }, (prec) => {
      const w = prec + 64;
      const [elo, ehi] = target.tailExact(k, g, w);
      const [qlo, qhi] = expNegBounds(1n, this.#tBig, w);
      const one = 1n << BigInt(w);
      const dlo = one - qhi, dhi = one - qlo; // bounds on 2^w·(1 − q)
      const P = 1n << (S1 + BigInt(prec));
      return [(P * elo) / (HT * dhi), (P * ehi + HT * dlo - 1n) / (HT * dlo)];
    });
    if (ok) this.#lastTail = k;
    return ok;
  }
}

/**
 * The discrete Gaussian target f(x) = e^(−x²/(2σ²)) on the window |x| ≤ K (K = ⌈11σ⌉ + 1 by default),
 * tails with t = ⌊σ⌋ + 1. Tail envelope: for |x| > K ≥ σ, f(x)/q^(|x|−K−1) is decreasing (its log has
 * derivative −|x|/σ² + 1/t < 0), so H_T = ⌈2^(S+1)·f(K+1)/(1 − q)⌉ (with margins) covers every tail x.
 */
export function gaussianTarget(variance: Rational, s2: number, t: bigint, cut?: number): TableTarget {
  const sigma = Math.sqrt(s2);
  const K = cut ?? Math.ceil(11 * sigma) + 1;
  if (!Number.isSafeInteger(K) || K < sigma) throw new RangeError(`table cut must be an integer ≥ σ, got ${K}`);
  const inv2s2 = 1 / (2 * s2);
  const fhat = (x: number) => Math.exp(-x * x * inv2s2);
  const tn = Number(t);
  const { num, den } = variance;
  return {
    lo: -K, hi: K, margin: 2 ** -42, t: tn, fhat,
    exact: (x, prec) => expNegBounds(BigInt(x * x) * den, 2n * num, prec),
    tailWeight: (S) => {
      const q = Math.exp(-1 / tn) * (1 + 2 ** -40);
      return Math.max(1, Math.ceil(((2 ** (S + 1) * (fhat(K + 1) + 2 ** -42)) / (1 - q)) * (1 + 2 ** -40)));
    },
    inSupport: () => true,
    // f(x)·e^(g/t) = e^(−E), E = x²/(2σ²) − g/t = (x²·den·t − 2·num·g)/(2·num·t) ≥ 0 beyond K.
    tailExact: (x, g, prec) => {
      const eNum = BigInt(x) * BigInt(x) * den * t - 2n * num * BigInt(g);
      if (eNum < 0n) throw new Error('internal: Gaussian tail exponent negative');
      return expNegBounds(eNum, 2n * num * t, prec);
    },
  };
}
