import test from 'ava';
import fc from 'fast-check';
import { seededRandom, utf8 } from '@tessera/crypto';
import {
  RandomWords, chooseEncoding, createNoiseSampler, clipL2, conditionalRound, conditionalRoundToRing, decodeSum, encodeUpdate, fwht, l2Norm, paddedDimension,
  rotate, rotationSigns, roundedNormBound, sumMod, unrotate, wrapLog2Bound, type EncodingParams,
} from '../src/index.js';

const seed = utf8('round 42');
const rngFor = (s: string) => seededRandom(`tessera dp encode test: ${s}`);

function randomVector(n: number, scale: number, s: string): Float64Array {
  const w = new RandomWords(rngFor(s));
  return Float64Array.from({ length: n }, () => ((w.u32() / 2 ** 32) * 2 - 1) * scale);
}
const dist = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
};

// ---------------------------------------------------------------- rotation

test('paddedDimension is the least power of two ≥ dim; errors name dim', (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 1000, 1024, 1025].map(paddedDimension), [1, 2, 4, 4, 8, 1024, 1024, 2048]);
  t.throws(() => paddedDimension(0), { instanceOf: RangeError, message: /dim/ });
  t.throws(() => paddedDimension(1.5), { instanceOf: TypeError, message: /dim/ });
});

test('rotationSigns follow the documented derivation from seededRandom(seed)', (t) => {
  const n = 64;
  const bytes = seededRandom(seed)(n / 8);
  const signs = rotationSigns(seed, n);
  for (let i = 0; i < n; i++) t.is(signs[i], (bytes[i >> 3]! >> (i & 7)) & 1 ? -1 : 1);
  t.notDeepEqual(rotationSigns(utf8('other'), n), signs);
  t.throws(() => rotationSigns(seed, 6), { instanceOf: RangeError, message: /n must be a power of two/ });
  t.throws(() => rotationSigns('x' as never, 8), { instanceOf: TypeError, message: /seed/ });
});

test('fwht is the Sylvester–Hadamard matrix: H·H = n·I, and H_ij = (−1)^popcount(i&j)', (t) => {
  for (const n of [1, 2, 4, 8, 16, 32, 64, 128]) {
    const x = randomVector(n, 1, `fwht ${n}`);
    const y = x.slice();
    fwht(y);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) {
        let p = i & j, c = 0;
        while (p) { c ^= p & 1; p >>= 1; }
        s += (c ? -1 : 1) * x[j]!;
      }
      t.true(Math.abs(s - y[i]!) < 1e-12 * n);
    }
    fwht(y, 1 / n);
    t.true(dist(x, y) < 1e-14 * n);
  }
});

test('the blocked radix-4 fwht equals a plain radix-2 transform (n up to 2^17)', (t) => {
  for (const n of [2 ** 15, 2 ** 16, 2 ** 17]) {
    const x = randomVector(n, 1, `fwht ref ${n}`);
    const ref = x.slice();
    for (let h = 1; h < n; h *= 2)
      for (let i = 0; i < n; i += 2 * h)
        for (let j = i; j < i + h; j++) {
          const a = ref[j]!, b = ref[j + h]!;
          ref[j] = a + b;
          ref[j + h] = a - b;
        }
    fwht(x, 0.5);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(x[i]! - 0.5 * ref[i]!));
    t.true(worst < 1e-9, `n=${n}: ${worst}`);
  }
});

test('rotate is orthogonal and unrotate inverts it (error ≤ 4·log2(n)·2^−53·‖x‖ per coordinate budget)', (t) => {
  for (const n of [1, 2, 8, 1024, 65536]) {
    const x = randomVector(n, 3, `rot ${n}`);
    const signs = rotationSigns(seed, n);
    const y = rotate(x.slice(), signs);
    const norm = l2Norm(x);
    const bound = 4 * (Math.log2(n) + 1) * 2 ** -53 * norm * Math.sqrt(n);
    t.true(Math.abs(l2Norm(y) - norm) <= bound);
    t.true(dist(unrotate(y, signs), x) <= bound, `n=${n}`);
  }
});

test('rotation spreads a spike: every coordinate of H·D·e_1/√n has size 1/√n', (t) => {
  const n = 1024;
  const x = new Float64Array(n);
  x[5] = 1;
  const y = rotate(x, rotationSigns(seed, n));
  for (const v of y) t.true(Math.abs(Math.abs(v) - 1 / 32) < 1e-15);
});

