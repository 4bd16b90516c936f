/**
 * The worker thread of {@link NoisePool}: draws buffers of exact discrete noise on request. Runs in its
 * own thread so that a client draws the next round's noise on an otherwise idle core while it trains.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { seededRandom, systemRandom } from '@tessera/crypto';
import { DiscreteGaussian, type NoiseSampler } from './gaussian.js';
import { Skellam } from './poisson.js';

interface Setup {
  readonly noise: 'discrete-gaussian' | 'skellam';
  readonly num: string;
  readonly den: string;
  readonly length: number;
  readonly seed?: string;
}

const setup = workerData as Setup;
const variance = { num: BigInt(setup.num), den: BigInt(setup.den) };
const rng = setup.seed === undefined ? systemRandom : seededRandom(setup.seed);
const sampler: NoiseSampler = setup.noise === 'skellam' ? new Skellam(variance, rng) : new DiscreteGaussian(variance, rng);

parentPort!.on('message', () => {
  try {
    const out = new Int32Array(setup.length);
    sampler.fill(out);
    parentPort!.postMessage({ ok: true, buffer: out.buffer }, [out.buffer]);
  } catch (e) {
    parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
  }
});
