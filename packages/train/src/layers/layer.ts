/**
 * The contract every layer implements. A layer owns its output and input-gradient buffers (reused
 * across batches, so the training loop allocates nothing) and reads its parameters from, and writes its
 * gradients into, slices of the network's flat vectors — which is what federated averaging and secure
 * aggregation exchange.
 * @module
 */
import type { UniformStream } from '../random.js';
import type { Arr, DType, Shape } from '../tensor.js';

/** A named parameter tensor of a layer, in the order it appears in the flat vector. */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/** What a layer needs at construction besides its own configuration. */
export interface BuildContext {
  readonly dtype: DType;
  /** The stream dropout masks are drawn from (seeded: training is reproducible). */
  readonly dropout: UniformStream;
}

/**
 * A built layer. Shapes are per example; every buffer is batch-first.
 *
 * Gradients: `backward` **adds** parameter gradients into `grad` at `gradOffset + i·gradStride` for
 * example i. With `gradStride` 0 all examples add into one slice (the batch gradient); with
 * `gradStride` = the network's parameter count, example i gets a slice of its own (per-example
 * gradients, for clipping in DP-SGD) — the arithmetic is the same, only the destination differs.
 */
export interface Layer {
  /** The plain-JSON configuration this layer was built from (stored in checkpoints). */
  readonly config: LayerConfig;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** Parameter tensors in flat-vector order (empty for parameter-free layers). */
  readonly params: readonly ParamSpec[];
  /** Total number of parameters (the sum of the sizes of `params`). */
  readonly paramCount: number;
  /** Points the layer at its slice of the network's flat parameter vector. */
  bind(params: Arr, offset: number): void;
  /** Writes initial values into the bound parameters. */
  init(u: UniformStream): void;
  /** Output for `n` examples; the returned buffer belongs to the layer and is overwritten next call. */
  forward(x: Arr, n: number, training: boolean): Arr;
  /**
   * Given dLoss/dOutput for the last forward's `n` examples, adds parameter gradients into `grad`
   * (unless null) and returns dLoss/dInput (or null when `needDx` is false: the first layer).
   */
  backward(dy: Arr, n: number, grad: Arr | null, gradOffset: number, gradStride: number, needDx: boolean): Arr | null;
}

/** A layer's JSON configuration: `type` plus the options of that type. */
export interface LayerConfig {
  readonly type: string;
  readonly [option: string]: unknown;
}
