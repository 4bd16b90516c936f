/**
 * Uniform integers from a {@link RandomSource}, buffered: the source is asked for
 * {@link WORD_BLOCK_BYTES} at a time (one `crypto.getRandomValues` or AES-CTR call per 16384 words)
 * and the block is read as little-endian 32-bit words. Every uniform integer is produced by rejection
 * (no modulo bias), with Number arithmetic only: every intermediate is an integer below 2^53.
 * @module
 */
import { aint, assertLittleEndian, type FillingRandomSource, type RandomSource } from '@tessera/crypto';

assertLittleEndian();

/** Bytes requested from the RandomSource per refill (64 KiB, crypto.getRandomValues' limit). */
export const WORD_BLOCK_BYTES = 65536;
const TWO32 = 0x100000000;
const TWO53 = 2 ** 53;

/**
 * A buffered stream of uniform 32-bit words, bits and bounded integers.
 *
 * @example
 * const w = new RandomWords(seededRandom('test'));
 * w.below(6); // a fair die roll in [0, 6)
 */
export class RandomWords {
  readonly #rng: RandomSource;
  #block: Uint32Array = new Uint32Array(0);
  #own: Uint8Array | undefined;
  #pos = 0;
  #bits = 0;
  #nbits = 0;
  /** Number of 32-bit words consumed so far (a work counter for tests and benchmarks). */
  wordsUsed = 0;

  constructor(rng: RandomSource) {
    if (typeof rng !== 'function') throw new TypeError('rng must be a RandomSource function');
    this.#rng = rng;
  }

  #refill(): void {
    const fill = (this.#rng as Partial<FillingRandomSource>).fill;
    if (typeof fill === 'function') {
      // Refill the one block in place (no 64 KiB allocation per refill).
      if (this.#own === undefined) this.#own = new Uint8Array(WORD_BLOCK_BYTES);
      fill(this.#own);
      this.#block = new Uint32Array(this.#own.buffer, 0, WORD_BLOCK_BYTES / 4);
      this.#pos = 0;
      return;
    }
    const bytes = this.#rng(WORD_BLOCK_BYTES);
    if (!(bytes instanceof Uint8Array) || bytes.length !== WORD_BLOCK_BYTES)
      throw new RangeError(`rng returned ${bytes?.length} bytes, expected ${WORD_BLOCK_BYTES}`);
    this.#block = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, WORD_BLOCK_BYTES / 4) : new Uint32Array(bytes.slice().buffer);
    this.#pos = 0;
  }

  /** A uniform integer in [0, 2^32). */
  u32(): number {
    if (this.#pos === this.#block.length) this.#refill();
    this.wordsUsed++;
    return this.#block[this.#pos++]!;
  }

  /**
   * A uniform integer in [0, 2^53) from two words: the first word gives the top 32 bits, the top 21
   * bits of the second the rest (so u53()·2^−53 extends the real number u32()·2^−32 bit by bit).
   */
  u53(): number {
    return this.u32() * 2097152 + (this.u32() >>> 11);
  }

  /** Fills `out` with uniform 32-bit words (bulk copies from the buffered block). */
  fillU32(out: Uint32Array): Uint32Array {
    let o = 0;
    while (o < out.length) {
      if (this.#pos === this.#block.length) this.#refill();
      const n = Math.min(out.length - o, this.#block.length - this.#pos);
      out.set(this.#block.subarray(this.#pos, this.#pos + n), o);
      this.#pos += n;
      o += n;
    }
    this.wordsUsed += out.length;
    return out;
  }

  /** A uniform bit (32 bits per word are used). */
  bit(): number {
    if (this.#nbits === 0) {
      this.#bits = this.u32();
      this.#nbits = 32;
    }
    this.#nbits--;
    const b = this.#bits & 1;
    this.#bits >>>= 1;
    return b;
  }

  /** A uniform integer in [0, n) for an integer 1 ≤ n ≤ 2^53, by rejection. */
  below(n: number): number {
    if (n <= TWO32) {
      if (n === 1) return 0;
      const limit = TWO32 - (TWO32 % n);
      for (;;) {
        const x = this.u32();
        if (x < limit) return x % n;
      }
    }
    if (!(n <= TWO53) || !Number.isInteger(n)) throw new RangeError(`n must be an integer in [1, 2^53], got ${n}`);
    const limit = TWO53 - (TWO53 % n);
    for (;;) {
      const x = this.u53();
      if (x < limit) return x % n;
    }
  }

  /** A uniform bigint in [0, n) for n ≥ 1, by rejection on ⌈log2 n⌉ bits. */
  belowBig(n: bigint): bigint {
    if (typeof n !== 'bigint' || n < 1n) throw new RangeError('n must be a bigint ≥ 1');
    if (n <= BigInt(TWO53)) return BigInt(this.below(Number(n)));
    const bits = (n - 1n).toString(2).length;
    for (;;) {
      let x = 0n;
      for (let got = 0; got < bits; got += 32) x = (x << 32n) | BigInt(this.u32());
      x &= (1n << BigInt(bits)) - 1n;
      if (x < n) return x;
    }
  }

  /** `count` further random bits as a bigint (for the exact slow paths). */
  bitsBig(count: number): bigint {
    aint(count, 'count', 0, 1 << 20);
    let x = 0n;
    let got = 0;
    for (; got + 32 <= count; got += 32) x = (x << 32n) | BigInt(this.u32());
    if (got < count) x = (x << BigInt(count - got)) | BigInt(this.u32() >>> (32 - (count - got)));
    return x;
  }
}
