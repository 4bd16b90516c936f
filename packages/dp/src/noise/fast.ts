/**
 * The floating-point fast path shared by the samplers, and why it is exact.
 *
 * Every random decision of the fast samplers has the form "U < p" for a uniform real U ∈ [0, 1) and
 * a probability p = e^(−x). U is drawn lazily: first 32 (or 53) bits, so U ∈ [u·2^−k, (u+1)·2^−k).
 * The fast path computes an estimate p̂ of p in double precision and decides only when the whole
 * interval of U lies below p̂ − M or above p̂ + M, where the margin M is far larger than |p̂ − p|.
 * Otherwise (probability about 2M + 2^−k) it hands U's prefix to the exact slow path
 * ({@link lessThanBounds}), which compares U with bigint bounds on p at growing precision. Both paths
 * compute the same function of U, so the sample has exactly the ideal distribution: floating point
 * only decides how fast the answer is found, never what it is. (Contrast with sampling by inverting a
 * floating-point CDF, whose output distribution is distorted by rounding: Mironov, CCS 2012.)
 *
 * The margin needs one assumption about the platform: `Math.exp` and `Math.log` have relative error
 * below 2^−46 ({@link LIBM_ERROR}). ECMAScript leaves their accuracy to the implementation; V8,
 * SpiderMonkey and JavaScriptCore use fdlibm-derived code with error below 1 ulp (2^−52), 64 times
 * better than assumed, and the test suite checks the fast estimates against the bigint bounds.
 * @module
 */
import type { RandomWords } from './words.js';
import { lessThanExpNeg, type LazyUniform } from './bernoulli.js';

/** 2^−32 and 2^−53, the resolution of a 32- and 53-bit prefix of U. */
export const U32 = 2 ** -32;
export const U53 = 2 ** -53;
/** The assumed bound on the relative error of Math.exp and Math.log (see the module comment). */
export const LIBM_ERROR = 2 ** -46;
/**
 * Absolute margin around an estimate p̂ of p = e^(−x) ≤ 1 when x is computed with a few roundings
 * (discrete Gaussian acceptance): |p̂ − p| ≤ 2^−46 (libm) + 2^−49 (argument) < 2^−45 ≪ 2^−42.
 */
export const MARGIN = 2 ** -42;
/** Relative margin for the thresholds e^(−g/t) of the geometric inversion (error < 2^−45 relative). */
export const REL_MARGIN = 2 ** -42;

/** Work counters of a sampler; tests bound running time with them instead of the clock. */
export interface SamplerStats {
  /** Samples returned. */
  samples: number;
  /** Proposals drawn (rejection-loop iterations, summed over all samples). */
  iterations: number;
  /** Decisions the floating-point fast path could not take (resolved by exact bigint arithmetic). */
  slowPaths: number;
}

export const newStats = (): SamplerStats => ({ samples: 0, iterations: 0, slowPaths: 0 });

/**
 * G ≥ 0 with P(G ≥ g) = e^(−g/t) exactly (geometric with ratio e^(−1/t)), for an integer t ≥ 1:
 * G = max{g : U < e^(−g/t)} = ⌊−t·ln U⌋ for a lazily revealed uniform U (32 bits, then 53, then as many
 * as the exact search needs). The double −t·ln U gives the answer when its fractional part is clear
 * of the error bound, else a candidate confirmed by two comparisons; anything undecided goes to the
 * exact search. One inversion
 * replaces CKS Algorithm 2's loop of Bernoulli(e^(−1)) trials with the same output distribution.
 */
export function geometricExp(words: RandomWords, t: number, tBig: bigint, stats: SamplerStats): number {
  // U is revealed lazily: 32 bits first (enough almost always), then 21 more (53 in all), then the
  // exact bigint path. The bits are U's binary expansion in order, so this is one uniform real U.
  const hi = words.u32();
  if (hi !== 0) {
    const g = certainFloor(hi * U32, U32, t);
    if (g >= 0) return g;
  }
  const u = hi * 2097152 + (words.u32() >>> 11); // = RandomWords.u53() layout
  const x = u * U53;
  if (u !== 0) {
    const g = certainFloor(x, U53, t);
    if (g >= 0) return g;
    // Near an integer: confirm the candidate against the two thresholds it lies between.
    const c = Math.floor(-t * Math.log(x + U53 / 2)) + 0;
    if (c >= 0 && c < 2 ** 52) {
      const upper = c === 0 ? 2 : Math.exp(-c / t) * (1 - REL_MARGIN);
      if (x + U53 <= upper && x >= Math.exp(-(c + 1) / t) * (1 + REL_MARGIN)) return c;
      if (c > 0 && x + U53 <= Math.exp(-(c - 1) / t) * (1 - REL_MARGIN) && x >= Math.exp(-c / t) * (1 + REL_MARGIN)) return c - 1;
      if (x + U53 <= Math.exp(-(c + 1) / t) * (1 - REL_MARGIN) && x >= Math.exp(-(c + 2) / t) * (1 + REL_MARGIN)) return c + 1;
    }
  }
  stats.slowPaths++;
  return geometricExpSlow(words, { prefix: BigInt(u), k: 53 }, tBig, u === 0 ? 0 : Math.max(0, Math.floor(-t * Math.log(x + U53 / 2))));
}

/**
 * ⌊−t·ln U⌋ for every U ∈ [x, x + width), or −1 if that cannot be certified in double precision.
 * ŷ = −t·ln(x + width/2) is within err = t·(width/x + 2·LIBM_ERROR·|ln|) + 2^−50·(ŷ + 1) of −t·ln U
 * for every such U (|ln a − ln b| ≤ |a − b|/min(a, b); libm and two roundings); when ŷ's fractional
 * part is farther than err from an integer, ⌊ŷ⌋ is the answer.
 */
function certainFloor(x: number, width: number, t: number): number {
  const l = Math.log(x + width / 2);
  const y = -t * l;
  const g = Math.floor(y) + 0; // + 0: never −0
  const frac = y - g;
  const err = t * (width / x - 2 * LIBM_ERROR * l) + (y + 1) * 2 ** -50;
  return frac > err && frac < 1 - err && g < 2 ** 52 ? g : -1;
}

function geometricExpSlow(words: RandomWords, u: LazyUniform, tBig: bigint, guess: number): number {
  let g = guess;
  if (!Number.isSafeInteger(g)) g = 0;
  while (g > 0 && !lessThanExpNeg(words, u, BigInt(g), tBig)) g--;
  // Galloping then bisection would be faster from a bad guess; the guess is within ±1 of G except
  // with probability ≈ 2^−36, so a linear walk costs O(1) expected steps.
  while (lessThanExpNeg(words, u, BigInt(g + 1), tBig)) g++;
  return g;
}
