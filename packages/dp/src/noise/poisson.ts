/**
 * Exact Poisson(μ) for a rational mean μ, in O(1) expected time whatever μ is, and the Skellam
 * distribution built from it.
 *
 * Algorithm (rejection from a discrete Laplace envelope around the mode; the envelope construction is
 * the one Devroye uses for log-concave discrete distributions, "A simple generator for discrete
 * log-concave distributions", Computing 39, 1987, made exact here with rational tangent points):
 *
 * Let f(k) = p(k)/p(m) ≤ 1 with m = ⌊μ⌋ the mode. ln f is concave, with slopes
 * Δ(k) = ln f(k+1) − ln f(k) = ln(μ/(k+1)), decreasing in k. Pick an integer t ≈ √(2μ) (the one
 * minimising the envelope's mass among ≤ 200 candidates in [√(2μ)/2, 2√(2μ) + 2]) and
 *   k_R = ⌈μ(t² + t + 1)/t²⌉ − 1, so μ/(k_R + 1) ≤ e^(−1/t) (since e^y ≤ 1 + y + y² for y ≤ 1): Δ(k_R) ≤ −1/t;
 *   k_L = ⌊μ(t − 1)/t⌋,           so μ/k_L ≥ e^(1/t) (since e^(−y) ≥ 1 − y):               Δ(k_L − 1) ≥ 1/t;
 *   w = max(k_R − m, m − k_L).
 * Concavity gives ln f(m + x) ≤ (w − |x|)/t for every integer x (flat part: ln f ≤ 0; beyond the
 * tangent points the slopes are steeper than 1/t). So propose x ~ Lap_Z(t) (exact, ./fast.ts), reject
 * m + x < 0, and accept with probability f(m + x)·e^((|x| − w)/t) ≤ 1. The accepted value has
 * exactly the Poisson(μ) law. Acceptance rate → √(2πμ)/(2t) · e^(−w/t) ≈ √π/2 · e^(−1/2) ≈ 0.54 for
 * large μ (measured ≥ 0.4 for every μ the tests try), so the expected number of proposals is O(1)
 * and bounded in μ; each costs O(1): one Math.log for the proposal and a table lookup of the
 * acceptance estimate (tabulated for |k − m| ≤ 12t, at most 2^20 entries; computed inline beyond).
 *
 * The acceptance is decided like the discrete Gaussian's: ln f(k) in double precision (Loader 2000,
 * "Fast and accurate computation of binomial probabilities": stirlerr and the bd0 deviance, whose
 * only libm call is away from the mode) with margin 2^−34, and, when undecided (probability ~2^−31),
 * exactly with bigint bounds on f(k) = Π μ/j — O(|k − m|) = O(√μ) bigint steps, which averages to
 * nothing at that probability but is the one place whose worst case grows with μ.
 * @module
 */
import { type RandomSource } from '@tessera/crypto';
import { RandomWords } from './words.js';
import { asRational, rationalToNumber, type Rational, type RationalLike } from './rational.js';
import { lessThanBounds } from './bernoulli.js';
import { expNegBounds, expPosBounds } from './exp.js';
import { U32, geometricExp, newStats, type SamplerStats } from './fast.js';
import { ACCEPT_TABLE_MAX, fillChecked, type NoiseSampler } from './gaussian.js';
import { EnvelopeTable, TABLE_MAX_ENTRIES, type TableTarget } from './table.js';

/** Largest mean accepted: keeps k, m and every fast-path integer far below 2^53. */
export const MAX_POISSON_MEAN = 2 ** 50;
/**
 * Margin around the double estimate of the acceptance probability. Its error is below 2^−42: ln f is
 * a sum of terms of size ≤ ~50 near the mode (error ≤ 50·2^−46), and far from the mode, where a term
 * B = bd0 is large, the error B·2^−45 is multiplied by p ≤ e^(−B).
 */
export const POISSON_MARGIN = 2 ** -34;

const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);
const STIRLERR_SMALL: number[] = [NaN];
{
  let fact = 1;
  for (let n = 1; n <= 15; n++) {
    fact *= n; // exact: 15! < 2^53
    STIRLERR_SMALL.push(Math.log(fact) - (n + 0.5) * Math.log(n) + n - HALF_LN_2PI);
  }
}

