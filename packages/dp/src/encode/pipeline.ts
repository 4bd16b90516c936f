/**
 * The client pipeline into Z_2^b and its inverse on the server (Kairouz, Liu, Steinke 2021; Agarwal,
 * Kairouz, Liu 2021):
 *
 *   client:  x (d floats) → pad to n_pad = 2^⌈log2 d⌉ → rotate H·D·x/√n_pad (public seed)
 *            → clip to ‖·‖ ≤ c → scale by 1/γ → conditional randomized rounding (norm ≤ roundedNormBound)
 *            → + integer noise (discrete Gaussian or Skellam, exact variance) → mod 2^b (Uint32Array, the
 *            SecAgg input, n_pad words)
 *   server:  Σ mod 2^b → signed lift (≥ 2^(b−1) is negative) → ×γ → D·H·/√n_pad → first d coordinates
 * @module
 */
import { abytes, type RandomSource } from '@tessera/crypto';
import { RandomWords } from '../noise/words.js';
import { DiscreteGaussian, type NoiseSampler } from '../noise/gaussian.js';
import { Skellam } from '../noise/poisson.js';
import { fwht, rotationSigns, unrotate } from './hadamard.js';
import { conditionalRoundKernel, conditionalRoundToRing, l2Norm, MAX_ROUNDING_ATTEMPTS, nearestToRing } from './rounding.js';
import { KERNEL_MAX_DIM, KERNEL_MIN_DIM, encodeWorkspace } from './kernels.js';
import type { EncodingParams } from './params.js';

export interface EncodeOptions {
  /** The round's PUBLIC randomness, shared by every client and the server (the rotation). */
  readonly roundSeed: Uint8Array;
  /** The client's PRIVATE randomness for rounding and noise (systemRandom in production). */
  readonly rng: RandomSource | RandomWords;
  /** Add noise (default true); false encodes without noise, for tests and non-private rounds. */
  readonly addNoise?: boolean;
  /** Randomized rounding (default true); false rounds to nearest, for exact round-trip tests only. */
  readonly randomizedRounding?: boolean;
  /** Cap on conditional-rounding attempts (default 1000). */
  readonly maxRoundingAttempts?: number;
  /** Reuse a sampler (and its counters) across calls; it must match params.noise and params.noiseVariance. */
  readonly sampler?: NoiseSampler;
  /**
   * Use the WebAssembly SIMD kernels (./kernels.ts) when n_pad is in [16, 2^24] (default true); false
   * forces the JavaScript path. Both implement the same pipeline; the transforms round differently in
   * the last bits, and a coordinate's rounding can differ only if that moves its threshold
   * ⌊frac·2^31⌋ and its 31-bit uniform falls exactly on it (probability about 2^−31 when it moves).
   */
  readonly simd?: boolean;
  /**
   * Noise drawn in advance (n_pad values from `createNoiseSampler(params, rng).fill`): noise does not
   * depend on the update, so a client can sample it while it trains and keep it off the critical path.
   * Use each vector once.
   */
  readonly noise?: Int32Array | Float64Array;
}

export interface EncodedUpdate {
  /** n_pad words in [0, 2^b): the SecAgg input. */
  readonly words: Uint32Array;
  /** Norm of the update before clipping. */
  readonly norm: number;
  /** Whether the update was clipped. */
  readonly clipped: boolean;
  /** Conditional rounding attempts used. */
  readonly roundingAttempts: number;
}

/** The noise sampler for `params` (discrete Gaussian or Skellam with variance params.noiseVariance). */
export function createNoiseSampler(params: EncodingParams, rng: RandomSource | RandomWords): NoiseSampler {
  return params.noise === 'skellam' ? new Skellam(params.noiseVariance, rng) : new DiscreteGaussian(params.noiseVariance, rng);
}

let scratchBuffers: [Float64Array, Float64Array] | null = null;
function scratch(n: number): [Float64Array, Float64Array] {
  if (scratchBuffers === null || scratchBuffers[0].length !== n) scratchBuffers = [new Float64Array(n), new Float64Array(n)];
  return scratchBuffers;
}

/** The signs of the last (seed, n) used: a client's encode and repeated decodes reuse them. */
let lastSigns: { seed: Uint8Array; n: number; signs: Float64Array } | null = null;
function cachedSigns(seed: Uint8Array, n: number): Float64Array {
  if (lastSigns && lastSigns.n === n && lastSigns.seed.length === seed.length && lastSigns.seed.every((b, i) => b === seed[i])) return lastSigns.signs;
  const signs = rotationSigns(seed, n);
  lastSigns = { seed: seed.slice(), n, signs };
  return signs;
}

