/**
 * Ready-made models for 28×28 single-channel images (MedMNIST's size), and the benchmark network.
 * @module
 */
import { avgPool, conv2d, dense, dropout, flatten, groupNorm, maxPool, relu, type LayerConfig } from './layers/index.js';
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

/** Options of {@link dpCnn}. */
export interface DpCnnOptions {
  /** Filters of the two convolutions (default [8, 16]). */
  readonly channels?: readonly [number, number];
  /** GroupNorm groups of each block (default 4; must divide both channel counts). */
  readonly groups?: number;
  /** 'dense' (default): flatten the 7×7 maps into the output layer; 'gap': global average pooling first. */
  readonly head?: 'dense' | 'gap';
  /** Units of a hidden dense layer (dense → ReLU) before the output layer (default 0: none). */
  readonly hidden?: number;
}

/**
 * A small CNN for DP-SGD (few parameters, no batch statistics): conv 3×3×c₁ → GroupNorm(g) → ReLU →
 * maxpool 2 → conv 3×3×c₂ → GroupNorm(g) → ReLU → maxpool 2 → [global average pool] → [dense h → ReLU] →
 * dense classes.
 * With the defaults (c = [8, 16], g = 4, dense head) it has 2,866 parameters for [1, 28, 28] and 2
 * classes; with the 'gap' head 1,330 (c = [16, 32]: 8,034 and 4,962).
 *
 * @example
 * const model = dpCnn({ seed: 'server', optimizer: adam({ learningRate: 2e-3 }) });
 */
export function dpCnnLayers(classes = 2, o: DpCnnOptions = {}, inputShape: readonly number[] = [1, 28, 28]): LayerConfig[] {
  const [c1, c2] = o.channels ?? [8, 16];
  const g = o.groups ?? 4;
  const head = o.head ?? 'dense';
  if (head !== 'dense' && head !== 'gap') throw new RangeError(`head must be 'dense' or 'gap', got ${String(head)}`);
  for (const c of [c1, c2]) if (!Number.isInteger(c) || c < 1 || !Number.isInteger(g) || g < 1 || c % g !== 0) throw new RangeError(`groups (${g}) must be a positive integer dividing channels [${c1}, ${c2}]`);
  const layers = [
    conv2d({ filters: c1, kernel: 3 }), groupNorm(g), relu(), maxPool(2),
    conv2d({ filters: c2, kernel: 3 }), groupNorm(g), relu(), maxPool(2),
  ];
  if (head === 'gap') {
    const side = Math.floor(Math.floor((inputShape[1] ?? 28) / 2) / 2);
    if (side < 1) throw new RangeError(`input [${inputShape.join(', ')}] is too small for two 2×2 pools`);
    layers.push(avgPool(side));
  }
  layers.push(flatten());
  const hidden = o.hidden ?? 0;
  if (!Number.isInteger(hidden) || hidden < 0) throw new RangeError(`hidden must be an integer ≥ 0, got ${hidden}`);
  if (hidden > 0) layers.push(dense(hidden), relu());
  layers.push(dense(classes));
  return layers;
}

/** See {@link dpCnnLayers}. */
export function dpCnn(options: ModelOptions & DpCnnOptions = {}): Sequential {
  const o = opts(options);
  return sequential(dpCnnLayers(options.classes ?? 2, options, o.inputShape), o);
}
