/**
 * Exact non-negative rationals num/den (bigint), the form in which every noise parameter reaches a
 * sampler: a sampler then draws from the distribution with exactly that parameter.
 * @module
 */
import { describe } from '@tessera/crypto';

/** A non-negative rational num/den in lowest terms, den ≥ 1. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

/** What callers may pass: a Rational, `[num, den]`, or a non-negative integer (bigint or safe integer). */
export type RationalLike = Rational | readonly [bigint | number, bigint | number] | bigint | number;

const gcd = (a: bigint, b: bigint): bigint => {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
};

function toBig(v: unknown, name: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new TypeError(`${name} must be a bigint or a safe integer, got ${describe(v)}`);
}

/** num/den reduced to lowest terms. Throws a RangeError unless num ≥ 0 and den ≥ 1. */
export function rational(num: bigint | number, den: bigint | number = 1n, name = 'value'): Rational {
  const n = toBig(num, `${name} numerator`);
  const d = toBig(den, `${name} denominator`);
  if (d < 1n) throw new RangeError(`${name} denominator must be ≥ 1, got ${d}`);
  if (n < 0n) throw new RangeError(`${name} must be ≥ 0, got ${n}/${d}`);
  const g = n === 0n ? d : gcd(n, d);
  return { num: n / g, den: d / g };
}

/** Validates and normalises a {@link RationalLike} argument, naming it in errors. */
export function asRational(value: unknown, name: string): Rational {
  if (typeof value === 'bigint' || typeof value === 'number') {
    if (typeof value === 'number' && !Number.isSafeInteger(value))
      throw new TypeError(`${name} must be a rational: a safe integer, a bigint, [num, den] or { num, den } (use toRational for ${describe(value)})`);
    return rational(value, 1n, name);
  }
  if (Array.isArray(value) && value.length === 2) return rational(value[0], value[1], name);
  if (value !== null && typeof value === 'object' && 'num' in value && 'den' in value)
    return rational((value as Rational).num, (value as Rational).den, name);
  throw new TypeError(`${name} must be a rational: a safe integer, a bigint, [num, den] or { num, den }, got ${describe(value)}`);
}

/**
 * The exact rational value of a finite non-negative number or decimal string.
 *
 * - A `number` is converted EXACTLY: a double is a dyadic rational m·2^e, so `toRational(0.1)` is
 *   3602879701896397/36028797018963968, not 1/10. The mechanism then uses exactly that rational.
 * - A decimal string ("0.1", "2.5e-3", "1000") is read exactly in base ten: `toRational('0.1')` is 1/10.
 *
 * @example
 * toRational('2.25');  // { num: 9n, den: 4n }
 * toRational(1e6);     // { num: 1000000n, den: 1n }
 */
export function toRational(value: number | string, name = 'value'): Rational {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
    if (value === 0) return { num: 0n, den: 1n };
    // Decompose the double exactly: value = mantissa · 2^exp with an integer mantissa < 2^53.
    let exp = 0;
    let m = value;
    while (!Number.isInteger(m)) {
      m *= 2;
      exp--;
    }
    while (m > Number.MAX_SAFE_INTEGER) {
      m /= 2;
      exp++;
    }
    return exp >= 0 ? rational(BigInt(m) << BigInt(exp), 1n, name) : rational(BigInt(m), 1n << BigInt(-exp), name);
  }
  if (typeof value !== 'string') throw new TypeError(`${name} must be a number or a decimal string, got ${describe(value)}`);
  const match = /^\s*(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(value);
  if (!match || (match[1] === '' && (match[2] ?? '') === '')) throw new TypeError(`${name} must be a non-negative decimal string, got "${value}"`);
  const frac = match[2] ?? '';
  const exp = Number(match[3] ?? '0') - frac.length;
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 10000) throw new RangeError(`${name} exponent out of range in "${value}"`);
  const digits = BigInt((match[1] || '0') + frac);
  return exp >= 0 ? rational(digits * 10n ** BigInt(exp), 1n, name) : rational(digits, 10n ** BigInt(-exp), name);
}

/** A double within 2^-52 (relative) of a rational (for display and the floating-point fast paths). */
export function rationalToNumber(r: Rational): number {
  if (r.num === 0n) return 0;
  // q holds the top ~61 bits of num/den; the result is q · 2^(e − 60).
  const e = r.num.toString(2).length - r.den.toString(2).length;
  const q = e <= 60 ? (r.num << BigInt(60 - e)) / r.den : r.num / (r.den << BigInt(e - 60));
  const s = e - 60; // scale in two steps so that a subnormal result is not flushed to zero
  const h = Math.trunc(s / 2);
  return Number(q) * 2 ** h * 2 ** (s - h);
}

/** ⌊√n⌋ for a bigint n ≥ 0 (Newton's method). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number');
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n)))) + 1n;
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}
