/**
 * Softmax cross-entropy on logits with integer class labels, computed stably (log-sum-exp with the
 * maximum subtracted).
 * @module
 */
import type { Arr } from './tensor.js';

/**
 * For `n` examples of `K` logits: returns the summed loss Σ_i (logsumexp(z_i) − z_i[y_i]), writes
 * dLoss_i/dz_i · `scale` = (softmax(z_i) − onehot(y_i)) · scale into `dLogits` (unless null), and each
 * example's loss into `losses` (unless omitted).
 *
 * @example
 * const d = new Float32Array(2);
 * softmaxCrossEntropy(new Float32Array([0, 0]), new Int32Array([1]), 1, 2, d, 1); // log 2; d = [0.5, −0.5]
 */
export function softmaxCrossEntropy(logits: Arr, labels: ArrayLike<number>, n: number, K: number, dLogits: Arr | null, scale: number, losses?: Float64Array): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = i * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (logits[o + k]! > max) max = logits[o + k]!;
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(logits[o + k]! - max);
    const lse = max + Math.log(sum);
    const y = labels[i]!;
    const loss = lse - logits[o + y]!;
    total += loss;
    if (losses) losses[i] = loss;
    if (dLogits) {
      for (let k = 0; k < K; k++) dLogits[o + k] = (Math.exp(logits[o + k]! - lse) - (k === y ? 1 : 0)) * scale;
    }
  }
  return total;
}

/** Row-wise softmax of `n`×`K` logits into `out` (may alias `logits`). */
export function softmax(logits: Arr, n: number, K: number, out: Arr): Arr {
  for (let i = 0; i < n; i++) {
    const o = i * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (logits[o + k]! > max) max = logits[o + k]!;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(logits[o + k]! - max);
      out[o + k] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) out[o + k] = out[o + k]! / sum;
  }
  return out;
}
