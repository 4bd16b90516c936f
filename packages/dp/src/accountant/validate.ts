/**
 * Argument validation for the accountant. Each validator names the argument it checks and throws a
 * TypeError when the value has the wrong kind (not a number, not an array) and a RangeError when it has
 * the right kind but an inadmissible value (NaN, out of range). Nothing downstream sees NaN.
 * @module
 */
import { describe } from '@tessera/crypto';

function num(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (Number.isNaN(value)) throw new RangeError(`${name} must not be NaN`);
  return value;
}

/** A finite number ≥ 0 (or > 0 when `strict`). */
export function nonNegative(value: unknown, name: string, strict = false): number {
  const v = num(value, name);
  if (!Number.isFinite(v) || v < 0 || (strict && v === 0))
    throw new RangeError(`${name} must be a finite number ${strict ? '> 0' : '≥ 0'}, got ${v}`);
  return v;
}

/** A finite number > 0. */
export const positive = (value: unknown, name: string): number => nonNegative(value, name, true);

/** A number in [0, 1] (a sampling probability). */
export function probability(value: unknown, name: string): number {
  const v = num(value, name);
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${v}`);
  return v;
}

/** A number in [lo, hi) (half-open). */
export function inHalfOpen(value: unknown, name: string, lo: number, hi: number): number {
  const v = num(value, name);
  if (!(v >= lo && v < hi)) throw new RangeError(`${name} must be in [${lo}, ${hi}), got ${v}`);
  return v;
}

/** A safe integer in [min, max]. */
export function integer(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new TypeError(`${name} must be an integer, got ${describe(value)}`);
  if (value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`);
  return value;
}

/** A non-empty, strictly increasing array of Rényi orders, each > 1 (Infinity allowed). */
export function orders(value: unknown, name = 'orders'): readonly number[] {
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array of numbers, got ${describe(value)}`);
  if (value.length === 0) throw new RangeError(`${name} must not be empty`);
  let prev = 1;
  value.forEach((a: unknown, i) => {
    const v = num(a, `${name}[${i}]`);
    if (!(v > 1)) throw new RangeError(`${name}[${i}] must be > 1, got ${v}`);
    if (i > 0 && !(v > prev)) throw new RangeError(`${name} must be strictly increasing; ${name}[${i}] = ${v} follows ${prev}`);
    prev = v;
  });
  return value as number[];
}

/** An array of RDP values (each ≥ 0 or Infinity) as long as `length`. */
export function rdpCurve(value: unknown, name: string, length: number): readonly number[] {
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array of numbers, got ${describe(value)}`);
  if (value.length !== length) throw new RangeError(`${name} must have ${length} entries (one per order), got ${value.length}`);
  value.forEach((r: unknown, i) => {
    const v = num(r, `${name}[${i}]`);
    if (v < 0) throw new RangeError(`${name}[${i}] must be ≥ 0, got ${v}`);
  });
  return value as number[];
}

/** A (ε, δ) conversion rule name. */
export function conversion(value: unknown, name = 'conversion'): 'improved' | 'classic' {
  if (value !== 'improved' && value !== 'classic') throw new RangeError(`${name} must be 'improved' or 'classic', got ${String(value)}`);
  return value;
}
