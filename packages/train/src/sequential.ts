/**
 * {@link Sequential}: a chain of layers with an optimiser, implementing {@link Trainer} in Float32.
 * Buffers (activations, gradients, batch gathers) are allocated on first use and reused, so a training
 * loop allocates nothing per step.
 * @module
 */
import { aint } from '@tessera/crypto';
import type { LayerConfig } from './layers/index.js';
import { softmax, softmaxCrossEntropy } from './loss.js';
import { Network } from './network.js';
import { sgd, type Optimizer } from './optim.js';
import { permutation, streamFor, type UniformStream } from './random.js';
import { af32, anum } from './tensor.js';
import type { ClippedSum, EpochOptions, EpochResult, Evaluation, Examples, StepResult, Trainer } from './trainer.js';

/** Options of {@link sequential}. */
export interface SequentialOptions {
  /** Per-example input shape, e.g. [1, 28, 28]. */
  inputShape: readonly number[];
  /** Seed of weight initialisation, dropout masks and shuffling (default 'tessera'). */
  seed?: string | Uint8Array;
  /** The optimiser (default sgd({ learningRate: 0.01 })). */
  optimizer?: Optimizer;
  /**
   * Examples per backward pass in `perExampleGradients`/`clippedGradientSum`: bounds the memory of
   * per-example gradients to chunk × parameterCount floats (default 32).
   */
  chunkSize?: number;
}

/** The model's architecture as plain JSON (what checkpoints store). */
export interface Architecture {
  inputShape: number[];
  layers: LayerConfig[];
}

/**
 * Builds a sequential model. The last layer's output is the logits; the loss is softmax cross-entropy.
 *
 * @example
 * const model = sequential(
 *   [conv2d({ filters: 8, kernel: 3 }), relu(), maxPool(2), flatten(), dense(2)],
 *   { inputShape: [1, 28, 28], seed: 'site 3', optimizer: sgd({ learningRate: 0.05, momentum: 0.9 }) },
 * );
 * model.trainEpochs({ inputs, labels }, { epochs: 1, batchSize: 32 });
 */
export function sequential(layers: readonly LayerConfig[], options: SequentialOptions): Sequential {
  return new Sequential(layers, options);
}

/** See {@link sequential}. */
export class Sequential implements Trainer {
  /** The underlying float32 network (layers and the flat parameter vector). */
  readonly network: Network;
  readonly parameterCount: number;
  readonly inputShape: readonly number[];
  readonly classes: number;
  /** The optimiser used by trainStep, trainEpochs and applyGradient; may be replaced. */
  optimizer: Optimizer;
  readonly #seed: string | Uint8Array;
  readonly #chunk: number;
  readonly #shuffle: UniformStream;
  readonly #grad: Float32Array;
  #perExample = new Float32Array(0);
  #acc: Float64Array | undefined;
  #batchX = new Float32Array(0);
  #batchY = new Int32Array(0);

  constructor(layers: readonly LayerConfig[], options: SequentialOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object with inputShape');
    this.#seed = options.seed ?? 'tessera';
    if (typeof this.#seed !== 'string' && !(this.#seed instanceof Uint8Array)) throw new TypeError('seed must be a string or a Uint8Array');
    this.network = new Network(layers, { inputShape: options.inputShape, seed: this.#seed, dtype: 'float32' });
    if (this.network.outputShape.length !== 1 || this.network.outputSize < 2)
      throw new RangeError(`the last layer must output a vector of at least 2 logits, got shape [${this.network.outputShape.join(', ')}]`);
    this.parameterCount = this.network.parameterCount;
    this.inputShape = this.network.inputShape;
    this.classes = this.network.outputSize;
    this.optimizer = options.optimizer ?? sgd({ learningRate: 0.01 });
    if (typeof this.optimizer?.step !== 'function') throw new TypeError('optimizer must be an Optimizer (sgd(…) or adam(…))');
    this.#chunk = aint(options.chunkSize ?? 32, 'chunkSize', 1, 1 << 16);
    this.#shuffle = streamFor(this.#seed, 'shuffle');
    this.#grad = new Float32Array(this.parameterCount);
  }

  /** The architecture as plain JSON. */
  get architecture(): Architecture {
    return { inputShape: [...this.inputShape], layers: this.network.configs.map((c) => ({ ...c })) };
  }

  /** The flat parameter vector itself (no copy; writes change the model). */
  get parameters(): Float32Array {
    return this.network.params as Float32Array;
  }

  getParameters(): Float32Array {
    return (this.network.params as Float32Array).slice();
  }

  setParameters(params: Float32Array): void {
    af32(params, 'params', this.parameterCount);
    for (let i = 0; i < params.length; i++) if (!Number.isFinite(params[i]!)) throw new RangeError(`params[${i}] is not finite (${params[i]})`);
    (this.network.params as Float32Array).set(params);
  }

  /** Validates a batch; returns its size. */
  #check(data: Examples, name: string): number {
    if (typeof data !== 'object' || data === null) throw new TypeError(`${name} must be an object { inputs, labels }`);
    af32(data.inputs, `${name}.inputs`);
    const labels = data.labels;
    if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') throw new TypeError(`${name}.labels must be an array of class indices`);
    const n = labels.length;
    const size = this.network.inputSize;
    if (data.inputs.length !== n * size)
      throw new RangeError(`${name}.inputs has ${data.inputs.length} values, expected ${n} examples × ${size} = ${n * size}`);
    for (let i = 0; i < n; i++) {
      const y = labels[i]!;
      if (!Number.isInteger(y) || y < 0 || y >= this.classes) throw new RangeError(`${name}.labels[${i}] must be a class index in [0, ${this.classes}), got ${y}`);
    }
    return n;
  }

  /** Examples of the last forward pass whose arg-max logit is the label. */
  #correct(labels: ArrayLike<number>, n: number): number {
    const logits = this.network.logits, K = this.classes;
    let c = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (logits[i * K + k]! > logits[i * K + best]!) best = k;
      if (best === labels[i]) c++;
    }
    return c;
  }

