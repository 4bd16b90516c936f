/**
 * Byte helpers shared by every Tessera package: validation that names the argument, hex and UTF-8
 * conversion, concatenation, and a constant-time equality for secrets.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { endianness } from 'node:os';

/** Throws a TypeError unless `value` is a Uint8Array (optionally of exactly `length` bytes). */
export function abytes(value: unknown, name: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array, got ${describe(value)}`);
  if (length !== undefined && value.length !== length)
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  return value;
}

/** Throws unless `value` is a safe integer in [min, max]. */
export function aint(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new TypeError(`${name} must be an integer, got ${describe(value)}`);
  if (value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`);
  return value;
}

/** A short description of a value for error messages; never prints the value's content. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'number') return Number.isFinite(value) ? `number ${value}` : `${value}`;
  return typeof value;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** UTF-8 encode. */
export const utf8 = (s: string): Uint8Array => encoder.encode(s);
/** UTF-8 decode; throws on invalid UTF-8. */
export const fromUtf8 = (b: Uint8Array): string => decoder.decode(b);

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Parses lower- or upper-case hex with an even number of digits. */
export function fromHex(hex: string, name = 'hex'): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex))
    throw new TypeError(`${name} must be a string of hex digit pairs`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Concatenates byte arrays into a new Uint8Array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Big-endian encoding of an unsigned 32-bit integer. */
export function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, aint(n, 'n', 0, 0xffffffff));
  return out;
}

/**
 * Constant-time equality for secrets and MACs (node:crypto's timingSafeEqual). Lengths are public:
 * unequal lengths return false at once.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  abytes(a, 'a');
  abytes(b, 'b');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Overwrites a secret buffer with zeros (best effort; JavaScript cannot guarantee erasure of copies). */
export function wipe(...buffers: Uint8Array[]): void {
  for (const b of buffers) b.fill(0);
}

/**
 * The mask arithmetic reads PRG bytes as little-endian 32-bit words through typed-array views, which
 * follow the platform's byte order. Fail closed on a big-endian platform rather than compute masks an
 * auditor could not recompute.
 */
export function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('Tessera requires a little-endian platform (mask words are little-endian)');
}
