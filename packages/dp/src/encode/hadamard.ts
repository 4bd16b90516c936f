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

/** Passes whose butterflies span at most this many doubles (256 KiB, L2-resident) run block by block. */
const FWHT_BLOCK = 1 << 15;

/** Radix-8 butterflies (three levels of the transform in one sweep) with stride h, times s. */
function radix8(x: Float64Array, from: number, to: number, h: number, s: number): void {
  for (let i = from; i < to; i += 8 * h) {
    for (let j = i; j < i + h; j++) {
      const a0 = x[j]!, a1 = x[j + h]!, a2 = x[j + 2 * h]!, a3 = x[j + 3 * h]!;
      const a4 = x[j + 4 * h]!, a5 = x[j + 5 * h]!, a6 = x[j + 6 * h]!, a7 = x[j + 7 * h]!;
      const b0 = a0 + a1, b1 = a0 - a1, b2 = a2 + a3, b3 = a2 - a3, b4 = a4 + a5, b5 = a4 - a5, b6 = a6 + a7, b7 = a6 - a7;
      const c0 = b0 + b2, c1 = b1 + b3, c2 = b0 - b2, c3 = b1 - b3, c4 = b4 + b6, c5 = b5 + b7, c6 = b4 - b6, c7 = b5 - b7;
      x[j] = (c0 + c4) * s;
      x[j + h] = (c1 + c5) * s;
      x[j + 2 * h] = (c2 + c6) * s;
      x[j + 3 * h] = (c3 + c7) * s;
      x[j + 4 * h] = (c0 - c4) * s;
      x[j + 5 * h] = (c1 - c5) * s;
      x[j + 6 * h] = (c2 - c6) * s;
      x[j + 7 * h] = (c3 - c7) * s;
    }
  }
}

/** Radix-4 butterflies with stride h, times s. */
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

/** Radix-2 butterflies with stride h, times s. */
function radix2(x: Float64Array, from: number, to: number, h: number, s: number): void {
  for (let i = from; i < to; i += 2 * h) {
    for (let j = i; j < i + h; j++) {
      const a = x[j]!, b = x[j + h]!;
      x[j] = (a + b) * s;
      x[j + h] = (a - b) * s;
    }
  }
}

/**
 * In-place fast Walsh–Hadamard transform x ← H·x (unnormalised), then x ← x·scale, for x.length a
 * power of two. Radix-8 passes (three levels per sweep: measured here, a radix-8 pass over 2^20
 * doubles costs what a radix-4 one does, 0.7 ms, so 2^20 takes 7 sweeps instead of 10), then one
 * radix-4 or radix-2 pass for the remaining levels, the scale folded into the last pass; the passes
 * whose butterflies span at most 2^15 entries run block by block while the block is in cache.
 */
export function fwht(x: Float64Array, scale = 1): void {
  const n = apow2(x.length, 'x.length');
  if (n === 1) {
    x[0] = x[0]! * scale;
    return;
  }
  runPasses(n, 1, 8, (h, radix, from, to, last) => {
    const s = last ? scale : 1;
    if (radix === 8) radix8(x, from, to, h, s);
    else if (radix === 4) radix4(x, from, to, h, s);
    else radix2(x, from, to, h, s);
  });
}

/**
 * The pass schedule of a Walsh–Hadamard transform over n entries from level log2(h0) on: passes of
 * `radix` (4 or 8) while they fit, then one radix-4 or radix-2 pass for the levels left; the passes whose
 * butterflies span at most 2^15 entries run block by block while the block is in cache, the rest over
 * the whole array. `run(h, radix, from, to, last)` does one pass over [from, to); `last` marks the final
 * pass (where a scale is folded in). Shared by {@link fwht} and the WebAssembly encoder.
 */
export function runPasses(n: number, h0: number, radix: 4 | 8, run: (h: number, radix: 2 | 4 | 8, from: number, to: number, last: boolean) => void): void {
  const passes: { h: number; radix: 2 | 4 | 8 }[] = [];
  let h = h0;
  for (; h * radix <= n; h *= radix) passes.push({ h, radix });
  if (h * 4 === n) passes.push({ h, radix: 4 });
  else if (h * 2 === n) passes.push({ h, radix: 2 });
  const block = Math.min(n, FWHT_BLOCK);
  let inBlock = 0;
  while (inBlock < passes.length && passes[inBlock]!.h * passes[inBlock]!.radix <= block) inBlock++;
  const one = (k: number, from: number, to: number) => run(passes[k]!.h, passes[k]!.radix, from, to, k === passes.length - 1);
  for (let base = 0; base < n; base += block) for (let k = 0; k < inBlock; k++) one(k, base, base + block);
  for (let k = inBlock; k < passes.length; k++) one(k, 0, n);
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
