/**
 * The training loop shared by central and federated training: epochs over a training set (optionally a
 * fresh random-shift copy each epoch), validation metrics after each epoch, the best epoch picked on
 * validation (ROC AUC by default) and its parameters restored. Also the metrics of one model on one
 * split ({@link evaluateMetrics}) and the standardisation of inputs by the training mean and std.
 * @module
 */
import { aint } from '@tessera/crypto';
import { randomShift } from './augment.js';
import { accuracy, balancedAccuracy, classScores, confusionMatrix, perClassRecall, rocAuc, argmax } from './metrics.js';
import { streamFor } from './random.js';
import { anum } from './tensor.js';
import type { Evaluation, Examples, Trainer } from './trainer.js';

/** Quality of a model on one split. */
export interface Metrics {
  /** Examples. */
  n: number;
  /** Mean cross-entropy. */
  loss: number;
  /** ROC AUC of the positive class's probability (binary tasks with both classes present), else NaN. */
  auc: number;
  /** Accuracy of the predictions (see `threshold`). */
  accuracy: number;
  /** Mean recall over the classes present. */
  balancedAccuracy: number;
  /** Recall of each class (NaN for a class with no examples). */
  perClassRecall: number[];
  /** counts[true][predicted]. */
  confusionMatrix: number[][];
  /** Binary tasks: predicted positive when P(positive) ≥ threshold; undefined means arg-max. */
  threshold: number | undefined;
}

/** Options of {@link evaluateMetrics}. */
export interface MetricOptions {
  /** The positive class of a binary task (default 1). */
  positive?: number;
  /** Binary tasks: predict `positive` when its probability is ≥ this (default: arg-max, i.e. 0.5). */
  threshold?: number;
  /** Evaluation batch size (default 256). */
  batchSize?: number;
}

/** The predictions of an evaluation: arg-max, or for a binary task P(positive) ≥ threshold. */
export function predictionsAt(probabilities: Float32Array, classes: number, threshold?: number, positive = 1): Int32Array {
  if (threshold === undefined || classes !== 2) return argmax(probabilities, classes);
  const scores = classScores(probabilities, classes, positive);
  const out = new Int32Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i]! >= threshold ? positive : 1 - positive;
  return out;
}

/** Metrics of an evaluation against its labels (AUC is NaN unless binary with both classes present). */
export function metricsOf(e: Evaluation, labels: ArrayLike<number>, classes: number, options: MetricOptions = {}): Metrics {
  const positive = options.positive ?? 1;
  const predictions = predictionsAt(e.probabilities, classes, options.threshold, positive);
  let auc = NaN;
  if (classes === 2) {
    const binary = Array.from(labels, (l) => (l === positive ? 1 : 0));
    const pos = binary.reduce((a: number, b) => a + b, 0);
    if (pos > 0 && pos < binary.length) auc = rocAuc(binary, classScores(e.probabilities, classes, positive));
  }
  return {
    n: labels.length,
    loss: e.loss,
    auc,
    accuracy: accuracy(labels, predictions),
    balancedAccuracy: balancedAccuracy(labels, predictions, classes),
    perClassRecall: perClassRecall(labels, predictions, classes),
    confusionMatrix: confusionMatrix(labels, predictions, classes),
    threshold: options.threshold,
  };
}

/**
 * Evaluates `trainer` on `data` and computes the package's metrics.
 *
 * @example
 * const m = evaluateMetrics(model, test); // { auc, accuracy, balancedAccuracy, perClassRecall, confusionMatrix, … }
 */
export function evaluateMetrics(trainer: Trainer, data: Examples, options: MetricOptions = {}): Metrics {
  return metricsOf(trainer.evaluate(data, options.batchSize ?? 256), data.labels, trainer.classes, options);
}

/**
 * The decision threshold on P(positive) that maximises balanced accuracy (equivalently Youden's J =
 * sensitivity + specificity − 1) on labelled scores: the cut points are the midpoints between
 * consecutive distinct scores; when several maximise it, the midpoint of the first and last of them.
 * Undefined unless both classes are present. Choose it on validation data, never on the test split.
 *
 * @example
 * balancedThreshold([0, 0, 1, 1], [0.1, 0.6, 0.7, 0.9]); // 0.65
 */
