import test from 'ava';
import {
  balancedThreshold, conv2d, dense, evaluateMetrics, fit, flatten, groupNorm, maxPool, meanStd, metricsOf, relu, sequential, sgd, standardize,
  type Evaluation, type Examples, type Trainer,
} from '../src/index.js';
import { blobs } from './helpers.js';

const tinyCnn = (seed: string) =>
  sequential([conv2d({ filters: 4, kernel: 3 }), groupNorm(2), relu(), maxPool(2), flatten(), dense(2)], {
    inputShape: [1, 8, 8], seed, optimizer: sgd({ learningRate: 0.05, momentum: 0.9 }),
  });

/**
 * A scripted trainer: its one parameter counts the epochs trained, and its validation probabilities
 * after epoch e are scripted so that the AUC of each epoch is known in advance.
 */
class Scripted implements Trainer {
  readonly parameterCount = 1;
  readonly inputShape = [1, 1, 1];
  readonly classes = 2;
  p = new Float32Array(1);
  constructor(private readonly script: (epoch: number) => { scores: number[]; loss: number }) {}
  getParameters(): Float32Array { return Float32Array.from(this.p); }
  setParameters(params: Float32Array): void { this.p = Float32Array.from(params); }
  trainEpochs() { this.p[0]! += 1; return [{ epoch: 1, loss: 1 / this.p[0]!, accuracy: 0.5, seconds: 0 }]; }
  evaluate(): Evaluation {
    const { scores, loss } = this.script(this.p[0]!);
    const probabilities = new Float32Array(scores.flatMap((s) => [1 - s, s]));
    return { loss, accuracy: NaN, probabilities, predictions: new Int32Array(scores.length) };
  }
  trainStep(): never { throw new Error('unused'); }
  gradient(): never { throw new Error('unused'); }
  perExampleGradients(): never { throw new Error('unused'); }
  clippedGradientSum(): never { throw new Error('unused'); }
  applyGradient(): never { throw new Error('unused'); }
  predict(): never { throw new Error('unused'); }
}

// Labels 0, 0, 1, 1: AUC 1 when the positives score highest, 0.75 with one pair out of order, 0.5 or less otherwise.
const valLabels: Examples = { inputs: new Float32Array(4), labels: [0, 0, 1, 1] };
const train: Examples = { inputs: new Float32Array(4), labels: [0, 1, 0, 1] };
const SCORES: Record<number, number[]> = {
  1: [0.5, 0.6, 0.4, 0.7], // AUC 0.5
  2: [0.1, 0.4, 0.35, 0.8], // AUC 0.75
  3: [0.1, 0.2, 0.8, 0.9], // AUC 1, loss 0.3
  4: [0.3, 0.2, 0.6, 0.7], // AUC 1, loss 0.2: wins the tie
  5: [0.9, 0.2, 0.1, 0.7], // AUC 0.25
};
const LOSS: Record<number, number> = { 1: 0.7, 2: 0.5, 3: 0.3, 4: 0.2, 5: 0.9 };

test('fit picks the best validation AUC (ties: lower loss), restores its parameters, and reports every epoch', (t) => {
  const trainer = new Scripted((e) => ({ scores: SCORES[e]!, loss: LOSS[e]! }));
  const seen: number[] = [];
  const remaining: number[] = [];
  const r = fit(trainer, { train, val: valLabels }, { epochs: 5, onEpoch: (e, left) => (seen.push(e.epoch), remaining.push(left)) });
  t.deepEqual(seen, [1, 2, 3, 4, 5]);
  t.deepEqual(remaining, [4, 3, 2, 1, 0]);
  t.deepEqual(r.epochs.map((e) => e.val.auc), [0.5, 0.75, 1, 1, 0.25]);
  t.deepEqual(r.epochs.map((e) => e.best), [true, true, true, true, false]);
  t.is(r.bestEpoch, 4);
  t.is(r.selectedOn, 'auc');
  t.deepEqual(Array.from(trainer.getParameters()), [4], 'the parameters after epoch 4 are restored');
  t.deepEqual(Array.from(r.parameters), [4]);
  t.is(r.best, r.epochs[3]!);
  t.deepEqual(r.best.val.confusionMatrix, [[2, 0], [0, 2]]);
});

test('fit with restoreBest: false keeps the last parameters; select: loss picks the lowest validation loss', (t) => {
  const a = new Scripted((e) => ({ scores: SCORES[e]!, loss: LOSS[e]! }));
  const r = fit(a, { train, val: valLabels }, { epochs: 5, restoreBest: false });
  t.is(r.bestEpoch, 4);
  t.deepEqual(Array.from(a.getParameters()), [5]);
  const b = new Scripted((e) => ({ scores: SCORES[e]!, loss: [0, 0.4, 0.1, 0.3, 0.35, 0.2][e]! }));
  t.is(fit(b, { train, val: valLabels }, { epochs: 5, select: 'loss' }).bestEpoch, 2);
});

test('fit falls back to accuracy when the validation set has one class (AUC undefined)', (t) => {
  const trainer = new Scripted((e) => ({ scores: [[0.6, 0.6, 0.6], [0.4, 0.6, 0.4], [0.4, 0.4, 0.6]][e - 1]!, loss: 1 }));
  const r = fit(trainer, { train, val: { inputs: new Float32Array(3), labels: [1, 1, 1] } }, { epochs: 3 });
  t.true(Number.isNaN(r.epochs[0]!.val.auc));
  t.is(r.selectedOn, 'accuracy');
  t.is(r.bestEpoch, 1);
});

