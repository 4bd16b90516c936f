/**
 * Classification metrics: accuracy, balanced accuracy, per-class recall, confusion matrix and the exact
 * ROC AUC (Mann–Whitney U with mid-ranks for ties). Labels and predictions are class indices.
 * @module
 */
import { aint } from '@tessera/crypto';

function pairs(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number {
  aint(classes, 'classes', 1, 1 << 20);
  if (labels?.length === undefined || predictions?.length === undefined) throw new TypeError('labels and predictions must be arrays of class indices');
  if (labels.length !== predictions.length) throw new RangeError(`labels (${labels.length}) and predictions (${predictions.length}) differ in length`);
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isInteger(labels[i]) || labels[i]! < 0 || labels[i]! >= classes) throw new RangeError(`labels[${i}] must be a class index in [0, ${classes}), got ${labels[i]}`);
    if (!Number.isInteger(predictions[i]) || predictions[i]! < 0 || predictions[i]! >= classes) throw new RangeError(`predictions[${i}] must be a class index in [0, ${classes}), got ${predictions[i]}`);
  }
  return labels.length;
}

/**
 * counts[t][p]: examples of true class t predicted as p.
 *
 * @example
 * confusionMatrix([0, 0, 1], [0, 1, 1], 2); // [[1, 1], [0, 1]]
 */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number[][] {
  const n = pairs(labels, predictions, classes);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < n; i++) m[labels[i]!]![predictions[i]!]!++;
  return m;
}

/**
 * Fraction of correct predictions (NaN for no examples).
 *
 * @example
 * accuracy([0, 1, 1], [0, 1, 0]); // 2/3
 */
export function accuracy(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  if (labels?.length === undefined || predictions?.length === undefined) throw new TypeError('labels and predictions must be arrays of class indices');
  if (labels.length !== predictions.length) throw new RangeError(`labels (${labels.length}) and predictions (${predictions.length}) differ in length`);
  let c = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predictions[i]) c++;
  return labels.length ? c / labels.length : NaN;
}

/**
 * Recall (sensitivity) of each class: correct / examples of that class; NaN for a class with none.
 *
 * @example
 * perClassRecall([0, 0, 1], [0, 1, 1], 2); // [0.5, 1]
 */
export function perClassRecall(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number[] {
  return confusionMatrix(labels, predictions, classes).map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total ? row[t]! / total : NaN;
  });
}

/**
 * Mean recall over the classes that have examples (robust to class imbalance).
 *
 * @example
 * balancedAccuracy([0, 0, 0, 1], [0, 0, 0, 0], 2); // (1 + 0) / 2 = 0.5
 */
export function balancedAccuracy(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number {
  const r = perClassRecall(labels, predictions, classes).filter((x) => !Number.isNaN(x));
  return r.length ? r.reduce((a, b) => a + b, 0) / r.length : NaN;
}

/**
 * Exact area under the ROC curve for binary labels (1 = positive) and scores (higher = more positive):
 * the probability that a random positive outscores a random negative, ties counting one half —
 * computed from mid-ranks in O(n log n). Throws a RangeError unless both classes are present.
 *
 * @example
 * rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  if (labels?.length === undefined || scores?.length === undefined) throw new TypeError('labels and scores must be arrays');
  const n = labels.length;
  if (scores.length !== n) throw new RangeError(`labels (${n}) and scores (${scores.length}) differ in length`);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`labels[${i}] must be 0 or 1, got ${labels[i]}`);
    if (typeof scores[i] !== 'number' || Number.isNaN(scores[i])) throw new RangeError(`scores[${i}] must be a number, got ${scores[i]}`);
    pos += labels[i]!;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) throw new RangeError(`rocAuc needs both classes, got ${pos} positive and ${neg} negative examples`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const mid = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (labels[order[k]!] === 1) rankSum += mid;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Arg-max class of each row of an n × classes probability (or logit) matrix. */
export function argmax(values: ArrayLike<number>, classes: number): Int32Array {
  aint(classes, 'classes', 1, 1 << 20);
  if (values.length % classes !== 0) throw new RangeError(`values length ${values.length} is not a multiple of classes ${classes}`);
  const n = values.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (values[i * classes + k]! > values[i * classes + best]!) best = k;
    out[i] = best;
  }
  return out;
}

/** Column `positive` of an n × classes probability matrix (the score ROC AUC ranks by). */
export function classScores(probabilities: ArrayLike<number>, classes: number, positive = 1): Float64Array {
  aint(classes, 'classes', 1, 1 << 20);
  aint(positive, 'positive', 0, classes - 1);
  const n = Math.floor(probabilities.length / classes);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = probabilities[i * classes + positive]!;
  return out;
}
