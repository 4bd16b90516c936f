/**
 * The ledger (heterogeneous rounds, dropouts, JSON), calibration round trips, and monotonicity properties.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  DEFAULT_GAUSSIAN_ORDERS,
  PrivacyLedger,
  RdpAccountant,
  calibrateNoise,
  composeRdp,
  effectiveNoiseMultiplier,
  epsilonFromRdp,
  rdpSubsampledGaussian,
  roundRdp,
  type Round,
} from '../src/accountant/index.js';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);
/** A short grid for fast property tests (fractional and integer orders). */
const FAST_ORDERS = [1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 128, 256];
const BETA = Math.exp(-0.5);

test('ledger: heterogeneous rounds compose exactly like composeRdp of their curves', (t) => {
  const orders = [1.5, 2, 3, 8, 32, 64];
  const rounds: Round[] = [
    { mechanism: 'gaussian', noiseMultiplier: 1.1, samplingRate: 0.01, nMin: 8, contributors: 8, steps: 10 },
    { mechanism: 'gaussian', noiseMultiplier: 1.1, samplingRate: 0.01, nMin: 8, contributors: 11 },
    { mechanism: 'ddgauss', granularity: 0.01, localStddev: 0.5, clients: 9, l2Clip: 1, beta: BETA, dim: 1024, samplingRate: 0.2 },
    { mechanism: 'skellam', scale: 100, centralStddev: 1.5, l2Clip: 1, beta: BETA, dim: 1024, steps: 2 },
  ];
  const ledger = new PrivacyLedger({ orders, unit: 'site' });
  for (const r of rounds) ledger.addRound(r);
  const expected = composeRdp(rounds.map((r) => roundRdp(r, orders)));
  ledger.rdp.forEach((v, i) => t.true(rel(v, expected[i]!) < 1e-14));
  const e = ledger.epsilon(1e-6, 'classic');
  t.deepEqual(e, { ...epsilonFromRdp(orders, expected, 1e-6, 'classic'), unit: 'site', rounds: 4, steps: 14 });
  t.is(new RdpAccountant().orders.length, new PrivacyLedger().orders.length);
});

test('ledger: dropouts — the worst case (only nMin survivors) bounds every actual round; more survivors, less ε', (t) => {
  const base = { mechanism: 'gaussian', noiseMultiplier: 1.0, samplingRate: 0.02, nMin: 10, steps: 100 } as const;
  t.is(effectiveNoiseMultiplier({ ...base, contributors: 40 }), 2);
  const eps = (contributors: number) => {
    const l = new PrivacyLedger({ orders: FAST_ORDERS });
    l.addRound({ ...base, contributors });
    return l.epsilon(1e-5).epsilon;
  };
  const worst = eps(10);
  t.true(eps(12) < worst && eps(20) < eps(12));
  t.true(eps(9) > worst, 'fewer than nMin (SecAgg would abort) costs more');
  t.is(eps(0), Infinity);
  // The worst case equals central DP-SGD with multiplier z.
  const central = epsilonFromRdp(FAST_ORDERS, rdpSubsampledGaussian(FAST_ORDERS, 0.02, 1.0).map((r) => 100 * r), 1e-5).epsilon;
  t.true(rel(worst, central) < 1e-14);
});

test('ledger: JSON round trip recomputes the same curve; epsilonIf leaves the ledger unchanged', (t) => {
  const l = new PrivacyLedger({ orders: FAST_ORDERS, unit: 'patient' });
  l.addRound({ mechanism: 'gaussian', noiseMultiplier: 0.9, samplingRate: 0.05, nMin: 4, contributors: 5, steps: 3, fractional: 'dp-accounting' });
  l.addRound({ mechanism: 'skellam', scale: 50, centralStddev: 2, l2Clip: 1, beta: 0, dim: 64 });
  const text = JSON.stringify(l);
  const copy = PrivacyLedger.fromJSON(JSON.parse(text));
  t.deepEqual(copy.rdp, l.rdp);
  t.deepEqual(copy.toJSON(), l.toJSON());
  t.deepEqual(PrivacyLedger.fromJSON(text).epsilon(1e-5), l.epsilon(1e-5));
  const before = l.epsilon(1e-5);
  const next = l.epsilonIf({ mechanism: 'gaussian', noiseMultiplier: 0.9, samplingRate: 0.05 }, 1e-5);
  t.true(next.epsilon > before.epsilon);
  t.deepEqual(l.epsilon(1e-5), before);
  // An order of Infinity survives JSON.
  const inf = new PrivacyLedger({ orders: [2, Infinity] });
  inf.addRound({ mechanism: 'gaussian', noiseMultiplier: 2 });
  t.deepEqual(PrivacyLedger.fromJSON(JSON.stringify(inf)).rdp, [0.25, Infinity]);
});

