/**
 * Calibrating distributed DP-SGD: the least central noise multiplier z whose run of `rounds` completed
 * rounds, each accounted as the distributed discrete Gaussian actually used ({@link dpSgdRound}) with
 * only t = n_min sites' noise present (the worst case SecAgg allows), spends at most a target ε at δ.
 *
 * The grid γ of the encoding depends on σ_site = z·C/√t (chooseEncoding widens the grid as the noise
 * grows, to keep the wrap-around probability ≤ 2^−40), so every evaluation builds the real plan with
 * {@link planDpSgd} and accounts exactly that plan's round. ε is non-increasing in z up to the tiny γ·√n_pad
 * term of the sensitivity (which jumps when γ doubles); the bisection returns a z that meets the target.
 * @module
 */
import { PrivacyLedger } from '@tessera/dp';
import { dpSgdRound, planDpSgd, type DpSgdPlan } from './plan.js';

/** What {@link calibrateDpSgd} needs: the target and everything the plan depends on. */
export interface DpSgdCalibrationRequest {
  /** Target ε > 0 over the whole run; Infinity means no noise (z = 0, still clipped). */
  readonly epsilon: number;
  /** δ ∈ (0, 1) (default 1e-5). */
  readonly delta?: number;
  /** Completed rounds to account (integer ≥ 1). */
  readonly rounds: number;
  /** Poisson sampling rate q ∈ (0, 1]. */
  readonly samplingRate: number;
  /** Per-example L2 clip C > 0. */
  readonly clip: number;
  /** Number of sites k (≥ 2). */
  readonly sites: number;
  /** SecAgg threshold t = n_min (1 ≤ t ≤ sites): the fewest sites whose noise is in a completed round. */
  readonly threshold: number;
  /** Number of model parameters d. */
  readonly dim: number;
  /** Public total number of patients N (the server divides by q·N; it also sets the encoding clip). */
  readonly population: number;
  /** Ring width b (default 32). */
  readonly bits?: number;
  /** As planDpSgd's encodingClip (default C·⌈2qN/k + 10√(qN) + 10⌉). */
  readonly encodingClip?: number;
  /** Relative tolerance of the bisection on z (default 1e-4). */
  readonly tolerance?: number;
}

/** The calibrated noise and the numbers of the plan it implies. */
export interface DpSgdCalibration {
  /** The central noise multiplier z to pass as dp.noiseMultiplier. */
  readonly noiseMultiplier: number;
  /** ε achieved by z over `rounds` worst-case rounds (≤ the target), at `delta`. */
  readonly epsilon: number;
  readonly delta: number;
  /** The Rényi order at which ε is attained. */
  readonly order: number;
  readonly rounds: number;
  /** ε of the same z accounted as a continuous subsampled Gaussian (for comparison only). */
  readonly epsilonGaussian: number;
  /** The plan z implies (grid γ, per-site stddev, padded dimension, wrap bound). */
  readonly plan: DpSgdPlan;
  /** Grid step γ (model units). */
  readonly granularity: number;
  /** σ_site = z·C/√t as realised by the sampler (model units). */
  readonly siteStddev: number;
  /** n_pad (the SecAgg vector length). */
  readonly paddedDim: number;
  /** Sensitivity used by the accountant, in model units: C + γ·√n_pad. */
  readonly sensitivity: number;
  /** Number of ε evaluations. */
  readonly evaluations: number;
}

function check(v: unknown, name: string, ok: (x: number) => boolean, what: string): number {
  if (typeof v !== 'number' || Number.isNaN(v) || !ok(v)) throw new RangeError(`${name} must be ${what}, got ${String(v)}`);
  return v;
}

/**
 * Finds the least noise multiplier z (within `tolerance`, relative) such that `rounds` completed rounds
 * of distributed DP-SGD with only t sites' noise present spend ε ≤ `epsilon` at δ, accounted as the
 * ledger of {@link federatedTrain} does (distributed discrete Gaussian, Zhu–Wang subsampling, 'improved'
 * conversion, the ledger's default orders). `epsilon: Infinity` returns z = 0 (no noise).
 *
 * @example
 * const c = calibrateDpSgd({ epsilon: 8, delta: 1e-5, rounds: 60, samplingRate: 0.2, clip: 1, sites: 5,
 *   threshold: 3, dim: model.parameterCount, population: 4708 });
 * federatedTrain({ ..., mode: 'dpsgd', dp: { clip: 1, samplingRate: 0.2, noiseMultiplier: c.noiseMultiplier, delta: 1e-5 } });
 */
