/**
 * The accountant against published values (improved conversion unless said). Tolerances are relative and
 * match the printed precision: 1e-6 where 6–7 digits are printed, 1e-9 where 10+ digits are.
 */
import test from 'ava';
import {
  DEFAULT_GAUSSIAN_ORDERS,
  epsilonFromRdp,
  rdpSubsampledGaussian,
  PrivacyLedger,
} from '../src/accountant/index.js';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/** ε of T steps of the Poisson-subsampled Gaussian on dp_accounting's default orders. */
function dpSgdEpsilon(q: number, z: number, steps: number, delta: number, conversion: 'improved' | 'classic' = 'improved', fractional: 'exact' | 'dp-accounting' = 'exact') {
  const orders = DEFAULT_GAUSSIAN_ORDERS;
  const rdp = rdpSubsampledGaussian(orders, q, z, { fractional }).map((r) => steps * r);
  return epsilonFromRdp(orders, rdp, delta, conversion);
}

test('subsampled Gaussian RDP, q = 0.01, z = 2.5, 50 steps (dp_accounting test values; exact fractional orders)', (t) => {
  const orders = [1.5, 2.5, 5, 50, 100, Infinity];
  const published = [6.50071e-4, 1.085418e-3, 2.180757e-3, 2.384604e-2, 167.4163];
  const rdp = rdpSubsampledGaussian(orders, 0.01, 2.5).map((r) => 50 * r);
  published.forEach((p, i) => t.true(rel(rdp[i]!, p) < 1e-6, `order ${orders[i]}: ${rdp[i]} vs ${p}`));
  t.is(rdp[5], Infinity);
  // Independent check: mpmath quadrature at 50 digits gives 6.5007089718804e-4 and 1.08541805691812e-3.
  t.true(rel(rdp[0]!, 6.5007089718804e-4) < 1e-12);
  t.true(rel(rdp[1]!, 1.08541805691812e-3) < 1e-12);
});

test("subsampled Gaussian RDP with dp_accounting's fractional bound: 6.70580e-4 at 1.5, 1.085487e-3 at 2.5", (t) => {
  const orders = [1.5, 2.5, 5, 50, 100];
  const bound = rdpSubsampledGaussian(orders, 0.01, 2.5, { fractional: 'dp-accounting' }).map((r) => 50 * r);
  const exact = rdpSubsampledGaussian(orders, 0.01, 2.5, { fractional: 'exact' }).map((r) => 50 * r);
  t.true(rel(bound[0]!, 6.7058e-4) < 1e-5, `${bound[0]}`);
  t.true(rel(bound[1]!, 1.085487e-3) < 1e-6, `${bound[1]}`);
  t.true(bound[0]! > exact[0]! && bound[1]! > exact[1]!, 'the unsigned series is an upper bound');
  t.deepEqual(bound.slice(2), exact.slice(2), 'integer orders do not depend on the fractional method');
});

test('DP-SGD: N = 60000, batch 150, z = 1.3, 15 epochs, δ = 1e-5 → ε = 0.7242234026 (order 19)', (t) => {
  const steps = Math.ceil((15 * 60000) / 150);
  t.is(steps, 6000);
  const r = dpSgdEpsilon(150 / 60000, 1.3, steps, 1e-5);
  t.true(rel(r.epsilon, 0.7242234026109595) < 1e-9, `${r.epsilon}`);
  t.is(r.order, 19);
  t.is(r.conversion, 'improved');
});

test('DP-SGD: N = 100000, batch 100, z = 1.0, 30 epochs, δ = 1e-7 → ε = 1.4154988495 (order 13; TF Privacy test)', (t) => {
  const r = dpSgdEpsilon(100 / 100000, 1.0, 30000, 1e-7);
  t.true(rel(r.epsilon, 1.4154988495444845) < 1e-9, `${r.epsilon}`);
  t.is(r.order, 13);
});

test("Opacus: q = 0.04, z = 1.5, 2250 steps, δ = 1e-5 → ε = 7.32911117 (exact fractional orders; Opacus sums the signed series)", (t) => {
  const steps = Math.trunc(90 / 0.04);
  t.is(steps, 2250);
  const r = dpSgdEpsilon(0.04, 1.5, steps, 1e-5);
  t.true(rel(r.epsilon, 7.32911117143) < 1e-9, `${r.epsilon}`);
  t.is(r.order, 3.9);
  // dp_accounting's unsigned bound is looser at this (fractional) optimal order.
  const loose = dpSgdEpsilon(0.04, 1.5, steps, 1e-5, 'improved', 'dp-accounting');
  t.true(loose.epsilon > r.epsilon && rel(loose.epsilon, 7.3293347) < 1e-6, `${loose.epsilon}`);
});

test('MNIST (Abadi et al.): z = 1.1, batch 256 of 60000, 60 epochs, δ = 1e-5, classic conversion → ε ≈ 3.01', (t) => {
  // TF Privacy's compute_dp_sgd_privacy uses steps = ⌈epochs·N/batch⌉ = ⌈14062.5⌉ = 14063.
  const steps = Math.ceil((60 * 60000) / 256);
  t.is(steps, 14063);
  const r = dpSgdEpsilon(256 / 60000, 1.1, steps, 1e-5, 'classic');
  t.is(r.conversion, 'classic');
  t.is(Math.round(r.epsilon * 100) / 100, 3.01, `${r.epsilon}`);
  t.true(rel(r.epsilon, 3.0083810468) < 1e-9, `${r.epsilon}`);
  // ⌊14062.5⌋ also rounds to 3.01; the improved rule is tighter.
  t.is(Math.round(dpSgdEpsilon(256 / 60000, 1.1, 14062, 1e-5, 'classic').epsilon * 100) / 100, 3.01);
  t.true(dpSgdEpsilon(256 / 60000, 1.1, steps, 1e-5, 'improved').epsilon < r.epsilon);
});

test('the ledger reproduces the DP-SGD value when fed the same steps one round at a time', (t) => {
  const ledger = new PrivacyLedger({ orders: DEFAULT_GAUSSIAN_ORDERS });
  for (let i = 0; i < 60; i++) ledger.addRound({ mechanism: 'gaussian', noiseMultiplier: 1.3, samplingRate: 150 / 60000, steps: 100 });
  const r = ledger.epsilon(1e-5);
  t.true(rel(r.epsilon, 0.7242234026109595) < 1e-9);
  t.is(r.steps, 6000);
  t.is(r.rounds, 60);
});
