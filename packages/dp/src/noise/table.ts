/**
 * Table-driven exact samplers for moderate parameters: the fast paths of {@link DiscreteGaussian}
 * (σ up to about 16 000) and of {@link Poisson} (hence Skellam; μ up to about 1.5·10^8, σ ≈ 17 000).
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
 *   32-bit uniform against precomputed integer thresholds (tail: against a double estimate with a
 *   relative margin 2^−20) and, when undecided (probability about 2^−40 per sample), exactly by the
 *   lazy comparison with bigint bounds.
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
  /** A double estimate of f(k)·e^(G/t) within relative error 2^−30 (the tail's fast path). */
  tailHat(k: number, g: number): number;
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
    // Window acceptance thresholds: accept if a + 1 ≤ tLo, reject if a ≥ tHi (a a 32-bit uniform). The
    // margin in f (≥ 2^−42·2^S/H ≥ 2^−10 threshold units) dwarfs the rounding of these products.
    const tLo = new Float64Array(M), tHi = new Float64Array(M);
    for (let i = 0; i < span; i++) {
      tLo[i] = Math.max(0, Math.floor((TWO32 * 2 ** S * (f[i]! - target.margin)) / H[i]!));
      tHi[i] = Math.min(TWO32, Math.ceil((TWO32 * 2 ** S * (f[i]! + target.margin)) / H[i]!));
    }
    // One 64-byte record per bucket, so that a draw touches one cache line:
    // [prob, alias, tLo(bucket), tHi(bucket), tLo(alias), tHi(alias), −, −].
    const rec = new Float64Array(8 * M);
    for (let b = 0; b < M; b++) {
      const a = alias[b]!;
      rec[8 * b] = prob[b]!;
      rec[8 * b + 1] = a;
      rec[8 * b + 2] = tLo[b]!;
      rec[8 * b + 3] = tHi[b]!;
      rec[8 * b + 4] = tLo[a]!;
      rec[8 * b + 5] = tHi[a]!;
    }
    this.#rec = rec;
  }

  readonly #rec: Float64Array;

  /** One exact sample (proposals are counted in stats.iterations, undecided ones in stats.slowPaths). */
  sample(): number {
    this.fill(this.#one);
    return this.#one[0]!;
  }

  readonly #one = new Float64Array(1);

  /**
   * Fills `out` with independent exact samples. The hot loop reads 32-bit words from a local buffer
   * (bulk-copied from the RandomWords block) instead of calling u32() per word; the rare undecided
   * decisions and tail proposals draw from the RandomWords stream itself. Either way every word is a
   * fresh uniform word, so the samples are exact and independent.
   */
  fill(out: Float64Array | Int32Array): void {
    const words = this.#words;
    const stats = this.#stats;
    const M = this.entries, W = this.#W, lo = this.#target.lo;
    const remM = this.#remM, remW = this.#remW;
    const rec = this.#rec;
    const buf = this.#buf;
    let p = this.#bufPos;
    let iterations = 0;
    for (let j = 0; j < out.length; j++) {
      let value: number;
      for (;;) {
        iterations++;
        // Lemire: ⌊u·n/2^32⌋ is uniform below n once the low part u·n mod 2^32 is ≥ 2^32 mod n. For n = M
        // (< 2^18) the product is exact in a double; for n = W (< 2^32) it is split into 16-bit halves.
        let bucket: number, v: number;
        for (;;) {
          if (p === buf.length) {
            words.fillU32(buf);
            p = 0;
          }
          const m = buf[p++]! * M;
          bucket = Math.floor(m * U32);
          if (m - bucket * TWO32 >= remM) break;
        }
        for (;;) {
          if (p === buf.length) {
            words.fillU32(buf);
            p = 0;
          }
          const u = buf[p++]!;
          const a = (u >>> 16) * W; // < 2^48
          const ah = Math.floor(a / 65536);
          const c = (a - ah * 65536) * 65536 + (u & 0xffff) * W; // u·W = ah·2^32 + c, c < 2^49
          const ch = Math.floor(c * U32);
          v = ah + ch;
          if (c - ch * TWO32 >= remW) break;
        }
        const r = 8 * bucket;
        const self = v < rec[r]!;
        const i = self ? bucket : rec[r + 1]!;
        if (i === M - 1) {
          if (this.#tail()) {
            value = this.#lastTail;
            break;
          }
          continue;
        }
        if (p === buf.length) {
          words.fillU32(buf);
          p = 0;
        }
        const a = buf[p++]!;
        const o = self ? r + 2 : r + 4;
        if (a + 1 <= rec[o]!) {
          value = lo + i;
          break;
        }
        if (a >= rec[o + 1]!) continue;
        if (this.#slowAccept(i, a)) {
          value = lo + i;
          break;
        }
      }
      if (value > 0x7fffffff || value < -0x80000000) {
        if (out instanceof Int32Array) throw new RangeError(`out: sample ${value} does not fit an Int32Array; use a Float64Array`);
      }
      out[j] = value;
    }
    this.#bufPos = p;
    stats.iterations += iterations;
  }

  readonly #buf = new Uint32Array(4096);
  #bufPos = 4096;

  /** The exact decision U < 2^S·f(k)/H(k) given U's first 32 bits `a`. */
  #slowAccept(i: number, a: number): boolean {
    this.#stats.slowPaths++;
    const k = this.#target.lo + i;
    const h = BigInt(this.#H[i]!);
    const S = BigInt(this.#S);
    return lessThanBounds(this.#words, { prefix: BigInt(a), k: 32 }, (prec) => {
      const [flo, fhi] = this.#target.exact(k, prec + 64);
      return [(flo << S) / (h << 64n), ((fhi << S) + (h << 64n) - 1n) / (h << 64n)];
    });
  }

  /** One tail proposal; true if accepted (the value is in #lastTail). */
  #tail(): boolean {
    const words = this.#words;
    const target = this.#target;
    const g = geometricExp(words, target.t, this.#tBig, this.#stats);
    const k = words.bit() ? target.lo - 1 - g : target.hi + 1 + g;
    if (!target.inSupport(k)) return false;
    // ratio = 2^(S+1)·f(k)·e^(g/t)/(H_T·(1 − e^(−1/t))) ≤ 1; fast path with a relative margin 2^−20
    // (estimate within 2^−30, 1 − q within 2^−40 relative), then exact.
    const a = words.u32();
    const r = (2 ** (this.#S + 1) * target.tailHat(k, g)) / (this.#HT * -Math.expm1(-1 / target.t));
    if ((a + 1) * U32 <= r * (1 - 2 ** -20)) {
      this.#lastTail = k;
      return true;
    }
    if (a * U32 >= r * (1 + 2 ** -20)) return false;
    const HT = BigInt(this.#HT);
    const S1 = BigInt(this.#S + 1);
    this.#stats.slowPaths++;
    const ok = lessThanBounds(words, { prefix: BigInt(a), k: 32 }, (prec) => {
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
 * The discrete Gaussian target f(x) = e^(−x²/(2σ²)) on the window |x| ≤ K (K = ⌈8σ⌉ + 1 by default),
 * tails with t = ⌊σ⌋ + 1. Tail envelope: for |x| > K ≥ σ, f(x)/q^(|x|−K−1) is decreasing (its log has
 * derivative −|x|/σ² + 1/t < 0), so H_T = ⌈2^(S+1)·f(K+1)/(1 − q)⌉ (with margins) covers every tail x.
 */
export function gaussianTarget(variance: Rational, s2: number, t: bigint, cut?: number): TableTarget {
  const sigma = Math.sqrt(s2);
  const K = cut ?? Math.ceil(8 * sigma) + 1; // tail mass ≈ e^(−32)
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
    tailHat: (x, g) => Math.exp(-x * x * inv2s2 + g / tn),
  };
}
