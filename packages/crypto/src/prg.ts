/**
 * The mask PRG: AES-128-CTR from node:crypto.
 *
 * Layout (so that an auditor can recompute any mask): the 16-byte AES key comes from HKDF (see the
 * protocol document); the initial counter block is 16 zero bytes and increments as one 128-bit
 * big-endian integer (OpenSSL's CTR mode); the keystream is AES-128(key, counter) for counter = 0, 1, …
 * Mask word i is bytes [4i, 4i+4) of the keystream read as a little-endian uint32, reduced mod 2^b
 * by the caller.
 *
 * Why node:crypto: AES-NI through OpenSSL runs at memory speed, a JavaScript AES would be 20–50×
 * slower, and no non-cryptographic generator is acceptable for masks. The keystream is produced in
 * {@link PRG_CHUNK_BYTES} pieces: measured here, one 4 MB `update` costs 2.0 ms (mostly allocating and
 * faulting in a fresh 4 MB buffer) while 16 KiB pieces cost 0.8 ms in all, and each piece is still in
 * L1/L2 cache when it is added into the accumulator.
 * @module
 */
import { createCipheriv } from 'node:crypto';
import { abytes, aint, assertLittleEndian } from './bytes.js';
import { ringKernels, type RingKernels } from './wasm-ring.js';

assertLittleEndian();

/** AES-128 key length of the mask PRG. */
export const PRG_KEY_BYTES = 16;
/** Keystream piece size; a multiple of 16 (AES block) and of 4 (mask word). */
export const PRG_CHUNK_BYTES = 16384;
const ZERO_IV = new Uint8Array(16);
const ZEROS = new Uint8Array(PRG_CHUNK_BYTES);
/** At most 2^28 words (1 GiB of keystream) per call: far beyond any model we train, and a bound on work. */
export const PRG_MAX_WORDS = 2 ** 28;

export function prgCipher(key: Uint8Array) {
  abytes(key, 'key', PRG_KEY_BYTES);
  return createCipheriv('aes-128-ctr', key, ZERO_IV);
}

/** The first `length` bytes of the keystream for `key`. */
export function prgBytes(key: Uint8Array, length: number): Uint8Array {
  aint(length, 'length', 0, PRG_MAX_WORDS * 4);
  const c = prgCipher(key);
  const out = new Uint8Array(length);
  for (let o = 0; o < length; o += PRG_CHUNK_BYTES) {
    const n = Math.min(PRG_CHUNK_BYTES, length - o);
    out.set(c.update(n === PRG_CHUNK_BYTES ? ZEROS : ZEROS.subarray(0, n)), o);
  }
  return out;
}

/**
 * Generates `bytes` of raw AES-128-CTR keystream the same way {@link RingAccumulator.addMasks} does, discarding it.
 * Benchmarks use it as the physical floor a masking step is compared against.
 */
export function prgDiscard(key: Uint8Array, bytes: number): number {
  aint(bytes, 'bytes', 0, Number.MAX_SAFE_INTEGER);
  const c = prgCipher(key);
  let sink = 0;
  for (let o = 0; o < bytes; o += PRG_CHUNK_BYTES) {
    const n = Math.min(PRG_CHUNK_BYTES, bytes - o);
    const ks = c.update(n === PRG_CHUNK_BYTES ? ZEROS : ZEROS.subarray(0, n));
    sink ^= ks[0]!;
  }
  return sink;
}

/** One mask stream to add (sign 1) or subtract (sign −1). */
export interface MaskStream {
  readonly key: Uint8Array;
  readonly sign: 1 | -1;
}

/**
 * A vector in Z_2^32 that masks are added into, held in WebAssembly memory so that the SIMD kernel
 * ({@link ringKernels}) does the arithmetic. Reduce mod 2^b when reading the result: 2^b divides 2^32,
 * so that is exact for every b ≤ 32. Client masking and server unmasking both use it.
 *
 * @example
 * const acc = new RingAccumulator(d);
 * acc.addVector(x);
 * acc.addMasks([{ key: selfKey, sign: 1 }, { key: pairKey, sign: -1 }]);
 * const y = acc.result(16); // (x + masks) mod 2^16
 */
