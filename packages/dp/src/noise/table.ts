/**
 * Table-driven exact samplers for moderate parameters: the fast paths of {@link DiscreteGaussian}
 * (σ up to about 16 000) and of {@link Poisson} (hence Skellam; μ up to about 1.5·10^8, σ ≈ 17 000).
 *
 * Rejection sampling from an envelope with INTEGER weights, so that choosing from the envelope is an
 * exact integer operation and only the acceptance involves the target f (an unnormalised pmf with
 * f ≤ 1, known through a double estimate f̂ with |f̂ − f| ≤ margin and through exact bigint bounds):
 *
 * - Window k ∈ [lo, hi]: weight H(k) = ⌈λ·(f̂(k) + margin)⌉ ≥ λ·f(k), for a scale λ = L·2^E (L an
 *   integer in [32, 64)) chosen so that W = Σ H is just below 2^31.
 * - Tails: one extra weight H_T; a tail proposal is k = hi + 1 + G or lo − 1 − G (fair side) with G
 *   geometric of ratio q = e^(−1/t) (exact, ./fast.ts), so it has probability (1 − q)/2 · q^G; the
 *   target supplies H_T with H_T·(1 − q)/2·q^G ≥ λ·f(k) for every tail k (a log-concavity or
 *   monotonicity argument, see each target).
 * - A proposal is drawn with probability ∝ weight by Walker's alias method built with exact integer
 *   arithmetic (Vose's construction on w_i·M against capacity W = Σ w < 2^31, M = 2^m buckets with
 *   zero-weight padding): a uniform bucket (the top m bits of a word) and a uniform integer below W
 *   (the top 31 bits of a word, redrawn when ≥ W: probability < 1/32), one word each; the alias choice
 *   is branch-free. The bucket word's low 32 − m bits are the first bits of the acceptance uniform. It is
 *   accepted
 *   with probability λ·f(k)/H(k) (window) or 2λ·f(k)/(H_T·(1 − q)·q^G) (tail), decided by a
 *   32-bit uniform against precomputed integer thresholds (tail: against a double estimate with a
 *   relative margin 2^−20) and, when undecided (probability about 2^−40 per sample), exactly by the
 *   lazy comparison with bigint bounds.
 *   The accepted k has exactly the normalised distribution f/Σf.
 *
 * The acceptance rate is 1 − O(M/W) (about 1 − 2^−13), so a sample costs two 32-bit words (about 2.1
 * on average with the redraws and the rare third word), one 16-byte table record and no libm call
 * (measured here: 2^20 samples at σ = 2621 in 12.7 ms, against 32 ms with three words, 64-byte records,
 * Lemire's multiply for v and a branch for the alias choice). Tables take about 60 bytes per
 * entry while built, 24 after; {@link TABLE_MAX_ENTRIES} bounds them.
 * @module
 */
import { RandomWords } from './words.js';
import type { Rational } from './rational.js';
import { lessThanBounds } from './bernoulli.js';
import { expNegBounds } from './exp.js';
import { U32, geometricExp, type SamplerStats } from './fast.js';
import { instantiateKernels } from '@tessera/crypto';
import { KERNEL_MIN_FILL, WORD_BUFFER, OUT_AT, OUT_SAMPLES, REC_AT, SAMPLER_MODULE, WORDS_AT, WORDS_END, type SamplerExports } from './table-kernel.js';

/** A rare value (a tail sample) must fit the output array. */
function checked(value: number, ints: boolean): number {
  if (ints && (value > 0x7fffffff || value < -0x80000000))
    throw new RangeError(`out: sample ${value} does not fit an Int32Array; use a Float64Array`);
  return value;
}

/** Largest table (entries); beyond it the samplers use their table-free rejection method. */
export const TABLE_MAX_ENTRIES = 2 ** 18;
const TWO32 = 4294967296;
const TWO31 = 2147483648;

