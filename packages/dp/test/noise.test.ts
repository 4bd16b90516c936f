import test from 'ava';
import fc from 'fast-check';
import { seededRandom } from '@tessera/crypto';
import {
  DiscreteGaussian, DiscreteLaplace, LIBM_ERROR, Poisson, RandomWords, Skellam, asRational, bernoulliExpNeg, bernoulliRational,
  discreteGaussianCks, discreteGaussianPmf, discreteLaplaceCks, discreteLaplacePmf, expNegBounds, expPosBounds, isqrt,
  lessThanExpNeg, logPoisson, poissonPmf, rational, rationalToNumber, skellamPmf, toRational, type NoiseSampler,
} from '../src/index.js';
import { chiSquare, pmfMoments, sampleMoments } from './noise-stats.js';

const words = (seed: string) => new RandomWords(seededRandom(`tessera dp test: ${seed}`));

// ---------------------------------------------------------------- rationals

test('toRational converts numbers exactly and decimal strings in base ten', (t) => {
  t.deepEqual(toRational('2.25'), { num: 9n, den: 4n });
  t.deepEqual(toRational('0.1'), { num: 1n, den: 10n });
  t.deepEqual(toRational('1e6'), { num: 1000000n, den: 1n });
  t.deepEqual(toRational('2.5e-3'), { num: 1n, den: 400n });
  t.deepEqual(toRational(0.1), { num: 3602879701896397n, den: 36028797018963968n }); // the double 0.1, exactly
  t.deepEqual(toRational(1e6), { num: 1000000n, den: 1n });
  t.deepEqual(toRational(0), { num: 0n, den: 1n });
  fc.assert(fc.property(fc.double({ min: 0, max: 1e30, noNaN: true }), (x) => rationalToNumber(toRational(x)) === x));
});

test('rational validation names the argument and the kind of error', (t) => {
  t.throws(() => toRational(-1, 'sigma2'), { instanceOf: RangeError, message: /sigma2/ });
  t.throws(() => toRational(Number.NaN, 'sigma2'), { instanceOf: RangeError, message: /sigma2/ });
  t.throws(() => toRational('abc', 'sigma2'), { instanceOf: TypeError, message: /sigma2/ });
  t.throws(() => asRational(0.5, 'variance'), { instanceOf: TypeError, message: /variance.*toRational/ });
  t.throws(() => asRational([1, 0], 'variance'), { instanceOf: RangeError, message: /variance denominator/ });
  t.throws(() => asRational('1', 'variance'), { instanceOf: TypeError, message: /variance/ });
  t.throws(() => new DiscreteGaussian(-4, seededRandom('x')), { instanceOf: RangeError, message: /variance/ });
  t.throws(() => new Skellam({ num: 1n, den: -2n }, seededRandom('x')), { instanceOf: RangeError, message: /variance/ });
  t.throws(() => new Poisson('3' as never, seededRandom('x')), { instanceOf: TypeError, message: /mean/ });
  t.deepEqual(rational(6n, 4n), { num: 3n, den: 2n });
  t.is(isqrt(10n ** 24n + 1n), 10n ** 12n);
});

// ---------------------------------------------------------------- exp bounds and the libm assumption

test('expNegBounds brackets e^(−a/b) and tightens with precision', (t) => {
  for (const [a, b] of [[0n, 1n], [1n, 3n], [1n, 1n], [5n, 2n], [7n, 1n], [123456789n, 1000n], [1n, 1000001n]] as const) {
    for (const prec of [8, 53, 200]) {
      const [lo, hi] = expNegBounds(a, b, prec);
      t.true(lo <= hi);
      t.true(hi - lo <= 4n, `width at prec ${prec}`);
      const p = Math.exp(-Number(a) / Number(b));
      if (prec === 53) t.true(Math.abs(Number(lo) / 2 ** 53 - p) <= 4 * 2 ** -53 + p * 2 ** -50, `${a}/${b}`);
    }
  }
  const [lo, hi] = expPosBounds(3n, 2n, 60);
  t.true(Number(lo) / 2 ** 60 <= Math.exp(1.5) * (1 + 1e-15) && Number(hi) / 2 ** 60 >= Math.exp(1.5) * (1 - 1e-15));
});

