/**
 * Fully connected layer y = W·x + b on the flattened input. Weight layout [units, inputs] (PyTorch's).
 * @module
 */
import { gemmNN, gemmNT } from '../gemm.js';
import type { UniformStream } from '../random.js';
import { alloc, ensure, sizeOf, type Arr, type DType, type Shape } from '../tensor.js';
import type { BuildContext, Layer, LayerConfig, ParamSpec } from './layer.js';

/** Options of {@link dense}. */
export interface DenseOptions {
  /** Number of outputs. */
  units: number;
}

/** The built layer; see {@link dense}. */
export class Dense implements Layer {
  readonly config: LayerConfig;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly params: readonly ParamSpec[];
  readonly paramCount: number;
  readonly #dtype: DType;
  readonly #I: number;
  readonly #O: number;
  #w!: Arr;
  #b!: Arr;
  #x: Arr;
  #out: Arr;
  #dx: Arr;

  constructor(config: LayerConfig & DenseOptions, inputShape: Shape, ctx: BuildContext) {
    this.config = config;
    this.inputShape = inputShape;
    this.#I = sizeOf(inputShape);
    this.#O = config.units;
    this.outputShape = [this.#O];
    this.params = [{ name: 'weight', shape: [this.#O, this.#I] }, { name: 'bias', shape: [this.#O] }];
    this.paramCount = this.#O * this.#I + this.#O;
    this.#dtype = ctx.dtype;
    this.#x = this.#out = this.#dx = alloc(ctx.dtype, 0);
  }

  bind(params: Arr, offset: number): void {
    const nw = this.#O * this.#I;
    this.#w = params.subarray(offset, offset + nw);
    this.#b = params.subarray(offset + nw, offset + nw + this.#O);
  }

  init(u: UniformStream): void {
    const bound = Math.sqrt(6 / this.#I);
    for (let i = 0; i < this.#w.length; i++) this.#w[i] = (2 * u.next() - 1) * bound;
    this.#b.fill(0);
  }

  forward(x: Arr, n: number): Arr {
    const O = this.#O, I = this.#I;
    this.#x = x;
    const out = (this.#out = ensure(this.#out, n * O, this.#dtype));
    for (let i = 0; i < n; i++) for (let o = 0; o < O; o++) out[i * O + o] = this.#b[o]!;
    gemmNT(n, O, I, x, 0, this.#w, 0, out, 0, true);
    return out;
  }

  backward(dy: Arr, n: number, grad: Arr | null, gradOffset: number, gradStride: number, needDx: boolean): Arr | null {
    const O = this.#O, I = this.#I, x = this.#x;
    if (grad) {
      for (let i = 0; i < n; i++) {
        const g = gradOffset + i * gradStride, xo = i * I;
        for (let o = 0; o < O; o++) {
          const a = dy[i * O + o]!;
          grad[g + O * I + o] += a;
          if (a === 0) continue;
          const r = g + o * I;
          for (let j = 0; j < I; j++) grad[r + j] += a * x[xo + j]!;
        }
      }
    }
    if (!needDx) return null;
    const dx = (this.#dx = ensure(this.#dx, n * I, this.#dtype));
    gemmNN(n, I, O, dy, 0, this.#w, 0, dx, 0, false);
    return dx;
  }
}
