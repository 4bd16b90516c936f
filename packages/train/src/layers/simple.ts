/**
 * Parameter-free element-wise and shape layers: ReLU, dropout, flatten.
 * @module
 */
import type { UniformStream } from '../random.js';
import { alloc, ensure, sizeOf, type Arr, type DType, type Shape } from '../tensor.js';
import type { BuildContext, Layer, LayerConfig, ParamSpec } from './layer.js';

abstract class Elementwise implements Layer {
  readonly config: LayerConfig;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly params: readonly ParamSpec[] = [];
  readonly paramCount = 0;
  protected readonly dtype: DType;
  protected readonly size: number;
  protected out: Arr;
  protected dx: Arr;
  constructor(config: LayerConfig, inputShape: Shape, ctx: BuildContext) {
    this.config = config;
    this.inputShape = inputShape;
    this.outputShape = inputShape;
    this.size = sizeOf(inputShape);
    this.dtype = ctx.dtype;
    this.out = this.dx = alloc(ctx.dtype, 0);
  }
  bind(): void {}
  init(): void {}
  abstract forward(x: Arr, n: number, training: boolean): Arr;
  abstract backward(dy: Arr, n: number, grad: Arr | null, gradOffset: number, gradStride: number, needDx: boolean): Arr | null;
}

/** The built layer; see {@link relu}. The derivative at 0 is taken as 0. */
export class Relu extends Elementwise {
  forward(x: Arr, n: number): Arr {
    const len = n * this.size;
    const out = (this.out = ensure(this.out, len, this.dtype));
    for (let i = 0; i < len; i++) {
      const v = x[i]!;
      out[i] = v > 0 ? v : 0;
    }
    return out;
  }
  backward(dy: Arr, n: number, _g: Arr | null, _go: number, _gs: number, needDx: boolean): Arr | null {
    if (!needDx) return null;
    const len = n * this.size, out = this.out;
    const dx = (this.dx = ensure(this.dx, len, this.dtype));
    for (let i = 0; i < len; i++) dx[i] = out[i]! > 0 ? dy[i]! : 0;
    return dx;
  }
}

/**
 * The built layer; see {@link dropout}. In training, each element is kept with probability 1 − rate
 * and scaled by 1/(1 − rate) (inverted dropout); in evaluation it is the identity.
 */
export class Dropout extends Elementwise {
  readonly #rate: number;
  readonly #u: UniformStream;
  #mask: Arr;
  #active = false;
  /** For gradient checks: when true, forward reuses the last mask instead of drawing a new one. */
  frozen = false;
  constructor(config: LayerConfig & { rate: number }, inputShape: Shape, ctx: BuildContext) {
    super(config, inputShape, ctx);
    this.#rate = config.rate;
    this.#u = ctx.dropout;
    this.#mask = alloc(ctx.dtype, 0);
  }
  forward(x: Arr, n: number, training: boolean): Arr {
    this.#active = training && this.#rate > 0;
    if (!this.#active) return x;
    const len = n * this.size;
    if (!this.frozen) {
      const mask = (this.#mask = ensure(this.#mask, len, this.dtype));
      const keep = 1 - this.#rate, scale = 1 / keep;
      for (let i = 0; i < len; i++) mask[i] = this.#u.next() < keep ? scale : 0;
    }
    const out = (this.out = ensure(this.out, len, this.dtype));
    const mask = this.#mask;
    for (let i = 0; i < len; i++) out[i] = x[i]! * mask[i]!;
    return out;
  }
  backward(dy: Arr, n: number, _g: Arr | null, _go: number, _gs: number, needDx: boolean): Arr | null {
    if (!needDx) return null;
    if (!this.#active) return dy;
    const len = n * this.size, mask = this.#mask;
    const dx = (this.dx = ensure(this.dx, len, this.dtype));
    for (let i = 0; i < len; i++) dx[i] = dy[i]! * mask[i]!;
    return dx;
  }
}

/** The built layer; see {@link flatten}. Batch-first storage is already flat: only the shape changes. */
export class Flatten extends Elementwise {
  constructor(config: LayerConfig, inputShape: Shape, ctx: BuildContext) {
    super(config, inputShape, ctx);
    (this as { outputShape: Shape }).outputShape = [this.size];
  }
  forward(x: Arr): Arr {
    return x;
  }
  backward(dy: Arr, _n: number, _g: Arr | null, _go: number, _gs: number, needDx: boolean): Arr | null {
    return needDx ? dy : null;
  }
}