test('Math.exp meets the relative-error assumption (LIBM_ERROR) against bigint bounds', (t) => {
  const w = words('libm');
  for (let i = 0; i < 300; i++) {
    const a = BigInt(w.below(1 << 30)), b = 1n << BigInt(w.below(25)); // x = a/b exactly representable: only libm's error is measured
    const x = Number(a) / Number(b);
    if (x > 700) continue;
    const [lo, hi] = expNegBounds(a, b, 1100);
    const exact = rationalToNumber({ num: (lo + hi) >> 1n, den: 1n << 1100n });
    if (exact === 0) continue;
    t.true(Math.abs(Math.exp(-x) - exact) <= exact * LIBM_ERROR, `e^-${x}`);
  }
});

test('logPoisson ratios are within the fast-path margin of the exact product', (t) => {
  for (const mu of [0.3, 3.5, 50, 500000.5, 5e11]) {
    const r = toRational(mu);
    const m = Math.floor(mu);
    const sd = Math.sqrt(mu) + 1;
    for (const dx of [-3, -1, 0, 1, 2, 5]) {
      const k = Math.max(0, Math.round(m + dx * sd));
      // exact f(k) = Π μ/j by bigint fixed point at 2^80
      let v = 1n << 80n;
      if (k > m) for (let j = m + 1; j <= k; j++) v = (v * r.num) / (r.den * BigInt(j));
      else for (let j = k + 1; j <= m; j++) v = (v * r.den * BigInt(j)) / r.num;
      const exact = Number(v) / 2 ** 80;
      const fast = Math.exp(logPoisson(k, mu) - logPoisson(m, mu));
      t.true(Math.abs(fast - exact) < 2 ** -40, `μ=${mu} k=${k}: ${fast} vs ${exact}`);
    }
  }
});

// ---------------------------------------------------------------- Bernoulli

test('bernoulliExpNeg (CKS Algorithm 1) has frequency e^(−γ) for several rationals', (t) => {
  const w = words('bern');
  const N = 40000;
  for (const [num, den] of [[0n, 1n], [1n, 3n], [1n, 1n], [5n, 2n], [7n, 3n], [9n, 2n]] as const) {
    let hits = 0;
    for (let i = 0; i < N; i++) if (bernoulliExpNeg(w, { num, den })) hits++;
    const p = Math.exp(-Number(num) / Number(den));
    const se = Math.sqrt((p * (1 - p)) / N) || 1e-9;
    t.true(Math.abs(hits / N - p) <= 5 * se, `γ=${num}/${den}: ${hits / N} vs ${p}`);
  }
});

test('lessThanExpNeg (lazy exact comparison) has frequency e^(−γ); bernoulliRational has num/den', (t) => {
  const w = words('lazy');
  const N = 40000;
  for (const [a, b] of [[1n, 7n], [1n, 1n], [10n, 3n], [1n, 100000n]] as const) {
    let hits = 0;
    for (let i = 0; i < N; i++) if (lessThanExpNeg(w, { prefix: BigInt(w.u32() >>> 24), k: 8 }, a, b)) hits++;
    const p = Math.exp(-Number(a) / Number(b));
    t.true(Math.abs(hits / N - p) <= 5 * Math.sqrt((p * (1 - p)) / N), `${a}/${b}`);
  }
  let hits = 0;
  for (let i = 0; i < N; i++) if (bernoulliRational(w, 3n, 7n)) hits++;
  t.true(Math.abs(hits / N - 3 / 7) <= 5 * Math.sqrt((3 / 7) * (4 / 7) / N));
});

test('RandomWords.below is uniform and buffered in 64 KiB blocks', (t) => {
  let calls = 0;
  const base = seededRandom('words');
  const w = new RandomWords((n) => {
    calls++;
    return base(n);
  });
  const counts = new Float64Array(6);
  for (let i = 0; i < 60000; i++) counts[w.below(6)]!++;
  const chi = [...counts].reduce((s, c) => s + (c - 10000) ** 2 / 10000, 0);
  t.true(chi < 25); // df 5: p ≈ 1e-4
  t.true(calls <= 5);
  for (const n of [2 ** 32 + 5, 2 ** 53]) t.true(w.below(n) < n);
  t.throws(() => w.below(2 ** 53 + 2), { instanceOf: RangeError });
});

