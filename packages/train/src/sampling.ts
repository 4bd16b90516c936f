/**
 * Batch selection for DP-SGD: Poisson sampling (each example joins the batch independently with
 * probability q, which is what the subsampled-Gaussian accountant assumes) and gathering the chosen
 * examples into a contiguous batch.
 * @module
 */
import { aint } from '@tessera/crypto';
import type { UniformStream } from './random.js';
import { af32, anum } from './tensor.js';
import type { Examples } from './trainer.js';

/**
 * Indices of a Poisson-sampled batch of [0, n): each index independently with probability `rate`
 * (so the batch size is Binomial(n, rate), possibly 0).
 *
 * @example
 * const idx = poissonSample(60000, 256 / 60000, streamFor('site 1', 'batches'));
 */
export function poissonSample(n: number, rate: number, u: UniformStream): Uint32Array {
  aint(n, 'n', 0, 2 ** 32 - 1);
  anum(rate, 'rate', 0, 1);
  if (typeof u?.next !== 'function') throw new TypeError('u must be a UniformStream');
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (u.next() < rate) out.push(i);
  return Uint32Array.from(out);
}

/** The examples at `indices`, copied into a new contiguous batch. */
export function gather(data: Examples, indices: ArrayLike<number>): Examples {
  af32(data?.inputs, 'data.inputs');
  const n = data.labels.length;
  if (n === 0 || data.inputs.length % n !== 0) throw new RangeError(`data.inputs (${data.inputs.length} values) does not split into ${n} examples`);
  const size = data.inputs.length / n;
  const inputs = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (!Number.isInteger(j) || j < 0 || j >= n) throw new RangeError(`indices[${i}] must be in [0, ${n}), got ${j}`);
    inputs.set(data.inputs.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = data.labels[j]!;
  }
  return { inputs, labels };
}
