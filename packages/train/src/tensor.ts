/**
 * The array types the engine computes in, and validators that name the argument. Every layer is
 * generic over {@link Arr}: training runs in Float32Array; gradient checks run the same code in
 * Float64Array (a V8 function only ever sees one of the two in a given process, so it stays monomorphic).
 * @module
 */
import { describe } from '@tessera/crypto';

/** A tensor's storage: row-major, batch first (NCHW for images). */
export type Arr = Float32Array | Float64Array;
/** The storage type a network computes in. */
export type DType = 'float32' | 'float64';
/** A per-example shape: `[C, H, W]` for images, `[D]` for vectors. */
export type Shape = readonly number[];

/** Allocates a zeroed array of `dtype`. */
export function alloc(dtype: DType, length: number): Arr {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

/** Number of elements of a shape. */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Throws unless `value` is a finite number in [min, max] (a TypeError for a non-number, RangeError otherwise). */
export function anum(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value) || value < min || value > max) throw new RangeError(`${name} must be a finite number in [${min}, ${max}], got ${value}`);
  return value;
}

/** Throws a TypeError unless `value` is a Float32Array (optionally of exactly `length` elements). */
export function af32(value: unknown, name: string, length?: number): Float32Array {
  if (!(value instanceof Float32Array)) throw new TypeError(`${name} must be a Float32Array, got ${value === null ? 'null' : (value as object)?.constructor?.name ?? typeof value}`);
  if (length !== undefined && value.length !== length) throw new RangeError(`${name} must have ${length} elements, got ${value.length}`);
  return value;
}

/** Throws unless `value` is an array of positive safe integers (a per-example shape). */
export function ashape(value: unknown, name: string): number[] {
  if (!Array.isArray(value) || value.length === 0) throw new TypeError(`${name} must be a non-empty array of positive integers`);
  for (const [i, d] of value.entries())
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1) throw new RangeError(`${name}[${i}] must be a positive integer, got ${describe(d)}`);
  return [...value] as number[];
}

/** A buffer of at least `length` elements: `buf` itself or a view of it when long enough, otherwise a new one. */
export function ensure<T extends Arr>(buf: T, length: number, dtype: DType): T {
  if (buf.length === length) return buf;
  if (buf.length > length) return buf.subarray(0, length) as T;
  return alloc(dtype, length) as T;
}