export function balancedThreshold(labels: ArrayLike<number>, scores: ArrayLike<number>, positive = 1): number | undefined {
  const n = labels.length;
  if (scores.length !== n) throw new RangeError(`labels (${n}) and scores (${scores.length}) differ in length`);
  let pos = 0;
  for (let i = 0; i < n; i++) if (labels[i] === positive) pos++;
  const neg = n - pos;
  if (pos === 0 || neg === 0) return undefined;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  // Cut k: everything from the k-th distinct score up is predicted positive.
  let tn = 0, fn = 0; // below the cut
  let best = -1, lo = 0, hi = 0;
  const consider = (t: number): void => {
    const b = (pos - fn) / pos + tn / neg;
    if (b > best + 1e-12) (best = b), (lo = hi = t);
    else if (Math.abs(b - best) <= 1e-12) hi = t;
  };
  consider(scores[order[0]!]! - 1e-6);
  for (let i = 0; i < n; ) {
    const v = scores[order[i]!]!;
    let j = i;
    for (; j < n && scores[order[j]!] === v; j++) labels[order[j]!] === positive ? fn++ : tn++;
    consider(j < n ? (v + scores[order[j]!]!) / 2 : v + 1e-6);
    i = j;
  }
  return (lo + hi) / 2;
}

/** Which validation figure picks the best epoch (higher is better; 'loss': lower is better). */
export type Selection = 'auc' | 'accuracy' | 'balancedAccuracy' | 'loss';

/** One epoch of {@link fit}. */
export interface FitEpoch {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch. */
  loss: number;
  /** Training accuracy over the epoch (as the examples were seen, before each step). */
  trainAccuracy: number;
  /** Validation metrics after the epoch. */
  val: Metrics;
  /** Seconds of training and validation. */
  seconds: number;
  /** Whether this epoch is the best so far on validation. */
  best: boolean;
}

/** Options of {@link fit}. */
export interface FitOptions {
  /** Epochs (≥ 1). */
  epochs: number;
  /** Mini-batch size (default 32). */
  batchSize?: number;
  /** Seed of the augmentation stream (default 'tessera'); shuffling and initialisation are the trainer's. */
  seed?: string | Uint8Array;
  /** Random shift of each training image each epoch by up to `maxShift` pixels (default none). */
  augment?: false | { maxShift: number; flip?: boolean };
  /** Validation figure that picks the best epoch (default 'auc'; 'accuracy' when AUC is undefined). */
  select?: Selection;
  /**
   * Binary tasks: the decision threshold on P(positive). A number fixes it; 'balanced' chooses it after
   * every epoch on the validation split ({@link balancedThreshold}); default arg-max (0.5).
   */
  threshold?: number | 'balanced';
  /** Positive class of a binary task (default 1). */
  positive?: number;
  /** Restore the best epoch's parameters at the end (default true). */
  restoreBest?: boolean;
  /** Called after each epoch, with the epochs still to run. */
  onEpoch?: (epoch: FitEpoch, remaining: number) => void;
}

/** The result of {@link fit}. */
export interface FitResult {
  /** Every epoch, in order. */
  epochs: FitEpoch[];
  /** The epoch picked on validation (1-based). */
  bestEpoch: number;
  /** That epoch's record. */
  best: FitEpoch;
  /** The best epoch's parameters (also loaded into the trainer unless `restoreBest` is false). */
  parameters: Float32Array;
  /** The decision threshold that goes with the best epoch (undefined: arg-max). */
  threshold: number | undefined;
  /** The figure that picked it ('accuracy' when 'auc' was asked for but AUC is undefined). */
  selectedOn: Selection;
  /** Wall-clock seconds of the whole loop. */
  seconds: number;
}

const score = (m: Metrics, on: Selection): number => (on === 'loss' ? -m.loss : m[on]);

/** True when `a` beats `b` on `on`; ties go to the lower validation loss, then to the earlier epoch. */
function better(a: Metrics, b: Metrics, on: Selection): boolean {
  const sa = score(a, on), sb = score(b, on);
  if (Number.isNaN(sb)) return !Number.isNaN(sa);
  if (sa !== sb) return sa > sb;
  return a.loss < b.loss;
}

