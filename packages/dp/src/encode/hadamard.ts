/**
 * The randomized Hadamard rotation x ↦ H·D·x/√n from PUBLIC round randomness (Kairouz, Liu, Steinke
 * 2021, §4 "flattening"): after it every coordinate of a vector of norm c is about c/√n in size,
 * which is what keeps the integer encoding within b bits.
 *
 * Sign derivation (so that any party can recompute it): n is a power of two; the diagonal is
 * D_i = 1 − 2·bit_i where bit_i = (B[⌊i/8⌋] >> (i mod 8)) & 1 and B = the first ⌈n/8⌉ bytes of
 * `seededRandom(seed)` (@tessera/crypto: AES-128-CTR keyed by SHA-256("tessera/v1/seeded-random" ‖
 * seed)). H is the Sylvester–Hadamard matrix (H_ij = (−1)^popcount(i & j)), applied by the fast
 * Walsh–Hadamard transform; H·D/√n is orthogonal, its inverse D·H/√n.
 * @module
 */
import { abytes, aint, seededRandom } from '@tessera/crypto';

/** Largest padded dimension: 2^26 coordinates (512 MiB of Float64 work space). */
export const MAX_PADDED_DIM = 2 ** 26;

/** The least power of two ≥ dim (1 for dim ≤ 1). */
export function paddedDimension(dim: number): number {
  aint(dim, 'dim', 1, MAX_PADDED_DIM);
  let n = 1;
  while (n < dim) n *= 2;
  return n;
}

function apow2(n: number, name: string): number {
  aint(n, name, 1, MAX_PADDED_DIM);
  if ((n & (n - 1)) !== 0) throw new RangeError(`${name} must be a power of two, got ${n}`);
  return n;
}

/**
 * The ±1 diagonal for `seed` and a padded dimension n (see the module comment for the derivation).
 *
 * @example
 * rotationSigns(utf8('round 7'), 8); // Float64Array of eight ±1
 */
export function rotationSigns(seed: Uint8Array, n: number): Float64Array {
  abytes(seed, 'seed');
  apow2(n, 'n');
  const bytes = seededRandom(seed)(Math.ceil(n / 8));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 - 2 * ((bytes[i >> 3]! >> (i & 7)) & 1);
  return out;
}

/** Butterflies whose span fits this many doubles (128 KiB, L2-resident) run block by block. */
const FWHT_BLOCK = 1 << 14;

function radix4(x: Float64Array, from: number, to: number, h: number, s: number): void {
  for (let i = from; i < to; i += 4 * h) {
    for (let j = i; j < i + h; j++) {
      const a = x[j]!, b = x[j + h]!, c = x[j + 2 * h]!, d = x[j + 3 * h]!;
      const ab = a + b, amb = a - b, cd = c + d, cmd = c - d;
      x[j] = (ab + cd) * s;
      x[j + h] = (amb + cmd) * s;
      x[j + 2 * h] = (ab - cd) * s;
      x[j + 3 * h] = (amb - cmd) * s;
    }
  }
}

/**
 * In-place fast Walsh–Hadamard transform x ← H·x (unnormalised), then x ← x·scale, for x.length a
 * power of two. Radix-4 passes (half as many sweeps as radix-2), one radix-2 pass when log2 n is odd,
 * the scale folded into the last pass; the passes whose butterflies span at most 2^14 entries run block
 * by block while the block is in cache (one sweep over memory instead of seven).
 */
export function fwht(x: Float64Array, scale = 1): void {
  const n = apow2(x.length, 'x.length');
  const spans: number[] = [];
  let h = 1;
  for (; h * 4 <= n; h *= 4) spans.push(h);
  const radix2 = h * 2 === n ? h : 0;
  const lastScale = (k: number) => (k === spans.length - 1 && radix2 === 0 ? scale : 1);
  let k = 0;
  const block = Math.min(n, FWHT_BLOCK);
  let inBlock = 0;
  while (inBlock < spans.length && spans[inBlock]! * 4 <= block) inBlock++;
  for (let base = 0; base < n; base += block) for (let p = 0; p < inBlock; p++) radix4(x, base, base + block, spans[p]!, lastScale(p));
  for (k = inBlock; k < spans.length; k++) radix4(x, 0, n, spans[k]!, lastScale(k));
  if (radix2) {
    for (let j = 0; j < radix2; j++) {
      const a = x[j]!, b = x[j + radix2]!;
      x[j] = (a + b) * scale;
      x[j + radix2] = (a - b) * scale;
    }
  } else if (n === 1) x[0] = x[0]! * scale;
}

/** In place: x ← H·D·x/√n. */
export function rotate(x: Float64Array, signs: Float64Array): Float64Array {
  if (signs.length !== x.length) throw new RangeError(`signs must have ${x.length} entries, got ${signs.length}`);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * signs[i]!;
  fwht(x, 1 / Math.sqrt(x.length));
  return x;
}

/** In place: y ← D·H·y/√n, the inverse of {@link rotate}. */
export function unrotate(y: Float64Array, signs: Float64Array): Float64Array {
  if (signs.length !== y.length) throw new RangeError(`signs must have ${y.length} entries, got ${signs.length}`);
  fwht(y, 1 / Math.sqrt(y.length));
  for (let i = 0; i < y.length; i++) y[i] = y[i]! * signs[i]!;
  return y;
}
