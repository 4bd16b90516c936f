import test from 'ava';
import { RunTracker, createFederation, federatedTrain, runFederatedRound } from '../src/index.js';
import { blobs, tinyModel } from './helpers.js';

const sites = [blobs(40, 'a', 0.8), blobs(60, 'b', 0.3), blobs(50, 'c', 0.5)];
const val = blobs(80, 'val');
const options = { model: tinyModel, sites, mode: 'fedavg' as const, localEpochs: 1, batchSize: 8, seed: 'tracker', secagg: { graph: 'complete' as const } };

test('the tracker reports what federatedTrain reports (one implementation for both transports)', (t) => {
  const trained = federatedTrain({ ...options, rounds: 3, val });
  const f = createFederation(options);
  const tracker = new RunTracker(f, { rounds: 3, val });
  for (let r = 0; r < 3; r++) tracker.finish(runFederatedRound(f, r));
  const strip = (x: readonly { seconds: unknown }[]) => x.map(({ seconds: _s, ...rest }) => rest);
  t.deepEqual(strip(tracker.reports), strip(trained.rounds));
  t.deepEqual(tracker.parameters, trained.parameters);
  t.is(tracker.best?.round, trained.best?.round);
});

test('ema: the reported model is the bias-corrected moving average of the completed rounds\' models', (t) => {
  const beta = 0.6;
  const f = createFederation(options);
  const tracker = new RunTracker(f, { rounds: 4, val, ema: beta });
  const models: Float32Array[] = [];
  for (let r = 0; r < 4; r++) {
    // Round 2 aborts: its model (unchanged) is not folded in.
    const base = runFederatedRound(f, r);
    const report = tracker.finish(r === 2 ? { ...base, aborted: 'ERR_TEST: forced' } : base);
    if (r !== 2) models.push(f.server.parameters);
    t.truthy(report.val);
  }
  const d = models[0]!.length;
  const expected = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    let s = 0;
    models.forEach((m) => (s = beta * s + (1 - beta) * m[i]!));
    expected[i] = s / (1 - beta ** models.length);
  }
  const got = tracker.parameters;
  for (let i = 0; i < d; i++) t.true(Math.abs(got[i]! - expected[i]!) <= 1e-6 * (1 + Math.abs(expected[i]!)), `parameter ${i}: ${got[i]} vs ${expected[i]}`);
  // The server's own model is untouched by evaluating the average.
  t.deepEqual(f.server.parameters, models[models.length - 1]);
  t.notDeepEqual(got, f.server.parameters);
  t.throws(() => new RunTracker(f, { rounds: 1, ema: 1 }), { instanceOf: RangeError, message: /ema must be a decay in \[0, 1\), got 1/ });
});