test('ledger: malformed rounds and JSON are rejected before anything changes', (t) => {
  const l = new PrivacyLedger({ orders: FAST_ORDERS });
  t.throws(() => l.addRound({ mechanism: 'laplace' } as unknown as Round), { instanceOf: RangeError, message: /mechanism/ });
  t.throws(() => l.addRound({ mechanism: 'gaussian', noiseMultiplier: 1, sigma: 2 } as unknown as Round), { instanceOf: RangeError, message: /sigma/ });
  t.throws(() => l.addRound({ mechanism: 'gaussian', noiseMultiplier: Number.NaN }), { instanceOf: RangeError, message: /noiseMultiplier/ });
  t.throws(() => l.addRound({ mechanism: 'gaussian', noiseMultiplier: 1, steps: 1.5 }), { instanceOf: TypeError, message: /steps/ });
  t.is(l.rounds.length, 0);
  t.deepEqual(l.rdp, FAST_ORDERS.map(() => 0));
  t.throws(() => PrivacyLedger.fromJSON({ version: 2, unit: 'patient', orders: [2], rounds: [] }), { instanceOf: RangeError, message: /version/ });
  t.throws(() => PrivacyLedger.fromJSON({ version: 1, unit: 'hospital', orders: [2], rounds: [] }), { instanceOf: RangeError, message: /unit/ });
  t.throws(() => PrivacyLedger.fromJSON({ version: 1, unit: 'site', orders: [2], rounds: [{ mechanism: 'gaussian' }] }), { instanceOf: TypeError, message: /noiseMultiplier/ });
  t.throws(() => PrivacyLedger.fromJSON('[]'), { instanceOf: TypeError });
});

test('calibrate: recovers z = 1.3 from ε = 0.7242234026 (DP-SGD, N = 60000, batch 150, 15 epochs); the result meets the target', (t) => {
  const r = calibrateNoise({ epsilon: 0.7242234026109595, delta: 1e-5, steps: 6000, samplingRate: 150 / 60000, mechanism: { mechanism: 'gaussian' } });
  t.true(rel(r.noise, 1.3) < 2e-6, `${r.noise}`);
  t.true(r.epsilon <= 0.7242234026109595);
  t.is(r.conversion, 'improved');
  t.deepEqual(r.round, { mechanism: 'gaussian', noiseMultiplier: r.noise, samplingRate: 0.0025, steps: 6000, nMin: 1, contributors: 1 });
});

test('calibrate: per-site share is z/√nMin; ddgauss and skellam round trips', (t) => {
  const g = calibrateNoise({ epsilon: 2, delta: 1e-5, steps: 500, samplingRate: 0.02, nMin: 16, mechanism: { mechanism: 'gaussian' }, orders: FAST_ORDERS });
  t.true(rel(g.perContributor, g.noise / 4) < 1e-15);
  const ddgTemplate = { mechanism: 'ddgauss', granularity: 0.02, l2Clip: 1, beta: BETA, dim: 4096 } as const;
  const S = 0.3;
  const target = epsilonFromRdp(FAST_ORDERS, roundRdp({ ...ddgTemplate, localStddev: S, clients: 25, samplingRate: 0.05, steps: 100 }, FAST_ORDERS), 1e-5).epsilon;
  const d = calibrateNoise({ epsilon: target, delta: 1e-5, steps: 100, samplingRate: 0.05, nMin: 25, mechanism: ddgTemplate, orders: FAST_ORDERS });
  t.true(rel(d.noise, S) < 2e-6, `${d.noise}`);
  t.true(d.epsilon <= target);
  const skTemplate = { mechanism: 'skellam', scale: 50, l2Clip: 1, beta: BETA, dim: 4096 } as const;
  const targetSk = epsilonFromRdp(FAST_ORDERS, roundRdp({ ...skTemplate, centralStddev: 1.5, samplingRate: 0.05, steps: 100 }, FAST_ORDERS), 1e-5).epsilon;
  const s = calibrateNoise({ epsilon: targetSk, delta: 1e-5, steps: 100, samplingRate: 0.05, nMin: 9, mechanism: skTemplate, orders: FAST_ORDERS });
  t.true(rel(s.noise, 1.5) < 2e-6 && rel(s.perContributor, s.noise / 3) < 1e-15);
  t.is(calibrateNoise({ epsilon: 1, delta: 1e-5, steps: 10, samplingRate: 0, mechanism: { mechanism: 'gaussian' }, orders: FAST_ORDERS }).noise, 0);
  t.throws(() => calibrateNoise({ epsilon: 0, delta: 1e-5, steps: 10, samplingRate: 0.1, mechanism: { mechanism: 'gaussian' } }), { instanceOf: RangeError, message: /epsilon/ });
  t.throws(() => calibrateNoise({ epsilon: 1, delta: 0, steps: 10, samplingRate: 0.1, mechanism: { mechanism: 'gaussian' } }), { instanceOf: RangeError, message: /delta/ });
});