test('fit refuses bad arguments, naming them', (t) => {
  const trainer = new Scripted(() => ({ scores: [0, 0, 1, 1], loss: 1 }));
  t.throws(() => fit(trainer, { train, val: valLabels }, { epochs: 0 }), { message: /epochs/ });
  t.throws(() => fit(trainer, { train, val: valLabels }, { epochs: 1, batchSize: 0 }), { message: /batchSize/ });
  t.throws(() => fit(trainer, { train, val: valLabels }, { epochs: 1, select: 'f1' as never }), { message: /select/ });
  t.throws(() => fit(trainer, { train } as never, { epochs: 1 }), { message: /val/ });
});

test('fit is deterministic: same seeds give identical epochs and parameters (with augmentation); another seed does not', (t) => {
  const data = blobs(96, 8, 'fit train');
  const val = blobs(40, 8, 'fit val');
  const run = (seed: string) => {
    const model = tinyCnn(seed);
    const r = fit(model, { train: data, val }, { epochs: 3, batchSize: 16, seed, augment: { maxShift: 1 } });
    return { epochs: r.epochs.map(({ seconds, ...rest }) => rest), bestEpoch: r.bestEpoch, params: model.getParameters() };
  };
  const a = run('s1'), b = run('s1'), c = run('s2');
  t.deepEqual(a, b);
  t.notDeepEqual(a.params, c.params);
});

test('fit learns: a small CNN separates the blobs (validation AUC > 0.95) and the restored model scores as recorded', (t) => {
  const data = blobs(200, 8, 'learn train');
  const val = blobs(80, 8, 'learn val');
  const model = tinyCnn('learn');
  const r = fit(model, { train: data, val }, { epochs: 4, batchSize: 16 });
  t.true(r.best.val.auc > 0.95, String(r.best.val.auc));
  t.deepEqual(evaluateMetrics(model, val), r.best.val, 'the restored parameters are those of the best epoch');
});

test('metricsOf: threshold, AUC, recall and confusion matrix by hand', (t) => {
  const e: Evaluation = { loss: 0.5, accuracy: NaN, probabilities: new Float32Array([0.9, 0.1, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8]), predictions: new Int32Array(4) };
  const labels = [0, 0, 1, 1];
  const m = metricsOf(e, labels, 2);
  t.is(m.auc, 1);
  t.is(m.accuracy, 0.75);
  t.deepEqual(m.perClassRecall, [0.5, 1]);
  t.is(m.balancedAccuracy, 0.75);
  t.deepEqual(m.confusionMatrix, [[1, 1], [0, 2]]);
  const at = metricsOf(e, labels, 2, { threshold: 0.65 });
  t.is(at.accuracy, 1);
  t.is(at.threshold, 0.65);
});

test('meanStd and standardize', (t) => {
  const x = new Float32Array([1, 2, 3, 4]);
  const { mean, std } = meanStd(x);
  t.is(mean, 2.5);
  t.true(Math.abs(std - Math.sqrt(1.25)) < 1e-12);
  const z = standardize(x, mean, std);
  t.true(Math.abs(meanStd(z).mean) < 1e-7 && Math.abs(meanStd(z).std - 1) < 1e-6);
  t.deepEqual(standardize(x, 1, 0), new Float32Array([0, 1, 2, 3]), 'std 0 is treated as 1');
});

test('balancedThreshold maximises balanced accuracy on the given scores (midpoint of the optimal cuts)', (t) => {
  const near = (a: number | undefined, b: number): boolean => a !== undefined && Math.abs(a - b) < 1e-7;
  t.true(near(balancedThreshold([0, 0, 1, 1], [0.1, 0.6, 0.7, 0.9]), 0.65));
  // Imbalanced: 1 negative scoring 0.8 among positives; the cut above it trades 1 of 4 positives for the one negative.
  t.true(near(balancedThreshold([1, 1, 1, 1, 0, 0], [0.9, 0.95, 0.85, 0.7, 0.8, 0.1]), 0.825));
  t.is(balancedThreshold([1, 1], [0.2, 0.3]), undefined, 'one class: undefined');
  t.true(near(balancedThreshold([0, 1], [0.8, 0.3], 0), 0.55), 'positive class 0');
});

test("fit with threshold 'balanced' reports validation metrics at the threshold chosen on validation", (t) => {
  // Epoch 1: every score above 0.5, so arg-max calls all positive; the balanced cut separates them.
  const trainer = new Scripted(() => ({ scores: [0.6, 0.65, 0.8, 0.9], loss: 1 }));
  const r = fit(trainer, { train, val: valLabels }, { epochs: 1, threshold: 'balanced' });
  t.true(Math.abs(r.threshold! - 0.725) < 1e-7, String(r.threshold));
  t.is(r.best.val.threshold, r.threshold);
  t.is(r.best.val.accuracy, 1);
  const plain = fit(new Scripted(() => ({ scores: [0.6, 0.65, 0.8, 0.9], loss: 1 })), { train, val: valLabels }, { epochs: 1 });
  t.is(plain.threshold, undefined);
  t.is(plain.best.val.accuracy, 0.5);
});
