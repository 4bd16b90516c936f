import test from 'ava';
import fc from 'fast-check';
import { seededRandom } from '@tessera/crypto';
import {
  apportion,
  DataError,
  DataErrorCodes,
  dirichlet,
  gamma,
  makeDataset,
  splitDataset,
  splitIid,
  splitLabelSkew,
  splitQuantitySkew,
  uniform,
  type SitePartition,
} from '../src/index.js';

/** Every index in [0, n) exactly once, each site ascending. */
function assertPartition(t: { true: (v: boolean, m?: string) => void }, parts: SitePartition, n: number): void {
  const seen = new Uint8Array(n);
  for (const p of parts) {
    for (let j = 0; j < p.length; j++) {
      const i = p[j]!;
      t.true(Number.isInteger(i) && i >= 0 && i < n, `index ${i} out of range`);
      t.true(seen[i] === 0, `index ${i} assigned twice`);
      seen[i] = 1;
      if (j > 0) t.true(p[j - 1]! < i, 'site indices not ascending');
    }
  }
  t.true(seen.every((s) => s === 1), 'some index unassigned');
}

const labelsOf = (n: number, k: number, seed: string): number[] => {
  const rng = seededRandom(seed);
  return Array.from({ length: n }, () => Math.floor(uniform(rng) * k));
};

/** Mean total-variation distance between each site's label distribution and the global one. */
function meanTv(parts: SitePartition, labels: readonly number[], k: number): number {
  const global = new Array<number>(k).fill(0);
  for (const l of labels) global[l]! += 1 / labels.length;
  let sum = 0;
  for (const p of parts) {
    const local = new Array<number>(k).fill(0);
    for (const i of p) local[labels[i]!]! += 1 / p.length;
    sum += 0.5 * local.reduce((a, x, c) => a + Math.abs(x - global[c]!), 0);
  }
  return sum / parts.length;
}

test('property: IID, quantity and label skew assign every example exactly once and honour the minimum', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 0, max: 5 }),
      fc.double({ min: 0.05, max: 100, noNaN: true }),
      fc.string(),
      (n, sites, min, alpha, seed) => {
        fc.pre(n >= sites * min);
        const labels = labelsOf(n, 3, seed);
        const splits = [
          splitIid(n, { sites, seed, minPerSite: min }),
          splitQuantitySkew(n, { sites, seed, alpha, minPerSite: min }),
        ];
        try {
          splits.push(splitLabelSkew(labels, { sites, seed, alpha, minPerSite: min, maxAttempts: 50 }));
        } catch (e) {
          // Label skew may be unable to meet the minimum; then it must say so, not return a short site.
          if (!(e instanceof DataError && e.code === DataErrorCodes.SPLIT)) throw e;
        }
        for (const parts of splits) {
          t.true(parts.length === sites);
          assertPartition(t, parts, n);
          t.true(parts.every((p) => p.length >= min));
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('property: splits are deterministic per seed and differ across seeds', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 20, max: 400 }), fc.integer({ min: 2, max: 8 }), fc.string(), (n, sites, seed) => {
      const labels = labelsOf(n, 4, 'labels');
      const run = (s: string): SitePartition[] => [
        splitIid(n, { sites, seed: s }),
        splitQuantitySkew(n, { sites, seed: s, alpha: 1 }),
        splitLabelSkew(labels, { sites, seed: s, alpha: 5, minPerSite: 0 }),
      ];
      t.deepEqual(run(seed), run(seed));
      t.notDeepEqual(run(seed), run(seed + '!'));
    }),
    { numRuns: 40 },
  );
});

test('IID sizes differ by at most one; IID labels are near the global mix', (t) => {
  const labels = labelsOf(5000, 10, 'l');
  const parts = splitIid(5000, { sites: 7, seed: 's' });
  const sizes = parts.map((p) => p.length);
  t.true(Math.max(...sizes) - Math.min(...sizes) <= 1);
  t.true(meanTv(parts, labels, 10) < 0.05);
});

test('label skew: α = 0.1 is strongly skewed, α = 1000 is near-IID', (t) => {
  const labels = labelsOf(5000, 10, 'l');
  const skewed = splitLabelSkew(labels, { sites: 10, alpha: 0.1, seed: 'a', minPerSite: 1 });
  const flat = splitLabelSkew(labels, { sites: 10, alpha: 1000, seed: 'a', minPerSite: 1 });
  const tvSkewed = meanTv(skewed, labels, 10);
  const tvFlat = meanTv(flat, labels, 10);
  t.log(`mean TV from the global label mix: α=0.1 → ${tvSkewed.toFixed(3)}, α=1000 → ${tvFlat.toFixed(3)}`);
  t.true(tvSkewed > 0.4, `α=0.1 gave TV ${tvSkewed}`);
  t.true(tvFlat < 0.05, `α=1000 gave TV ${tvFlat}`);
});