export function calibrateDpSgd(req: DpSgdCalibrationRequest): DpSgdCalibration {
  if (req === null || typeof req !== 'object') throw new TypeError('request must be an object');
  const target = check(req.epsilon, 'epsilon', (x) => x > 0, 'a number > 0 (or Infinity)');
  const delta = check(req.delta ?? 1e-5, 'delta', (x) => x > 0 && x < 1, 'in (0, 1)');
  const rounds = check(req.rounds, 'rounds', (x) => Number.isInteger(x) && x >= 1, 'an integer ≥ 1');
  const q = check(req.samplingRate, 'samplingRate', (x) => x > 0 && x <= 1, 'in (0, 1]');
  const clip = check(req.clip, 'clip', (x) => x > 0 && Number.isFinite(x), 'a finite number > 0');
  const sites = check(req.sites, 'sites', (x) => Number.isInteger(x) && x >= 2, 'an integer ≥ 2');
  const t = check(req.threshold, 'threshold', (x) => Number.isInteger(x) && x >= 1 && x <= sites, `an integer in [1, sites = ${sites}]`);
  const dim = check(req.dim, 'dim', (x) => Number.isInteger(x) && x >= 1, 'an integer ≥ 1');
  const population = check(req.population, 'population', (x) => Number.isInteger(x) && x >= 1, 'an integer ≥ 1');
  const tol = check(req.tolerance ?? 1e-4, 'tolerance', (x) => x > 0 && x < 1, 'in (0, 1)');
  if (req.bits !== undefined) check(req.bits, 'bits', (x) => Number.isInteger(x) && x >= 2 && x <= 32, 'an integer in [2, 32]');
  if (req.encodingClip !== undefined) check(req.encodingClip, 'encodingClip', (x) => x > 0 && Number.isFinite(x), 'a finite number > 0');

  const plan = (z: number): DpSgdPlan => planDpSgd({
    dim, sites, clip, samplingRate: q, noiseMultiplier: z, nMin: t, population,
    ...(req.bits !== undefined ? { bits: req.bits } : {}), ...(req.encodingClip !== undefined ? { encodingClip: req.encodingClip } : {}),
  });
  let evaluations = 0;
  const account = (p: DpSgdPlan) => {
    evaluations++;
    const ledger = new PrivacyLedger({ unit: 'patient' });
    ledger.addRound({ ...dpSgdRound(p, t), steps: rounds });
    return ledger.epsilon(delta);
  };
  // A hair of margin so that the ledger of a run (which adds the same round `rounds` times, not once with
  // `steps`) also stays ≤ the target after floating-point summation.
  const meets = (z: number): boolean => account(plan(z)).epsilon <= target * (1 - 1e-9);

  let z = 0;
  if (target !== Infinity) {
    let hi = 1, lo: number;
    let k = 0;
    while (!meets(hi)) {
      if (++k > 60) throw new RangeError(`no noise multiplier up to ${hi} meets epsilon = ${target} at delta = ${delta} over ${rounds} rounds`);
      hi *= 2;
    }
    lo = hi / 2;
    k = 0;
    while (meets(lo)) {
      hi = lo;
      lo /= 2;
      if (++k > 60) throw new RangeError(`epsilon = ${target} is met by vanishing noise: pass epsilon: Infinity for no noise`);
    }
    while (hi / lo > 1 + tol) {
      const mid = Math.sqrt(lo * hi);
      if (meets(mid)) hi = mid;
      else lo = mid;
    }
    z = hi;
  }
  const p = plan(z);
  const e = account(p);
  const g = new PrivacyLedger({ unit: 'patient' });
  g.addRound({ mechanism: 'gaussian', noiseMultiplier: z, samplingRate: q, nMin: t, contributors: t, steps: rounds });
  const enc = p.encoding;
  return {
    noiseMultiplier: z, epsilon: e.epsilon, delta, order: e.order, rounds, epsilonGaussian: g.epsilon(delta).epsilon, plan: p,
    granularity: enc.granularity, siteStddev: enc.noiseStddev, paddedDim: enc.paddedDim,
    sensitivity: clip + enc.granularity * Math.sqrt(enc.paddedDim), evaluations,
  };
}