export class RingAccumulator {
  /** Number of words. */
  readonly length: number;
  readonly #kernels: RingKernels;
  readonly #memory: WebAssembly.Memory;
  readonly #bytes: number; // length·4 rounded up to a whole SIMD lane
  /** Whether the accumulator still holds only zeros (nothing added yet). */
  #zero = true;
  static readonly #scratch = 0; // PRG_CHUNK_BYTES of scratch, then the accumulator
  static readonly #acc = PRG_CHUNK_BYTES;

  constructor(length: number) {
    this.length = aint(length, 'length', 0, PRG_MAX_WORDS);
    this.#bytes = Math.ceil((length * 4) / 16) * 16;
    const pages = Math.max(1, Math.ceil((PRG_CHUNK_BYTES + this.#bytes) / 65536));
    this.#memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    this.#kernels = ringKernels(this.#memory);
  }

  #staged(src: Uint8Array, n: number): void {
    const mem = new Uint8Array(this.#memory.buffer, RingAccumulator.#scratch, PRG_CHUNK_BYTES);
    mem.set(src.subarray(0, n));
    if (n % 16 !== 0) mem.fill(0, n, Math.ceil(n / 16) * 16);
  }

  /** acc ← acc + sign · v (mod 2^32). */
  addVector(v: Uint32Array, sign: 1 | -1 = 1): this {
    if (!(v instanceof Uint32Array)) throw new TypeError('v must be a Uint32Array');
    if (v.length !== this.length) throw new RangeError(`v must have ${this.length} words, got ${v.length}`);
    if (sign !== 1 && sign !== -1) throw new RangeError('sign must be 1 or -1');
    const src = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    if (this.#zero && sign === 1) {
      // 0 + v = v: one copy into WebAssembly memory instead of staging 16 KiB pieces through the SIMD
      // kernel (measured: 0.5 ms against 3.8 ms for 10^6 words — a tenth of a client's masking time).
      new Uint8Array(this.#memory.buffer, RingAccumulator.#acc, src.length).set(src);
      this.#zero = false;
      return this;
    }
    this.#zero = false;
    const op = sign === 1 ? this.#kernels.add : this.#kernels.sub;
    for (let o = 0; o < src.length; o += PRG_CHUNK_BYTES) {
      const n = Math.min(PRG_CHUNK_BYTES, src.length - o);
      this.#staged(src.subarray(o), n);
      op(RingAccumulator.#acc + o, RingAccumulator.#scratch, Math.ceil(n / 16) * 16);
    }
    return this;
  }

  /**
   * acc ← acc + Σ sign_j · PRG(key_j) (mod 2^32). The streams advance together, one 16 KiB window at a
   * time, so the window of the accumulator stays in cache while every stream is added into it.
   */
  addMasks(streams: readonly MaskStream[]): this {
    if (!Array.isArray(streams)) throw new TypeError('streams must be an array');
    const ciphers = streams.map((s, i) => {
      if (s.sign !== 1 && s.sign !== -1) throw new RangeError(`streams[${i}].sign must be 1 or -1`);
      return { c: prgCipher(abytes(s.key, `streams[${i}].key`, PRG_KEY_BYTES)), op: s.sign === 1 ? this.#kernels.add : this.#kernels.sub };
    });
    if (ciphers.length > 0) this.#zero = false;
    const mem = new Uint8Array(this.#memory.buffer, RingAccumulator.#scratch, PRG_CHUNK_BYTES);
    for (let o = 0; o < this.#bytes; o += PRG_CHUNK_BYTES) {
      const n = Math.min(PRG_CHUNK_BYTES, this.#bytes - o); // a multiple of 16
      const zeros = n === PRG_CHUNK_BYTES ? ZEROS : ZEROS.subarray(0, n);
      for (const { c, op } of ciphers) {
        mem.set(c.update(zeros));
        op(RingAccumulator.#acc + o, RingAccumulator.#scratch, n);
      }
    }
    return this;
  }

  /** Copies the raw Z_2^32 accumulator (not reduced) into `out`, which must hold {@link length} words. */
  copyRawInto(out: Uint32Array): void {
    if (!(out instanceof Uint32Array) || out.length !== this.length) throw new RangeError(`out must be a Uint32Array of ${this.length} words`);
    out.set(new Uint32Array(this.#memory.buffer, RingAccumulator.#acc, this.length));
  }

  /** Overwrites the accumulator and its scratch space with zeros (after use, when it held secrets). */
  wipe(): void {
    new Uint8Array(this.#memory.buffer).fill(0);
    this.#zero = true;
  }

  /**
   * Reduces the accumulator mod 2^bits in place (1 ≤ bits ≤ 32) and returns a view of it, without the
   * copy {@link result} makes (4 MB at 10^6 words). The view reads WebAssembly memory: it is valid only
   * until the accumulator next changes, is wiped, or goes back to {@link withRingAccumulator}'s pool, so
   * consume it (e.g. pack it for the wire) at once.
   */
  reducedView(bits: number): Uint32Array {
    aint(bits, 'bits', 1, 32);
    if (bits < 32) this.#kernels.and(RingAccumulator.#acc, (2 ** bits - 1) | 0, this.#bytes);
    return new Uint32Array(this.#memory.buffer, RingAccumulator.#acc, this.length);
  }

  /** A copy of the accumulator reduced mod 2^bits (1 ≤ bits ≤ 32); the accumulator is unchanged. */
  result(bits: number): Uint32Array {
    aint(bits, 'bits', 1, 32);
    const out = new Uint32Array(this.#memory.buffer, RingAccumulator.#acc, this.length).slice();
    if (bits < 32) {
      const mask = 2 ** bits - 1;
      for (let i = 0; i < out.length; i++) out[i] = out[i]! & mask;
    }
    return out;
  }
}

/** Idle accumulators kept for reuse, by length; bounded by {@link POOL_MAX_BYTES} in all. */
const idle = new Map<number, RingAccumulator[]>();
let idleBytes = 0;
/** At most 64 MiB of idle accumulators stay allocated between uses. */
export const POOL_MAX_BYTES = 64 * 2 ** 20;

/**
 * Runs `fn` with a zeroed accumulator of `length` words, then wipes it and keeps it for the next call.
 *
 * Why: a fresh accumulator is a fresh WebAssembly memory and instance, and its 4 MB (at 10^6 words)
 * are page-faulted in on first touch; a peer masks once per round with the same length, so reusing one
 * saves that every round (measured here: 27.5 → 25.3 ms for a client's masking at k = 18, d = 10^6).
 * The accumulator is wiped when `fn` returns or throws, so nothing it held outlives the call. Calls may
 * nest: each gets its own accumulator.
 *
 * @example
 * const wire = withRingAccumulator(d, (acc) => pack(acc.addVector(x).addMasks(streams).reducedView(16)));
 */
export function withRingAccumulator<T>(length: number, fn: (acc: RingAccumulator) => T): T {
  aint(length, 'length', 0, PRG_MAX_WORDS);
  if (typeof fn !== 'function') throw new TypeError('fn must be a function');
  const spare = idle.get(length)?.pop();
  const bytes = length * 4 + PRG_CHUNK_BYTES;
  if (spare) idleBytes -= bytes;
  const acc = spare ?? new RingAccumulator(length);
  try {
    return fn(acc);
  } finally {
    acc.wipe();
    if (idleBytes + bytes <= POOL_MAX_BYTES) {
      const list = idle.get(length) ?? [];
      list.push(acc);
      idle.set(length, list);
      idleBytes += bytes;
    }
  }
}
