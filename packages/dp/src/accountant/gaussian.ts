/**
 * Rényi DP of the Gaussian mechanism and of the Poisson-subsampled Gaussian mechanism (the sampled
 * Gaussian mechanism of DP-SGD), at sensitivity 1 and noise standard deviation z (the noise multiplier),
 * under add/remove-one neighbouring.
 *
 * - Gaussian: ε(α) = α / (2z²) (Mironov 2017, Proposition 7).
 * - Poisson-subsampled Gaussian with rate q: ε(α) = log A_α / (α − 1), where (Mironov, Talwar, Zhang 2019,
 *   "Rényi Differential Privacy of the Sampled Gaussian Mechanism", §3)
 *     A_α = E_{x∼N(0,z²)} [((1 − q) + q·exp((2x − 1)/(2z²)))^α].
 *   · integer α: the exact binomial sum A_α = Σ_{i=0}^{α} C(α,i) qⁱ (1−q)^{α−i} exp((i² − i)/(2z²)) (§3.2).
 *     We sum A_α − 1 = Σ_{i≥2} C(α,i) qⁱ (1−q)^{α−i} expm1((i² − i)/(2z²)) instead — every term is ≥ 0, so
 *     small q keeps full relative precision.
 *   · fractional α, `'exact'` (default): A_α − 1 = E[(1 + u)^α − 1 − αu] with u = q·(e^{(2x−1)/(2z²)} − 1)
 *     (the subtracted αu has mean 0), a non-negative integrand, by the trapezoidal rule on ℝ in log
 *     space; see {@link subsampledGaussianFractional} for the step, the range and the error estimate.
 *   · fractional α, `'dp-accounting'`: the bound computed by dp_accounting's `_compute_log_a_frac` — the
 *     series of §3.3 with every term taken with a positive sign (log|C(α,i)|), hence an upper bound in exact
 *     arithmetic; in double precision its log-space sum near A ≈ 1 has rounding error up to ~1e-14 in log A.
 *     Kept to reproduce dp_accounting's numbers.
 * @module
 */
import { log1mExp, log1pExp, logAbsBinomial, logAdd, logErfc, logExpm1, logSumExp } from './logmath.js';
import { nonNegative, orders as validOrders, probability } from './validate.js';

/** How fractional orders of the subsampled Gaussian are computed. */
export type FractionalMethod = 'exact' | 'dp-accounting';

/**
 * RDP of the Gaussian mechanism with noise multiplier z (standard deviation / L2 sensitivity):
 * α / (2z²) at each order; Infinity when z = 0 or α = Infinity.
 *
 * @example
 * rdpGaussian([2, 10], 1); // → [1, 5]
 */
export function rdpGaussian(orders: readonly number[], noiseMultiplier: number): number[] {
  const alphas = validOrders(orders);
  const z = nonNegative(noiseMultiplier, 'noiseMultiplier');
  return alphas.map((a) => (z === 0 || a === Infinity ? Infinity : a / (2 * z * z)));
}

/**
 * RDP of the Poisson-subsampled Gaussian mechanism, one step: sampling rate q, noise multiplier z.
 * q = 0 gives 0; z = 0 (with q > 0) or α = Infinity gives Infinity; q = 1 gives α/(2z²).
 *
 * @example
 * rdpSubsampledGaussian([1.5, 2.5, 5, 50, 100], 0.01, 2.5).map((r) => 50 * r);
 * // → [6.50071e-4, 1.085418e-3, 2.180757e-3, 2.384604e-2, 167.4163] (50 steps)
 */
export function rdpSubsampledGaussian(
  orders: readonly number[],
  samplingRate: number,
  noiseMultiplier: number,
  options: { readonly fractional?: FractionalMethod } = {},
): number[] {
  const alphas = validOrders(orders);
  const q = probability(samplingRate, 'samplingRate');
  const z = nonNegative(noiseMultiplier, 'noiseMultiplier');
  const method = options.fractional ?? 'exact';
  if (method !== 'exact' && method !== 'dp-accounting')
    throw new RangeError(`options.fractional must be 'exact' or 'dp-accounting', got ${String(method)}`);
  return alphas.map((a) => {
    if (q === 0) return 0;
    if (a === Infinity || z === 0) return Infinity;
    if (q === 1) return a / (2 * z * z);
    if (Number.isInteger(a)) return log1pExp(logAm1Integer(q, z, a)) / (a - 1);
    if (method === 'dp-accounting') return logAFracDpAccounting(q, z, a) / (a - 1);
    return subsampledGaussianFractional(q, z, a).rdp;
  });
}

