/**
 * Choosing the ring width b and the granularity γ of the encoding, with a rigorous bound on the
 * probability that the aggregate wraps around modulo 2^b.
 *
 * The bound (per coordinate j of the padded, rotated domain, then a union bound over all n_pad of
 * them). The server decodes z_j = Σ_i r_ij + N_j, where r_i is client i's rounded vector and N_j the
 * sum of the clients' noise, correctly iff −2^(b−1) ≤ z_j < 2^(b−1). Write
 *   z_j = (H·D·S)_j/γ + E_j + N_j,  S = Σ_i clip(x_i), ‖S‖ ≤ k·c (k clients, clip c),
 * with |E_j| < k (each client's rounding moves a coordinate by less than 1). So |z_j| ≤ A + k + B
 * unless |(HDS)_j|/γ > A or |N_j| > B, and for any split A + B = 2^(b−1) − 1 − k:
 *   P[wrap at j] ≤ P[|(HDS)_j| > γA] + P[|N_j| > B]
 * - Rotation: (HDS)_j = Σ_l ±S_l/√n_pad with independent fair signs (the public seed is drawn
 *   independently of the updates), so Hoeffding gives P[|(HDS)_j| > a] ≤ 2·exp(−a²·n_pad/(2‖S‖²)).
 * - Discrete Gaussian noise: N_Z(0, σ²) is σ²-sub-Gaussian (Canonne–Kamath–Steinke 2020), so the
 *   sum of k is kσ²-sub-Gaussian: P[|N_j| > B] ≤ 2·exp(−B²/(2kσ²)).
 * - Skellam noise: the sum is Sk(kμ, kμ), μ = σ²/2, with E e^(λN) = exp(2kμ(cosh λ − 1)); Chernoff at
 *   λ = asinh(B/(2kμ)) gives P[|N_j| > B] ≤ 2·exp(−(λB − 2kμ(cosh λ − 1))).
 * The split is optimised numerically (any split gives a valid bound). The reported wrapProbability is
 * n_pad times the per-coordinate bound, capped at 1.
 * @module
 */
import { aint } from '@tessera/crypto';
import { toRational, type Rational } from '../noise/rational.js';
import { paddedDimension } from './hadamard.js';
import { roundedNormBound } from './rounding.js';

export type NoiseKind = 'gaussian' | 'skellam';

export interface EncodingRequest {
  /** Number of model parameters d. */
  readonly dim: number;
  /** L2 clip norm c of each client's update (model units). */
  readonly l2Clip: number;
  /** Number of clients k whose encodings are summed. */
  readonly clients: number;
  /** Standard deviation of each client's noise per coordinate, in model units (0: no noise). */
  readonly noiseStddev: number;
  /** 'gaussian' (default) or 'skellam'. */
  readonly noise?: NoiseKind;
  /** Ring width b in [2, 32]. Default: 32, or the least b meeting the target when `granularity` is given. */
  readonly bits?: number;
  /** Grid step γ > 0. Default: the least power of two meeting the target with the given bits. */
  readonly granularity?: number;
  /** Conditional rounding bias β in [0, 1). Default e^(−1/2) (KLS21's choice). */
  readonly beta?: number;
  /** Target bound on the wrap-around probability of one round. Default 2^−40. */
  readonly maxWrapProbability?: number;
}

export interface EncodingParams {
  readonly dim: number;
  /** n_pad: the SecAgg vector length (the least power of two ≥ dim). */
  readonly paddedDim: number;
  readonly l2Clip: number;
  readonly clients: number;
  readonly bits: number;
  readonly granularity: number;
  readonly beta: number;
  readonly noise: NoiseKind;
  /** Per-client noise variance on the integer grid, the exact rational the sampler uses: (noiseStddev/γ)² as a double, converted exactly. */
  readonly noiseVariance: Rational;
  /** Per-client noise stddev in model units as realised: γ·√noiseVariance. */
  readonly noiseStddev: number;
  /** L2 bound on each client's rounded vector in grid units (KLS21 Theorem 1); the sensitivity the accountant needs. */
  readonly roundedNormBound: number;
  /** Rigorous upper bound on the probability that some coordinate of the aggregate wraps mod 2^b. */
  readonly wrapProbability: number;
  /** log2 of the same bound (finite even when the bound underflows a double). */
  readonly wrapLog2: number;
}

const LOG2E = Math.LOG2E;
/** log2(e^a + e^b) for natural-log inputs, returned in log2. */
const log2SumExp = (a: number, b: number): number => {
  const m = Math.max(a, b);
  if (m === -Infinity) return -Infinity;
  return (m + Math.log(Math.exp(a - m) + Math.exp(b - m))) * LOG2E;
};

function finitePositive(v: unknown, name: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0))
    throw new RangeError(`${name} must be a finite number ${allowZero ? '≥' : '>'} 0, got ${String(v)}`);
  return v;
}

