import test from 'ava';
import { seededRandom, utf8 } from '@tessera/crypto';
import { RandomWords, chooseEncoding, conditionalRoundToRing, decodeSum, encodeUpdate, fwht, sumMod } from '../src/index.js';
import { EncodeWorkspace } from '../src/encode/kernels.js';
import { conditionalRoundKernel } from '../src/encode/rounding.js';

const wordsFor = (s: string) => new RandomWords(seededRandom(`tessera dp kernels test: ${s}`));
function randomVector(n: number, scale: number, s: string): Float64Array {
  const w = wordsFor(s);
  return Float64Array.from({ length: n }, () => ((w.u32() / 2 ** 32) * 2 - 1) * scale);
}

test('SIMD transform: levels 2.. after a radix-4 first level equal the JavaScript fwht (odd and even log2 n, in and out of blocks)', (t) => {
  for (const n of [16, 32, 64, 1024, 2 ** 15, 2 ** 16, 2 ** 17]) {
    const v = randomVector(n, 3, `fwht ${n}`);
    const ws = new EncodeWorkspace(n);
    for (let i = 0; i < n; i += 4) {
      const [a, b, c, d] = [v[i]!, v[i + 1]!, v[i + 2]!, v[i + 3]!];
      ws.x.set([a + b + c + d, a - b + c - d, a + b - c - d, a - b - c + d], i);
    }
    const scale = 1 / Math.sqrt(n);
    ws.fwhtFromLevel2(scale);
    const ref = v.slice();
    fwht(ref, scale);
    let err = 0, norm = 0;
    for (let i = 0; i < n; i++) {
      err = Math.max(err, Math.abs(ws.x[i]! - ref[i]!));
      norm = Math.max(norm, Math.abs(ref[i]!));
    }
    t.true(err <= norm * 1e-13, `n = ${n}: max error ${err} against max |entry| ${norm}`);
  }
});

test('SIMD rounding: the same ring words as conditionalRoundToRing from the same random words, for every bit width', (t) => {
  const n = 4096;
  const ws = new EncodeWorkspace(n);
  for (const bits of [1, 7, 16, 20, 31, 32]) {
    const x = randomVector(n, 2 ** 20, `round x ${bits}`); // large entries: the mod 2^32 reduction matters
    const z = Float64Array.from(randomVector(n, 2 ** 31, `round z ${bits}`), Math.round);
    ws.x.set(x);
    ws.z.set(z);
    const a = conditionalRoundKernel(ws, Infinity, wordsFor(`round u ${bits}`), bits);
    const ref = new Uint32Array(n);
    const b = conditionalRoundToRing(x, Infinity, wordsFor(`round u ${bits}`), z, bits, ref);
    t.is(a, b);
    t.deepEqual(ws.out, ref, `${bits} bits`);
    ws.wipe();
    t.true(ws.x.every((v) => v === 0) && ws.out.every((v) => v === 0));
  }
});

test('SIMD rounding: retries until the norm bound holds, and gives up after maxAttempts with the same error', (t) => {
  const n = 1024;
  const ws = new EncodeWorkspace(n);
  const x = Float64Array.from({ length: n }, () => 0.5); // every rounding is 0 or 1: Σ r² = the number of ups ~ Bin(n, 1/2)
  ws.x.set(x);
  const bound = Math.sqrt(n / 2 - 10); // most attempts fail (P[Bin ≤ n/2 − 10] ≈ 0.27)
  const attempts = conditionalRoundKernel(ws, bound, wordsFor('retry'), 16, 1000);
  t.true(attempts > 1, `${attempts} attempts`);
  const ref = new Uint32Array(n);
  t.is(conditionalRoundToRing(x, bound, wordsFor('retry'), new Float64Array(n), 16, ref, 1000), attempts);
  t.deepEqual(ws.out, ref);
  t.throws(() => conditionalRoundKernel(ws, 1, wordsFor('retry'), 16, 5), { message: /failed 5 times/ });
});

test('encodeUpdate: the SIMD and JavaScript paths encode alike (decoded sums agree within the rounding error)', (t) => {
  const d = 5000;
  const params = chooseEncoding({ dim: d, l2Clip: 1, clients: 4, noiseStddev: 0, bits: 24 });
  const roundSeed = utf8('kernels round');
  const xs = [0.3, 2, 0.8, 5].map((scale, i) => randomVector(d, scale / Math.sqrt(d), `enc ${i}`));
  const words = (simd: boolean) => xs.map((x, i) => encodeUpdate(x, params, { roundSeed, rng: seededRandom(`enc rng ${i}`), addNoise: false, simd }).words);
  const a = decodeSum(sumMod(words(true), params.bits), params, roundSeed);
  const b = decodeSum(sumMod(words(false), params.bits), params, roundSeed);
  // Each path's error is at most 4 clients × γ√n_pad/2 in norm; the two differ by at most twice that.
  let diff = 0;
  for (let i = 0; i < d; i++) diff += (a[i]! - b[i]!) ** 2;
  t.true(Math.sqrt(diff) <= 4 * params.granularity * Math.sqrt(params.paddedDim), `‖simd − js‖ = ${Math.sqrt(diff)}`);
  // Same clipping decisions and norms on both paths.
  for (const [i, x] of xs.entries()) {
    const p = encodeUpdate(x, params, { roundSeed, rng: seededRandom('n'), addNoise: false, simd: true });
    const q = encodeUpdate(x, params, { roundSeed, rng: seededRandom('n'), addNoise: false, simd: false });
    t.is(p.clipped, q.clipped, `update ${i}`);
    t.true(Math.abs(p.norm - q.norm) <= 1e-12 * q.norm);
  }
});

test('EncodeWorkspace validates n', (t) => {
  t.throws(() => new EncodeWorkspace(8), { instanceOf: RangeError, message: /n must be a power of two/ });
  t.throws(() => new EncodeWorkspace(1000), { instanceOf: RangeError, message: /n must be a power of two/ });
});
