/**
 * `tessera privacy`: the accountant and the samplers from the command line, against published values
 * (the accountant's own tests check the numbers in depth; these check that the flags reach it intact).
 */
import test from 'ava';
import { json, noStackTrace, tessera } from './tessera.js';

const close = (a: number, b: number, rel: number): boolean => Math.abs(a - b) <= rel * Math.abs(b);

test('epsilon: DP-SGD N = 60000, batch 150, z = 1.3, 15 epochs, δ = 1e-5 gives ε = 0.7242234026 (improved)', async (t) => {
  const r = await tessera(['privacy', 'epsilon', '--mechanism', 'gaussian', '--noise-multiplier', '1.3', '--sampling-rate', String(150 / 60000), '--steps', '6000', '--delta', '1e-5', '--json']);
  t.is(r.code, 0, r.stderr);
  const j = json(r);
  t.true(close(j.epsilon, 0.7242234026, 1e-9), String(j.epsilon));
  t.is(j.delta, 1e-5);
  t.is(j.conversion, 'improved');
  t.is(typeof j.order, 'number');
});

test('epsilon: Opacus q = 0.04, z = 1.5, 2250 steps gives 7.32911117; MNIST z = 1.1 classic gives ≈ 3.01', async (t) => {
  const [a, b] = await Promise.all([
    tessera(['privacy', 'epsilon', '--mechanism', 'gaussian', '--noise-multiplier', '1.5', '--sampling-rate', '0.04', '--steps', '2250', '--delta', '1e-5', '--json']),
    tessera(['privacy', 'epsilon', '--mechanism', 'gaussian', '--noise-multiplier', '1.1', '--sampling-rate', String(256 / 60000), '--steps', '14063', '--delta', '1e-5', '--conversion', 'classic', '--json']),
  ]);
  t.true(close(json(a).epsilon, 7.32911117, 1e-8), String(json(a).epsilon));
  t.is(json(b).conversion, 'classic');
  t.is(Number(json(b).epsilon.toFixed(2)), 3.01);
});

test('calibrate then epsilon round-trips: the calibrated noise meets the target and 1% less noise does not', async (t) => {
  const common = ['--mechanism', 'gaussian', '--sampling-rate', '0.01', '--steps', '500', '--delta', '1e-5'];
  const c = json(await tessera(['privacy', 'calibrate', ...common, '--epsilon', '2', '--n-min', '4', '--json']));
  t.true(c.epsilon <= 2 && c.epsilon > 1.99, String(c.epsilon));
  t.true(close(c.perContributor, c.noise / 2, 1e-12));
  const at = async (z: number) => json(await tessera(['privacy', 'epsilon', ...common, '--noise-multiplier', String(z), '--json'])).epsilon as number;
  t.true((await at(c.noise)) <= 2);
  t.true((await at(c.noise * 0.99)) > 2);
});

test('epsilon for ddgauss and skellam: finite, and more noise spends less', async (t) => {
  const dd = (s: string) => ['privacy', 'epsilon', '--mechanism', 'ddgauss', '--granularity', '1e-4', '--local-stddev', s, '--clients', '10', '--l2-clip', '1', '--beta', '0.6065', '--dim', '65536', '--steps', '100', '--delta', '1e-5', '--json'];
  const sk = (s: string) => ['privacy', 'epsilon', '--mechanism', 'skellam', '--scale', '1000', '--central-stddev', s, '--l2-clip', '1', '--beta', '0.6065', '--dim', '65536', '--steps', '100', '--delta', '1e-5', '--json'];
  const [d1, d2, s1, s2] = (await Promise.all([tessera(dd('0.5')), tessera(dd('1')), tessera(sk('1.5')), tessera(sk('3'))])).map(json);
  for (const r of [d1, d2, s1, s2]) t.true(Number.isFinite(r.epsilon) && r.epsilon > 0, JSON.stringify(r));
  t.true(d2.epsilon < d1.epsilon);
  t.true(s2.epsilon < s1.epsilon);
  t.true(Number.isInteger(d1.order), 'discrete mechanisms use integer orders');
});

test('flag errors name what is missing or does not apply, exit 2, no stack trace', async (t) => {
  const cases: [string[], RegExp][] = [
    [['privacy', 'epsilon', '--mechanism', 'ddgauss', '--steps', '3', '--delta', '1e-5'], /--mechanism ddgauss needs --local-stddev, --granularity, --clients, --l2-clip, --beta, --dim/],
    [['privacy', 'epsilon', '--mechanism', 'gaussian', '--noise-multiplier', '1', '--scale', '3', '--steps', '3', '--delta', '1e-5'], /--scale does not apply to privacy epsilon --mechanism gaussian/],
    [['privacy', 'epsilon', '--mechanism', 'gaussian', '--noise-multiplier', '1', '--steps', '3', '--delta', '2'], /invalid value '2' for --delta: expected a number in \(0, 1\]/],
    [['privacy', 'calibrate', '--mechanism', 'gaussian', '--steps', '3', '--delta', '1e-5'], /missing required option --epsilon/],
    [['privacy', 'sample', '--noise', 'skellam', '--stddev', 'abc', '--count', '3'], /--stddev/],
    [['privacy', 'sample', '--noise', 'laplace', '--stddev', '1', '--count', '3'], /--noise: expected one of/],
  ];
  for (const [args, message] of cases) {
    const r = await tessera(args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message);
    t.true(noStackTrace(r.stderr));
  }
});

test('sample: a JSON array of integers, reproducible with --seed, fresh without; variance near σ²', async (t) => {
  const args = (noise: string, seed?: string) => ['privacy', 'sample', '--noise', noise, '--stddev', '3', '--count', '20000', ...(seed ? ['--seed', seed] : [])];
  for (const noise of ['discrete-gaussian', 'skellam']) {
    const [a, b, c] = await Promise.all([tessera(args(noise, '7')), tessera(args(noise, '7')), tessera(args(noise))]);
    const xs: number[] = json(a);
    t.is(xs.length, 20000);
    t.true(xs.every(Number.isInteger));
    t.deepEqual(json(b), xs, 'same seed, same samples');
    t.notDeepEqual(json(c), xs, 'no seed: fresh randomness');
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    // sd of the sample variance ≈ σ²·√(2/n) ≈ 0.09: 9 ± 0.5 is over five standard errors.
    t.true(Math.abs(variance - 9) < 0.5, `${noise}: variance ${variance}`);
    t.true(Math.abs(mean) < 0.1, `${noise}: mean ${mean}`);
  }
});
