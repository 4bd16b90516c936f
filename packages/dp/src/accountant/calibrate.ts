/**
 * Calibration: the least noise meeting a target (ε, δ) over a number of steps at a sampling rate, in the
 * worst case that only `nMin` contributors' noise is present.
 *
 * Method: ε is non-increasing in the noise parameter x (every curve here is). We bracket the answer by
 * doubling/halving x from a start value, then bisect on log x until hi/lo ≤ 1 + tolerance (default 1e-6
 * relative), and return hi — the returned noise always meets the target (ε(hi) ≤ target), and is at most
 * (1 + tolerance) times the least such noise.
 * @module
 */
import { epsilonFromRdp, type Conversion } from './convert.js';
import { roundRdp, type DdgaussRound, type GaussianRound, type Round, type SkellamRound } from './mechanism.js';
import { DEFAULT_DISCRETE_ORDERS, DEFAULT_GAUSSIAN_ORDERS } from './orders.js';
import { conversion as validConversion, inHalfOpen, integer, orders as validOrders, positive, probability } from './validate.js';

/** The mechanism to calibrate: a round without its noise, its steps, its rate or its survivors. */
export type NoiseTemplate =
  | Pick<GaussianRound, 'mechanism' | 'fractional'>
  | Omit<DdgaussRound, 'localStddev' | 'clients' | 'steps' | 'samplingRate'>
  | Omit<SkellamRound, 'centralStddev' | 'steps' | 'samplingRate'>;

export interface CalibrationRequest {
  /** Target ε > 0. */
  readonly epsilon: number;
  /** Target δ ∈ (0, 1). */
  readonly delta: number;
  /** Number of steps (rounds) T ≥ 1. */
  readonly steps: number;
  /** Poisson sampling rate q ∈ [0, 1]. */
  readonly samplingRate: number;
  /** Fewest contributors whose noise is guaranteed present (SecAgg's threshold t); default 1. */
  readonly nMin?: number;
  readonly mechanism: NoiseTemplate;
  /** Default 'improved'. */
  readonly conversion?: Conversion;
  /** Default: DEFAULT_GAUSSIAN_ORDERS for 'gaussian', DEFAULT_DISCRETE_ORDERS otherwise. */
  readonly orders?: readonly number[];
  /** Relative tolerance of the bisection on the noise (default 1e-6). */
  readonly tolerance?: number;
}

export interface CalibrationResult {
  readonly mechanism: Round['mechanism'];
  /**
   * The calibrated noise: 'gaussian' — the central noise multiplier z carried by nMin contributors;
   * 'ddgauss' — the per-client stddev S (unscaled units); 'skellam' — the central stddev (unscaled units).
   */
  readonly noise: number;
  /** What each contributor adds: z/√nMin (gaussian, a multiplier of C), S (ddgauss), central/√nMin (skellam). */
  readonly perContributor: number;
  /** The worst-case round (nMin contributors present) with all steps, ready for a ledger. */
  readonly round: Round;
  /** ε achieved by `noise` (≤ the target), with δ, the optimal order and the rule. */
  readonly epsilon: number;
  readonly delta: number;
  readonly order: number;
  readonly conversion: Conversion;
  /** Number of ε evaluations. */
  readonly evaluations: number;
}

/**
 * Finds the least noise (within `tolerance`) meeting the target.
 *
 * @example
 * calibrateNoise({ epsilon: 1, delta: 1e-5, steps: 1000, samplingRate: 0.01, nMin: 10, mechanism: { mechanism: 'gaussian' } });
 * // → { noise: z ≈ 1.2…, perContributor: z/√10, epsilon: ≤ 1, … }
 */
export function calibrateNoise(req: CalibrationRequest): CalibrationResult {
  const target = positive(req.epsilon, 'epsilon');
  const delta = inHalfOpen(req.delta, 'delta', Number.MIN_VALUE, 1);
  const steps = integer(req.steps, 'steps', 1);
  const q = probability(req.samplingRate, 'samplingRate');
  const nMin = integer(req.nMin ?? 1, 'nMin', 1);
  const conv = validConversion(req.conversion ?? 'improved');
  const tol = positive(req.tolerance ?? 1e-6, 'tolerance');
  const t = req.mechanism;
  if (t === null || typeof t !== 'object') throw new TypeError('mechanism must be an object with a mechanism field');
  const kind = t.mechanism;
  if (kind !== 'gaussian' && kind !== 'ddgauss' && kind !== 'skellam')
    throw new RangeError(`mechanism.mechanism must be 'gaussian', 'ddgauss' or 'skellam', got ${String(kind)}`);
  const orders = validOrders(req.orders ?? (kind === 'gaussian' ? DEFAULT_GAUSSIAN_ORDERS : DEFAULT_DISCRETE_ORDERS));

  const build = (x: number): Round => {
    switch (t.mechanism) {
      case 'gaussian':
        return { ...t, noiseMultiplier: x, samplingRate: q, steps, nMin, contributors: nMin };
      case 'ddgauss':
        return { ...t, localStddev: x, clients: nMin, samplingRate: q, steps };
      case 'skellam':
        return { ...t, centralStddev: x, samplingRate: q, steps };
    }
  };
  let evaluations = 0;
  const at = (x: number) => {
    evaluations++;
    return epsilonFromRdp(orders, roundRdp(build(x), orders), delta, conv);
  };
  const meets = (x: number): boolean => at(x).epsilon <= target;

  const start = t.mechanism === 'gaussian' ? 1 : positive(t.l2Clip, 'mechanism.l2Clip');
  let hi = start;
  let k = 0;
  while (!meets(hi)) {
    if (++k > 200) throw new RangeError(`no noise up to ${hi} meets epsilon = ${target}, delta = ${delta}`);
    hi *= 2;
  }
  let lo = hi / 2;
  k = 0;
  while (meets(lo)) {
    hi = lo;
    lo /= 2;
    if (++k > 200) {
      // Even vanishing noise meets the target (q = 0): no noise is needed.
      return finish(0);
    }
  }
  while (hi / lo > 1 + tol) {
    const mid = Math.sqrt(lo * hi);
    if (meets(mid)) hi = mid;
    else lo = mid;
  }
  return finish(hi);

  function finish(x: number): CalibrationResult {
    const r = at(x);
    const perContributor = kind === 'ddgauss' ? x : x / Math.sqrt(nMin);
    return { mechanism: kind, noise: x, perContributor, round: build(x), ...r, evaluations };
  }
}
