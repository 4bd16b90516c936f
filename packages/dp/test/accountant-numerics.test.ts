/**
 * Numerics of the accountant: log-space helpers against 40-digit mpmath values, the exact fractional-order
 * quadrature against mpmath quadrature, edge cases, validation, and the conversion rules.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  deltaFromRdp,
  epsilonFromRdp,
  composeRdp,
  lgamma,
  logAbsBinomial,
  logAdd,
  logErfc,
  logSub,
  logSumExp,
  rdpGaussian,
  rdpSubsampledGaussian,
  subsampledGaussianFractional,
} from '../src/accountant/index.js';

const rel = (a: number, b: number): number => (b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b));

test('lgamma matches mpmath loggamma', (t) => {
  const vectors: [number, number][] = [
    [1e-10, 23.025850929882736],
    [0.1, 2.252712651734206],
    [0.5, 0.5723649429247001],
    [3.7, 1.428072326665388],
    [10, 12.801827480081469],
    [15, 25.19122118273868],
    [30.5, 72.9534711841694],
    [100, 359.1342053695754],
    [1000.25, 5906.9472682711175],
    [1e6, 12815504.569147611],
  ];
  for (const [x, v] of vectors) t.true(rel(lgamma(x), v) < 1e-14, `lgamma(${x}) = ${lgamma(x)} vs ${v}`);
  t.true(Math.abs(lgamma(1)) < 1e-14 && Math.abs(lgamma(2)) < 1e-14);
  t.true(Math.abs(lgamma(1.5) - -0.12078223763524522) < 1e-14); // absolute error ≲ 4e-15 below 15 (cancellation against log Γ(15+))
  t.throws(() => lgamma(0), { instanceOf: RangeError });
  t.throws(() => lgamma(Number.NaN), { instanceOf: RangeError });
});

test('logErfc matches mpmath log(erfc(x)) from −5 to 100', (t) => {
  const vectors: [number, number][] = [
    [-5, 0.6931471805591766],
    [-1.5, 0.6760545027339606],
    [-0.5, 0.41903914777555956],
    [0, 0],
    [0.3, -0.39843005144008525],
    [1, -1.8496055099332482],
    [1.49, -3.3494933196824848],
    [1.51, -3.4196693873666084],
    [2, -5.364941264616638],
    [5, -27.200889545537436],
    [10, -102.87988902484489],
    [40, -1604.2615566532736],
    [100, -10005.177585122665],
  ];
  for (const [x, v] of vectors) t.true(Math.abs(logErfc(x) - v) <= 1e-14 * Math.max(1, Math.abs(v)), `logErfc(${x}) = ${logErfc(x)} vs ${v}`);
  t.is(logErfc(Infinity), -Infinity);
  t.is(logErfc(-Infinity), Math.LN2);
});

test('logAbsBinomial: exact binomials, and |C(a, k)| for fractional a', (t) => {
  t.true(rel(Math.exp(logAbsBinomial(10, 3)), 120) < 1e-14);
  t.true(Math.abs(logAbsBinomial(1024, 512) - 706.0909414973533479) < 1e-12); // mpmath: C(1024,512) = 4.48125455209897e306
  t.is(logAbsBinomial(5, 6), -Infinity);
  // C(1.5, 3) = 1.5·0.5·(−0.5)/6 = −0.0625
  t.true(rel(Math.exp(logAbsBinomial(1.5, 3)), 0.0625) < 1e-15);
});

test('logAdd/logSub/logSumExp: property — agree with direct arithmetic', (t) => {
  fc.assert(
    fc.property(fc.double({ min: -50, max: 50, noNaN: true }), fc.double({ min: -50, max: 50, noNaN: true }), (a, b) => {
      const s = logAdd(a, b);
      const direct = Math.log(Math.exp(a) + Math.exp(b));
      const hi = Math.max(a, b);
      const lo = Math.min(a, b);
      const d = logSub(hi, lo);
      const okSub = hi === lo ? d === -Infinity : Math.abs(Math.exp(d) - (Math.exp(hi) - Math.exp(lo))) <= 1e-12 * Math.exp(hi);
      return Math.abs(s - direct) <= 1e-13 * Math.max(1, Math.abs(direct)) && Math.abs(logSumExp([a, b]) - s) < 1e-12 && okSub;
    }),
    { numRuns: 300 },
  );
  t.is(logAdd(-Infinity, 3), 3);
  t.is(logSub(2, -Infinity), 2);
  t.is(logSumExp([]), -Infinity);
  t.throws(() => logSub(1, 2), { instanceOf: RangeError });
  t.is(logAdd(1000, 1000), 1000 + Math.LN2);
});

test('exact fractional orders agree with 50-digit mpmath quadrature (relative 1e-12) and report tiny errors', (t) => {
  const vectors: [number, number, number, number][] = [
    [0.001, 0.8, 3.7, 7.0787475055548515e-6],
    [0.2, 5, 10.5, 0.0090767808883478874],
    [0.5, 1, 1.1, 0.15613047568549298],
    [0.01, 2, 50.5, 1.6147237520751031],
    [0.3, 0.4, 2.5, 5.8062662860785253],
  ];
  for (const [q, z, a, v] of vectors) {
    const r = subsampledGaussianFractional(q, z, a);
    t.is(r.method, 'trapezoid');
    t.true(rel(r.rdp, v) < 1e-12, `q=${q} z=${z} α=${a}: ${r.rdp} vs ${v}`);
    t.true(r.relativeError < 1e-12 && r.rdpError <= 1e-12 * r.rdp);
  }
});

test('exact fractional orders: tiny noise falls back to the convexity interpolation, an upper bound between the integer neighbours', (t) => {
  const fallback = subsampledGaussianFractional(0.01, 0.002, 2.5);
  t.is(fallback.method, 'interpolated');
  const [lo, hi] = rdpSubsampledGaussian([2, 3], 0.01, 0.002);
  t.true(fallback.rdp >= lo! && fallback.rdp <= hi!);
  // z = 0.01 is still integrated (10⁵ nodes); the exact value lies below the interpolation and between the neighbours.
  const quad = subsampledGaussianFractional(0.01, 0.01, 2.5);
  t.is(quad.method, 'trapezoid');
  const [lo2, hi2] = rdpSubsampledGaussian([2, 3], 0.01, 0.01);
  const interp = (0.5 * lo2! * 1 + 0.5 * hi2! * 2) / 1.5; // (1 − t)·log A₂ + t·log A₃ over α − 1
  t.true(quad.rdp >= lo2! && quad.rdp <= hi2! && quad.rdp <= interp);
});

test("property: the exact fractional value never exceeds dp_accounting's bound, and the curve increases with the order", (t) => {
  fc.assert(
    fc.property(
      fc.double({ min: 1e-4, max: 0.5, noNaN: true }),
      fc.double({ min: 0.5, max: 8, noNaN: true }),
      fc.integer({ min: 1, max: 30 }),
      (q, z, k) => {
        const orders = [k + 0.25, k + 0.5, k + 0.75, k + 1];
        const exact = rdpSubsampledGaussian(orders, q, z);
        const bound = rdpSubsampledGaussian(orders, q, z, { fractional: 'dp-accounting' });
        const increasing = exact.every((v, i) => i === 0 || v >= exact[i - 1]! * (1 - 1e-12));
        // dp_accounting's method accumulates log A (not log(A − 1)) over dozens of log-adds, so its bound
        // carries an absolute rounding error up to ~1e-14 in log A (seen: 1.5e-14 at q = 1e-4, z = 0.78,
        // α = 10.25, where mpmath confirms our exact value to 3e-15) — visible when A − 1 ≈ 1e-6.
        return increasing && exact.every((v, i) => v <= bound[i]! * (1 + 1e-12) + 2e-13 / (orders[i]! - 1));
      },
    ),
    { numRuns: 60 },
  );
  t.pass();
});

test('edge cases: q = 0, q = 1, z = 0, α = ∞', (t) => {
  const orders = [1.5, 2, 7.5, Infinity];
  t.deepEqual(rdpSubsampledGaussian(orders, 0, 1), [0, 0, 0, 0]);
  t.deepEqual(rdpSubsampledGaussian(orders, 1, 2), [1.5 / 8, 2 / 8, 7.5 / 8, Infinity]);
  t.deepEqual(rdpSubsampledGaussian(orders, 0.1, 0), [Infinity, Infinity, Infinity, Infinity]);
  t.deepEqual(rdpGaussian(orders, 0), [Infinity, Infinity, Infinity, Infinity]);
  t.deepEqual(rdpGaussian([2, 10], 1), [1, 5]);
  const e = epsilonFromRdp(orders, rdpSubsampledGaussian(orders, 0.1, 0), 1e-5);
  t.is(e.epsilon, Infinity);
  t.false(Number.isNaN(e.order));
  // At α = ∞ with a finite curve both rules return ε(∞).
  t.is(epsilonFromRdp([Infinity], [0.5], 1e-5, 'classic').epsilon, 0.5);
});

test('validation names the argument: TypeError by kind, RangeError by value', (t) => {
  t.throws(() => rdpSubsampledGaussian([2], Number.NaN, 1), { instanceOf: RangeError, message: /samplingRate/ });
  t.throws(() => rdpSubsampledGaussian([2], 1.5, 1), { instanceOf: RangeError, message: /samplingRate/ });
  t.throws(() => rdpSubsampledGaussian([2], '0.1' as unknown as number, 1), { instanceOf: TypeError, message: /samplingRate/ });
  t.throws(() => rdpSubsampledGaussian([2], 0.1, -1), { instanceOf: RangeError, message: /noiseMultiplier/ });
  t.throws(() => rdpGaussian([3, 2], 1), { instanceOf: RangeError, message: /orders/ });
  t.throws(() => rdpGaussian([1, 2], 1), { instanceOf: RangeError, message: /orders\[0\]/ });
  t.throws(() => rdpGaussian([], 1), { instanceOf: RangeError, message: /orders/ });
  t.throws(() => rdpGaussian('2' as unknown as number[], 1), { instanceOf: TypeError, message: /orders/ });
  t.throws(() => epsilonFromRdp([2], [1], 1), { instanceOf: RangeError, message: /delta/ });
  t.throws(() => epsilonFromRdp([2], [Number.NaN], 1e-5), { instanceOf: RangeError, message: /rdp\[0\]/ });
  t.throws(() => epsilonFromRdp([2], [1, 2], 1e-5), { instanceOf: RangeError, message: /rdp/ });
  t.throws(() => epsilonFromRdp([2], [1], 1e-5, 'fancy' as 'classic'), { instanceOf: RangeError, message: /conversion/ });
  t.throws(() => rdpSubsampledGaussian([2.5], 0.1, 1, { fractional: 'approx' as 'exact' }), { instanceOf: RangeError, message: /fractional/ });
});

test('conversion rules: the classic formula by hand; δ = 0; composition adds', (t) => {
  const c = epsilonFromRdp([2, 10], [1, 5], 1e-5, 'classic');
  t.true(rel(c.epsilon, 5 + Math.log(1e5) / 9) < 1e-15);
  t.is(c.order, 10);
  const i = epsilonFromRdp([2, 10], [1, 5], 1e-5, 'improved');
  t.true(rel(i.epsilon, Math.min(1 + Math.log(0.5) - Math.log(2e-5), 5 + Math.log(0.9) - Math.log(1e-4) / 9)) < 1e-15);
  t.deepEqual(epsilonFromRdp([2, 3], [0, 0], 0), { epsilon: 0, delta: 0, order: 2, conversion: 'improved' });
  t.is(epsilonFromRdp([2, 3], [0, 1e-9], 0).epsilon, Infinity);
  t.deepEqual(composeRdp([[0.1, 0.2], [0.3, 0.4]], [2, 1]), [0.5, 0.8]);
});

test('property: improved ≤ classic, ε ≥ 0, and deltaFromRdp inverts epsilonFromRdp', (t) => {
  fc.assert(
    fc.property(
      fc.double({ min: 1e-4, max: 0.2, noNaN: true }),
      fc.double({ min: 0.6, max: 5, noNaN: true }),
      fc.integer({ min: 1, max: 5000 }),
      fc.double({ min: 1e-12, max: 0.1, noNaN: true }),
      (q, z, steps, delta) => {
        const orders = [1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128];
        const rdp = rdpSubsampledGaussian(orders, q, z).map((r) => r * steps);
        const imp = epsilonFromRdp(orders, rdp, delta, 'improved');
        const cla = epsilonFromRdp(orders, rdp, delta, 'classic');
        const back = deltaFromRdp(orders, rdp, imp.epsilon, 'improved');
        const backClassic = deltaFromRdp(orders, rdp, cla.epsilon, 'classic');
        return imp.epsilon >= 0 && imp.epsilon <= cla.epsilon + 1e-12 && back.delta <= delta * (1 + 1e-9) && backClassic.delta <= delta * (1 + 1e-9);
      },
    ),
    { numRuns: 80 },
  );
  t.pass();
});