test('quantity skew: small α gives unequal sizes, large α near-equal; labels stay near-IID', (t) => {
  const labels = labelsOf(4000, 4, 'l');
  const skewed = splitQuantitySkew(4000, { sites: 8, alpha: 0.2, seed: 'q', minPerSite: 10 });
  const flat = splitQuantitySkew(4000, { sites: 8, alpha: 1e4, seed: 'q', minPerSite: 10 });
  const spread = (p: SitePartition): number => Math.max(...p.map((x) => x.length)) / Math.min(...p.map((x) => x.length));
  t.true(spread(skewed) > 5, `α=0.2 spread ${spread(skewed)}`);
  t.true(spread(flat) < 1.1, `α=1e4 spread ${spread(flat)}`);
  t.true(skewed.every((p) => p.length >= 10));
  t.true(meanTv(flat, labels, 4) < 0.05);
});

test('impossible minimums are refused with ERR_DATA_SPLIT; bad arguments by kind', (t) => {
  const e = t.throws(() => splitIid(10, { sites: 4, seed: 's', minPerSite: 3 }), { instanceOf: DataError });
  t.is(e.code, DataErrorCodes.SPLIT);
  t.regex(e.message, /cannot give 4 sites at least 3 examples each from 10 examples/);
  // two classes over 8 sites with tiny α: most sites get nothing, so a minimum of 5 cannot be met
  const labels = labelsOf(200, 2, 'l');
  t.throws(() => splitLabelSkew(labels, { sites: 8, alpha: 0.01, seed: 's', minPerSite: 5, maxAttempts: 20 }), {
    message: /label skew with alpha 0\.01 left some of 8 sites below 5 examples in 20 draws/,
  });
  t.throws(() => splitIid(10, { sites: 0, seed: 's' }), { instanceOf: RangeError });
  t.throws(() => splitIid(10, { sites: 1.5, seed: 's' }), { instanceOf: TypeError });
  t.throws(() => splitQuantitySkew(10, { sites: 2, seed: 's', alpha: 0 }), { instanceOf: RangeError });
  t.throws(() => splitQuantitySkew(10, { sites: 2, seed: 's', alpha: Number.NaN }), { instanceOf: RangeError });
  t.throws(() => splitLabelSkew([0, -1], { sites: 1, seed: 's', alpha: 1 }), { instanceOf: RangeError });
  t.throws(() => splitIid(10, { sites: 2, seed: 5 as unknown as string }), { instanceOf: TypeError });
});

test('splitDataset gives each site only its own examples', (t) => {
  const n = 6;
  const ds = makeDataset({ images: Float32Array.from({ length: n * 4 }, (_, i) => i / 24), labels: Int32Array.from([0, 1, 0, 1, 0, 1]), n, channels: 1, height: 2, width: 2, classes: ['a', 'b'] });
  const parts = [[1, 4], [0, 2, 3, 5]];
  const [a, b] = splitDataset(ds, parts);
  t.is(a!.n, 2);
  t.deepEqual([...a!.labels], [1, 0]);
  t.deepEqual([...a!.images.subarray(0, 4)], [...ds.images.subarray(4, 8)]);
  t.deepEqual([...a!.images.subarray(4, 8)], [...ds.images.subarray(16, 20)]);
  t.is(b!.n, 4);
  t.throws(() => splitDataset(ds, [[6]]), { instanceOf: RangeError });
});

test('gamma sampler: mean and variance match Gamma(k, 1) for k < 1 and k > 1', (t) => {
  for (const k of [0.3, 1, 4.5]) {
    const rng = seededRandom(`gamma ${k}`);
    const m = 20000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < m; i++) {
      const x = gamma(rng, k);
      s += x;
      s2 += x * x;
    }
    const mean = s / m;
    const variance = s2 / m - mean * mean;
    // standard error of the mean is sqrt(k/m) ≈ 0.015 for k = 4.5: allow 5 standard errors
    t.true(Math.abs(mean - k) < 5 * Math.sqrt(k / m), `k=${k} mean ${mean}`);
    t.true(Math.abs(variance - k) < 0.1 * k + 0.02, `k=${k} variance ${variance}`);
  }
});

test('dirichlet gives points of the simplex, even for tiny α; apportion sums exactly', (t) => {
  const rng = seededRandom('d');
  for (const a of [1e-3, 0.1, 1, 100]) {
    const p = dirichlet(rng, new Array(6).fill(a));
    t.true(p.every((x) => x >= 0 && Number.isFinite(x)));
    t.true(Math.abs(p.reduce((x, y) => x + y, 0) - 1) < 1e-12);
  }
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10000 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 20 }), (total, w) => {
      const s = w.reduce((a, b) => a + b, 0);
      fc.pre(s > 0);
      const c = apportion(total, w.map((x) => x / s));
      t.true(c.reduce((a, b) => a + b, 0) === total && c.every((x) => x >= 0));
    }),
  );
  t.throws(() => apportion(5, []), { instanceOf: RangeError });
  t.throws(() => apportion(5, [0.5, 0.6]), { instanceOf: RangeError });
  t.throws(() => apportion(-1, [1]), { instanceOf: RangeError });
});
