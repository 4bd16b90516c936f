/**
 * Log-space arithmetic for the accountant: sums and differences of numbers held as their logarithms,
 * log Γ, log-binomials and log erfc. Every function here is total on its documented domain and never
 * returns NaN for a valid argument; −Infinity stands for log 0.
 *
 * Accuracy (double precision):
 * - `lgamma(x)`, x > 0: shifted Stirling series through the B₁₄ term at x ≥ 15 (truncation error below
 *   |B₁₆| / (16·15·15¹⁵) ≈ 7·10⁻²⁰), recurrence Γ(x + 1) = xΓ(x) below
 *   (one log of the product); relative error ≈ 1e-16 at x ≥ 15, absolute error ≲ 4e-15 below (checked
 *   against mpmath in the tests).
 * - `logErfc(x)`: erf by its positive power series for |x| < 1.5, erfc by Lentz's continued fraction for
 *   x ≥ 1.5; within a few ulps of log erfc(x) (checked against mpmath from −5 to 100), finite for every
 *   finite x (log erfc(40) ≈ −1604.3).
 * @module
 */

/** log(e^a + e^b). */
export function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  if (a === Infinity || b === Infinity) return Infinity;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** log(e^a − e^b) for a ≥ b (−Infinity when a = b); throws a RangeError when a < b. */
export function logSub(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (a < b) throw new RangeError(`logSub: a must be ≥ b, got a = ${a}, b = ${b}`);
  if (a === b) return -Infinity;
  return a + log1mExp(b - a);
}

/** log(1 − e^x) for x ≤ 0, accurate near both ends (Mächler's switch at −ln 2). */
export function log1mExp(x: number): number {
  if (x > 0) throw new RangeError(`log1mExp: x must be ≤ 0, got ${x}`);
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/** log(1 + e^x), without overflow. */
export function log1pExp(x: number): number {
  if (x === -Infinity) return 0;
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** log(e^x − 1) for x ≥ 0 (−Infinity at 0), without overflow or cancellation. */
export function logExpm1(x: number): number {
  if (x < 0) throw new RangeError(`logExpm1: x must be ≥ 0, got ${x}`);
  if (x === 0) return -Infinity;
  return x > 30 ? x + Math.log1p(-Math.exp(-x)) : Math.log(Math.expm1(x));
}

/** log Σ e^{x_i}; −Infinity for an empty list. */
export function logSumExp(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  if (m === -Infinity || m === Infinity) return m;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
// Stirling series coefficients B_{2k} / (2k (2k − 1)), k = 1..7.
const STIRLING = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156];

/**
 * log Γ(x) for x > 0.
 *
 * @example
 * lgamma(0.5); // → 0.5723649429247001 (= ½ log π)
 * lgamma(101); // → 363.73937555556347 (= log 100!)
 */
export function lgamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lgamma: x must be > 0, got ${x}`);
  if (x === Infinity) return Infinity;
  let prod = 1; // x(x+1)…(x+k−1) < 15! for x < 15, so no overflow
  let y = x;
  while (y < 15) {
    prod *= y;
    y += 1;
  }
  const shift = Math.log(prod);
  const inv = 1 / y;
  const inv2 = inv * inv;
  let series = 0;
  for (let k = STIRLING.length - 1; k >= 0; k--) series = series * inv2 + STIRLING[k]!;
  return (y - 0.5) * Math.log(y) - y + HALF_LOG_2PI + series * inv - shift;
}

/**
 * log |C(a, k)| for real a ≥ 0 and integer k ≥ 0, by the product C(a, k) = Π_{j<k} (a − j)/(j + 1).
 * For integer a < k the coefficient is 0 and the result is −Infinity.
 */
export function logAbsBinomial(a: number, k: number): number {
  if (!(a >= 0) || !Number.isFinite(a)) throw new RangeError(`logAbsBinomial: a must be finite and ≥ 0, got ${a}`);
  if (!Number.isSafeInteger(k) || k < 0) throw new RangeError(`logAbsBinomial: k must be an integer ≥ 0, got ${k}`);
  if (Number.isInteger(a)) {
    if (k > a) return -Infinity;
    return lgamma(a + 1) - lgamma(k + 1) - lgamma(a - k + 1);
  }
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.log(Math.abs(a - j)) - Math.log(j + 1);
  return s;
}

/** Sign (+1 or −1) of C(a, k) for real a ≥ 0 that is not an integer: positive up to k = ⌊a⌋ + 1, then alternating. */
export function binomialSign(a: number, k: number): 1 | -1 {
  const f = Math.floor(a);
  if (k <= f + 1) return 1;
  return (k - f - 1) % 2 === 0 ? 1 : -1;
}

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erf(x) for 0 ≤ x < 1.5 by 2/√π · e^{−x²} Σ 2ⁿ x^{2n+1} / (2n+1)!!, a series of positive terms. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** log of the continued fraction erfc(x)·√π·e^{x²} = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) for x ≥ 1.5. */
function logErfcContinuedFraction(x: number): number {
  // Modified Lentz for b0 + a1/(b1 + a2/(b2 + …)) with b_i = x, a_i = i/2; value F = 1/that.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let i = 1; i < 5000; i++) {
    const a = i / 2;
    d = x + a * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -Math.log(f);
}

/**
 * log erfc(x) for every finite x.
 *
 * @example
 * logErfc(0); // → 0
 * logErfc(10); // → log(2.088487583762545e-45) ≈ −102.88
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) throw new RangeError('logErfc: x must be a number, got NaN');
  if (x === Infinity) return -Infinity;
  if (x === -Infinity) return Math.LN2;
  if (x < 0) return x > -1.5 ? Math.log1p(erfSeries(-x)) : Math.log(2 - Math.exp(logErfc(-x)));
  if (x < 1.5) return Math.log1p(-erfSeries(x));
  return -x * x - LOG_SQRT_PI + logErfcContinuedFraction(x);
}
