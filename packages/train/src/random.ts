/**
 * A buffered stream of uniform floats from a RandomSource: weight initialisation, dropout masks and
 * shuffling all draw from seeded streams, so training is a deterministic function of the seed and data.
 * @module
 */
import { assertLittleEndian, concat, seededRandom, utf8, type RandomSource } from '@tessera/crypto';

assertLittleEndian();

const BLOCK_BYTES = 65536;
const TWO_M32 = 2 ** -32;

/**
 * Uniform 32-bit words and floats in [0, 1), 16384 words per call to the source.
 *
 * @example
 * const u = new UniformStream(seededRandom('init'));
 * u.next(); // a float in [0, 1), the same on every run
 */
export class UniformStream {
  readonly #rng: RandomSource;
  #block: Uint32Array = new Uint32Array(0);
  #pos = 0;

  constructor(rng: RandomSource) {
    if (typeof rng !== 'function') throw new TypeError('rng must be a RandomSource function');
    this.#rng = rng;
  }

  /** A uniform integer in [0, 2^32). */
  u32(): number {
    if (this.#pos === this.#block.length) {
      const bytes = this.#rng(BLOCK_BYTES);
      if (!(bytes instanceof Uint8Array) || bytes.length !== BLOCK_BYTES) throw new RangeError(`rng returned ${bytes?.length} bytes, expected ${BLOCK_BYTES}`);
      this.#block = new Uint32Array(bytes.byteOffset % 4 === 0 ? bytes.buffer : bytes.slice().buffer, bytes.byteOffset % 4 === 0 ? bytes.byteOffset : 0, BLOCK_BYTES / 4);
      this.#pos = 0;
    }
    return this.#block[this.#pos++]!;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  next(): number {
    return this.u32() * TWO_M32;
  }

  /** A uniform integer in [0, n) for 1 ≤ n ≤ 2^32, by rejection (no modulo bias). */
  below(n: number): number {
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
  }

  /** A standard normal draw (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

/** A named, independent stream derived from a seed: SeededRandom("tessera/train/<purpose>\0" || seed). */
export function streamFor(seed: Uint8Array | string, purpose: string): UniformStream {
  const s = typeof seed === 'string' ? utf8(seed) : seed;
  return new UniformStream(seededRandom(concat(utf8(`tessera/train/${purpose}\0`), s)));
}

/** Fisher–Yates shuffle of [0, n) driven by `u`. */
export function permutation(n: number, u: UniformStream): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = u.below(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
