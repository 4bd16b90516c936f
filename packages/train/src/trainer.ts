/**
 * The engine-neutral training interface: what the federated runtime needs from any engine. Parameters
 * travel as one flat Float32Array (what secure aggregation sums); batches are flat Float32 inputs plus
 * integer labels; DP-SGD needs the sum of per-example gradients each clipped to an L2 bound.
 * @module
 */

/** A batch or data set: `inputs` holds n examples back to back (each of the model's input shape). */
export interface Examples {
  /** n · inputSize values, example-major (NCHW for images). */
  readonly inputs: Float32Array;
  /** n class indices in [0, classes). */
  readonly labels: ArrayLike<number>;
}

/** The result of one optimiser step. */
export interface StepResult {
  /** Mean loss over the batch (before the step). */
  loss: number;
  /** Examples the model classified correctly (before the step). */
  correct: number;
  /** Batch size. */
  count: number;
}

/** The result of one local epoch. */
export interface EpochResult {
  epoch: number;
  /** Mean training loss over the epoch's examples. */
  loss: number;
  /** Training accuracy over the epoch. */
  accuracy: number;
  /** Wall-clock seconds. */
  seconds: number;
}

/** Options of {@link Trainer.trainEpochs}. */
export interface EpochOptions {
  /** Local epochs (default 1). */
  epochs?: number;
  /** Batch size (default 32); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Shuffle each epoch with the model's seeded stream (default true). */
  shuffle?: boolean;
  /** Called after each epoch. */
  onEpoch?: (result: EpochResult) => void;
}

/** The sum of clipped per-example gradients (DP-SGD's sensitivity-bounded statistic). */
export interface ClippedSum {
  /** Σ_i g_i · min(1, C / ‖g_i‖₂), of length parameterCount. */
  sum: Float32Array;
  /** ‖g_i‖₂ of each example's unclipped gradient. */
  norms: Float64Array;
  /** How many examples were scaled down (‖g_i‖₂ > C). */
  clipped: number;
  /** Mean loss over the batch. */
  loss: number;
}

/** Model quality on a data set. */
export interface Evaluation {
  /** Mean cross-entropy. */
  loss: number;
  accuracy: number;
  /** n × classes probabilities (softmax), example-major. */
  probabilities: Float32Array;
  /** Arg-max class of each example. */
  predictions: Int32Array;
}

/**
 * What the federated runtime needs from a training engine. `@tessera/train`'s {@link Sequential}
 * implements it; another engine (WebGPU, a native addon) can be plugged in behind the same methods.
 * Every implementation must be deterministic given its seed and inputs.
 *
 * Gradients are of the per-example loss ℓ_i (softmax cross-entropy); `trainStep`, `gradient` and
 * `trainEpochs` use the batch mean, `perExampleGradients` and `clippedGradientSum` the individual ℓ_i.
 */
export interface Trainer {
  /** Length of the flat parameter vector. */
  readonly parameterCount: number;
  /** Per-example input shape, e.g. [1, 28, 28]. */
  readonly inputShape: readonly number[];
  /** Number of classes (the length of the output). */
  readonly classes: number;
  /** A copy of the parameters as one flat vector. */
  getParameters(): Float32Array;
  /** Replaces the parameters (e.g. with the global model of a round); length must be parameterCount. */
  setParameters(params: Float32Array): void;
  /** One optimiser step on the batch's mean loss. */
  trainStep(batch: Examples): StepResult;
  /** Local training: `epochs` passes over `data` in mini-batches. */
  trainEpochs(data: Examples, options?: EpochOptions): EpochResult[];
  /** The mean-loss gradient of a batch (no step), into `out` when given. */
  gradient(batch: Examples, out?: Float32Array): { loss: number; gradient: Float32Array };
  /** One gradient per example: n × parameterCount, example-major, into `out` when given. */
  perExampleGradients(batch: Examples, out?: Float32Array): Float32Array;
  /** Σ of per-example gradients each clipped to L2 norm ≤ `l2Clip` (into `out` when given). */
  clippedGradientSum(batch: Examples, l2Clip: number, out?: Float32Array): ClippedSum;
  /** One optimiser step with a gradient computed elsewhere (e.g. a noised DP-SGD average). */
  applyGradient(gradient: Float32Array): void;
  /** n × classes probabilities for n examples. */
  predict(inputs: Float32Array): Float32Array;
  /** Loss, accuracy and probabilities on a data set (evaluation mode: no dropout). */
  evaluate(data: Examples, batchSize?: number): Evaluation;
}
