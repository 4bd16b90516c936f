/**
 * NoisePool: noise drawn ahead of time in a worker thread is exactly the samplers' output (a seeded pool
 * reproduces the in-thread sampler buffer for buffer), handed out once, and fails loudly.
 */
import test from 'ava';
import { seededRandom } from '@tessera/crypto';
import { DiscreteGaussian, NoisePool, Skellam, toRational } from '../src/index.js';

test('a seeded pool yields exactly what the in-thread sampler draws from the same seed, buffer after buffer', async (t) => {
  for (const noise of ['discrete-gaussian', 'skellam'] as const) {
    const variance = toRational('6.25');
    const pool = new NoisePool({ noise, variance, length: 5000, depth: 2, seed: `pool/${noise}` });
    t.teardown(() => pool.close());
    const reference = noise === 'skellam' ? new Skellam(variance, seededRandom(`pool/${noise}`)) : new DiscreteGaussian(variance, seededRandom(`pool/${noise}`));
    for (let i = 0; i < 3; i++) {
      const expected = new Int32Array(5000);
      reference.fill(expected);
      t.deepEqual(await pool.take(), expected, `${noise} buffer ${i}`);
    }
  }
});

test('an unseeded pool draws fresh buffers with the right variance, each handed out once', async (t) => {
  const pool = new NoisePool({ noise: 'discrete-gaussian', variance: toRational('100'), length: 50_000 });
  t.teardown(() => pool.close());
  const [a, b] = await Promise.all([pool.take(), pool.take()]);
  t.not(a, b);
  t.notDeepEqual(a, b);
  for (const x of [a, b]) {
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
    // sd of the sample variance ≈ 100·√(2/50000) ≈ 0.63: ±4 is over six standard errors.
    t.true(Math.abs(variance - 100) < 4, `variance ${variance}`);
    t.true(Math.abs(mean) < 0.3, `mean ${mean}`);
  }
});

test('validation names the option; a sampler failure in the worker rejects take(); a closed pool refuses', async (t) => {
  t.throws(() => new NoisePool({ noise: 'laplace' as never, variance: 1, length: 10 }), { instanceOf: RangeError, message: /options\.noise/ });
  t.throws(() => new NoisePool({ noise: 'skellam', variance: 1, length: 0 }), { message: /options\.length/ });
  t.throws(() => new NoisePool({ noise: 'skellam', variance: 1, length: 10, depth: 9 }), { message: /options\.depth/ });
  // σ = 2^30 does not fit an Int32Array sample: the worker's RangeError reaches the caller.
  const huge = new NoisePool({ noise: 'discrete-gaussian', variance: 2n ** 60n, length: 100_000 });
  await t.throwsAsync(huge.take(), { message: /noise worker: .*fit/ });
  await huge.close();
  const pool = new NoisePool({ noise: 'skellam', variance: 4, length: 10 });
  await pool.take();
  await pool.close();
  await t.throwsAsync(pool.take(), { message: /closed/ });
});