/** ln n! − [(n + ½) ln n − n + ½ ln 2π] for an integer n ≥ 1 (Loader 2000; series error < 1e-17). */
export function stirlerr(n: number): number {
  if (n <= 15) return STIRLERR_SMALL[n]!;
  const nn = n * n;
  const S0 = 1 / 12, S1 = 1 / 360, S2 = 1 / 1260, S3 = 1 / 1680, S4 = 1 / 1188;
  if (n > 500) return (S0 - S1 / nn) / n;
  if (n > 80) return (S0 - (S1 - S2 / nn) / nn) / n;
  if (n > 35) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

/** The deviance k ln(k/μ) + μ − k, accurately near k = μ (Loader's series in v = (k−μ)/(k+μ)). */
export function bd0(k: number, mu: number): number {
  if (Math.abs(k - mu) < 0.1 * (k + mu)) {
    let v = (k - mu) / (k + mu);
    let s = (k - mu) * v;
    let ej = 2 * k * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return k * Math.log(k / mu) + mu - k;
}

/** ln P(Poisson(μ) = k) for an integer k ≥ 0 and μ > 0 (double precision). */
export function logPoisson(k: number, mu: number): number {
  if (k === 0) return -mu;
  return -stirlerr(k) - bd0(k, mu) - HALF_LN_2PI - 0.5 * Math.log(k);
}

const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

/**
 * A fast exact sampler of Poisson(μ) for a rational μ ≥ 0 (see the module comment).
 *
 * @example
 * const p = new Poisson(toRational('500000.5'), seededRandom('x'));
 * p.sample(); // ≈ 500000 ± 707
 */
export class Poisson {
  readonly mean: Rational;
  readonly stats: SamplerStats = newStats();
  readonly #words: RandomWords;
  readonly #mu: number;
  readonly #m: number;
  readonly #t: number;
  readonly #tBig: bigint;
  readonly #w: number;
  readonly #lpm: number;
  readonly #tableLo: number; // acceptance estimates p̂(k) for k in [tableLo, tableLo + table.length)
  readonly #table: Float64Array;

  readonly #fast: EnvelopeTable | null;

  /**
   * `options.table`: use the table-driven sampler (./table.ts) when μ is small enough (default true:
   * μ up to about 1.5·10^8); `options.tableCut`: its window half-width K (tests only).
   */
  constructor(mean: RationalLike, rng: RandomSource | RandomWords, options: { table?: boolean; tableCut?: number } = {}) {
    this.mean = asRational(mean, 'mean');
    this.#mu = rationalToNumber(this.mean);
    if (!(this.#mu <= MAX_POISSON_MEAN)) throw new RangeError(`mean must be at most 2^50, got ${this.#mu}`);
    this.#words = rng instanceof RandomWords ? rng : new RandomWords(rng);
    const { num: a, den: b } = this.mean;
    const m = a / b;
    // The envelope's scale t: any integer t ≥ 1 is correct; pick the one (among ≤ 200 candidates
    // around √(2μ)) that minimises the envelope mass e^(w/t)·(1 + e^(−1/t))/(1 − e^(−1/t)).
    const envelope = (t: bigint) => {
      const kR = (a * (t * t + t + 1n) + b * t * t - 1n) / (b * t * t) - 1n;
      const kL = (a * (t - 1n)) / (b * t);
      const w = kR - m > m - kL ? kR - m : m - kL;
      const q = Math.exp(-1 / Number(t));
      return { t, w, mass: Math.exp(Number(w) / Number(t)) * ((1 + q) / (1 - q)) };
    };
    const centre = Math.sqrt(2 * this.#mu);
    const from = Math.max(1, Math.floor(centre / 2)), to = Math.ceil(2 * centre) + 2;
    const step = Math.max(1, Math.ceil((to - from) / 200));
    let best = envelope(BigInt(from));
    for (let c = from + step; c <= to; c += step) {
      const e = envelope(BigInt(c));
      if (e.mass < best.mass) best = e;
    }
    const { t, w } = best;
    this.#m = Number(m);
    this.#t = Number(t);
    this.#tBig = t;
    this.#w = Number(w);
    this.#lpm = this.#mu === 0 ? 0 : logPoisson(this.#m, this.#mu);
    // Window half-width: at least ≈ 10 sd (K0), widened to fill the table's power-of-two bucket count
    // (the buckets exist anyway; each doubling of the margin beyond the envelope cuts tail proposals,
    // which finish in JavaScript, by a factor e^(−ΔK/t)): 2K + 2 = M = the least power of two ≥ 2·K0 + 2.
    const K0 = Math.ceil(10 * Math.sqrt(this.#mu)) + this.#w + 2;
    let M = 1;
    while (M < 2 * K0 + 2) M *= 2;
    const K = options.tableCut ?? (M <= TABLE_MAX_ENTRIES ? M / 2 - 1 : K0);
    this.#fast = options.table !== false && this.#mu > 0 && 2 * K + 2 <= TABLE_MAX_ENTRIES ? new EnvelopeTable(this.#target(K), this.#words, this.stats) : null;
    const R = Math.min(Math.ceil(12 * this.#t), (ACCEPT_TABLE_MAX >> 1) - 1);
    this.#tableLo = Math.max(0, this.#m - R);
    this.#table = new Float64Array(this.#mu === 0 || this.#fast ? 0 : this.#m + R + 1 - this.#tableLo);
    for (let i = 0; i < this.#table.length; i++) this.#table[i] = this.#accept(this.#tableLo + i);
  }

  /** Which algorithm this sampler uses: 'table' (./table.ts) or 'rejection' (the Laplace envelope above). */
  get method(): 'table' | 'rejection' {
    return this.#fast ? 'table' : 'rejection';
  }

  /**
   * The table target f(k) = p(k)/p(m) on [max(0, m − K), m + K]. Tail envelope: ln f(m + x) ≤ (w − |x|)/t
   * (module comment), so for |x| = K + 1 + G, f ≤ e^((w − K − 1)/t)·q^G and
   * H_T = ⌈2λ·e^((w − K − 1)/t)/(1 − q)⌉ (with margins) covers both tails.
   */
  #target(K: number): TableTarget {
    const m = this.#m, t = this.#t, w = this.#w, mu = this.#mu, lpm = this.#lpm;
    const tBig = this.#tBig;
    return {
      lo: Math.max(0, m - K), hi: m + K, margin: POISSON_MARGIN, t,
      fhat: (k) => Math.exp(logPoisson(k, mu) - lpm),
      exact: (k, prec) => this.#ratioBounds(k, prec),
      tailWeight: (lambda) => {
        const q = Math.exp(-1 / t) * (1 + 2 ** -40);
        return Math.max(1, Math.ceil(((2 * lambda * Math.exp((w - K - 1) / t)) / (1 - q)) * (1 + 2 ** -30)));
      },
      inSupport: (k) => k >= 0,
      // Loader's log-pmf: |error| ≤ 2^−40 in the log near the mode, relative 2^−44 of large deviances.
      tailHat: (k, g) => Math.exp(logPoisson(k, mu) - lpm + g / t),
      tailExact: (k, g, prec) => {
        const wp = prec + 64 + 2 * Math.ceil(g / t);
        const [flo, fhi] = this.#ratioBounds(k, wp);
        const [elo, ehi] = expPosBounds(BigInt(g), tBig, wp);
        const shift = BigInt(2 * wp - prec);
        return [(flo * elo) >> shift, (fhi * ehi + (1n << shift) - 1n) >> shift];
      },
    };
  }

  /** lo ≤ 2^prec · f(k) ≤ hi for f(k) = p(k)/p(m) = Π μ/j (bigint interval arithmetic, O(|k − m|) steps). */
  #ratioBounds(k: number, prec: number): [bigint, bigint] {
    const { num: a, den: b } = this.mean;
    const steps = Math.abs(k - this.#m);
    const guard = 64 + bitLength(BigInt(steps));
    const wp = BigInt(prec + guard);
    let lo = 1n << wp, hi = 1n << wp;
    if (k > this.#m) {
      for (let j = this.#m + 1; j <= k; j++) {
        const d = b * BigInt(j);
        lo = (lo * a) / d;
        hi = (hi * a + d - 1n) / d;
      }
    } else {
      for (let j = k + 1; j <= this.#m; j++) {
        const n = b * BigInt(j);
        lo = (lo * n) / a;
        hi = (hi * n + a - 1n) / a;
      }
    }
    const g = BigInt(guard);
    return [lo >> g, (hi + (1n << g) - 1n) >> g];
  }

  /** The double estimate of the acceptance probability f(k)·e^((|k − m| − w)/t). */
  #accept(k: number): number {
    return Math.exp(logPoisson(k, this.#mu) - this.#lpm + (Math.abs(k - this.#m) - this.#w) / this.#t);
  }

  /** The envelope's offset w (see the module comment); exposed for tests. */
  get envelope(): { scale: number; offset: number; mode: number } {
    return { scale: this.#t, offset: this.#w, mode: this.#m };
  }

  sample(): number {
    const stats = this.stats;
    if (this.#fast) {
      stats.samples++;
      return this.#fast.sample();
    }
    if (this.mean.num === 0n) {
      stats.samples++;
      return 0;
    }
    const words = this.#words;
    for (;;) {
      stats.iterations++;
      const g = geometricExp(words, this.#t, this.#tBig, stats);
      const negative = words.bit();
      if (negative === 1 && g === 0) continue;
      const k = negative ? this.#m - g : this.#m + g;
      if (k < 0) continue;
      const i = k - this.#tableLo;
      const p = i >= 0 && i < this.#table.length ? this.#table[i]! : this.#accept(k);
      const u = words.u32();
      const x = u * U32;
      let accept: boolean;
      if (x + U32 <= p - POISSON_MARGIN) accept = true;
      else if (x >= p + POISSON_MARGIN) accept = false;
      else {
        stats.slowPaths++;
        accept = lessThanBounds(words, { prefix: BigInt(u), k: 32 }, (prec) => this.#acceptBounds(k, g, prec));
      }
      if (accept) {
        stats.samples++;
        return k;
      }
    }
  }

  /** lo ≤ 2^prec · f(k) · e^((g − w)/t) ≤ hi, exactly (bigint interval arithmetic). */
  #acceptBounds(k: number, g: number, prec: number): [bigint, bigint] {
    const steps = Math.abs(k - this.#m);
    const wp = BigInt(prec + 64 + bitLength(BigInt(steps)) + Math.ceil(Math.abs(g - this.#w) / this.#t) * 2);
    const [lo, hi] = this.#ratioBounds(k, Number(wp));
    const r = g - this.#w;
    const [elo, ehi] = r >= 0 ? expPosBounds(BigInt(r), this.#tBig, Number(wp)) : expNegBounds(BigInt(-r), this.#tBig, Number(wp));
    const shift = 2n * wp - BigInt(prec);
    return [(lo * elo) >> shift, (hi * ehi + (1n << shift) - 1n) >> shift];
  }

  fill(out: Int32Array | Float64Array): void {
    if (this.#fast) {
      if (!(out instanceof Int32Array || out instanceof Float64Array)) throw new TypeError('out must be an Int32Array or a Float64Array');
      this.#fast.fill(out);
      this.stats.samples += out.length;
    } else fillChecked(this, out);
  }

  /** out[j] = X_j − Y_j for independent X, Y ~ Poisson(μ): the symmetric Skellam. */
  fillDifference(out: Int32Array | Float64Array): void {
    if (!(out instanceof Int32Array || out instanceof Float64Array)) throw new TypeError('out must be an Int32Array or a Float64Array');
    if (this.#fast) {
      this.#fast.fillDifference(out);
      this.stats.samples += 2 * out.length;
      return;
    }
    // The rejection method, one pair at a time.
    const ints = out instanceof Int32Array;
    for (let i = 0; i < out.length; i++) {
      const v = this.sample() - this.sample();
      if (ints && (v > 0x7fffffff || v < -0x80000000)) throw new RangeError(`out: sample ${v} does not fit an Int32Array; use a Float64Array`);
      out[i] = v;
    }
  }
}

/**
 * The symmetric Skellam distribution Sk(μ, μ) = P₁ − P₂ for independent P₁, P₂ ~ Poisson(μ), with
 * variance σ² = 2μ (the noise of Agarwal, Kairouz, Liu 2021, "The Skellam Mechanism for
 * Differentially Private Federated Learning"). Constructed from its variance: μ = σ²/2 exactly.
 *
 * @example
 * const sk = new Skellam(toRational('1000000'), systemRandom); // σ = 1000, μ = 500000
 * sk.sample();
 */
export class Skellam implements NoiseSampler {
  readonly variance: Rational;
  readonly #poisson: Poisson;

  constructor(variance: RationalLike, rng: RandomSource | RandomWords, options: { table?: boolean; tableCut?: number } = {}) {
    this.variance = asRational(variance, 'variance');
    this.#poisson = new Poisson({ num: this.variance.num, den: this.variance.den * 2n }, rng, options);
  }

  /** The Poisson sampler's method: 'table' or 'rejection'. */
  get method(): 'table' | 'rejection' {
    return this.#poisson.method;
  }

  /** Work counters of the underlying Poisson sampler (two Poisson samples per Skellam sample). */
  get stats(): SamplerStats {
    return this.#poisson.stats;
  }

  sample(): number {
    return this.#poisson.sample() - this.#poisson.sample();
  }

  /** Fills `out` with P₁ − P₂ (Poisson.fillDifference: per window of 2048 values, the P₁ then the P₂). */
  fill(out: Int32Array | Float64Array): void {
    this.#poisson.fillDifference(out);
  }
}
