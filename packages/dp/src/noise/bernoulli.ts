/**
 * Exact Bernoulli trials.
 *
 * - {@link bernoulliRational}: Bernoulli(num/den) by one uniform integer below den.
 * - {@link bernoulliExpNeg}: Bernoulli(e^(−γ)) for a rational γ, Canonne–Kamath–Steinke 2020
 *   ("The Discrete Gaussian for Differential Privacy", NeurIPS 2020, arXiv:2004.00010), Algorithm 1,
 *   with integer arithmetic only. This is the reference construction; the fast samplers use
 *   {@link lessThanExpNeg} instead.
 * - {@link lessThanExpNeg} / {@link lessThanBounds}: the exact comparison U < p of a uniform real
 *   U ∈ [0, 1), of which only a prefix of bits has been drawn, with a number p known through
 *   rigorous bounds at any precision. More bits of U are drawn until the bounds decide, so the answer
 *   is true with probability exactly p (p irrational or 1: U = p has probability 0 and never stalls).
 * @module
 */
import type { RandomWords } from './words.js';
import type { Rational } from './rational.js';
import { expNegBounds } from './exp.js';

/** True with probability exactly num/den (0 ≤ num ≤ den). */
export function bernoulliRational(words: RandomWords, num: bigint, den: bigint): boolean {
  if (num >= den) return true;
  if (num <= 0n) return false;
  return words.belowBig(den) < num;
}

/**
 * True with probability exactly e^(−γ) for a rational γ = num/den ≥ 0 (CKS 2020, Algorithm 1):
 * for γ ≤ 1, draw A_k ~ Bernoulli(γ/k) for k = 1, 2, … until one is 0 and return whether that k is
 * odd (P = Σ_k (−γ)^(k−1)/(k−1)! … = e^(−γ)); for γ > 1, ⌊γ⌋ trials of Bernoulli(e^(−1)) and one of
 * Bernoulli(e^(−(γ−⌊γ⌋))), all of which must succeed. Expected uniform draws: at most e + 1 + ⌊γ⌋·e.
 *
 * @example
 * bernoulliExpNeg(new RandomWords(seededRandom('x')), { num: 1n, den: 2n }); // true w.p. e^(−1/2)
 */
export function bernoulliExpNeg(words: RandomWords, gamma: Rational): boolean {
  const { num, den } = gamma;
  if (num <= den) {
    let k = 1n;
    while (bernoulliRational(words, num, den * k)) k++;
    return k % 2n === 1n;
  }
  const whole = num / den;
  const one = { num: 1n, den: 1n };
  for (let i = 0n; i < whole; i++) if (!bernoulliExpNeg(words, one)) return false;
  return bernoulliExpNeg(words, { num: num - whole * den, den });
}

/** A uniform real U ∈ [0, 1) of which the first `k` bits, `prefix`, have been drawn. */
export interface LazyUniform {
  prefix: bigint;
  k: number;
}

/**
 * Exactly decides U < p where `bounds(prec)` returns [lo, hi] with lo ≤ 2^prec · p ≤ hi, drawing
 * 32 more bits of U whenever the bounds at U's current precision do not decide.
 */
export function lessThanBounds(words: RandomWords, u: LazyUniform, bounds: (prec: number) => readonly [bigint, bigint]): boolean {
  for (let rounds = 0; ; rounds++) {
    const [lo, hi] = bounds(u.k);
    if (u.prefix + 1n <= lo) return true; // U < prefix + 1 ≤ 2^k·p
    if (u.prefix >= hi) return false; // U ≥ prefix ≥ 2^k·p
    if (rounds > 10000) throw new Error('lessThanBounds: bounds do not converge (p would have to equal U exactly)');
    u.prefix = (u.prefix << 32n) | BigInt(words.u32());
    u.k += 32;
  }
}

/** Exactly decides U < e^(−a/b) (a ≥ 0, b ≥ 1). */
export function lessThanExpNeg(words: RandomWords, u: LazyUniform, a: bigint, b: bigint): boolean {
  if (a === 0n) return true; // U < 1
  return lessThanBounds(words, u, (prec) => expNegBounds(a, b, prec));
}