// ---------------------------------------------------------------- discrete Laplace

test('discreteLaplaceCks (CKS Algorithm 2) matches the Lap_Z(t/s) pmf', (t) => {
  const w = words('lapcks');
  for (const [s, tt] of [[1, 3], [2, 5]] as const) {
    const xs = Array.from({ length: 20000 }, () => discreteLaplaceCks(w, s, tt));
    const R = 60;
    const chi = chiSquare(xs, discreteLaplacePmf(tt / s, -R, R), -R);
    t.true(chi.z < 4, `s=${s} t=${tt}: z=${chi.z}`);
  }
});

test('DiscreteLaplace (fast) matches the pmf for t = 1, 7, 1000', (t) => {
  for (const scale of [1, 7, 1000]) {
    const lap = new DiscreteLaplace(scale, words(`lap ${scale}`));
    const xs = Array.from({ length: 50000 }, () => lap.sample());
    const R = Math.ceil(25 * scale);
    const chi = chiSquare(xs, discreteLaplacePmf(scale, -R, R), -R);
    t.true(chi.z < 4, `t=${scale}: z=${chi.z}`);
  }
});

// ---------------------------------------------------------------- discrete Gaussian and Skellam

type Make = (variance: ReturnType<typeof toRational>, w: RandomWords) => NoiseSampler;
const families: [string, Make, (s2: number, lo: number, hi: number) => Float64Array][] = [
  ['discrete Gaussian', (v, w) => new DiscreteGaussian(v, w), (s2, lo, hi) => discreteGaussianPmf(toRational(s2), lo, hi)],
  ['Skellam', (v, w) => new Skellam(v, w), (s2, lo, hi) => skellamPmf(toRational(s2), lo, hi)],
];

for (const [name, make, pmfOf] of families) {
  for (const sigma of [0.5, 2, 10, 1000]) {
    test(`${name} σ = ${sigma}: mean, variance and χ² against the exact pmf; σ·1.05 is rejected`, (t) => {
      const N = 100000;
      const s2 = sigma * sigma;
      const R = Math.ceil(12 * sigma) + 8;
      const pmf = pmfOf(s2, -R, R);
      const exact = pmfMoments(pmf, -R);
      const sampler = make(toRational(s2), words(`${name} ${sigma}`));
      const xs = new Float64Array(N);
      sampler.fill(xs);
      const m = sampleMoments(xs);
      t.true(Math.abs(m.mean) <= 5 * Math.sqrt(exact.variance / N), `mean ${m.mean}`);
      const seVar = Math.sqrt((exact.m4 - exact.variance ** 2) / N);
      t.true(Math.abs(m.variance - exact.variance) <= 5 * seVar, `variance ${m.variance} vs ${exact.variance}`);
      // ≈ 60 equiprobable-ish bins: fine enough to see the shape, coarse enough to have power.
      const chi = chiSquare(xs, pmf, -R, N / 60);
      t.true(chi.z < 4, `χ² = ${chi.stat.toFixed(1)} on ${chi.df} df (z = ${chi.z.toFixed(2)})`);
      // Negative control: the same test must reject a sampler whose σ is 5% too large.
      const wrong = make(toRational((sigma * 1.05) ** 2), words(`${name} ${sigma} wrong`));
      const ys = new Float64Array(N);
      wrong.fill(ys);
      const bad = chiSquare(ys, pmf, -R, N / 60);
      t.log(`χ² z = ${chi.z.toFixed(2)} (${chi.df} df); σ·1.05: z = ${bad.z.toFixed(1)}`);
      t.true(bad.z > 8, `negative control not rejected: z = ${bad.z.toFixed(2)}`);
      // O(1) proposals per sample (Skellam: per Poisson sample, two per Skellam sample).
      const perSample = sampler.stats.iterations / sampler.stats.samples;
      t.true(perSample < (sigma < 1 ? 3.5 : 2.5), `proposals per sample ${perSample}`);
    });
  }
}