// ---------------------------------------------------------------- clipping and rounding

test('clipping never increases the norm and leaves it ≤ c', (t) => {
  // Subnormal clip norms are excluded: scaling into the subnormal range loses relative precision.
  const coord = fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => (Math.abs(v) < 1e-100 ? 0 : v));
  const clip = fc.oneof(fc.constant(0), fc.double({ min: 1e-9, max: 100, noNaN: true }));
  fc.assert(fc.property(fc.array(coord, { minLength: 1, maxLength: 50 }), clip, (xs, c) => {
    const x = Float64Array.from(xs);
    const before = l2Norm(x);
    const reported = clipL2(x, c);
    const after = l2Norm(x);
    return reported === before && after <= before && after <= Math.max(c, 0) + 0 && (before > c || after === before);
  }));
  t.throws(() => clipL2(new Float64Array(2), -1), { instanceOf: RangeError, message: /l2Clip/ });
});

test('roundedNormBound is KLS21 Theorem 1 and validates its arguments', (t) => {
  t.is(roundedNormBound(10, 100, 0), 20);
  const b = roundedNormBound(10, 100, Math.exp(-0.5));
  t.true(Math.abs(b - Math.sqrt(100 + 25 + 1 * (10 + 5))) < 1e-12);
  t.throws(() => roundedNormBound(1, 10, 1), { instanceOf: RangeError, message: /beta/ });
  t.throws(() => roundedNormBound(1, 0, 0.5), { instanceOf: RangeError, message: /n/ });
});

test('conditional randomized rounding: floor or ceil, unbiased, norm ≤ bound, attempts capped', (t) => {
  const n = 1000;
  const x = Float64Array.from({ length: n }, (_, i) => (i % 10) + 0.3 - 5);
  const out = new Float64Array(n);
  const w = new RandomWords(rngFor('round'));
  const sums = new Float64Array(n);
  const trials = 400;
  for (let k = 0; k < trials; k++) {
    const attempts = conditionalRound(x, Infinity, w, out);
    t.is(attempts, 1);
    for (let i = 0; i < n; i++) {
      if (out[i] !== Math.floor(x[i]!) && out[i] !== Math.ceil(x[i]!)) t.fail(`coordinate ${i}`);
      sums[i]! += out[i]!;
    }
  }
  // Mean over all coordinates and trials: rounding error averages to 0 (se = √(0.21/(n·trials)))
  let err = 0;
  for (let i = 0; i < n; i++) err += sums[i]! / trials - x[i]!;
  t.true(Math.abs(err / n) < 5 * Math.sqrt(0.21 / (n * trials)));
  const bound = roundedNormBound(l2Norm(x), n, Math.exp(-0.5));
  conditionalRound(x, bound, w, out);
  t.true(l2Norm(out) <= bound);
  t.throws(() => conditionalRound(Float64Array.of(1.5, 1.5), 1, w, new Float64Array(2), 50), { message: /failed 50 times/ }); // every rounding has norm ≥ √2
});

test('randomized rounding known answers: up iff U31 < ⌊frac·2^31⌋ (U31 = the word\'s top 31 bits)', (t) => {
  // A RandomWords that yields the given words, in order.
  const wordsOf = (...u: number[]) => new RandomWords((n) => {
    const out = new Uint8Array(n);
    new Uint32Array(out.buffer, 0, u.length).set(u);
    return out;
  });
  const x = Float64Array.of(0.5, 0.5, 0.5, -2.25, -2.25, 7, 3 + 2 ** -31, 3 + 2 ** -31, -0.5);
  const u = [2 ** 31 - 2, 2 ** 31, 2 ** 31 + 1, 3 * 2 ** 30 - 2, 3 * 2 ** 30, 0, 0, 2, 0xffffffff];
  // 0.5: ⌊0.5·2^31⌋ = 2^30; U31 = 2^30 − 1 → up, 2^30 → down. −2.25: frac 0.75, threshold 3·2^29.
  // 7: frac 0, never up. 3 + 2^−31: threshold 1: U31 = 0 → up, 1 → down. U31 = 2^31 − 1 is never below.
  const want = [1, 0, 0, -2, -3, 7, 4, 3, -1];
  const out = new Float64Array(x.length);
  conditionalRound(x, Infinity, wordsOf(...u), out);
  t.deepEqual(Array.from(out), want);
  const ring = new Uint32Array(x.length);
  conditionalRoundToRing(x, Infinity, wordsOf(...u), Int32Array.from(x, (_, i) => i - 4), 8, ring);
  t.deepEqual(Array.from(ring), want.map((r, i) => (r + i - 4) & 255));
});

