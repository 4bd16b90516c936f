/**
 * Probability mass functions of the noise distributions, for tests, calibration and plots. Computed
 * in log space / with rescaling, normalised by summing over the whole support that carries mass
 * above 1e-300 (so the values are accurate to about 1e-14 relative, independent of the samplers).
 * @module
 */
import { rationalToNumber, asRational, type RationalLike } from './rational.js';

function variance(v: RationalLike): number {
  const s2 = rationalToNumber(asRational(v, 'variance'));
  if (!(s2 > 0)) throw new RangeError('variance must be > 0');
  return s2;
}

/** P(Y = k) for k = lo … hi, Y ~ N_Z(0, σ²). */
export function discreteGaussianPmf(sigma2: RationalLike, lo: number, hi: number): Float64Array {
  const s2 = variance(sigma2);
  const R = Math.ceil(40 * Math.sqrt(s2)) + 40; // e^(−800) beyond: far below double precision
  let z = 0;
  for (let k = -R; k <= R; k++) z += Math.exp(-(k * k) / (2 * s2));
  const logZ = Math.log(z);
  const out = new Float64Array(hi - lo + 1);
  for (let k = lo; k <= hi; k++) out[k - lo] = Math.exp(-(k * k) / (2 * s2) - logZ);
  return out;
}

/** P(Y = k) for k = lo … hi, Y ~ Lap_Z(t): (1 − q)/(1 + q) · q^|k|, q = e^(−1/t). */
export function discreteLaplacePmf(t: number, lo: number, hi: number): Float64Array {
  const q = Math.exp(-1 / t);
  const out = new Float64Array(hi - lo + 1);
  for (let k = lo; k <= hi; k++) out[k - lo] = ((1 - q) / (1 + q)) * Math.exp(-Math.abs(k) / t);
  return out;
}

/**
 * P(Y = k) for k = lo … hi, Y ~ Skellam(μ, μ) with σ² = 2μ: e^(−2μ) I_|k|(2μ), computed by Miller's
 * backward recurrence I_{k−1}(x) = I_{k+1}(x) + (2k/x) I_k(x) from far in the tail, normalised so
 * that the probabilities sum to 1 over the support.
 */
export function skellamPmf(sigma2: RationalLike, lo: number, hi: number): Float64Array {
  const s2 = variance(sigma2);
  const x = s2; // 2μ = σ²
  const K = Math.max(Math.abs(lo), Math.abs(hi)) + Math.ceil(40 * Math.sqrt(s2)) + 60;
  const p = new Float64Array(K + 2);
  p[K + 1] = 0;
  p[K] = 1e-300;
  for (let k = K; k >= 1; k--) {
    p[k - 1] = p[k + 1]! + ((2 * k) / x) * p[k]!;
    if (p[k - 1]! > 1e250) for (let j = k - 1; j <= K; j++) p[j] = p[j]! * 1e-250;
  }
  let z = p[0]!;
  for (let k = 1; k <= K; k++) z += 2 * p[k]!;
  const out = new Float64Array(hi - lo + 1);
  for (let k = lo; k <= hi; k++) out[k - lo] = Math.abs(k) <= K ? p[Math.abs(k)]! / z : 0;
  return out;
}

/** P(P = k) for k = lo … hi (lo ≥ 0), P ~ Poisson(μ), by the ratio recurrence from the mode, normalised. */
export function poissonPmf(mean: RationalLike, lo: number, hi: number): Float64Array {
  const mu = rationalToNumber(asRational(mean, 'mean'));
  if (!(mu > 0)) throw new RangeError('mean must be > 0');
  const m = Math.floor(mu);
  const R = Math.ceil(40 * Math.sqrt(mu)) + 60;
  const a = Math.max(0, m - R), b = m + R;
  const logp = new Float64Array(b - a + 1);
  for (let k = m + 1; k <= b; k++) logp[k - a] = logp[k - 1 - a]! + Math.log(mu / k);
  for (let k = m - 1; k >= a; k--) logp[k - a] = logp[k + 1 - a]! + Math.log((k + 1) / mu);
  let z = 0;
  for (let i = 0; i < logp.length; i++) z += Math.exp(logp[i]!);
  const out = new Float64Array(hi - lo + 1);
  for (let k = lo; k <= hi; k++) out[k - lo] = k >= a && k <= b ? Math.exp(logp[k - a]!) / z : 0;
  return out;
}