test('DiscreteGaussian: the table and rejection methods, and the table tail branch, all match the pmf', (t) => {
  const N = 60000;
  for (const [sigma, options, method] of [
    [2, { table: false }, 'rejection'], [1000, { table: false }, 'rejection'],
    [2, { tableCut: 2 }, 'table'], [10, { tableCut: 12 }, 'table'], [0.5, { tableCut: 1 }, 'table'],
  ] as const) {
    const s2 = sigma * sigma;
    const R = Math.ceil(12 * sigma) + 8;
    const pmf = discreteGaussianPmf(toRational(s2), -R, R);
    const dg = new DiscreteGaussian(toRational(s2), words(`methods ${sigma} ${JSON.stringify(options)}`), options);
    t.is(dg.method, method);
    const xs = new Float64Array(N);
    dg.fill(xs);
    const chi = chiSquare(xs, pmf, -R, N / 60);
    t.true(chi.z < 4, `σ=${sigma} ${JSON.stringify(options)}: z = ${chi.z}`);
    if ('tableCut' in options) t.true(xs.some((x) => Math.abs(x) > options.tableCut), 'tail branch exercised');
    const wrong = new DiscreteGaussian(toRational((sigma * 1.05) ** 2), words(`methods wrong ${sigma}`), 'tableCut' in options ? { tableCut: options.tableCut + 1 } : options);
    wrong.fill(xs);
    t.true(chiSquare(xs, pmf, -R, N / 60).z > 6, `σ=${sigma} ${JSON.stringify(options)}: negative control`);
  }
  t.is(new DiscreteGaussian(toRational(1e8), words('m')).method, 'table'); // σ = 10^4: 220 004 entries ≤ 2^18
  t.is(new DiscreteGaussian(toRational(4e8), words('m')).method, 'rejection'); // σ = 2·10^4: too many
});

test('discreteGaussianCks (CKS Algorithms 1–3, bigint) matches the pmf at σ² = 9/4 and 100', (t) => {
  const w = words('dgcks');
  for (const [v, R] of [[[9n, 4n], 20], [[100n, 1n], 130]] as const) {
    const xs = Array.from({ length: 15000 }, () => discreteGaussianCks(w, v));
    const chi = chiSquare(xs, discreteGaussianPmf(v, -R, R), -R);
    t.true(chi.z < 4, `σ²=${v[0]}/${v[1]}: z=${chi.z}`);
  }
});

test('Poisson (table, rejection, and the table tail branch) matches its pmf for μ = 0.3, 3, 50.5 and 500000', (t) => {
  for (const mu of ['0.3', '3', '50.5', '500000']) {
    // (the tail branch resolves every proposal with bigint products of length |k − m|: only small μ)
    for (const options of Number(mu) < 100 ? [{}, { table: false }, { tableCut: 2 }] : [{}, { table: false }]) {
      const p = new Poisson(toRational(mu), words(`poisson ${mu} ${JSON.stringify(options)}`), options);
      t.is(p.method, options.table === false ? 'rejection' : 'table');
      const xs = Array.from({ length: 30000 }, () => p.sample());
      const m = Number(mu);
      const lo = Math.max(0, Math.floor(m - 12 * Math.sqrt(m) - 5)), hi = Math.ceil(m + 12 * Math.sqrt(m) + 10);
      const chi = chiSquare(xs, poissonPmf(toRational(mu), lo, hi), lo, 600);
      t.true(chi.z < 4, `μ=${mu} ${JSON.stringify(options)}: z=${chi.z}`);
      const perSample = p.stats.iterations / p.stats.samples;
      t.true(perSample < (options.tableCut ? 6 : 2.6), `μ=${mu} ${JSON.stringify(options)}: ${perSample} proposals per sample`);
    }
  }
});

