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
import { conditionalRound, l2Norm, MAX_ROUNDING_ATTEMPTS } from './rounding.js';
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
  // Pad and apply the diagonal D in one pass, then H/√n. x and r are scratch buffers reused across
  // calls (allocating 2·8·n_pad fresh bytes per call costs more than the arithmetic); both are zeroed
  // before returning, so the padding is zero and no update stays behind.
  const signs = cachedSigns(opts.roundSeed, n);
  const [x, r] = scratch(n);
  for (let i = 0; i < update.length; i++) {
    const v = update[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`update[${i}] is not finite (${v})`);
    x[i] = v * signs[i]!;
  }
  fwht(x, 1 / Math.sqrt(n));
  // Clip (as clipL2: factor shrunk by 2^−40 so the result's norm is ≤ c) and scale by 1/γ in one pass.
  const norm = l2Norm(x);
  const factor = (norm > params.l2Clip ? (params.l2Clip / norm) * (1 - 2 ** -40) : 1) / params.granularity;
  for (let i = 0; i < n; i++) x[i] = x[i]! * factor;
  let attempts = 1;
  if (opts.randomizedRounding === false) for (let i = 0; i < n; i++) r[i] = Math.round(x[i]!);
  else attempts = conditionalRound(x, params.roundedNormBound, words, r, opts.maxRoundingAttempts ?? MAX_ROUNDING_ATTEMPTS);
  const out = new Uint32Array(n);
  const mask = params.bits === 32 ? 0xffffffff : 2 ** params.bits - 1;
  // ToUint32 (>>> 0) is exact reduction mod 2^32 of an integer-valued double; 2^b divides 2^32.
  if (opts.addNoise === false) {
    for (let i = 0; i < n; i++) out[i] = (r[i]! >>> 0) & mask;
  } else if (opts.noise !== undefined) {
    const z = opts.noise;
    for (let i = 0; i < n; i++) out[i] = ((r[i]! + z[i]!) >>> 0) & mask;
  } else {
    // Sample into x (no longer needed) with the sampler's own fill loop, then add.
    (opts.sampler ?? createNoiseSampler(params, words)).fill(x);
    for (let i = 0; i < n; i++) out[i] = ((r[i]! + x[i]!) >>> 0) & mask;
  }
  x.fill(0);
  r.fill(0);
  return { words: out, norm, clipped: norm > params.l2Clip, roundingAttempts: attempts };
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