/**
 * Trains `trainer` for `epochs` epochs on `splits.train`, evaluates on `splits.val` after each, and
 * keeps the parameters of the best epoch by validation AUC (or `select`). Deterministic: the trainer's
 * seed fixes initialisation and shuffling, `seed` the augmentation.
 *
 * @example
 * const model = smallCnn({ seed: '1', optimizer: sgd({ learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4 }) });
 * const r = fit(model, { train, val }, { epochs: 10, seed: '1', augment: { maxShift: 2 } });
 * r.bestEpoch; r.best.val.auc; // model now holds the best epoch's parameters
 */
export function fit(trainer: Trainer, splits: { train: Examples; val: Examples }, options: FitOptions): FitResult {
  if (typeof trainer?.trainEpochs !== 'function') throw new TypeError('trainer must be a Trainer');
  if (!splits?.train || !splits?.val) throw new TypeError('splits must hold train and val');
  const epochs = aint(options?.epochs, 'epochs', 1, 1 << 20);
  const batchSize = aint(options.batchSize ?? 32, 'batchSize', 1, 1 << 16);
  const positive = aint(options.positive ?? 1, 'positive', 0, trainer.classes - 1);
  const threshold = options.threshold === undefined || options.threshold === 'balanced' ? options.threshold : anum(options.threshold, 'threshold', 0, 1);
  const augment = options.augment || undefined;
  if (augment) aint(augment.maxShift, 'augment.maxShift', 0, 1 << 10);
  if (splits.val.labels.length === 0) throw new RangeError('splits.val must hold at least one example');
  let select: Selection = options.select ?? 'auc';
  if (!['auc', 'accuracy', 'balancedAccuracy', 'loss'].includes(select)) throw new RangeError(`select must be auc, accuracy, balancedAccuracy or loss, got ${String(select)}`);
  const stream = augment ? streamFor(options.seed ?? 'tessera', 'fit/augment') : undefined;
  const started = performance.now();
  const records: FitEpoch[] = [];
  let best: FitEpoch | undefined;
  let bestParams: Float32Array | undefined;
  for (let e = 1; e <= epochs; e++) {
    const t0 = performance.now();
    const data = augment ? randomShift(splits.train, trainer.inputShape, augment, stream!) : splits.train;
    const [r] = trainer.trainEpochs(data, { epochs: 1, batchSize });
    const ev = trainer.evaluate(splits.val, 256);
    const cut = threshold === 'balanced' ? (trainer.classes === 2 ? balancedThreshold(splits.val.labels, classScores(ev.probabilities, 2, positive), positive) : undefined) : threshold;
    const val = metricsOf(ev, splits.val.labels, trainer.classes, { positive, ...(cut !== undefined ? { threshold: cut } : {}) });
    if (e === 1 && select === 'auc' && Number.isNaN(val.auc)) select = 'accuracy';
    const isBest = best === undefined || better(val, best.val, select);
    const record: FitEpoch = { epoch: e, loss: r!.loss, trainAccuracy: r!.accuracy, val, seconds: (performance.now() - t0) / 1000, best: isBest };
    if (isBest) {
      best = record;
      bestParams = trainer.getParameters();
    }
    records.push(record);
    options.onEpoch?.(record, epochs - e);
  }
  if (options.restoreBest !== false) trainer.setParameters(bestParams!);
  return { epochs: records, bestEpoch: best!.epoch, best: best!, parameters: bestParams!, threshold: best!.val.threshold, selectedOn: select, seconds: (performance.now() - started) / 1000 };
}

/** The mean and standard deviation of every value of `inputs` (float64 accumulation). */
export function meanStd(inputs: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < inputs.length; i++) s += inputs[i]!;
  const mean = inputs.length ? s / inputs.length : 0;
  let v = 0;
  for (let i = 0; i < inputs.length; i++) v += (inputs[i]! - mean) ** 2;
  const std = inputs.length ? Math.sqrt(v / inputs.length) : 1;
  return { mean, std };
}

/** (x − mean) / std of every value, as a new array (std 0 is treated as 1). */
export function standardize(inputs: Float32Array, mean: number, std: number): Float32Array {
  const out = new Float32Array(inputs.length);
  const inv = std > 0 ? 1 / std : 1;
  for (let i = 0; i < inputs.length; i++) out[i] = (inputs[i]! - mean) * inv;
  return out;
}