/** What a table needs to know about its target f (see the module comment). */
export interface TableTarget {
  readonly lo: number;
  readonly hi: number;
  /** |fhat(k) − f(k)| ≤ margin for k in the window; f ≤ 1. */
  readonly margin: number;
  fhat(k: number): number;
  /** lo ≤ 2^prec·f(k) ≤ hi. */
  exact(k: number, prec: number): readonly [bigint, bigint];
  /** Geometric scale t of the tail proposals. */
  readonly t: number;
  /** A valid H_T for the weights' scale λ (an integer ≥ 1 with H_T·(1 − q)/2·q^G ≥ λ·f(k) on the tails). */
  tailWeight(lambda: number): number;
  /** Whether a tail value is in the support (e.g. k ≥ 0). */
  inSupport(k: number): boolean;
  /** lo ≤ 2^prec·f(k)·e^(G/t) ≤ hi for a tail proposal k at distance G beyond the window. */
  tailExact(k: number, g: number, prec: number): readonly [bigint, bigint];
  /** A double estimate of f(k)·e^(G/t) within relative error 2^−30 (the tail's fast path). */
  tailHat(k: number, g: number): number;
}

export class EnvelopeTable {
  readonly entries: number;
  readonly #target: TableTarget;
  readonly #words: RandomWords;
  readonly #stats: SamplerStats;
  readonly #tBig: bigint;
  readonly #W: number;
  readonly #shift: number; // 32 − log2 M
  readonly #tailIndex: number;
  readonly #H: Float64Array;
  readonly #HT: number;
  #lastTail = 0;

