/**
 * Data augmentation for [C, H, W] images: random integer shifts with edge clamping (and optional
 * horizontal flips), drawn from a seeded stream so an augmented epoch is reproducible.
 * @module
 */
import { aint } from '@tessera/crypto';
import type { UniformStream } from './random.js';
import { af32, ashape } from './tensor.js';
import type { Examples } from './trainer.js';

/** Options of {@link randomShift}. */
export interface ShiftOptions {
  /** Largest shift in pixels along each axis (each image gets dx, dy uniform in [−max, max]). */
  maxShift: number;
  /** Also mirror left–right with probability ½ (default false; not for laterality-sensitive images). */
  flip?: boolean;
}

/**
 * A shifted copy of every image: out(y, x) = in(clamp(y + dy), clamp(x + dx)), per image, all channels
 * alike. Labels are shared, not copied.
 *
 * @example
 * const epochData = randomShift(train, [1, 28, 28], { maxShift: 2 }, streamFor('site 1', 'augment'));
 */
export function randomShift(data: Examples, shape: readonly number[], options: ShiftOptions, u: UniformStream): Examples {
  const [C, H, W] = ashape(shape, 'shape') as [number, number, number];
  if (shape.length !== 3) throw new RangeError(`shape must be [channels, height, width], got [${shape.join(', ')}]`);
  af32(data?.inputs, 'data.inputs');
  const s = aint(options?.maxShift, 'maxShift', 0, Math.min(H, W) - 1);
  const flip = options.flip ?? false;
  if (typeof u?.below !== 'function') throw new TypeError('u must be a UniformStream');
  const size = C * H * W;
  if (data.inputs.length !== data.labels.length * size) throw new RangeError(`data.inputs has ${data.inputs.length} values, expected ${data.labels.length} × ${size}`);
  const n = data.labels.length, x = data.inputs;
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++) {
    const dx = u.below(2 * s + 1) - s, dy = u.below(2 * s + 1) - s, mirror = flip && u.below(2) === 1;
    for (let c = 0; c < C; c++) {
      const base = i * size + c * H * W;
      for (let y = 0; y < H; y++) {
        const sy = Math.min(H - 1, Math.max(0, y + dy));
        for (let xx = 0; xx < W; xx++) {
          let sx = Math.min(W - 1, Math.max(0, xx + dx));
          if (mirror) sx = W - 1 - sx;
          out[base + y * W + xx] = x[base + sy * W + sx]!;
        }
      }
    }
  }
  return { inputs: out, labels: data.labels };
}