test('property: conditionalRoundToRing = (conditionalRound + noise) mod 2^b with the same words, retries included', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 32 }), fc.double({ min: 0.6, max: 3, noNaN: true }), fc.integer({ min: 0, max: 2 ** 31 }), (n, bits, slack, s) => {
      const x = randomVector(n, 40, `ring ${s}`);
      const noise = Float64Array.from(randomVector(n, 1000, `ring noise ${s}`), Math.round);
      // A bound near the rounded vectors' typical norm, so that some cases retry.
      const bound = Math.sqrt(x.reduce((a, v) => a + v * v, 0) + n / 6) * (0.99 + slack / 100);
      const out = new Float64Array(n), ring = new Uint32Array(n);
      let a: number | Error, b: number | Error;
      try { a = conditionalRound(x, bound, rngFor(`ring rng ${s}`), out, 20); } catch (e) { a = e as Error; }
      try { b = conditionalRoundToRing(x, bound, rngFor(`ring rng ${s}`), noise, bits, ring, 20); } catch (e) { b = e as Error; }
      if (a instanceof Error || b instanceof Error) return a instanceof Error && b instanceof Error;
      const mod = 2 ** bits;
      return a === b && ring.every((w, i) => w === ((((out[i]! + noise[i]!) % mod) + mod) % mod));
    }),
    { numRuns: 60 },
  );
  t.pass();
});

test('encodeUpdate after a failure (a refused update, a broken sampler) encodes exactly as before it', (t) => {
  const params = base();
  const x = randomVector(1000, 0.05, 'after error');
  const a = encodeUpdate(x, params, { roundSeed: seed, rng: rngFor('after'), addNoise: false });
  const bad = x.slice();
  bad[999] = Number.POSITIVE_INFINITY;
  t.throws(() => encodeUpdate(bad, params, { roundSeed: seed, rng: rngFor('after'), addNoise: false }), { message: /update\[999\]/ });
  // A sampler that writes into the scratch noise buffer and then fails: the buffer must not leak into
  // the next (noiseless) encoding.
  const broken = { ...createNoiseSampler(params, rngFor('x')), fill(out: Int32Array | Float64Array) { out.fill(5); throw new Error('sampler broke'); } };
  t.throws(() => encodeUpdate(x, params, { roundSeed: seed, rng: rngFor('after'), sampler: broken }), { message: /sampler broke/ });
  const b = encodeUpdate(x, params, { roundSeed: seed, rng: rngFor('after'), addNoise: false });
  t.deepEqual(b.words, a.words);
});

// ---------------------------------------------------------------- choosing b and γ

test('chooseEncoding meets the wrap target and names bad arguments', (t) => {
  const p = chooseEncoding({ dim: 1_000_000, l2Clip: 1, clients: 100, noiseStddev: 0.001 });
  t.is(p.bits, 32);
  t.is(p.paddedDim, 2 ** 20);
  t.true(p.wrapProbability <= 2 ** -40 && p.wrapLog2 <= -40);
  t.true(Number.isInteger(Math.log2(p.granularity)));
  // one step finer granularity would miss the target (γ is the least power of two meeting it)
  t.true(wrapLog2Bound({ ...p, granularity: p.granularity / 2, gridVariance: (0.001 / (p.granularity / 2)) ** 2 }) > -40);
  const q = chooseEncoding({ dim: 1000, l2Clip: 1, clients: 10, noiseStddev: 0.01, granularity: 1e-4 });
  t.true(q.bits < 32 && q.wrapLog2 <= -40);
  const s = chooseEncoding({ dim: 1000, l2Clip: 1, clients: 10, noiseStddev: 0.01, bits: 16, noise: 'skellam' });
  t.is(s.bits, 16);
  t.true(s.wrapLog2 <= -40);
  const bad: [object, RegExp, typeof RangeError | typeof TypeError][] = [
    [{ dim: 0 }, /dim/, RangeError], [{ l2Clip: -1 }, /l2Clip/, RangeError], [{ clients: 1.5 }, /clients/, TypeError],
    [{ noiseStddev: Number.NaN }, /noiseStddev/, RangeError], [{ noise: 'laplace' }, /noise/, RangeError], [{ bits: 33 }, /bits/, RangeError],
    [{ granularity: 0 }, /granularity/, RangeError], [{ beta: 1 }, /beta/, RangeError], [{ maxWrapProbability: 0 }, /maxWrapProbability/, RangeError],
  ];
  for (const [patch, message, kind] of bad)
    t.throws(() => chooseEncoding({ dim: 10, l2Clip: 1, clients: 2, noiseStddev: 0.1, ...patch }), { instanceOf: kind, message });
});

