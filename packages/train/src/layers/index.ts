/**
 * Layer factories: each returns a plain-JSON {@link LayerConfig} (validated, defaults filled in) that
 * `sequential` builds and checkpoints store. {@link buildLayer} turns a config into a layer.
 * @module
 */
import { aint } from '@tessera/crypto';
import { anum, type Shape } from '../tensor.js';
import { Conv2d, type Conv2dOptions } from './conv2d.js';
import { Dense, type DenseOptions } from './dense.js';
import { GroupNorm, type GroupNormOptions } from './groupnorm.js';
import type { BuildContext, Layer, LayerConfig } from './layer.js';
import { AvgPool, MaxPool, type PoolOptions } from './pool.js';
import { Dropout, Flatten, Relu } from './simple.js';

export type { BuildContext, Layer, LayerConfig, ParamSpec } from './layer.js';
export type { Conv2dOptions } from './conv2d.js';
export type { DenseOptions } from './dense.js';
export type { GroupNormOptions } from './groupnorm.js';
export type { PoolOptions } from './pool.js';
export { Conv2d, Dense, GroupNorm, MaxPool, AvgPool, Relu, Dropout, Flatten };
export { im2col, col2im } from './conv2d.js';

const MAX_DIM = 1 << 16;

/**
 * A 2-D convolution over [channels, height, width] inputs.
 *
 * @example
 * conv2d({ filters: 16, kernel: 3 }); // 3×3, stride 1, 'same' zero padding
 */
export function conv2d(options: Conv2dOptions): LayerConfig {
  if (typeof options !== 'object' || options === null) throw new TypeError('conv2d options must be an object');
  const filters = aint(options.filters, 'conv2d filters', 1, MAX_DIM);
  const kernel = aint(options.kernel, 'conv2d kernel', 1, 64);
  const stride = aint(options.stride ?? 1, 'conv2d stride', 1, 64);
  const p = options.padding ?? 'same';
  if (p !== 'same' && p !== 'valid') aint(p, 'conv2d padding', 0, 64);
  if (p === 'same' && kernel % 2 === 0) throw new RangeError(`conv2d padding 'same' needs an odd kernel, got ${kernel}`);
  return { type: 'conv2d', filters, kernel, stride, padding: p };
}

function poolConfig(type: string, options: number | PoolOptions): LayerConfig {
  const o = typeof options === 'number' ? { size: options } : options;
  if (typeof o !== 'object' || o === null) throw new TypeError(`${type} options must be a window size or { size, stride }`);
  const size = aint(o.size, `${type} size`, 1, 64);
  return { type, size, stride: aint(o.stride ?? size, `${type} stride`, 1, 64) };
}

/**
 * Max pooling over `size`×`size` windows, stride `size` unless given.
 *
 * @example
 * maxPool(2); // halves height and width
 */
export const maxPool = (options: number | PoolOptions): LayerConfig => poolConfig('maxPool', options);
/**
 * Average pooling over `size`×`size` windows.
 *
 * @example
 * avgPool({ size: 2, stride: 2 });
 */
export const avgPool = (options: number | PoolOptions): LayerConfig => poolConfig('avgPool', options);

/**
 * A fully connected layer (flattens its input).
 *
 * @example
 * dense(64); // or dense({ units: 64 })
 */
export function dense(options: number | DenseOptions): LayerConfig {
  const units = typeof options === 'number' ? options : (options as DenseOptions | null)?.units;
  return { type: 'dense', units: aint(units, 'dense units', 1, 1 << 20) };
}

/**
 * Rectified linear unit.
 *
 * @example
 * relu();
 */
export const relu = (): LayerConfig => ({ type: 'relu' });

/**
 * Group normalisation; `groups` must divide the channel count.
 *
 * @example
 * groupNorm(4); // or groupNorm({ groups: 4, epsilon: 1e-5 })
 */
export function groupNorm(options: number | GroupNormOptions): LayerConfig {
  const o = typeof options === 'number' ? { groups: options } : options;
  if (typeof o !== 'object' || o === null) throw new TypeError('groupNorm options must be a group count or { groups, epsilon }');
  return { type: 'groupNorm', groups: aint(o.groups, 'groupNorm groups', 1, MAX_DIM), epsilon: anum(o.epsilon ?? 1e-5, 'groupNorm epsilon', 0, 1) };
}

/**
 * Inverted dropout with drop probability `rate` in [0, 1); masks come from the model's seeded stream.
 *
 * @example
 * dropout(0.25);
 */
export function dropout(rate: number): LayerConfig {
  anum(rate, 'dropout rate', 0, 1);
  if (rate >= 1) throw new RangeError(`dropout rate must be below 1, got ${rate}`);
  return { type: 'dropout', rate };
}

/**
 * Reshapes [C, H, W] to [C·H·W] (no copy).
 *
 * @example
 * flatten();
 */
export const flatten = (): LayerConfig => ({ type: 'flatten' });

/** Re-validates a (possibly untrusted) config through its factory and returns the normalised config. */
export function normaliseConfig(config: unknown, name = 'layer'): LayerConfig {
  if (typeof config !== 'object' || config === null || typeof (config as LayerConfig).type !== 'string') throw new TypeError(`${name} must be an object with a string "type"`);
  const c = config as Record<string, unknown>;
  switch (c.type) {
    case 'conv2d': return conv2d(c as unknown as Conv2dOptions);
    case 'maxPool': return maxPool(c as unknown as PoolOptions);
    case 'avgPool': return avgPool(c as unknown as PoolOptions);
    case 'dense': return dense(c as unknown as DenseOptions);
    case 'relu': return relu();
    case 'groupNorm': return groupNorm(c as unknown as GroupNormOptions);
    case 'dropout': return dropout(c.rate as number);
    case 'flatten': return flatten();
    default: throw new RangeError(`${name} has unknown type ${JSON.stringify(c.type)}`);
  }
}

/** Builds a layer from a config for a per-example input shape. */
export function buildLayer(config: LayerConfig, inputShape: Shape, ctx: BuildContext): Layer {
  const c = normaliseConfig(config);
  switch (c.type) {
    case 'conv2d': return new Conv2d(c as never, inputShape, ctx);
    case 'maxPool': return new MaxPool(c as never, inputShape, ctx);
    case 'avgPool': return new AvgPool(c as never, inputShape, ctx);
    case 'dense': return new Dense(c as never, inputShape, ctx);
    case 'relu': return new Relu(c, inputShape, ctx);
    case 'groupNorm': return new GroupNorm(c as never, inputShape, ctx);
    case 'dropout': return new Dropout(c as never, inputShape, ctx);
    default: return new Flatten(c, inputShape, ctx);
  }
}
