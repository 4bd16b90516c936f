/**
 * Ready-made models for 28×28 single-channel images (MedMNIST's size), and the benchmark network.
 * @module
 */
import { conv2d, dense, dropout, flatten, groupNorm, maxPool, relu, type LayerConfig } from './layers/index.js';
import { sequential, type Sequential, type SequentialOptions } from './sequential.js';

/** Options shared by the ready models: input shape defaults to [1, 28, 28], classes to 2. */
export type ModelOptions = Partial<SequentialOptions> & { classes?: number };

const opts = (o: ModelOptions): SequentialOptions => ({ ...o, inputShape: o.inputShape ?? [1, 28, 28] });

/**
 * The small CNN: conv 3×3×16 → GroupNorm(4) → ReLU → maxpool 2 → conv 3×3×32 → GroupNorm(8) → ReLU →
 * maxpool 2 → dense 64 → ReLU → dropout(`dropout`, default 0) → dense classes. 106,050 parameters for
 * [1, 28, 28] and 2 classes (the dense 1568→64 layer holds 95 % of them).
 *
 * @example
 * const model = smallCnn({ seed: 'site 1', optimizer: adam({ learningRate: 1e-3 }) });
 */
export function smallCnnLayers(classes = 2, dropoutRate = 0): LayerConfig[] {
  const layers = [
    conv2d({ filters: 16, kernel: 3 }), groupNorm(4), relu(), maxPool(2),
    conv2d({ filters: 32, kernel: 3 }), groupNorm(8), relu(), maxPool(2),
    flatten(), dense(64), relu(),
  ];
  if (dropoutRate > 0) layers.push(dropout(dropoutRate));
  layers.push(dense(classes));
  return layers;
}

/** See {@link smallCnnLayers}. */
export function smallCnn(options: ModelOptions & { dropout?: number } = {}): Sequential {
  return sequential(smallCnnLayers(options.classes ?? 2, options.dropout ?? 0), opts(options));
}

/**
 * Multinomial logistic regression (flatten → dense classes), or with `hidden` units an MLP
 * (flatten → dense hidden → ReLU → dense classes): the linear baseline.
 *
 * @example
 * const baseline = logisticRegression({ seed: 's' });
 * const mlp = logisticRegression({ hidden: 128 });
 */
export function logisticRegression(options: ModelOptions & { hidden?: number } = {}): Sequential {
  const classes = options.classes ?? 2;
  const layers = options.hidden ? [flatten(), dense(options.hidden), relu(), dense(classes)] : [flatten(), dense(classes)];
  return sequential(layers, opts(options));
}

/**
 * The benchmark network: conv 3×3×8 → maxpool 2 → conv 3×3×16 → maxpool 2 → dense classes (no
 * activations, as specified for `pnpm bench train`; add `relu()` for real use).
 */
export function benchCnnLayers(classes = 2): LayerConfig[] {
  return [conv2d({ filters: 8, kernel: 3 }), maxPool(2), conv2d({ filters: 16, kernel: 3 }), maxPool(2), flatten(), dense(classes)];
}
