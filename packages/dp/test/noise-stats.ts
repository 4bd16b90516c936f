/** Statistics helpers for the sampler tests (not a test file: ava only runs *.test.js). */

export interface ChiSquare {
  stat: number;
  df: number;
  /** Wilson–Hilferty normal approximation of the χ² upper tail, as a z-score. */
  z: number;
  bins: number;
}

/**
 * Pearson χ² of integer samples against a pmf given on [lo, hi] (mass outside lumped into the end
 * bins), with consecutive values merged into bins of expected count ≥ minExpected.
 */
export function chiSquare(samples: ArrayLike<number>, pmf: Float64Array, lo: number, minExpected = 20): ChiSquare {
  const n = samples.length;
  const counts = new Float64Array(pmf.length);
  for (let i = 0; i < n; i++) {
    const k = Math.min(pmf.length - 1, Math.max(0, samples[i]! - lo));
    counts[k]!++;
  }
  let massIn = 0;
  for (const p of pmf) massIn += p;
  const tail = Math.max(0, 1 - massIn) / 2;
  const exp = Float64Array.from(pmf, (p) => p * n);
  exp[0]! += tail * n;
  exp[exp.length - 1]! += tail * n;
  const bo: number[] = [], be: number[] = [];
  let o = 0, e = 0;
  for (let i = 0; i < exp.length; i++) {
    o += counts[i]!;
    e += exp[i]!;
    if (e >= minExpected) {
      bo.push(o);
      be.push(e);
      o = 0;
      e = 0;
    }
  }
  if (be.length === 0) throw new Error('no bins');
  bo[bo.length - 1]! += o;
  be[be.length - 1]! += e;
  let stat = 0;
  for (let i = 0; i < be.length; i++) stat += (bo[i]! - be[i]!) ** 2 / be[i]!;
  const df = Math.max(1, be.length - 1);
  const z = (Math.cbrt(stat / df) - (1 - 2 / (9 * df))) / Math.sqrt(2 / (9 * df));
  return { stat, df, z, bins: be.length };
}

/** Mean and variance of a pmf on [lo, hi]. */
export function pmfMoments(pmf: Float64Array, lo: number): { mean: number; variance: number; m4: number } {
  let mean = 0;
  for (let i = 0; i < pmf.length; i++) mean += pmf[i]! * (lo + i);
  let variance = 0, m4 = 0;
  for (let i = 0; i < pmf.length; i++) {
    const c = lo + i - mean;
    variance += pmf[i]! * c * c;
    m4 += pmf[i]! * c ** 4;
  }
  return { mean, variance, m4 };
}

export function sampleMoments(xs: ArrayLike<number>): { mean: number; variance: number } {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i]!;
  m /= xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - m) ** 2;
  return { mean: m, variance: v / (xs.length - 1) };
}