test('the wrap bound is an upper bound on the observed wrap frequency (8-bit ring, tight parameters)', (t) => {
  const params = chooseEncoding({ dim: 64, l2Clip: 1, clients: 4, noiseStddev: 0.02, bits: 8, granularity: 1 / 64 });
  t.true(params.wrapProbability > 0.05 && params.wrapProbability <= 1, `bound ${params.wrapProbability}`);
  const rng = rngFor('wrap');
  let wraps = 0;
  const rounds = 150;
  for (let r = 0; r < rounds; r++) {
    const roundSeed = utf8(`wrap round ${r}`);
    const xs = Array.from({ length: 4 }, () => { const x = new Float64Array(64); x[r % 64] = 5; return x; }); // identical spikes, clipped to 1
    const sum = sumMod(xs.map((x) => encodeUpdate(x, params, { roundSeed, rng }).words), 8);
    // Did some coordinate's integer sum leave [−128, 128)? Recompute it without the modulus.
    const est = decodeSum(sum, params, roundSeed);
    if (Math.abs(est[r % 64]! - 4) > 1) wraps++;
  }
  t.true(wraps / rounds <= params.wrapProbability + 3 * Math.sqrt(params.wrapProbability / rounds), `${wraps}/${rounds} vs ${params.wrapProbability}`);
});

// ---------------------------------------------------------------- the pipeline

const base = (over: Partial<Parameters<typeof chooseEncoding>[0]> = {}): EncodingParams =>
  chooseEncoding({ dim: 1000, l2Clip: 2, clients: 5, noiseStddev: 0.01, bits: 24, ...over });

test('encoding round-trips exactly on the grid (d = 1, no noise, no randomization)', (t) => {
  const params = chooseEncoding({ dim: 1, l2Clip: 100, clients: 1, noiseStddev: 0, bits: 16, granularity: 1 / 8 });
  for (const v of [-4, -0.125, 0, 0.375, 12.5, 99.875]) {
    const { words } = encodeUpdate(Float64Array.of(v), params, { roundSeed: seed, rng: rngFor('grid'), addNoise: false, randomizedRounding: false });
    t.true(decodeSum(words, params, seed)[0] === v, `${v}`);
  }
});

test('encoding round-trips within the rounding error without noise (error ≤ γ√n_pad/2)', (t) => {
  const params = base({ noiseStddev: 0 });
  const x = Float32Array.from(randomVector(1000, 0.05, 'rt'));
  const { words, clipped } = encodeUpdate(x, params, { roundSeed: seed, rng: rngFor('rt'), addNoise: false, randomizedRounding: false });
  t.false(clipped);
  t.is(words.length, 1024);
  t.true(words.every((w) => w < 2 ** 24));
  const back = decodeSum(words, params, seed);
  t.is(back.length, 1000);
  t.true(dist(back, x) <= (params.granularity * Math.sqrt(1024)) / 2 + 1e-9, `${dist(back, x)}`);
});

test('the modular sum of several clients decodes to the sum of their clipped inputs', (t) => {
  const params = base({ noiseStddev: 0 });
  const rng = rngFor('sum');
  const xs = [0.01, 0.05, 0.2, 1, 3].map((s, i) => randomVector(1000, s, `sum ${i}`)); // the last two exceed c = 2 and are clipped
  const encs = xs.map((x) => encodeUpdate(x, params, { roundSeed: seed, rng, addNoise: false }));
  t.deepEqual(encs.map((e) => e.clipped), xs.map((x) => l2Norm(x) > 2));
  const est = decodeSum(sumMod(encs.map((e) => e.words), params.bits), params, seed);
  const expected = new Float64Array(1000);
  for (const x of xs) {
    const f = Math.min(1, 2 / l2Norm(x));
    for (let i = 0; i < 1000; i++) expected[i]! += f * x[i]!;
  }
  const err = dist(est, expected);
  // Rigorous: each client's rounding error has norm < γ√n_pad. Typical: √(k·n_pad/6)·γ.
  t.true(err < 5 * params.granularity * Math.sqrt(1024), `${err}`);
  t.true(err < 3 * params.granularity * Math.sqrt((5 * 1024) / 6), `${err}`);
});

