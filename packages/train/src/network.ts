/**
 * A chain of built layers over one flat parameter vector: forward, backward into a flat gradient (the
 * batch sum, or one slice per example), and the loss. {@link Sequential} wraps it with an optimiser and
 * the {@link Trainer} API; tests use it directly in float64 for gradient checks.
 * @module
 */
import { buildLayer, type Layer, type LayerConfig } from './layers/index.js';
import { softmaxCrossEntropy } from './loss.js';
import { streamFor } from './random.js';
import { alloc, ashape, ensure, sizeOf, type Arr, type DType, type Shape } from './tensor.js';

/** How to build a {@link Network}. */
export interface NetworkOptions {
  /** Per-example input shape, e.g. [1, 28, 28]. */
  inputShape: readonly number[];
  /** Seed of weight initialisation and dropout masks (default 'tessera'). */
  seed?: string | Uint8Array;
  /** Storage type (default 'float32'; 'float64' for gradient checks). */
  dtype?: DType;
}

/** A built chain of layers with a flat parameter vector. */
export class Network {
  readonly layers: readonly Layer[];
  readonly configs: readonly LayerConfig[];
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly parameterCount: number;
  readonly dtype: DType;
  /** The flat parameter vector every layer reads its parameters from. */
  readonly params: Arr;
  /** Offset of each layer's parameters in the flat vector. */
  readonly offsets: readonly number[];
  #dLogits: Arr;
  #logits: Arr;

  constructor(configs: readonly LayerConfig[], options: NetworkOptions) {
    if (!Array.isArray(configs) || configs.length === 0) throw new TypeError('layers must be a non-empty array of layer configs');
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object with inputShape');
    this.inputShape = ashape(options.inputShape, 'inputShape');
    this.dtype = options.dtype ?? 'float32';
    if (this.dtype !== 'float32' && this.dtype !== 'float64') throw new RangeError(`dtype must be 'float32' or 'float64', got ${String(this.dtype)}`);
    const seed = options.seed ?? 'tessera';
    const ctx = { dtype: this.dtype, dropout: streamFor(seed, 'dropout') };
    let shape: Shape = this.inputShape;
    const layers: Layer[] = [];
    const offsets: number[] = [];
    let count = 0;
    for (const [i, c] of configs.entries()) {
      let layer: Layer;
      try {
        layer = buildLayer(c, shape, ctx);
      } catch (e) {
        const err = e as Error;
        throw new (err.constructor as ErrorConstructor)(`layer ${i}: ${err.message}`);
      }
      layers.push(layer);
      offsets.push(count);
      count += layer.paramCount;
      shape = layer.outputShape;
    }
    this.layers = layers;
    this.configs = layers.map((l) => l.config);
    this.offsets = offsets;
    this.outputShape = shape;
    this.inputSize = sizeOf(this.inputShape);
    this.outputSize = sizeOf(shape);
    this.parameterCount = count;
    this.params = alloc(this.dtype, count);
    for (const [i, l] of layers.entries()) l.bind(this.params, offsets[i]!);
    const init = streamFor(seed, 'init');
    for (const l of layers) l.init(init);
    this.#dLogits = this.#logits = alloc(this.dtype, 0);
  }

  /** Logits for `n` examples (a buffer owned by the last layer). */
  forward(x: Arr, n: number, training: boolean): Arr {
    let a = x;
    for (const l of this.layers) a = l.forward(a, n, training);
    this.#logits = a;
    return a;
  }

  /** Backpropagates dLoss/dLogits; adds parameter gradients into `grad` (see {@link Layer.backward}). */
  backward(dLogits: Arr, n: number, grad: Arr, gradStride: number): void {
    let d: Arr | null = dLogits;
    for (let i = this.layers.length - 1; i >= 0 && d; i--) d = this.layers[i]!.backward(d, n, grad, this.offsets[i]!, gradStride, i > 0);
  }

  /**
   * Forward, softmax cross-entropy and backward for `n` examples. Adds `scale`·∂loss_i/∂θ into `grad`
   * (at slice i when `gradStride` > 0). Returns the summed (unscaled) loss and the logits.
   */
  lossAndGradient(x: Arr, labels: ArrayLike<number>, n: number, grad: Arr, gradStride: number, scale: number, training: boolean, losses?: Float64Array): number {
    const logits = this.forward(x, n, training);
    const K = this.outputSize;
    const d = (this.#dLogits = ensure(this.#dLogits, n * K, this.dtype));
    const loss = softmaxCrossEntropy(logits, labels, n, K, d, scale, losses);
    this.backward(d, n, grad, gradStride);
    return loss;
  }

  /** The logits of the last forward pass. */
  get logits(): Arr {
    return this.#logits;
  }
}
