/**
 * One accounting event ("round") as plain data — what a {@link PrivacyLedger} records, what the CLI's
 * `--mechanism gaussian|ddgauss|skellam` flags map onto — and its RDP curve.
 *
 * Dropouts. Secure aggregation reveals the sum over the sites that stayed, so only the survivors' noise is
 * present. Gaussian rounds carry the designed central noise multiplier z for `nMin` contributors (each site
 * adds noise of standard deviation z·C/√nMin) and the number `contributors` actually present; the effective
 * multiplier is z·√(contributors/nMin). For ddgauss the survivors are `clients`; for Skellam the central
 * stddev is that of the noise actually present (S_local·√survivors).
 * @module
 */
import { describe } from '@tessera/crypto';
import { DEFAULT_GAUSSIAN_ORDERS } from './orders.js';
import { rdpDistributedDiscreteGaussian, rdpSkellam } from './discrete.js';
import { rdpSubsampledGaussian, type FractionalMethod } from './gaussian.js';
import { integer, nonNegative, orders as validOrders, probability } from './validate.js';

/** A (subsampled) Gaussian round: DP-SGD step (patient level) or noised site updates (site level). */
export interface GaussianRound {
  readonly mechanism: 'gaussian';
  /** Central noise multiplier z (noise stddev / L2 sensitivity) when `nMin` sites contribute noise. */
  readonly noiseMultiplier: number;
  /** Poisson sampling rate q (default 1). */
  readonly samplingRate?: number;
  /** Number of identical steps (default 1). */
  readonly steps?: number;
  /** Sites the noise was split over (each adds 1/√nMin of it); default 1. */
  readonly nMin?: number;
  /** Sites whose noise was present (default nMin). */
  readonly contributors?: number;
  /** Fractional-order method (default 'exact'). */
  readonly fractional?: FractionalMethod;
}

/** A distributed discrete Gaussian round (flags --granularity --local-stddev --clients --l2-clip --beta --dim). */
export interface DdgaussRound {
  readonly mechanism: 'ddgauss';
  readonly granularity: number;
  readonly localStddev: number;
  /** Clients whose noise was present. */
  readonly clients: number;
  readonly l2Clip: number;
  readonly l1Clip?: number;
  readonly beta: number;
  readonly dim: number;
  readonly rounding?: boolean;
  readonly samplingRate?: number;
  readonly steps?: number;
}

/** A Skellam round (flags --scale --central-stddev --l2-clip --beta --dim). */
export interface SkellamRound {
  readonly mechanism: 'skellam';
  readonly scale: number;
  /** Stddev of the noise present in the sum, unscaled units. */
  readonly centralStddev: number;
  readonly l2Clip: number;
  readonly l1Clip?: number;
  readonly beta: number;
  readonly dim: number;
  readonly rounding?: boolean;
  readonly samplingRate?: number;
  readonly steps?: number;
}

export type Round = GaussianRound | DdgaussRound | SkellamRound;

/** The effective central noise multiplier of a Gaussian round: z·√(contributors/nMin). */
export function effectiveNoiseMultiplier(r: GaussianRound): number {
  const z = nonNegative(r.noiseMultiplier, 'noiseMultiplier');
  const nMin = integer(r.nMin ?? 1, 'nMin', 1);
  const t = integer(r.contributors ?? nMin, 'contributors', 0);
  return z * Math.sqrt(t / nMin);
}

/** Number of steps of a round (default 1). */
export const roundSteps = (r: Round): number => integer(r.steps ?? 1, 'steps', 0);

/**
 * The RDP curve of a round, all its steps composed.
 *
 * @example
 * roundRdp({ mechanism: 'gaussian', noiseMultiplier: 1.3, samplingRate: 150 / 60000, steps: 6000 });
 */
export function roundRdp(round: Round, orders: readonly number[] = DEFAULT_GAUSSIAN_ORDERS): number[] {
  const alphas = validOrders(orders);
  const r = checkRound(round);
  const k = roundSteps(r);
  let one: number[];
  switch (r.mechanism) {
    case 'gaussian':
      one = rdpSubsampledGaussian(alphas, probability(r.samplingRate ?? 1, 'samplingRate'), effectiveNoiseMultiplier(r), {
        fractional: r.fractional ?? 'exact',
      });
      break;
    case 'ddgauss':
      one = rdpDistributedDiscreteGaussian(alphas, r);
      break;
    case 'skellam':
      one = rdpSkellam(alphas, r);
      break;
  }
  return one.map((v) => (k === 0 ? 0 : k * v));
}

const FIELDS: Record<Round['mechanism'], readonly string[]> = {
  gaussian: ['mechanism', 'noiseMultiplier', 'samplingRate', 'steps', 'nMin', 'contributors', 'fractional'],
  ddgauss: ['mechanism', 'granularity', 'localStddev', 'clients', 'l2Clip', 'l1Clip', 'beta', 'dim', 'rounding', 'samplingRate', 'steps'],
  skellam: ['mechanism', 'scale', 'centralStddev', 'l2Clip', 'l1Clip', 'beta', 'dim', 'rounding', 'samplingRate', 'steps'],
};

/** Checks a round's shape (known mechanism, no unknown fields) and returns a plain copy of it. */
export function checkRound(value: unknown, name = 'round'): Round {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  const m = (value as { mechanism?: unknown }).mechanism;
  if (m !== 'gaussian' && m !== 'ddgauss' && m !== 'skellam')
    throw new RangeError(`${name}.mechanism must be 'gaussian', 'ddgauss' or 'skellam', got ${String(m)}`);
  const allowed = FIELDS[m];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!allowed.includes(k)) throw new RangeError(`${name} has an unknown field '${k}' for mechanism '${m}'`);
    if (v !== undefined) out[k] = v;
  }
  return out as unknown as Round;
}