  /** `options.simd`: fill with the WebAssembly kernel (default true; false keeps the JavaScript loop). */
  constructor(target: TableTarget, words: RandomWords, stats: SamplerStats, options: { simd?: boolean } = {}) {
    this.#simd = options.simd !== false;
    this.#target = target;
    this.#words = words;
    this.#stats = stats;
    this.#tBig = BigInt(target.t);
    const span = target.hi - target.lo + 1;
    // Window entries at index k − lo, then the tail entry at index span, then zero-weight padding up to
    // M = 2^m buckets, so that a bucket is the top m bits of one word (no rejection, no multiply).
    if (!(span >= 1) || span + 1 > TABLE_MAX_ENTRIES) throw new RangeError(`table window too large (${span + 1} entries)`);
    let m = 0;
    while (2 ** m < span + 1) m++;
    const M = 2 ** m;
    this.entries = M;
    this.#tailIndex = span;
    this.#shift = 32 - m;
    const f = new Float64Array(span);
    let mass = 0;
    for (let i = 0; i < span; i++) mass += f[i] = target.fhat(target.lo + i);
    // The weights are H(k) = ⌈λ·(f̂(k) + margin)⌉ for the scale λ = L·2^E (an integer L in [32, 64) and
    // an integer E), chosen as large as W = Σ H < 2^31 allows: then W ≥ 2^31·(1 − 1/32), and v uniform
    // below W is the top 31 bits of a word, redrawn in the rare case (< 1/32) that they are ≥ W.
    const weigh = (lambda: number): number => {
      let W = 0;
      for (let i = 0; i < span; i++) W += H[i] = Math.max(1, Math.ceil(lambda * (f[i]! + target.margin)));
      return W + (H[span] = target.tailWeight(lambda));
    };
    const H = new Float64Array(M);
    // First the largest power of two 2^S (L = 32, E = S − 5); the tail weight is at most ~λ·mass.
    let S = Math.floor(30.5 - Math.log2(2 * mass + M + 2 + span * target.margin));
    while (!(weigh(2 ** S) < TWO31)) S--;
    while (weigh(2 ** (S + 1)) < TWO31) S++;
    // Then the largest L in [32, 64) by bisection (W grows with λ).
    let L = 32;
    for (let lo = 33, hi = 63; lo <= hi;) {
      const mid = (lo + hi) >> 1;
      if (weigh(mid * 2 ** (S - 5)) < TWO31) {
        L = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const lambda = L * 2 ** (S - 5);
    const W = weigh(lambda);
    this.#L = BigInt(L);
    this.#E = S - 5;
    this.#lambda = lambda;
    this.#HT = H[span]!;
    this.#W = W;
    this.#H = H;
    // Vose's alias construction on integers: bucket i keeps index i for v < prob[i] (v uniform below W), else alias[i].
    const prob = new Float64Array(M), alias = new Int32Array(M), scaled = new Float64Array(M);
    const small: number[] = [], large: number[] = [];
    for (let i = 0; i < M; i++) {
      scaled[i] = H[i]! * M;
      (scaled[i]! < W ? small : large).push(i);
    }
    while (small.length && large.length) {
      const s = small.pop()!, l = large.pop()!;
      prob[s] = scaled[s]!;
      alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - W;
      (scaled[l]! < W ? small : large).push(l);
    }
    for (const i of [...small, ...large]) {
      // With exact integers Σ scaled = M·W, so whatever is left has scaled = W, never a zero weight.
      if (H[i] === 0) throw new Error('internal: alias table left a zero-weight bucket unaliased');
      prob[i] = W;
      alias[i] = i;
    }
    // Window acceptance thresholds: accept if a + 1 ≤ tLo, reject if a ≥ tHi (a a 32-bit uniform). The
    // margin in f (≥ 2^−42·λ/H ≥ 2^−10 threshold units) dwarfs the rounding of these products.
    const tLo = new Float64Array(M), tHi = new Float64Array(M);
    for (let i = 0; i < span; i++) {
      tLo[i] = Math.max(0, Math.floor((TWO32 * lambda * (f[i]! - target.margin)) / H[i]!));
      tHi[i] = Math.min(TWO32, Math.ceil((TWO32 * lambda * (f[i]! + target.margin)) / H[i]!));
    }
    // One 16-byte record per bucket, [prob, alias, tLo(bucket), tLo(alias)] (prob < 2^31, tLo < 2^32), so
    // that a draw reads one record and the hot part of the table stays in cache; tHi (read only when a is
    // at or above tLo, about once per 2^13 draws) is indexed by entry.
    const rec = new Uint32Array(4 * M);
    for (let b = 0; b < M; b++) {
      const a = alias[b]!;
      rec[4 * b] = prob[b]!;
      rec[4 * b + 1] = a;
      rec[4 * b + 2] = tLo[b]!;
      rec[4 * b + 3] = tLo[a]!;
    }
    this.#rec = rec;
    this.#tHi = tHi;
  }

  /** W = Σ H, the alias capacity (just below 2^31). */
  get capacity(): number {
    return this.#W;
  }

  /** The weights' scale λ (H(k) = ⌈λ·(f̂(k) + margin)⌉). */
  get scale(): number {
    return this.#lambda;
  }

  /** The tail weight H_T. */
  get tailWeight(): number {
    return this.#HT;
  }

  /** The window weight H(k). */
  weight(k: number): number {
    return this.#H[k - this.#target.lo]!;
  }

  readonly #rec: Uint32Array;
  readonly #tHi: Float64Array;
  /** λ = L·2^E, the weights' scale. */
  readonly #L: bigint;
  readonly #E: number;
  readonly #lambda: number;

  /** [num, den] with num/den = λ·x/y, for bigints x, y (exact; E may be negative). */
  #scaled(x: bigint, y: bigint, extra = 0): [bigint, bigint] {
    const e = this.#E + extra;
    return e >= 0 ? [(x * this.#L) << BigInt(e), y] : [x * this.#L, y << BigInt(-e)];
  }

  /** One exact sample (proposals are counted in stats.iterations, undecided ones in stats.slowPaths). */
  sample(): number {
    this.fill(this.#one);
    return this.#one[0]!;
  }

  readonly #one = new Float64Array(1);

  /**
   * Fills `out` with independent exact samples. The hot loop reads 32-bit words from a local buffer
   * (bulk-copied from the RandomWords block) instead of calling u32() per word; the rare undecided
   * decisions and tail proposals draw from the RandomWords stream itself. Either way every word is a
   * fresh uniform word, so the samples are exact and independent.
   */
  fill(out: Float64Array | Int32Array): void {
    if (!(out instanceof Float64Array || out instanceof Int32Array)) throw new TypeError('out must be an Int32Array or a Float64Array');
    if (this.#simd && out.length >= KERNEL_MIN_FILL) this.#fillKernel(out);
    else this.#fillJs(out, out instanceof Int32Array);
  }

  /** The JavaScript loop (the reference the kernel is tested against, and the path for short fills). */
  #fillJs(out: Float64Array | Int32Array, ints: boolean): void {
    const words = this.#words;
    const W = this.#W, lo = this.#target.lo, shift = this.#shift, tail = this.#tailIndex;
    const rec = this.#rec;
    const lowMask = 2 ** shift - 1, headUnit = 2 ** (32 - shift); // U's first 32 − m bits, and their weight in 32-bit units
    const buf = this.#buf;
    let p = this.#bufPos;
    let iterations = 0;
    for (let j = 0; j < out.length; j++) {
      let value: number;
      for (;;) {
        iterations++;
        // Two words per proposal (the buffer holds an even number).
        if (p === buf.length) {
          words.fillU32(buf);
          p = 0;
        }
        // The bucket: the top m bits of a word (M = 2^m buckets), whose other 32 − m bits are the first
        // bits of the acceptance uniform U. v: the top 31 bits of the next word, uniform below W once v < W
        // (else the proposal is redrawn: probability < 1/32).
        const w0 = buf[p]!;
        const bucket = w0 >>> shift;
        const v = buf[p + 1]! >>> 1;
        p += 2;
        if (v >= W) continue;
        // Branch-free alias choice (the outcome is a coin flip, which a branch would mispredict half the
        // time): self = −1 when v < prob[bucket] (both < 2^31, so the difference's sign bit decides), else 0.
        const r = 4 * bucket;
        const self = (v - rec[r]!) >> 31;
        const alias = rec[r + 1]!;
        const i = alias ^ ((bucket ^ alias) & self);
        // Accept when every U with these first 32 − m bits is below the threshold (the bucket's at r + 2,
        // the alias's at r + 3): almost always.
        if (i !== tail && ((w0 & lowMask) + 1) * headUnit <= rec[r + 3 + self]!) {
          value = lo + i;
          break;
        }
        const got = this.#rare(w0, i, r, self);
        if (got !== undefined) {
          value = checked(got, ints);
          break;
        }
      }
      out[j] = value;
    }
    this.#bufPos = p;
    this.#stats.iterations += iterations;
  }

  /**
   * The rare end of a proposal (bucket word w0, entry i, record offset r, self): a tail proposal, or an
   * acceptance that U's first 32 − m bits left undecided; then U is revealed to 32 bits with a fresh
   * word (its low m bits are dropped: U's later bits are fresh either way) and decided against the
   * thresholds, exactly if need be. Returns the value, or undefined when the proposal is rejected.
   */
  #rare(w0: number, i: number, r: number, self: number): number | undefined {
    if (i === this.#tailIndex) return this.#tail() ? this.#lastTail : undefined;
    const shift = this.#shift;
    const tLo = this.#rec[r + 3 + self]!;
    const a = (w0 & (2 ** shift - 1)) * 2 ** (32 - shift) + (this.#words.u32() >>> shift);
    if (a + 1 <= tLo) return this.#target.lo + i;
    if (a >= this.#tHi[i]!) return undefined;
    return this.#slowAccept(i, a) ? this.#target.lo + i : undefined;
  }

  /**
   * The same proposals on the WebAssembly kernel (see {@link SAMPLER_MODULE}): it runs the common path
   * over a WORD_BUFFER-word buffer and stops at each rare event, which {@link #rare} finishes here. Same words,
   * same order, same samples as {@link #fillJs} (the tests check it), about twice as fast.
   */
  #fillKernel(out: Float64Array | Int32Array): void {
    const window = this.#window();
    for (let j = 0; j < out.length; j += OUT_SAMPLES) {
      const want = Math.min(OUT_SAMPLES, out.length - j);
      this.#kernelWindow(want, false, out instanceof Int32Array);
      out.set(window.subarray(0, want), j);
    }
  }

  /**
   * out[j] = X_j − Y_j for independent samples X, Y of this table (the Skellam noise from two Poisson
   * tables' worth of draws): per window of {@link OUT_SAMPLES}, the X's, then the Y's. The JavaScript path
   * (short fills, or simd off) draws in the same order, so both give the same values.
   */
  fillDifference(out: Float64Array | Int32Array): void {
    if (!(out instanceof Float64Array || out instanceof Int32Array)) throw new TypeError('out must be an Int32Array or a Float64Array');
    const ints = out instanceof Int32Array;
    if (this.#simd && out.length >= KERNEL_MIN_FILL) {
      const window = this.#window();
      for (let j = 0; j < out.length; j += OUT_SAMPLES) {
        const want = Math.min(OUT_SAMPLES, out.length - j);
        this.#kernelWindow(want, false, ints);
        this.#kernelWindow(want, true, ints);
        out.set(window.subarray(0, want), j);
      }
      return;
    }
    const a = new Float64Array(Math.min(OUT_SAMPLES, out.length)), b = new Float64Array(a.length);
    for (let j = 0; j < out.length; j += a.length) {
      const n = Math.min(a.length, out.length - j);
      const pa = a.subarray(0, n), pb = b.subarray(0, n);
      this.#fillJs(pa, ints);
      this.#fillJs(pb, ints);
      for (let i = 0; i < n; i++) out[j + i] = pa[i]! - pb[i]!;
    }
  }

  /** The kernel's output window, as f64 (the kernel is created on first use). */
  #window(): Float64Array {
    const k = (this.#kernel ??= this.#makeKernel());
    return k.f64.subarray(OUT_AT / 8, OUT_AT / 8 + OUT_SAMPLES);
  }

  /**
   * Fills (or, subtracting, subtracts from) the first `want` entries of the output window with the
   * kernel, refilling its words and finishing each rare event in JavaScript.
   */
  #kernelWindow(want: number, subtract: boolean, ints: boolean): void {
    const k = this.#kernel!;
    const { ex, u32, f64 } = k;
    const W = this.#W, shift = this.#shift, lo = this.#target.lo, tail = this.#tailIndex;
    let pos = 0;
    while (pos < want) {
      if (k.p === WORDS_END) {
        this.#words.fillU32(u32.subarray(WORDS_AT / 4, WORDS_END / 4));
        k.p = WORDS_AT;
      }
      pos += ex.run(k.p, WORDS_END, OUT_AT + 8 * pos, want - pos, W, shift, tail, 32 - shift, 2 ** shift - 1, lo, REC_AT, subtract ? 1 : 0);
      k.p = u32[0]!;
      this.#stats.iterations += u32[2]!;
      if (u32[1] === 1) {
        // A rare event at the proposal whose two words end at p: redo its common part, finish it here.
        const w0 = u32[k.p / 4 - 2]!, v = u32[k.p / 4 - 1]! >>> 1;
        const bucket = w0 >>> shift, r = 4 * bucket;
        const self = (v - u32[REC_AT / 4 + r]!) >> 31;
        const alias = u32[REC_AT / 4 + r + 1]!;
        const i = alias ^ ((bucket ^ alias) & self);
        const value = this.#rare(w0, i, r, self);
        if (value !== undefined) {
          const at = OUT_AT / 8 + pos++;
          f64[at] = subtract ? f64[at]! - checked(value, ints) : checked(value, ints);
        }
      }
    }
  }

  #makeKernel(): { ex: SamplerExports; u32: Uint32Array; f64: Float64Array; p: number } {
    // Words and the output window sit below the table so that their offsets do not depend on its size.
    const { buffer, exports } = instantiateKernels<SamplerExports>(SAMPLER_MODULE, Math.ceil((REC_AT + 4 * this.#rec.length) / 65536));
    const u32 = new Uint32Array(buffer);
    u32.set(this.#rec, REC_AT / 4);
    return { ex: exports, u32, f64: new Float64Array(buffer), p: WORDS_END };
  }

  #kernel: { ex: SamplerExports; u32: Uint32Array; f64: Float64Array; p: number } | undefined;
  readonly #simd: boolean;
  readonly #buf = new Uint32Array(WORD_BUFFER);
  #bufPos = WORD_BUFFER;

  #slowAccept(i: number, a: number): boolean {
    return this.exactAccept(this.#target.lo + i, a);
  }

  /**
   * The exact window decision U < λ·f(k)/H(k) for a window value k, given U's first 32 bits `a`
   * (further bits come from the sampler's stream). Public so that tests can check the slow path.
   */
  exactAccept(k: number, a: number): boolean {
    this.#stats.slowPaths++;
    const i = k - this.#target.lo;
    if (!(i >= 0 && i < this.#tailIndex)) throw new RangeError(`k must be in the window [${this.#target.lo}, ${this.#target.hi}], got ${k}`);
    const h = BigInt(this.#H[i]!) << 64n;
    return lessThanBounds(this.#words, { prefix: BigInt(a), k: 32 }, (prec) => {
      const [flo, fhi] = this.#target.exact(k, prec + 64);
      // 2^prec·λ·f(k)/H(k), rounded down and up.
      const [nlo, dlo] = this.#scaled(flo, h), [nhi, dhi] = this.#scaled(fhi, h);
      return [nlo / dlo, (nhi + dhi - 1n) / dhi];
    });
  }

  /** One tail proposal; true if accepted (the value is in #lastTail). */
  #tail(): boolean {
    const words = this.#words;
    const target = this.#target;
    const g = geometricExp(words, target.t, this.#tBig, this.#stats);
    const k = words.bit() ? target.lo - 1 - g : target.hi + 1 + g;
    if (!target.inSupport(k)) return false;
    // ratio = 2λ·f(k)·e^(g/t)/(H_T·(1 − e^(−1/t))) ≤ 1; fast path with a relative margin 2^−20
    // (estimate within 2^−30, 1 − q within 2^−40 relative), then exact.
    const a = words.u32();
    const r = (2 * this.#lambda * target.tailHat(k, g)) / (this.#HT * -Math.expm1(-1 / target.t));
    if ((a + 1) * U32 <= r * (1 - 2 ** -20)) {
      this.#lastTail = k;
      return true;
    }
    if (a * U32 >= r * (1 + 2 ** -20)) return false;
    const ok = this.exactTailAccept(k, g, a);
    if (ok) this.#lastTail = k;
    return ok;
  }

  /**
   * The exact tail decision U < 2λ·f(k)·e^(g/t)/(H_T·(1 − e^(−1/t))) for a tail proposal k at distance g
   * beyond the window, given U's first 32 bits `a` (further bits come from the sampler's stream).
   * Public so that tests can check the slow path against an independent computation.
   */
  exactTailAccept(k: number, g: number, a: number): boolean {
    const words = this.#words;
    const target = this.#target;
    const HT = BigInt(this.#HT);
    this.#stats.slowPaths++;
    return lessThanBounds(words, { prefix: BigInt(a), k: 32 }, (prec) => {
      const w = prec + 64;
      const [elo, ehi] = target.tailExact(k, g, w);
      const [qlo, qhi] = expNegBounds(1n, this.#tBig, w);
      const one = 1n << BigInt(w);
      const dlo = one - qhi, dhi = one - qlo; // bounds on 2^w·(1 − q)
      // 2^prec·2λ·e/(H_T·(1 − q)), rounded down and up.
      const [nlo, mlo] = this.#scaled(elo, HT * dhi, 1 + prec), [nhi, mhi] = this.#scaled(ehi, HT * dlo, 1 + prec);
      return [nlo / mlo, (nhi + mhi - 1n) / mhi];
    });
  }
}

/**
 * The discrete Gaussian target f(x) = e^(−x²/(2σ²)) on the window |x| ≤ K (K = ⌈8σ⌉ + 1 by default),
 * tails with t = ⌊σ⌋ + 1. Tail envelope: for |x| > K ≥ σ, f(x)/q^(|x|−K−1) is decreasing (its log has
 * derivative −|x|/σ² + 1/t < 0), so H_T = ⌈2λ·f(K+1)/(1 − q)⌉ (with margins) covers every tail x.
 */
export function gaussianTarget(variance: Rational, s2: number, t: bigint, cut?: number): TableTarget {
  const sigma = Math.sqrt(s2);
  const K = cut ?? Math.ceil(8 * sigma) + 1; // tail mass ≈ e^(−32)
  if (!Number.isSafeInteger(K) || K < sigma) throw new RangeError(`table cut must be an integer ≥ σ, got ${K}`);
  const inv2s2 = 1 / (2 * s2);
  const fhat = (x: number) => Math.exp(-x * x * inv2s2);
  const tn = Number(t);
  const { num, den } = variance;
  return {
    lo: -K, hi: K, margin: 2 ** -42, t: tn, fhat,
    exact: (x, prec) => expNegBounds(BigInt(x * x) * den, 2n * num, prec),
    tailWeight: (lambda) => {
      const q = Math.exp(-1 / tn) * (1 + 2 ** -40);
      return Math.max(1, Math.ceil(((2 * lambda * (fhat(K + 1) + 2 ** -42)) / (1 - q)) * (1 + 2 ** -40)));
    },
    inSupport: () => true,
    // f(x)·e^(g/t) = e^(−E), E = x²/(2σ²) − g/t = (x²·den·t − 2·num·g)/(2·num·t) ≥ 0 beyond K.
    tailExact: (x, g, prec) => {
      const eNum = BigInt(x) * BigInt(x) * den * t - 2n * num * BigInt(g);
      if (eNum < 0n) throw new Error('internal: Gaussian tail exponent negative');
      return expNegBounds(eNum, 2n * num * t, prec);
    },
    tailHat: (x, g) => Math.exp(-x * x * inv2s2 + g / tn),
  };
}
