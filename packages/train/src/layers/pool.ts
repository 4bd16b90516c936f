/**
 * Max and average pooling over square windows (no padding; a partial window at the edge is dropped).
 * @module
 */
import { alloc, ensure, type Arr, type DType, type Shape } from '../tensor.js';
import type { BuildContext, Layer, LayerConfig, ParamSpec } from './layer.js';

/** Options of {@link maxPool} and {@link avgPool}. */
export interface PoolOptions {
  /** Window size. */
  size: number;
  /** Step between windows (default: `size`). */
  stride?: number;
}

abstract class Pool implements Layer {
  readonly config: LayerConfig;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly params: readonly ParamSpec[] = [];
  readonly paramCount = 0;
  protected readonly dtype: DType;
  protected readonly C: number; protected readonly H: number; protected readonly W: number;
  protected readonly k: number; protected readonly s: number; protected readonly OH: number; protected readonly OW: number;
  protected out: Arr;
  protected dx: Arr;

  constructor(config: LayerConfig & Required<PoolOptions>, inputShape: Shape, ctx: BuildContext) {
    if (inputShape.length !== 3) throw new RangeError(`${config.type} needs an input of shape [channels, height, width], got [${inputShape.join(', ')}]`);
    const [C, H, W] = inputShape as [number, number, number];
    const { size: k, stride: s } = config;
    if (k > H || k > W) throw new RangeError(`${config.type} window ${k} is larger than the input [${inputShape.join(', ')}]`);
    this.config = config;
    this.inputShape = inputShape;
    this.C = C; this.H = H; this.W = W; this.k = k; this.s = s;
    this.OH = Math.floor((H - k) / s) + 1;
    this.OW = Math.floor((W - k) / s) + 1;
    this.outputShape = [C, this.OH, this.OW];
    this.dtype = ctx.dtype;
    this.out = alloc(ctx.dtype, 0);
    this.dx = alloc(ctx.dtype, 0);
  }

  bind(): void {}
  init(): void {}
  abstract forward(x: Arr, n: number): Arr;
  abstract backward(dy: Arr, n: number, grad: Arr | null, gradOffset: number, gradStride: number, needDx: boolean): Arr | null;
}

/** The built layer; see {@link maxPool}. Gradient flows to the first maximum of each window. */
export class MaxPool extends Pool {
  #arg = new Int32Array(0);

  forward(x: Arr, n: number): Arr {
    const { C, H, W, k, s, OH, OW } = this;
    const len = n * C * OH * OW;
    const out = (this.out = ensure(this.out, len, this.dtype));
    if (this.#arg.length < len) this.#arg = new Int32Array(len);
    const arg = this.#arg;
    let o = 0;
    if (k === 2 && s === 2) {
      for (let p = 0; p < n * C; p++) {
        const base = p * H * W;
        for (let oy = 0; oy < OH; oy++) {
          const r0 = base + 2 * oy * W, r1 = r0 + W;
          for (let ox = 0; ox < OW; ox++, o++) {
            const i0 = r0 + 2 * ox;
            let m = x[i0]!, a = i0, v = x[i0 + 1]!;
            if (v > m) { m = v; a = i0 + 1; }
            v = x[r1 + 2 * ox]!;
            if (v > m) { m = v; a = r1 + 2 * ox; }
            v = x[r1 + 2 * ox + 1]!;
            if (v > m) { m = v; a = r1 + 2 * ox + 1; }
            out[o] = m;
            arg[o] = a;
          }
        }
      }
      return out;
    }
    for (let p = 0; p < n * C; p++) {
      const base = p * H * W;
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++, o++) {
          let a = base + oy * s * W + ox * s, m = x[a]!;
          for (let ky = 0; ky < k; ky++) {
            const r = base + (oy * s + ky) * W + ox * s;
            for (let kx = 0; kx < k; kx++) if (x[r + kx]! > m) { m = x[r + kx]!; a = r + kx; }
          }
          out[o] = m;
          arg[o] = a;
        }
      }
    }
    return out;
  }

  backward(dy: Arr, n: number, _g: Arr | null, _go: number, _gs: number, needDx: boolean): Arr | null {
    if (!needDx) return null;
    const dx = (this.dx = ensure(this.dx, n * this.C * this.H * this.W, this.dtype));
    dx.fill(0);
    const arg = this.#arg, len = n * this.C * this.OH * this.OW;
    for (let o = 0; o < len; o++) dx[arg[o]!] += dy[o]!;
    return dx;
  }
}

/** The built layer; see {@link avgPool}. */
export class AvgPool extends Pool {
  forward(x: Arr, n: number): Arr {
    const { C, H, W, k, s, OH, OW } = this;
    const out = (this.out = ensure(this.out, n * C * OH * OW, this.dtype));
    const inv = 1 / (k * k);
    let o = 0;
    for (let p = 0; p < n * C; p++) {
      const base = p * H * W;
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++, o++) {
          let sum = 0;
          for (let ky = 0; ky < k; ky++) {
            const r = base + (oy * s + ky) * W + ox * s;
            for (let kx = 0; kx < k; kx++) sum += x[r + kx]!;
          }
          out[o] = sum * inv;
        }
      }
    }
    return out;
  }

  backward(dy: Arr, n: number, _g: Arr | null, _go: number, _gs: number, needDx: boolean): Arr | null {
    if (!needDx) return null;
    const { C, H, W, k, s, OH, OW } = this;
    const dx = (this.dx = ensure(this.dx, n * C * H * W, this.dtype));
    dx.fill(0);
    const inv = 1 / (k * k);
    let o = 0;
    for (let p = 0; p < n * C; p++) {
      const base = p * H * W;
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++, o++) {
          const g = dy[o]! * inv;
          for (let ky = 0; ky < k; ky++) {
            const r = base + (oy * s + ky) * W + ox * s;
            for (let kx = 0; kx < k; kx++) dx[r + kx] += g;
          }
        }
      }
    }
    return dx;
  }
}
