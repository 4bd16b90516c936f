/**
 * The discrete Gaussian N_Z(0, σ²): P(Y = y) ∝ e^(−y²/(2σ²)) on the integers, for a rational σ².
 *
 * Algorithm (Canonne, Kamath, Steinke 2020, "The Discrete Gaussian for Differential Privacy",
 * Algorithm 3): with t = ⌊σ⌋ + 1, propose Y ~ Lap_Z(t) and accept with probability
 * e^(−(|Y| − σ²/t)²/(2σ²)). The acceptance probability tends to √(2π)/2 · e^(−1/2) ≈ 0.76 as σ grows
 * (Σ e^(−y²/2σ²) ≈ √(2π)σ against the Laplace mass ≈ 2t·e^(σ²/2t²)), a proposal costs O(1) expected
 * work whatever σ is, so the expected time per sample is O(1): σ = 10^6 costs what σ = 10 does (the
 * tests bound proposals per sample with counters).
 *
 * Implementations:
 * - {@link discreteGaussianCks}: CKS Algorithms 1–3 literally, bigint arithmetic only (reference).
 * - {@link DiscreteGaussian} for σ up to about 16 000: exact rejection from an integer-weight table
 *   envelope (./table.ts), about two random words and no libm call per sample.
 * - {@link DiscreteGaussian} beyond, or with `table: false`: CKS rejection with the Laplace proposal drawn by exact lazy
 *   inversion and the acceptance decided by a floating-point fast path with an exact bigint fallback
 *   (see ./fast.ts: floating point decides only how fast, never what). About 3 random words and 4
 *   libm calls per sample.
 * @module
 */
import { type RandomSource } from '@tessera/crypto';
import { RandomWords } from './words.js';
import { asRational, isqrt, rationalToNumber, type Rational, type RationalLike } from './rational.js';
import { bernoulliExpNeg, lessThanExpNeg } from './bernoulli.js';
import { discreteLaplaceCks } from './laplace.js';
import { MARGIN, U32, geometricExp, newStats, type SamplerStats } from './fast.js';
import { EnvelopeTable, TABLE_MAX_ENTRIES, gaussianTarget } from './table.js';

/**
 * Acceptance probabilities are tabulated for |Y| < min(16t, 2^20) (8 MiB at most; |Y| ≥ 16t has
 * probability e^(−16) under the proposal and is computed inline).
 */
export const ACCEPT_TABLE_MAX = 2 ** 20;

/** Largest σ² (as a double) the samplers accept: σ ≤ 2^40 keeps every fast-path integer below 2^53. */
export const MAX_VARIANCE = 2 ** 80;

/** t = ⌊σ⌋ + 1 for σ² = num/den, exactly (⌊√⌊x⌋⌋ = ⌊√x⌋). */
export function laplaceScaleFor(variance: Rational): bigint {
  return isqrt(variance.num / variance.den) + 1n;
}

/**
 * One sample of N_Z(0, σ²) by CKS Algorithms 1–3 with bigint arithmetic (reference; slow).
 *
 * @example
 * discreteGaussianCks(new RandomWords(seededRandom('x')), [9, 4]); // σ² = 9/4
 */
export function discreteGaussianCks(words: RandomWords, variance: RationalLike): number {
  const v = asRational(variance, 'variance');
  if (v.num === 0n) return 0;
  const t = laplaceScaleFor(v);
  for (;;) {
    const y = discreteLaplaceCks(words, 1, Number(t));
    // (|y| − σ²/t)²/(2σ²) = (|y|·den·t − num)² / (2·num·den·t²)
    const diff = BigInt(Math.abs(y)) * v.den * t - v.num;
    if (bernoulliExpNeg(words, { num: diff * diff, den: 2n * v.num * v.den * t * t })) return y;
  }
}

/** A sampler of integer noise with a known exact variance (discrete Gaussian or Skellam). */
export interface NoiseSampler {
  /** The exact variance σ² of each sample. */
  readonly variance: Rational;
  /** One sample. */
  sample(): number;
  /** Fills `out` with independent samples. */
  fill(out: Int32Array | Float64Array): void;
  /** Work counters (samples, proposals, slow-path decisions). */
  readonly stats: SamplerStats;
}

/**
 * A fast exact sampler of N_Z(0, σ²) for a rational σ² (see the module comment).
 *
 * @example
 * const dg = new DiscreteGaussian(toRational('1000000'), systemRandom); // σ = 1000
 * const noise = new Int32Array(1_000_000);
 * dg.fill(noise);
 */
export class DiscreteGaussian implements NoiseSampler {
  readonly variance: Rational;
  readonly stats: SamplerStats = newStats();
  readonly #words: RandomWords;
  readonly #t: number;
  readonly #tBig: bigint;
  readonly #s2t: number; // σ²/t
  readonly #inv2s2: number; // 1/(2σ²)
  readonly #table: Float64Array; // acceptance estimate p̂(|Y|) for |Y| < table.length (same doubles as computed inline)