test('envelope table: W just below 2^31, λ = L·2^E, and the exact window and tail decisions agree with an independent double computation', async (t) => {
  const { EnvelopeTable, gaussianTarget, laplaceScaleFor, newStats } = await import('../src/index.js');
  for (const [s2, cut] of [['100', 12], ['6869641', undefined], ['2.25', 3]] as const) {
    const variance = toRational(s2);
    const sigma2 = Number(variance.num) / Number(variance.den);
    const tBig = laplaceScaleFor(variance);
    const tn = Number(tBig);
    const table = new EnvelopeTable(gaussianTarget(variance, sigma2, tBig, cut), words(`envelope ${s2}`), newStats());
    const W = table.capacity, lambda = table.scale;
    t.true(W < 2 ** 31 && W >= 2 ** 31 * (31 / 32), `${s2}: W = ${W}`);
    const L = lambda / 2 ** (Math.floor(Math.log2(lambda)) - 5);
    t.true(Number.isInteger(L) && L >= 32 && L < 64, `${s2}: λ = ${lambda}`);
    const K = cut ?? Math.ceil(8 * Math.sqrt(sigma2)) + 1;
    const f = (k: number) => Math.exp(-(k * k) / (2 * sigma2));
    let decided = 0;
    const check = (p: number, decide: (a: number) => boolean, what: string) => {
      const below = Math.floor(p * 2 ** 32 * (1 - 2 ** -30)) - 1; // U < (below + 1)/2^32 < p: accept
      const above = Math.ceil(p * 2 ** 32 * (1 + 2 ** -30)); // U ≥ above/2^32 > p: reject
      if (below >= 0) {
        t.true(decide(below), `${what}: a = ${below} must accept (p = ${p})`);
        decided++;
      }
      if (above < 2 ** 32) {
        t.false(decide(above), `${what}: a = ${above} must reject (p = ${p})`);
        decided++;
      }
    };
    for (const k of [0, 1, -1, Math.floor(K / 2), -K, K]) check((lambda * f(k)) / table.weight(k), (a) => table.exactAccept(k, a), `${s2} window k=${k}`);
    for (const g of [0, 1, 5]) {
      const k = K + 1 + g;
      const p = (2 * lambda * f(k) * Math.exp(g / tn)) / (table.tailWeight * -Math.expm1(-1 / tn));
      check(p, (a) => table.exactTailAccept(k, g, a), `${s2} tail k=${k}`);
    }
    t.true(decided >= 12);
    t.throws(() => table.exactAccept(K + 1, 0), { instanceOf: RangeError, message: /window/ });
  }
});

test('envelope table: the WebAssembly kernel draws exactly the JavaScript loop\'s samples from the same words (tails and undecided acceptances included)', async (t) => {
  const { EnvelopeTable, gaussianTarget, laplaceScaleFor, newStats } = await import('../src/index.js');
  for (const [s2, cut] of [['100', 12], ['6869641', undefined], ['0.25', 1], ['2.25', 2]] as const) {
    const variance = toRational(s2);
    const sigma2 = Number(variance.num) / Number(variance.den);
    const tBig = laplaceScaleFor(variance);
    const make = (simd: boolean) => {
      const stats = newStats();
      return { stats, table: new EnvelopeTable(gaussianTarget(variance, sigma2, tBig, cut), words(`kernel vs js ${s2}`), stats, { simd }) };
    };
    const k = make(true), j = make(false);
    for (const n of [5000, 70_000, 4096]) { // fills below KERNEL_MIN_FILL use the loop on both
      const a = new Float64Array(n), b = new Float64Array(n);
      k.table.fill(a);
      j.table.fill(b);
      const diff = a.findIndex((v, i) => v !== b[i]);
      t.is(diff, -1, `σ² = ${s2}, fill of ${n}: first difference at ${diff}`);
    }
    for (const n of [4096, 9000]) {
      const a = new Float64Array(n), b = new Int32Array(n);
      k.table.fillDifference(a);
      j.table.fillDifference(b);
      t.true(a.every((v, i) => v === b[i]), `σ² = ${s2}, difference fill of ${n}`);
    }
    t.is(k.stats.iterations, j.stats.iterations);
    t.is(k.stats.slowPaths, j.stats.slowPaths);
    if (cut !== undefined) {
      const x = new Float64Array(70_000);
      k.table.fill(x);
      t.true(x.some((v) => Math.abs(v) > cut), `σ² = ${s2}: the tail branch ran`);
    }
  }
});