/** log(A_α − 1) for integer α ≥ 2, 0 < q < 1 (all terms non-negative). */
function logAm1Integer(q: number, z: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const terms: number[] = [];
  for (let i = 2; i <= alpha; i++)
    terms.push(logAbsBinomial(alpha, i) + i * logQ + (alpha - i) * log1mQ + logExpm1((i * i - i) / (2 * z * z)));
  return logSumExp(terms);
}

/**
 * dp_accounting's `_compute_log_a_frac`: the two half-line series of Mironov–Talwar–Zhang §3.3 split at
 * z₀ = z² log(1/q − 1) + ½, with |C(α,i)| (an upper bound on A_α), summed until both terms decrease and
 * fall e⁻³⁰ below the total; Infinity if that takes more than 1000 terms (dp_accounting then drops the order).
 */
function logAFracDpAccounting(q: number, z: number, alpha: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  const z0 = z * z * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const s2 = 2 * z * z;
  let lastS0 = -Infinity;
  let lastS1 = -Infinity;
  let logCoef = 0; // log|C(α, i)|
  for (let i = 0; i < 1000; i++) {
    if (i > 0) logCoef += Math.log(Math.abs(alpha - i + 1)) - Math.log(i);
    const j = alpha - i;
    const logT0 = logCoef + i * logQ + j * log1mQ;
    const logT1 = logCoef + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * z));
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * z));
    const logS0 = logT0 + (i * i - i) / s2 + logE0;
    const logS1 = logT1 + (j * j - j) / s2 + logE1;
    logA0 = logAdd(logA0, logS0);
    logA1 = logAdd(logA1, logS1);
    const total = logAdd(logA0, logA1);
    if (logS0 < lastS0 && logS1 < lastS1 && Math.max(logS0, logS1) < total - 30) return total;
    lastS0 = logS0;
    lastS1 = logS1;
  }
  return Infinity;
}

/** Result of the exact fractional-order computation. */
export interface FractionalResult {
  /** ε(α) = log A_α / (α − 1) for one step. */
  readonly rdp: number;
  /** log A_α. */
  readonly logA: number;
  /** Estimated relative error of A_α − 1 (|T_h − T_{h/2}| / T_{h/2} plus the truncated tails, ≤ e⁻⁶⁰). */
  readonly relativeError: number;
  /** Bound on the absolute error of `rdp` implied by `relativeError`. */
  readonly rdpError: number;
  /** 'trapezoid', or 'interpolated' when the quadrature was too costly or inaccurate (tiny z) and the
   * convexity bound log A_α ≤ (1−t) log A_⌊α⌋ + t log A_⌈α⌉, t = α − ⌊α⌋, was used instead. */
  readonly method: 'trapezoid' | 'interpolated';
}

const MAX_NODES = 400_000;

/**
 * The exact RDP of the Poisson-subsampled Gaussian at a fractional order α > 1, 0 < q < 1, z > 0.
 *
 * A_α − 1 = ∫ φ_z(x) f(x) dx with f = (1 + u)^α − 1 − αu ≥ 0 and u = q·expm1((2x − 1)/(2z²)). The integrand
 * is analytic in the strip |Im x| < πz² (the branch points of (1 + u)^α) and Gaussian-tailed, so the
 * trapezoidal rule with step h converges like exp(−2π d/h) (Trefethen & Weideman, SIAM Review 2014, §5).
 * We take h = min(z/8, z²/4) (step error below e⁻⁷⁰ relative for the Gaussian factor and the branch points),
 * nodes on [−Kz, α + Kz] with K = √(2(α ln 2 + 60)) so that the cut tails weigh less than e⁻⁶⁰, evaluate
 * f in log space (a series in u for |u| < 0.01, expm1/log1p otherwise, log-sum-exp for huge values), and
 * report |T_h − T_{h/2}| / T_{h/2} as the error estimate of the returned T_{h/2}.
 *
 * @example
 * subsampledGaussianFractional(0.01, 2.5, 1.5).rdp * 50; // → 6.500709e-4
 */