/** ln of the bound on P[|N| > B] for the sum of `clients` noises of variance s2 (grid units). */
function lnNoiseTail(kind: NoiseKind, clients: number, s2: number, B: number): number {
  if (B < 0) return 0;
  if (s2 === 0) return -Infinity;
  if (kind === 'gaussian') return Math.LN2 - (B * B) / (2 * clients * s2);
  const two_kmu = clients * s2; // 2kμ with μ = σ²/2
  const lambda = Math.asinh(B / two_kmu);
  return Math.LN2 - (lambda * B - two_kmu * (Math.cosh(lambda) - 1));
}

/** log2 of the union bound over n_pad coordinates of the wrap probability (see the module comment). */
export function wrapLog2Bound(p: { paddedDim: number; l2Clip: number; clients: number; bits: number; granularity: number; noise: NoiseKind; gridVariance: number }): number {
  const L = 2 ** (p.bits - 1) - 1 - p.clients;
  if (L <= 0) return 0;
  const rotVar = (p.clients * p.l2Clip) ** 2 / (p.granularity ** 2 * p.paddedDim); // ‖S‖²/(γ² n_pad)
  let best = Infinity;
  for (let i = 0; i <= 2000; i++) {
    const A = (L * i) / 2000;
    const lnRot = rotVar === 0 ? (A > 0 || L > 0 ? -Infinity : 0) : Math.min(0, Math.LN2 - (A * A) / (2 * rotVar));
    const lnNoise = Math.min(0, lnNoiseTail(p.noise, p.clients, p.gridVariance, L - A));
    best = Math.min(best, log2SumExp(lnRot, lnNoise));
  }
  return Math.min(0, best + Math.log2(p.paddedDim));
}

/**
 * Chooses b and γ (see the module comment for the wrap-around bound).
 *
 * @example
 * const p = chooseEncoding({ dim: 1_000_000, l2Clip: 1, clients: 100, noiseStddev: 0.01 });
 * p.bits; p.granularity; p.wrapProbability; // 32, a power of two, ≤ 2^−40
 */
export function chooseEncoding(req: EncodingRequest): EncodingParams {
  if (req === null || typeof req !== 'object') throw new TypeError('request must be an object');
  const dim = aint(req.dim, 'dim', 1, 2 ** 26);
  const l2Clip = finitePositive(req.l2Clip, 'l2Clip');
  const clients = aint(req.clients, 'clients', 1, 1_000_000);
  const sigma = finitePositive(req.noiseStddev, 'noiseStddev', true);
  const noise = req.noise ?? 'gaussian';
  if (noise !== 'gaussian' && noise !== 'skellam') throw new RangeError(`noise must be 'gaussian' or 'skellam', got ${String(noise)}`);
  const beta = req.beta ?? Math.exp(-0.5);
  if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) throw new RangeError(`beta must be in [0, 1), got ${String(beta)}`);
  const target = req.maxWrapProbability ?? 2 ** -40;
  if (typeof target !== 'number' || !(target > 0 && target <= 1)) throw new RangeError(`maxWrapProbability must be in (0, 1], got ${String(target)}`);
  const paddedDim = paddedDimension(dim);
  const wrapFor = (bits: number, granularity: number) =>
    wrapLog2Bound({ paddedDim, l2Clip, clients, bits, granularity, noise, gridVariance: (sigma / granularity) ** 2 });
  const goal = Math.log2(target);

  let bits: number;
  let granularity: number;
  if (req.granularity !== undefined) {
    granularity = finitePositive(req.granularity, 'granularity');
    if (req.bits !== undefined) bits = aint(req.bits, 'bits', 2, 32);
    else {
      bits = 2;
      while (bits < 32 && wrapFor(bits, granularity) > goal) bits++;
    }
  } else {
    bits = req.bits === undefined ? 32 : aint(req.bits, 'bits', 2, 32);
    // wrap probability decreases as γ grows: the least power of two meeting the goal, by bisection on the exponent.
    let lo = -80, hi = 80;
    if (wrapFor(bits, 2 ** hi) > goal) throw new RangeError(`no granularity up to 2^80 meets maxWrapProbability with ${bits} bits and ${clients} clients`);
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (wrapFor(bits, 2 ** mid) <= goal) hi = mid;
      else lo = mid;
    }
    granularity = 2 ** hi;
  }
  const noiseVariance = toRational((sigma / granularity) ** 2, 'noiseVariance');
  const wrapLog2 = wrapFor(bits, granularity);
  return {
    dim, paddedDim, l2Clip, clients, bits, granularity, beta, noise, noiseVariance,
    noiseStddev: granularity * Math.sqrt((sigma / granularity) ** 2),
    roundedNormBound: roundedNormBound(l2Clip / granularity, paddedDim, beta),
    wrapProbability: 2 ** wrapLog2,
    wrapLog2,
  };
}
