/**
 * Sources of randomness. Protocol state machines never call a global generator: they take a
 * {@link RandomSource}, so that production code uses the operating system's CSPRNG and a test or a
 * seeded simulation can replay a round exactly.
 * @module
 */
import { createCipheriv } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, aint, concat, utf8 } from './bytes.js';

/** Returns `length` fresh random bytes. */
export type RandomSource = (length: number) => Uint8Array;

const MAX_REQUEST = 1 << 30;

/**
 * A {@link RandomSource} that can also fill a caller's buffer in place, so that a consumer drawing
 * many blocks (the noise samplers' word buffer) reuses one buffer instead of allocating one per block.
 */
export type FillingRandomSource = RandomSource & { readonly fill: (out: Uint8Array) => Uint8Array };

function fillSystem(out: Uint8Array): Uint8Array {
  if (!(out instanceof Uint8Array)) throw new TypeError('out must be a Uint8Array');
  for (let o = 0; o < out.length; o += 65536) crypto.getRandomValues(out.subarray(o, Math.min(out.length, o + 65536)));
  return out;
}

/** The operating system's CSPRNG through `crypto.getRandomValues` (in 64 KiB pieces, its limit). */
export const systemRandom: FillingRandomSource = Object.assign(
  (length: number): Uint8Array => fillSystem(new Uint8Array(aint(length, 'length', 0, MAX_REQUEST))),
  { fill: fillSystem },
);

/**
 * A deterministic generator for tests and seeded simulations only: AES-128-CTR keyed by
 * SHA-256("tessera/v1/seeded-random" || seed)[0..16], counter starting at zero. Never use it for a
 * real deployment's keys.
 *
 * @example
 * const rng = seededRandom(utf8('test 1'));
 * rng(32); // the same 32 bytes on every run
 */
export function seededRandom(seed: Uint8Array | string): RandomSource {
  const s = typeof seed === 'string' ? utf8(seed) : abytes(seed, 'seed');
  const key = sha256(concat(utf8('tessera/v1/seeded-random'), s)).subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, new Uint8Array(16));
  return (length) => {
    aint(length, 'length', 0, MAX_REQUEST);
    return new Uint8Array(cipher.update(new Uint8Array(length)));
  };
}

/**
 * A uniform integer in [0, bound) from `rng` by rejection sampling on 32-bit words (no modulo bias).
 */
export function randomBelow(rng: RandomSource, bound: number): number {
  aint(bound, 'bound', 1, 0x100000000);
  const limit = 0x100000000 - (0x100000000 % bound);
  for (;;) {
    const b = rng(4);
    const x = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (x < limit) return x % bound;
  }
}
