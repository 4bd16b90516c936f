/**
 * Distributed discrete Gaussian, Skellam and Zhu–Wang subsampling. Known answers are the formulas of the
 * reference implementation (google-research/federated distributed_dp/accounting_utils.py: ddgauss_epsilon,
 * skellam_epsilon with dp_accounting's improved conversion) evaluated in double precision with scipy.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  DEFAULT_DISCRETE_ORDERS,
  ddgTau,
  epsilonFromRdp,
  gridSensitivities,
  rdpDistributedDiscreteGaussian,
  rdpSkellam,
  rdpSubsampledGaussian,
  rdpSubsampledGeneric,
} from '../src/accountant/index.js';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);
const BETA = Math.exp(-0.5);
const O = DEFAULT_DISCRETE_ORDERS;

function ddgEpsilon(G: number, S: number, n: number, C: number, d: number, q: number, T: number, beta = BETA) {
  const rdp = rdpDistributedDiscreteGaussian(O, { granularity: G, localStddev: S, clients: n, l2Clip: C, beta, dim: d, samplingRate: q });
  return epsilonFromRdp(O, rdp.map((r) => r * T), 1e-5);
}
function skellamEpsilon(s: number, Sc: number, C: number, d: number, q: number, T: number, beta = BETA) {
  const rdp = rdpSkellam(O, { scale: s, centralStddev: Sc, l2Clip: C, beta, dim: d, samplingRate: q });
  return epsilonFromRdp(O, rdp.map((r) => r * T), 1e-5);
}

test('ddgauss: reference values (fine grid; coarse grid where τ matters; subsampled)', (t) => {
  const cases: [Parameters<typeof ddgEpsilon>, number, number][] = [
    [[0.01, 0.9, 100, 3, 65536, 1, 50], 14.691691480042891, 3],
    [[0.9, 0.9, 100, 3, 65536, 1, 50], 8364.862125782247, 2],
    [[0.6, 0.9, 100, 3, 1024, 1, 50], 77.23774678563203, 2],
    [[0.05, 0.9, 50, 3, 4096, 0.05, 200], 2.720505580243813, 7],
  ];
  for (const [args, eps, order] of cases) {
    const r = ddgEpsilon(...args);
    t.true(rel(r.epsilon, eps) < 1e-12, `${args.join(',')}: ${r.epsilon} vs ${eps}`);
    t.is(r.order, order);
  }
  t.true(rel(ddgTau(1, 100), 0.000547788699060149) < 1e-12);
  t.true(rel(ddgTau(1.5, 100), 2.270200485772092e-9) < 1e-12);
});

test('skellam: reference values (q = 1; subsampled; β = 0)', (t) => {
  const cases: [Parameters<typeof skellamEpsilon>, number, number][] = [
    [[100, 9, 3, 65536, 1, 50], 14.691711218976284, 3],
    [[20, 9, 3, 4096, 0.05, 200], 2.0638069020327316, 8],
    [[100, 9, 3, 4096, 0.05, 200, 0], 2.1416799962399997, 8],
  ];
  for (const [args, eps, order] of cases) {
    const r = skellamEpsilon(...args);
    t.true(rel(r.epsilon, eps) < 1e-12, `${args.join(',')}: ${r.epsilon} vs ${eps}`);
    t.is(r.order, order);
  }
});

test('τ and the rounded sensitivities by hand', (t) => {
  t.is(ddgTau(2, 1), 0);
  t.true(rel(ddgTau(1, 2), 10 * Math.exp(-Math.PI * Math.PI)) < 1e-14);
  t.deepEqual(gridSensitivities({ l2Clip: 2, dim: 16, beta: 0.5, rounding: false }, 10), { l2: 20, l1: 80 });
  const beta0 = gridSensitivities({ l2Clip: 2, dim: 16, beta: 0 }, 10);
  t.is(beta0.l2, 24);
  t.is(beta0.l1, 24 * 4);
  const b = gridSensitivities({ l2Clip: 2, dim: 16, beta: BETA }, 10);
  t.true(rel(b.l2, Math.sqrt(400 + 4 + 1 * (20 + 2))) < 1e-15); // √(2 log(1/β)) = 1
  t.true(gridSensitivities({ l2Clip: 2, l1Clip: 1, dim: 16, beta: BETA }, 10).l1 <= 10 + 16);
  t.throws(() => gridSensitivities({ l2Clip: 2, dim: 16, beta: 1 }, 10), { instanceOf: RangeError, message: /beta/ });
  t.throws(() => gridSensitivities({ l2Clip: 2, dim: 1.5, beta: 0 }, 10), { instanceOf: TypeError, message: /dim/ });
});

test('discrete mechanisms converge to the Gaussian as the grid gets finer', (t) => {
  // n clients with local stddev S: central multiplier z = √n·S/C. Skellam with central stddev S_c: z = S_c/C.
  const n = 16;
  const S = 0.5;
  const C = 1;
  const z = (Math.sqrt(n) * S) / C;
  const orders = [2, 8, 32];
  const gauss = orders.map((a) => a / (2 * z * z));
  let prevGap = Infinity;
  for (const G of [1e-2, 1e-3, 1e-4, 1e-5]) {
    const ddg = rdpDistributedDiscreteGaussian(orders, { granularity: G, localStddev: S, clients: n, l2Clip: C, beta: BETA, dim: 1000 });
    const sk = rdpSkellam(orders, { scale: 1 / G, centralStddev: z * C, l2Clip: C, beta: BETA, dim: 1000 });
    const gap = Math.max(...orders.map((_, i) => Math.max(rel(ddg[i]!, gauss[i]!), rel(sk[i]!, gauss[i]!))));
    t.true(ddg.every((v, i) => v >= gauss[i]!) && sk.every((v, i) => v >= gauss[i]!), 'never below the continuous Gaussian');
    t.true(gap < prevGap, `gap ${gap} shrinks`);
    prevGap = gap;
  }
  t.true(prevGap < 1e-3);
  // Subsampled: the Zhu–Wang bound of the discrete mechanism converges to the Zhu–Wang bound of the Gaussian.
  const zw = rdpSubsampledGeneric(orders, 0.01, (a) => a / (2 * z * z));
  const ddgSub = rdpDistributedDiscreteGaussian(orders, { granularity: 1e-6, localStddev: S, clients: n, l2Clip: C, beta: BETA, dim: 100, samplingRate: 0.01 });
  ddgSub.forEach((v, i) => t.true(rel(v, zw[i]!) < 1e-3));
});

test('Zhu–Wang: between the exact subsampled Gaussian and the unsampled curve; q = 0 and q = 1; fractional orders at ⌈α⌉', (t) => {
  fc.assert(
    fc.property(fc.double({ min: 1e-4, max: 0.9, noNaN: true }), fc.double({ min: 0.5, max: 10, noNaN: true }), (q, z) => {
      const orders = [2, 3, 5, 10, 40];
      const fn = (a: number) => a / (2 * z * z);
      const zw = rdpSubsampledGeneric(orders, q, fn);
      const exact = rdpSubsampledGaussian(orders, q, z);
      return zw.every((v, i) => v >= exact[i]! * (1 - 1e-12) && v <= fn(orders[i]!) * (1 + 1e-15));
    }),
    { numRuns: 60 },
  );
  t.deepEqual(rdpSubsampledGeneric([2, 3], 0, (a) => a), [0, 0]);
  t.deepEqual(rdpSubsampledGeneric([2, 3, Infinity], 1, (a) => a), [2, 3, Infinity]);
  t.deepEqual(rdpSubsampledGeneric([2.5], 0.1, (a) => a / 8), rdpSubsampledGeneric([3], 0.1, (a) => a / 8));
  t.throws(() => rdpSubsampledGeneric([2], 0.1, () => Number.NaN), { instanceOf: RangeError });
});

test('ddgauss below σ = 1/2 on the grid has no bound (Infinity); q = 0 costs nothing', (t) => {
  const p = { granularity: 1, localStddev: 0.4, clients: 10, l2Clip: 1, beta: 0, dim: 10 };
  t.deepEqual(rdpDistributedDiscreteGaussian([2, 3], p), [Infinity, Infinity]);
  t.deepEqual(rdpDistributedDiscreteGaussian([2, 3], { ...p, samplingRate: 0 }), [0, 0]);
  t.deepEqual(rdpSkellam([2, 3], { scale: 1, centralStddev: 0, l2Clip: 1, beta: 0, dim: 10 }), [Infinity, Infinity]);
  t.throws(() => rdpDistributedDiscreteGaussian([2], { ...p, clients: 0 }), { instanceOf: RangeError, message: /clients/ });
  t.throws(() => rdpSkellam([2], { scale: -1, centralStddev: 1, l2Clip: 1, beta: 0, dim: 10 }), { instanceOf: RangeError, message: /scale/ });
});

test('property: discrete ε decreases with noise and increases with steps and sampling rate', (t) => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.2, max: 2, noNaN: true }),
      fc.double({ min: 1.05, max: 2, noNaN: true }),
      fc.integer({ min: 1, max: 300 }),
      fc.double({ min: 0.001, max: 0.5, noNaN: true }),
      (S, k, T, q) => {
        const base = ddgEpsilon(0.01, S, 20, 1, 512, q, T).epsilon;
        const skBase = skellamEpsilon(100, S * Math.sqrt(20), 1, 512, q, T).epsilon;
        return (
          ddgEpsilon(0.01, S * k, 20, 1, 512, q, T).epsilon <= base &&
          ddgEpsilon(0.01, S, 20, 1, 512, q, T + 10).epsilon >= base &&
          ddgEpsilon(0.01, S, 20, 1, 512, Math.min(1, q * k), T).epsilon >= base &&
          skellamEpsilon(100, S * k * Math.sqrt(20), 1, 512, q, T).epsilon <= skBase &&
          skellamEpsilon(100, S * Math.sqrt(20), 1, 512, Math.min(1, q * k), T).epsilon >= skBase
        );
      },
    ),
    { numRuns: 25 },
  );
  t.pass();
});