  readonly #fast: EnvelopeTable | null;

  /**
   * `options.table`: use the table-driven sampler (./table.ts) when σ is small enough for it (default
   * true: σ ≤ ~16 000); `options.tableCut`: its window half-width (tests only).
   */
  constructor(variance: RationalLike, rng: RandomSource | RandomWords, options: { table?: boolean; tableCut?: number } = {}) {
    this.variance = asRational(variance, 'variance');
    const s2 = rationalToNumber(this.variance);
    if (!(s2 <= MAX_VARIANCE)) throw new RangeError(`variance must be at most 2^80, got ${s2}`);
    this.#words = rng instanceof RandomWords ? rng : new RandomWords(rng);
    this.#tBig = laplaceScaleFor(this.variance);
    this.#t = Number(this.#tBig);
    this.#s2t = s2 / this.#t;
    this.#inv2s2 = 1 / (2 * s2);
    const entries = 2 * (options.tableCut ?? Math.ceil(8 * Math.sqrt(s2)) + 1) + 2;
    this.#fast = options.table !== false && this.variance.num !== 0n && entries <= TABLE_MAX_ENTRIES
      ? new EnvelopeTable(gaussianTarget(this.variance, s2, this.#tBig, options.tableCut), this.#words, this.stats)
      : null;
    const size = Math.min(ACCEPT_TABLE_MAX, Math.ceil(16 * this.#t) + 1);
    this.#table = new Float64Array(this.variance.num === 0n || this.#fast ? 0 : size);
    for (let g = 0; g < this.#table.length; g++) this.#table[g] = this.#accept(g);
  }

  /** Which algorithm this sampler uses: 'table' (./table.ts) or 'rejection' (CKS with the lazy fast path). */
  get method(): 'table' | 'rejection' {
    return this.#fast ? 'table' : 'rejection';
  }

  #accept(g: number): number {
    const diff = g - this.#s2t;
    return Math.exp(-diff * diff * this.#inv2s2);
  }

  sample(): number {
    if (this.#fast) {
      this.stats.samples++;
      return this.#fast.sample();
    }
    if (this.variance.num === 0n) {
      this.stats.samples++;
      return 0;
    }
    const words = this.#words;
    const stats = this.stats;
    for (;;) {
      stats.iterations++;
      const g = geometricExp(words, this.#t, this.#tBig, stats);
      const negative = words.bit();
      if (negative === 1 && g === 0) continue;
      // Accept w.p. e^(−γ), γ = (g − σ²/t)²/(2σ²). Error of the double γ̂: ≤ 2^−51·(|g − σ²/t|/σ + 2γ),
      // so |e^(−γ̂) − e^(−γ)| ≤ e^(−γ)·2^−50·(√(2γ) + γ) + libm ≤ 2^−49 + 2^−40 < MARGIN.
      const p = g < this.#table.length ? this.#table[g]! : this.#accept(g);
      const u = words.u32();
      const x = u * U32;
      let accept: boolean;
      if (x + U32 <= p - MARGIN) accept = true;
      else if (x >= p + MARGIN) accept = false;
      else {
        stats.slowPaths++;
        const { num, den } = this.variance;
        const d = BigInt(g) * den * this.#tBig - num;
        accept = lessThanExpNeg(words, { prefix: BigInt(u), k: 32 }, d * d, 2n * num * den * this.#tBig * this.#tBig);
      }
      if (accept) {
        stats.samples++;
        return negative ? -g : g;
      }
    }
  }

  /** Fills `out`; an Int32Array throws a RangeError if a sample does not fit (σ > 2^27 or so). */
  fill(out: Int32Array | Float64Array): void {
    if (this.#fast) {
      if (!(out instanceof Int32Array || out instanceof Float64Array)) throw new TypeError('out must be an Int32Array or a Float64Array');
      this.#fast.fill(out);
      this.stats.samples += out.length;
    } else fillChecked(this, out);
  }
}

/** Fills `out` with `sampler.sample()`, checking that samples fit an Int32Array. */
export function fillChecked(sampler: { sample(): number }, out: Int32Array | Float64Array): void {
  if (out instanceof Float64Array) {
    for (let i = 0; i < out.length; i++) out[i] = sampler.sample();
    return;
  }
  if (!(out instanceof Int32Array)) throw new TypeError('out must be an Int32Array or a Float64Array');
  for (let i = 0; i < out.length; i++) {
    const v = sampler.sample();
    if (v > 0x7fffffff || v < -0x80000000) throw new RangeError(`out: sample ${v} does not fit an Int32Array; use a Float64Array`);
    out[i] = v;
  }
}