function checkParams(params: EncodingParams): void {
  if (params === null || typeof params !== 'object' || typeof params.paddedDim !== 'number')
    throw new TypeError('params must be the result of chooseEncoding');
}

/**
 * Encodes one client's update (see the module comment).
 *
 * @example
 * const params = chooseEncoding({ dim: x.length, l2Clip: 1, clients: 20, noiseStddev: 0.005 });
 * const { words } = encodeUpdate(x, params, { roundSeed, rng: systemRandom });
 * // words → SecAggClient as this round's input (params.paddedDim words of params.bits bits)
 */
export function encodeUpdate(update: Float32Array | Float64Array, params: EncodingParams, opts: EncodeOptions): EncodedUpdate {
  checkParams(params);
  if (!(update instanceof Float32Array || update instanceof Float64Array)) throw new TypeError('update must be a Float32Array or a Float64Array');
  if (update.length !== params.dim) throw new RangeError(`update must have ${params.dim} entries, got ${update.length}`);
  if (opts === null || typeof opts !== 'object') throw new TypeError('opts must be an object');
  abytes(opts.roundSeed, 'roundSeed');
  const words = opts.rng instanceof RandomWords ? opts.rng : new RandomWords(opts.rng);
  const n = params.paddedDim;
  if (opts.noise !== undefined) {
    if (!(opts.noise instanceof Int32Array || opts.noise instanceof Float64Array)) throw new TypeError('noise must be an Int32Array or a Float64Array');
    if (opts.noise.length !== n) throw new RangeError(`noise must have ${n} entries (paddedDim), got ${opts.noise.length}`);
  }
  // Pad and apply the diagonal D in one pass, summing squares on the way (H·D/√n is orthogonal, so
  // the update's norm is the rotated vector's), then H with the clip, 1/γ and 1/√n folded into the
  // transform's last pass: three sweeps fewer than rotate, measure, scale. x and r are scratch buffers
  // reused across calls (allocating 2·8·n_pad fresh bytes per call costs more than the arithmetic);
  // both are zeroed before returning, so the padding is zero and no update stays behind.
  const signs = cachedSigns(opts.roundSeed, n);
  if (opts.simd !== false && n >= KERNEL_MIN_DIM && n <= KERNEL_MAX_DIM) return encodeWithKernels(update, params, opts, words, signs);
  const [x, r] = scratch(n);
  try {
    let s0 = 0;
    for (let i = 0; i < update.length; i++) {
      const v = update[i]!;
      x[i] = v * signs[i]!;
      s0 += v * v;
    }
    if (!Number.isFinite(s0)) checkFinite(update);
    const norm = normFrom(s0, update);
    fwht(x, scaleFor(norm, params));
    const out = new Uint32Array(n);
    const z = noiseFor(r, params, opts, words);
    const attempts = opts.randomizedRounding === false
      ? nearestToRing(x, z, params.bits, out)
      : conditionalRoundToRing(x, params.roundedNormBound, words, z, params.bits, out, opts.maxRoundingAttempts ?? MAX_ROUNDING_ATTEMPTS);
    return { words: out, norm, clipped: norm > params.l2Clip, roundingAttempts: attempts };
  } finally {
    // Also on failure (a non-finite entry, a sampler or rounding error): the next call relies on zeros.
    x.fill(0);
    r.fill(0);
  }
}

/**
 * This encoding's noise: drawn now into `scratch` with the sampler's own fill loop, the vector given in
 * advance (opts.noise), or none (then `scratch` itself, all zeros: scratch space is zeroed after every call).
 */
function noiseFor(scratch: Float64Array, params: EncodingParams, opts: EncodeOptions, words: RandomWords): Float64Array | Int32Array {
  if (opts.addNoise === false) return scratch;
  if (opts.noise !== undefined) return opts.noise;
  (opts.sampler ?? createNoiseSampler(params, words)).fill(scratch);
  return scratch;
}

/** Throws if the update has a non-finite entry (after a sum of squares came out non-finite). */
function checkFinite(update: Float32Array | Float64Array): void {
  const bad = update.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`update[${bad}] is not finite (${update[bad]})`);
}

/** The norm from a one-pass sum of squares, or l2Norm's scaled passes when that overflowed or underflowed. */
const normFrom = (s0: number, update: Float32Array | Float64Array): number => (s0 > 2 ** -900 && s0 < 2 ** 900 ? Math.sqrt(s0) : l2Norm(update));