export function subsampledGaussianFractional(samplingRate: number, noiseMultiplier: number, alpha: number): FractionalResult {
  const q = probability(samplingRate, 'samplingRate');
  const z = nonNegative(noiseMultiplier, 'noiseMultiplier', true);
  if (!(alpha > 1) || !Number.isFinite(alpha) || Number.isInteger(alpha))
    throw new RangeError(`alpha must be a finite non-integer > 1, got ${alpha}`);
  if (q === 0 || q === 1) throw new RangeError(`samplingRate must be in (0, 1) here, got ${q}`);
  const K = Math.sqrt(2 * (alpha * Math.LN2 + 60));
  const lo = -K * z;
  const hi = alpha + K * z;
  let h = Math.min(z / 8, (z * z) / 4);
  const interpolate = (): FractionalResult => {
    const f = Math.floor(alpha);
    const t = alpha - f;
    const la = f === 1 ? 0 : log1pExp(logAm1Integer(q, z, f));
    const lb = log1pExp(logAm1Integer(q, z, f + 1));
    const logA = (1 - t) * la + t * lb;
    return { rdp: logA / (alpha - 1), logA, relativeError: 0, rdpError: 0, method: 'interpolated' };
  };
  if ((hi - lo) / h > MAX_NODES) return interpolate();
  const fine = h / 2;
  const n = Math.ceil((hi - lo) / fine);
  const logG = new Float64Array(n + 1);
  const logQ = Math.log(q);
  const logAlpha = Math.log(alpha);
  const logNorm = -Math.log(z) - 0.5 * Math.log(2 * Math.PI);
  const s2 = 2 * z * z;
  let max = -Infinity;
  for (let j = 0; j <= n; j++) {
    const x = lo + j * fine;
    const w = (2 * x - 1) / s2;
    const lf = logIntegrand(w, q, logQ, alpha, logAlpha);
    const g = lf - (x * x) / s2 + logNorm;
    logG[j] = g;
    if (g > max) max = g;
  }
  if (max === -Infinity) return { rdp: 0, logA: 0, relativeError: 0, rdpError: 0, method: 'trapezoid' };
  let even = 0;
  let odd = 0;
  for (let j = 0; j <= n; j++) {
    const e = Math.exp(logG[j]! - max);
    if (j % 2 === 0) even += e;
    else odd += e;
  }
  // T_h = h·Σ_even, T_{h/2} = (h/2)·(Σ_even + Σ_odd); both scaled by e^max.
  const tCoarse = h * even;
  const tFine = fine * (even + odd);
  const relativeError = Math.abs(tCoarse - tFine) / tFine + Math.exp(-60);
  if (relativeError > 1e-9) return interpolate();
  const logAm1 = max + Math.log(tFine);
  const logA = log1pExp(logAm1);
  const share = -Math.expm1(-logA); // (A − 1)/A
  return { rdp: logA / (alpha - 1), logA, relativeError, rdpError: (relativeError * share) / (alpha - 1), method: 'trapezoid' };
}

/** log f(w) with f = (1 + u)^α − 1 − αu, u = q·(e^w − 1); −Infinity where f = 0 (w = 0). */
function logIntegrand(w: number, q: number, logQ: number, alpha: number, logAlpha: number): number {
  if (w === 0) return -Infinity;
  let u: number;
  let logU = NaN;
  if (w < 0) u = q * Math.expm1(w);
  else {
    logU = logQ + logExpm1(w);
    u = logU < 0 ? Math.exp(logU) : Infinity;
  }
  const au = Math.abs(u);
  if (au < 0.01 && au * (alpha + 1) < 0.5) {
    // Σ_{k≥2} C(α,k) u^k; the ratio of successive terms is below 1/2 in absolute value.
    let term = alpha * u;
    let s = 0;
    for (let k = 2; k < 400; k++) {
      term *= ((alpha - k + 1) / k) * u;
      s += term;
      if (Math.abs(term) <= 1e-17 * Math.abs(s)) break;
    }
    return s > 0 ? Math.log(s) : -Infinity;
  }
  if (w < 0) {
    const f = Math.expm1(alpha * Math.log1p(u)) - alpha * u;
    return f > 0 ? Math.log(f) : -Infinity;
  }
  const L = alpha * log1pExp(logU);
  if (L < 700) {
    const f = Math.expm1(L) - alpha * Math.exp(logU);
    return f > 0 ? Math.log(f) : -Infinity;
  }
  return L + log1mExp(Math.min(0, log1pExp(logAlpha + logU) - L));
}