test('property: calibrate(epsilon(z)) ≈ z', (t) => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.5, max: 6, noNaN: true }),
      fc.double({ min: 1e-3, max: 0.3, noNaN: true }),
      fc.integer({ min: 1, max: 3000 }),
      (z, q, steps) => {
        const eps = epsilonFromRdp(FAST_ORDERS, rdpSubsampledGaussian(FAST_ORDERS, q, z).map((r) => r * steps), 1e-5).epsilon;
        if (!(eps > 0)) return true; // ε = 0 (δ covers everything): no unique z
        const r = calibrateNoise({ epsilon: eps, delta: 1e-5, steps, samplingRate: q, mechanism: { mechanism: 'gaussian' }, orders: FAST_ORDERS, tolerance: 1e-8 });
        return r.epsilon <= eps && r.noise <= z * (1 + 1e-7) && r.noise >= z * (1 - 1e-5);
      },
    ),
    { numRuns: 15 },
  );
  t.pass();
});

test('property: ε increases with steps and q, decreases with noise; Gaussian RDP increases with the order', (t) => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.5, max: 5, noNaN: true }),
      fc.double({ min: 1e-3, max: 0.5, noNaN: true }),
      fc.integer({ min: 1, max: 2000 }),
      fc.double({ min: 1.01, max: 1.5, noNaN: true }),
      (z, q, steps, k) => {
        const eps = (zz: number, qq: number, tt: number) =>
          epsilonFromRdp(FAST_ORDERS, rdpSubsampledGaussian(FAST_ORDERS, qq, zz).map((r) => r * tt), 1e-5).epsilon;
        const e = eps(z, q, steps);
        const rdp = rdpSubsampledGaussian(FAST_ORDERS, q, z);
        return (
          eps(z * k, q, steps) <= e &&
          eps(z, Math.min(1, q * k), steps) >= e &&
          eps(z, q, steps + 1) >= e &&
          rdp.every((v, i) => i === 0 || v >= rdp[i - 1]!)
        );
      },
    ),
    { numRuns: 40 },
  );
  t.pass();
});

test('default orders: the dp_accounting grid (156 orders) and the discrete grid 2–128, 256', async (t) => {
  const { DEFAULT_DISCRETE_ORDERS } = await import('../src/accountant/index.js');
  t.is(DEFAULT_GAUSSIAN_ORDERS.length, 156);
  t.deepEqual(DEFAULT_GAUSSIAN_ORDERS.slice(0, 3), [1.1, 1.2, 1.3]);
  t.deepEqual(DEFAULT_GAUSSIAN_ORDERS.slice(98, 101), [10.9, 11, 12]);
  t.deepEqual(DEFAULT_GAUSSIAN_ORDERS.slice(-5), [63, 128, 256, 512, 1024]);
  t.is(DEFAULT_DISCRETE_ORDERS.length, 128);
  t.deepEqual([DEFAULT_DISCRETE_ORDERS[0], DEFAULT_DISCRETE_ORDERS[126], DEFAULT_DISCRETE_ORDERS[127]], [2, 128, 256]);
});