/** The clip, 1/γ and 1/√n_pad as one factor (clipped as clipL2 does: shrunk by 2^−40 so that the norm stays ≤ c). */
const scaleFor = (norm: number, params: EncodingParams): number =>
  (norm > params.l2Clip ? (params.l2Clip / norm) * (1 - 2 ** -40) : 1) / params.granularity / Math.sqrt(params.paddedDim);

/**
 * encodeUpdate on the SIMD kernels: one JavaScript sweep applies D and the transform's first two levels
 * (radix-4 butterflies at h = 1) while summing squares; the kernels do the other levels with the scale
 * folded in, and the rounding straight into the ring. The work space is wiped on every exit.
 */
function encodeWithKernels(
  update: Float32Array | Float64Array, params: EncodingParams, opts: EncodeOptions, words: RandomWords, signs: Float64Array,
): EncodedUpdate {
  const ws = encodeWorkspace(params.paddedDim);
  try {
    const x = ws.x, d = update.length, full = d - (d % 4);
    let s0 = 0;
    const butterfly = (i: number, a: number, b: number, c: number, e: number) => {
      s0 += a * a + b * b + c * c + e * e;
      const ab = a + b, amb = a - b, ce = c + e, cme = c - e;
      x[i] = ab + ce;
      x[i + 1] = amb + cme;
      x[i + 2] = ab - ce;
      x[i + 3] = amb - cme;
    };
    for (let i = 0; i < full; i += 4)
      butterfly(i, update[i]! * signs[i]!, update[i + 1]! * signs[i + 1]!, update[i + 2]! * signs[i + 2]!, update[i + 3]! * signs[i + 3]!);
    if (full < d) {
      const v = (i: number) => (i < d ? update[i]! * signs[i]! : 0); // zero padding
      butterfly(full, v(full), v(full + 1), v(full + 2), v(full + 3));
    }
    // Groups past the update are zero in the wiped work space, and so are their butterflies.
    if (!Number.isFinite(s0)) checkFinite(update);
    const norm = normFrom(s0, update);
    ws.fwhtFromLevel2(scaleFor(norm, params));
    const z = noiseFor(ws.z, params, opts, words);
    if (z !== ws.z) ws.z.set(z);
    const attempts = opts.randomizedRounding === false
      ? nearestToRing(x, ws.z, params.bits, ws.out)
      : conditionalRoundKernel(ws, params.roundedNormBound, words, params.bits, opts.maxRoundingAttempts ?? MAX_ROUNDING_ATTEMPTS);
    return { words: ws.out.slice(), norm, clipped: norm > params.l2Clip, roundingAttempts: attempts };
  } finally {
    ws.wipe();
  }
}

/**
 * The server's inverse on the aggregate (the SecAgg sum mod 2^b of n_pad words): the estimate of the
 * sum of the clients' clipped updates (plus the aggregate noise), d floats.
 *
 * @example
 * const estimate = decodeSum(result.sum, params, roundSeed); // Float64Array(params.dim)
 */
export function decodeSum(sum: Uint32Array, params: EncodingParams, roundSeed: Uint8Array): Float64Array {
  checkParams(params);
  if (!(sum instanceof Uint32Array)) throw new TypeError('sum must be a Uint32Array');
  if (sum.length !== params.paddedDim) throw new RangeError(`sum must have ${params.paddedDim} words, got ${sum.length}`);
  abytes(roundSeed, 'roundSeed');
  const n = params.paddedDim;
  const modulus = 2 ** params.bits;
  const half = modulus / 2;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = sum[i]!;
    if (v >= modulus) throw new RangeError(`sum[${i}] = ${v} is not in [0, 2^${params.bits})`);
    y[i] = (v >= half ? v - modulus : v) * params.granularity;
  }
  unrotate(y, cachedSigns(roundSeed, n));
  return y.slice(0, params.dim);
}

/** The mod-2^b sum of encodings (what SecAgg reveals), for simulations and tests. */
export function sumMod(vectors: readonly Uint32Array[], bits: number): Uint32Array {
  if (vectors.length === 0) throw new RangeError('vectors must not be empty');
  const n = vectors[0]!.length;
  const out = new Uint32Array(n);
  const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  for (const [j, v] of vectors.entries()) {
    if (!(v instanceof Uint32Array) || v.length !== n) throw new RangeError(`vectors[${j}] must be a Uint32Array of ${n} words`);
    for (let i = 0; i < n; i++) out[i] = ((out[i]! + v[i]!) >>> 0) & mask;
  }
  return out;
}