test('large σ: 10^4 samples at σ = 10^6 (and 10^9 for the Gaussian) with O(1) work per sample', (t) => {
  for (const [make, s2, perSample] of [
    [(v: ReturnType<typeof toRational>, w: RandomWords) => new DiscreteGaussian(v, w), '1000000000000', 1.6],
    [(v: ReturnType<typeof toRational>, w: RandomWords) => new DiscreteGaussian(v, w), '1000000000000000000', 1.6],
    [(v: ReturnType<typeof toRational>, w: RandomWords) => new Skellam(v, w), '1000000000000', 2 * 2.2],
  ] as const) {
    const w = words(`large ${s2}`);
    const s = make(toRational(s2), w);
    const xs = new Float64Array(10000);
    s.fill(xs);
    const n = s.stats.samples;
    const skellam = s instanceof Skellam;
    const outputs = skellam ? n / 2 : n;
    t.true(s.stats.iterations / outputs < perSample, `${s2}: ${s.stats.iterations / outputs} proposals per output`);
    t.true(s.stats.slowPaths <= 20, `${s2}: ${s.stats.slowPaths} slow paths`);
    t.true(w.wordsUsed / outputs < (skellam ? 14 : 7), `${s2}: ${w.wordsUsed / outputs} random words per output`);
    const m = sampleMoments(xs);
    const sd = Math.sqrt(Number(s2));
    t.true(Math.abs(m.mean) < 5 * sd / 100 && Math.abs(m.variance / Number(s2) - 1) < 0.1);
  }
});

test('samplers are deterministic for a fixed seed and σ² = 0 gives 0', (t) => {
  const a = new DiscreteGaussian([25n, 1n], words('det')), b = new DiscreteGaussian([25n, 1n], words('det'));
  const xa = new Int32Array(1000), xb = new Int32Array(1000);
  a.fill(xa);
  b.fill(xb);
  t.deepEqual(xa, xb);
  const z = new Skellam(0, words('zero'));
  t.is(z.sample(), 0);
  t.is(new DiscreteGaussian(0n, words('zero')).sample(), 0);
  t.throws(() => new DiscreteGaussian(2n ** 100n, words('x')).fill(new Int32Array(1)), { instanceOf: RangeError });
});

test('the fast geometric inversion agrees with the exact bigint search, including at thresholds', async (t) => {
  const { geometricExp, newStats } = await import('../src/index.js');
  // A RandomWords whose stream starts with the chosen 53-bit prefix (two words), then seeded bytes
  // (the same continuation for the same u, so both computations see the same real number U).
  const wordsStarting = (u: number) => {
    const base = seededRandom(`geom stream ${u}`);
    let first = true;
    return new RandomWords((n) => {
      const bytes = base(n);
      if (first) {
        first = false;
        const v = new Uint32Array(bytes.buffer, bytes.byteOffset, 2);
        v[0] = Math.floor(u / 2 ** 21); // RandomWords.u53 layout: 32 bits, then the top 21 bits of the next word
        v[1] = (u % 2 ** 21) * 2 ** 11;
      }
      return bytes;
    });
  };
  let slow = 0;
  for (const scale of [1, 3, 1000, 1000001]) {
    for (const g of [0, 1, 2, 5, scale, 3 * scale]) {
      const centre = Math.floor(Math.exp(-g / scale) * 2 ** 53);
      for (let d = -3; d <= 3; d++) {
        const u = Math.min(2 ** 53 - 1, Math.max(0, centre + d));
        const stats = newStats();
        const fast = geometricExp(wordsStarting(u), scale, BigInt(scale), stats);
        slow += stats.slowPaths;
        // Reference: the exact search on the same stream.
        const w = wordsStarting(u);
        const state = { prefix: BigInt(w.u53()), k: 53 };
        // Reference: G = max{g : U < e^(−g/t)} by bisection with exact comparisons only.
        let lo = 0, hi = 64 * scale; // U ≥ 2^−53 > e^(−64t/t)·… : G < 64t
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (lessThanExpNeg(w, state, BigInt(mid), BigInt(scale))) lo = mid;
          else hi = mid;
        }
        const ref = lo;
        t.is(fast, ref, `t=${scale} g=${g} u=centre${d >= 0 ? '+' : ''}${d}`);
      }
    }
  }
  t.true(slow > 0); // the thresholds were hit, so the exact fallback ran
});