  trainStep(batch: Examples): StepResult {
    const n = this.#check(batch, 'batch');
    if (n === 0) throw new RangeError('batch must hold at least one example');
    return this.#step(batch.inputs, batch.labels, n);
  }

  #step(x: Float32Array, labels: ArrayLike<number>, n: number): StepResult {
    const g = this.#grad;
    g.fill(0);
    const loss = this.network.lossAndGradient(x, labels, n, g, 0, 1 / n, true);
    const correct = this.#correct(labels, n);
    this.optimizer.step(this.network.params, g);
    return { loss: loss / n, correct, count: n };
  }

  trainEpochs(data: Examples, options: EpochOptions = {}): EpochResult[] {
    const n = this.#check(data, 'data');
    if (n === 0) throw new RangeError('data must hold at least one example');
    const epochs = aint(options.epochs ?? 1, 'epochs', 1, 1 << 20);
    const batchSize = aint(options.batchSize ?? 32, 'batchSize', 1, 1 << 16);
    const shuffle = options.shuffle ?? true;
    const size = this.network.inputSize;
    const results: EpochResult[] = [];
    if (this.#batchX.length < batchSize * size) this.#batchX = new Float32Array(batchSize * size);
    if (this.#batchY.length < batchSize) this.#batchY = new Int32Array(batchSize);
    for (let e = 0; e < epochs; e++) {
      const started = performance.now();
      const order = shuffle ? permutation(n, this.#shuffle) : null;
      let lossSum = 0, correct = 0;
      for (let b = 0; b < n; b += batchSize) {
        const m = Math.min(batchSize, n - b);
        let x: Float32Array, y: ArrayLike<number>;
        if (order) {
          x = this.#batchX;
          const yy = this.#batchY;
          for (let i = 0; i < m; i++) {
            const j = order[b + i]!;
            x.set(data.inputs.subarray(j * size, (j + 1) * size), i * size);
            yy[i] = data.labels[j]!;
          }
          y = yy;
          if (m < batchSize) {
            x = x.subarray(0, m * size);
            y = yy.subarray(0, m);
          }
        } else {
          x = data.inputs.subarray(b * size, (b + m) * size);
          y = this.#batchY;
          for (let i = 0; i < m; i++) this.#batchY[i] = data.labels[b + i]!;
          if (m < batchSize) y = this.#batchY.subarray(0, m);
        }
        const r = this.#step(x, y, m);
        lossSum += r.loss * m;
        correct += r.correct;
      }
      const result = { epoch: e + 1, loss: lossSum / n, accuracy: correct / n, seconds: (performance.now() - started) / 1000 };
      results.push(result);
      options.onEpoch?.(result);
    }
    return results;
  }

  gradient(batch: Examples, out?: Float32Array): { loss: number; gradient: Float32Array } {
    const n = this.#check(batch, 'batch');
    if (n === 0) throw new RangeError('batch must hold at least one example');
    const g = out === undefined ? new Float32Array(this.parameterCount) : af32(out, 'out', this.parameterCount);
    g.fill(0);
    const loss = this.network.lossAndGradient(batch.inputs, batch.labels, n, g, 0, 1 / n, true);
    return { loss: loss / n, gradient: g };
  }

  perExampleGradients(batch: Examples, out?: Float32Array): Float32Array {
    const n = this.#check(batch, 'batch');
    const P = this.parameterCount;
    const g = out === undefined ? new Float32Array(n * P) : af32(out, 'out', n * P);
    g.fill(0);
    const size = this.network.inputSize;
    for (let b = 0; b < n; b += this.#chunk) {
      const m = Math.min(this.#chunk, n - b);
      const x = batch.inputs.subarray(b * size, (b + m) * size);
      const y = this.#labelsSlice(batch.labels, b, m);
      this.network.lossAndGradient(x, y, m, g.subarray(b * P, (b + m) * P), P, 1, true);
    }
    return g;
  }

  #labelsSlice(labels: ArrayLike<number>, b: number, m: number): ArrayLike<number> {
    if (this.#batchY.length < m) this.#batchY = new Int32Array(Math.max(m, this.#chunk));
    const y = this.#batchY;
    for (let i = 0; i < m; i++) y[i] = labels[b + i]!;
    return y;
  }

  clippedGradientSum(batch: Examples, l2Clip: number, out?: Float32Array): ClippedSum {
    const n = this.#check(batch, 'batch');
    anum(l2Clip, 'l2Clip', 0);
    if (!(l2Clip > 0)) throw new RangeError(`l2Clip must be positive, got ${l2Clip}`);
    const P = this.parameterCount, size = this.network.inputSize;
    const sum = out === undefined ? new Float32Array(P) : af32(out, 'out', P);
    sum.fill(0);
    const norms = new Float64Array(n);
    const acc = (this.#acc ??= new Float64Array(P));
    acc.fill(0);
    const chunk = this.#chunk;
    if (this.#perExample.length < chunk * P) this.#perExample = new Float32Array(chunk * P);
    let clipped = 0, lossSum = 0;
    for (let b = 0; b < n; b += chunk) {
      const m = Math.min(chunk, n - b);
      const g = this.#perExample.subarray(0, m * P);
      g.fill(0);
      const x = batch.inputs.subarray(b * size, (b + m) * size);
      lossSum += this.network.lossAndGradient(x, this.#labelsSlice(batch.labels, b, m), m, g, P, 1, true);
      for (let i = 0; i < m; i++) {
        const o = i * P;
        let sq = 0;
        for (let j = 0; j < P; j++) sq += g[o + j]! * g[o + j]!;
        const norm = Math.sqrt(sq);
        norms[b + i] = norm;
        let f = 1;
        if (norm > l2Clip) {
          // The float32 gradient times f can round above C; shave one part in 10^6 so ‖f·g_i‖ ≤ C holds.
          f = (l2Clip / norm) * (1 - 1e-6);
          clipped++;
        }
        for (let j = 0; j < P; j++) acc[j] += f * g[o + j]!;
      }
    }
    for (let j = 0; j < P; j++) sum[j] = acc[j]!;
    return { sum, norms, clipped, loss: n ? lossSum / n : 0 };
  }

  applyGradient(gradient: Float32Array): void {
    af32(gradient, 'gradient', this.parameterCount);
    this.optimizer.step(this.network.params, gradient);
  }

  predict(inputs: Float32Array): Float32Array {
    af32(inputs, 'inputs');
    const size = this.network.inputSize;
    if (inputs.length % size !== 0) throw new RangeError(`inputs has ${inputs.length} values, not a multiple of the input size ${size}`);
    const n = inputs.length / size, K = this.classes;
    const out = new Float32Array(n * K);
    for (let b = 0; b < n; b += 256) {
      const m = Math.min(256, n - b);
      const logits = this.network.forward(inputs.subarray(b * size, (b + m) * size), m, false);
      softmax(logits, m, K, out.subarray(b * K, (b + m) * K));
    }
    return out;
  }

  evaluate(data: Examples, batchSize = 256): Evaluation {
    const n = this.#check(data, 'data');
    aint(batchSize, 'batchSize', 1, 1 << 16);
    const size = this.network.inputSize, K = this.classes;
    const probabilities = new Float32Array(n * K);
    const predictions = new Int32Array(n);
    let lossSum = 0, correct = 0;
    for (let b = 0; b < n; b += batchSize) {
      const m = Math.min(batchSize, n - b);
      const logits = this.network.forward(data.inputs.subarray(b * size, (b + m) * size), m, false);
      lossSum += softmaxCrossEntropy(logits, this.#labelsSlice(data.labels, b, m), m, K, null, 1);
      softmax(logits, m, K, probabilities.subarray(b * K, (b + m) * K));
    }
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (probabilities[i * K + k]! > probabilities[i * K + best]!) best = k;
      predictions[i] = best;
      if (best === data.labels[i]) correct++;
    }
    return { loss: n ? lossSum / n : 0, accuracy: n ? correct / n : 0, probabilities, predictions };
  }
}