test('with noise, the decoded sum is unbiased (seeded trials) and has the expected variance', (t) => {
  const d = 64, k = 3, sigma = 0.05, trials = 300;
  for (const noise of ['gaussian', 'skellam'] as const) {
    const params = chooseEncoding({ dim: d, l2Clip: 1, clients: k, noiseStddev: sigma, bits: 20, noise });
    const rng = rngFor(`unbiased ${noise}`);
    const x = randomVector(d, 0.1, 'unbiased x'); // norm ≈ 0.46 < 1: no clipping
    const words = new RandomWords(rng);
    const sampler = createNoiseSampler(params, words); // built once (its table), reused by every encoding
    t.deepEqual(sampler.variance, params.noiseVariance);
    let sumErr = 0, sumSq = 0;
    for (let r = 0; r < trials; r++) {
      const roundSeed = utf8(`unbiased ${r}`);
      const est = decodeSum(sumMod(Array.from({ length: k }, () => encodeUpdate(x, params, { roundSeed, rng: words, sampler }).words), params.bits), params, roundSeed);
      for (let i = 0; i < d; i++) {
        const e = est[i]! - k * x[i]!;
        sumErr += e;
        sumSq += e * e;
      }
    }
    const n = trials * d;
    const variance = sumSq / n;
    const expectedVar = k * sigma ** 2; // + rounding ≤ k·γ²/4, negligible here
    t.true(Math.abs(sumErr / n) < 4 * Math.sqrt(expectedVar / n), `${noise}: mean error ${sumErr / n}`);
    t.true(Math.abs(variance / expectedVar - 1) < 0.06, `${noise}: variance ratio ${variance / expectedVar}`);
  }
});

test('encodeUpdate and decodeSum validate their arguments by name', (t) => {
  const params = base();
  const rng = rngFor('validate');
  t.throws(() => encodeUpdate(new Float64Array(999), params, { roundSeed: seed, rng }), { instanceOf: RangeError, message: /update must have 1000/ });
  t.throws(() => encodeUpdate([1, 2] as never, params, { roundSeed: seed, rng }), { instanceOf: TypeError, message: /update/ });
  const nan = new Float64Array(1000);
  nan[7] = Number.NaN;
  t.throws(() => encodeUpdate(nan, params, { roundSeed: seed, rng }), { instanceOf: RangeError, message: /update\[7\]/ });
  t.throws(() => encodeUpdate(new Float64Array(1000), params, { roundSeed: 'x' as never, rng }), { instanceOf: TypeError, message: /roundSeed/ });
  t.throws(() => decodeSum(new Uint32Array(1000), params, seed), { instanceOf: RangeError, message: /sum must have 1024/ });
  t.throws(() => decodeSum(new Uint32Array(1024).fill(2 ** 24), params, seed), { instanceOf: RangeError, message: /sum\[0\]/ });
  t.throws(() => decodeSum(new Uint32Array(1024), {} as never, seed), { instanceOf: TypeError, message: /params/ });
});

test('pre-sampled noise: zeros give the noiseless encoding, and the vector is validated by name', (t) => {
  const params = base();
  const x = randomVector(1000, 0.05, 'pre');
  const a = encodeUpdate(x, params, { roundSeed: seed, rng: rngFor('pre'), addNoise: false });
  const b = encodeUpdate(x, params, { roundSeed: seed, rng: rngFor('pre'), noise: new Float64Array(1024) });
  t.deepEqual(a.words, b.words);
  const noise = new Int32Array(1024).fill(3);
  const c = encodeUpdate(x, params, { roundSeed: seed, rng: rngFor('pre'), noise });
  t.true(c.words.every((w, i) => w === ((a.words[i]! + 3) & (2 ** 24 - 1))));
  t.throws(() => encodeUpdate(x, params, { roundSeed: seed, rng: rngFor('pre'), noise: new Float64Array(1000) }), { instanceOf: RangeError, message: /noise must have 1024/ });
  t.throws(() => encodeUpdate(x, params, { roundSeed: seed, rng: rngFor('pre'), noise: [1] as never }), { instanceOf: TypeError, message: /noise/ });
});
