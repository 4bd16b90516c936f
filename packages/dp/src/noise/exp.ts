/**
 * Rigorous bounds on e^(−a/b) for rationals a/b ≥ 0, in fixed point with bigint: the exact slow path
 * of every sampler. Each bound is the sum of a Taylor series evaluated in interval arithmetic
 * (floors for lower bounds, ceilings for upper bounds) plus the alternating-series remainder, so
 * lo ≤ 2^prec · e^(−a/b) ≤ hi holds as a mathematical fact, not an approximation.
 * @module
 */

/** [lo, hi] with lo ≤ 2^w · e^(−r/b) ≤ hi for 0 ≤ r ≤ b (alternating Taylor series, terms decreasing). */
function expNegUnit(r: bigint, b: bigint, w: bigint): [bigint, bigint] {
  const one = 1n << w;
  if (r === 0n) return [one, one];
  let tlo = one, thi = one; // term n, rounded down and up
  let lo = one, hi = one; // partial sums' bounds
  for (let n = 1n; ; n++) {
    tlo = (tlo * r) / (b * n);
    thi = (thi * r + b * n - 1n) / (b * n);
    if (thi <= 1n) {
      // |remainder after term n−1| ≤ t_n ≤ thi (terms non-increasing: r/b ≤ 1).
      lo -= thi;
      hi += thi;
      return [lo < 0n ? 0n : lo, hi];
    }
    if (n % 2n === 1n) {
      lo -= thi;
      hi -= tlo;
    } else {
      lo += tlo;
      hi += thi;
    }
  }
}

/**
 * lo ≤ 2^prec · e^(−a/b) ≤ hi, with hi − lo a few units whatever prec is (so the bounds get as sharp
 * as the caller needs by raising prec).
 *
 * @example
 * expNegBounds(1n, 1n, 64); // [⌊2^64/e⌋ − 1, ⌈2^64/e⌉ + 1] or tighter
 */
export function expNegBounds(a: bigint, b: bigint, prec: number): [bigint, bigint] {
  if (a < 0n || b < 1n) throw new RangeError('expNegBounds needs a ≥ 0 and b ≥ 1');
  if (!Number.isSafeInteger(prec) || prec < 1) throw new RangeError(`prec must be a positive integer, got ${prec}`);
  if (a === 0n) return [1n << BigInt(prec), 1n << BigInt(prec)];
  const m = a / b;
  const r = a - m * b;
  // e^(−m) < 2^(−1.44 m): once m ≥ prec + 1 the scaled value is below 1.
  if (m > BigInt(prec)) return [0n, 1n];
  const mi = Number(m);
  const guard = 40 + mi.toString(2).length;
  const w = BigInt(prec + guard);
  let [lo, hi] = expNegUnit(r, b, w);
  if (mi > 0) {
    const [e1lo, e1hi] = expNegUnit(1n, 1n, w);
    for (let i = 0; i < mi; i++) {
      lo = (lo * e1lo) >> w;
      hi = (hi * e1hi + (1n << w) - 1n) >> w;
    }
  }
  const g = BigInt(guard);
  return [lo >> g, (hi + (1n << g) - 1n) >> g];
}

/**
 * lo ≤ 2^prec · e^(+a/b) ≤ hi (a, b ≥ 0), by inverting the bounds of e^(−a/b) at a higher precision.
 */
export function expPosBounds(a: bigint, b: bigint, prec: number): [bigint, bigint] {
  if (a === 0n) return [1n << BigInt(prec), 1n << BigInt(prec)];
  const extra = Number(a / b) * 2 + 40;
  const w = prec + extra;
  const [nlo, nhi] = expNegBounds(a, b, w);
  const num = 1n << BigInt(prec + w);
  if (nlo === 0n) throw new Error('expPosBounds: internal precision too low'); // unreachable: 2^w·e^(−a/b) ≥ 2^40
  return [num / nhi, (num + nlo - 1n) / nlo];
}
