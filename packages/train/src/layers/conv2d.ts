/**
 * 2-D convolution by im2col and a register-blocked matrix product, one example at a time (the
 * per-example weight gradient then falls out of the same loop at no extra cost).
 * Weight layout [filters, channels, kernel, kernel] and bias [filters], as PyTorch stores them.
 * @module
 */
import { gemmNN, gemmNT, gemmTN } from '../gemm.js';
import type { UniformStream } from '../random.js';
import { alloc, ensure, type Arr, type DType, type Shape } from '../tensor.js';
import type { BuildContext, Layer, LayerConfig, ParamSpec } from './layer.js';

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Number of output channels. */
  filters: number;
  /** Square kernel size. */
  kernel: number;
  /** Stride (default 1). */
  stride?: number;
  /** Zero padding on each side: 'same' (kernel >> 1, the default), 'valid' (0) or a number. */
  padding?: 'same' | 'valid' | number;
}

/** Fills cols[C·k·k × OH·OW] from one example x[C × H × W] (zero outside the padded border). */
export function im2col(x: Arr, xOff: number, C: number, H: number, W: number, k: number, s: number, p: number, OH: number, OW: number, cols: Arr, cOff: number): void {
  const OHW = OH * OW;
  let row = cOff;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        // ox range with 0 ≤ ox·s − p + kx < W
        const lo = Math.max(0, Math.ceil((p - kx) / s));
        const hi = Math.min(OW, Math.floor((W - 1 + p - kx) / s) + 1);
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * s - p + ky;
          const o = row + oy * OW;
          if (iy < 0 || iy >= H || hi <= lo) {
            cols.fill(0, o, o + OW);
            continue;
          }
          for (let ox = 0; ox < lo; ox++) cols[o + ox] = 0;
          const xr = xc + iy * W - p + kx;
          if (s === 1) for (let ox = lo; ox < hi; ox++) cols[o + ox] = x[xr + ox]!;
          else for (let ox = lo; ox < hi; ox++) cols[o + ox] = x[xr + ox * s]!;
          for (let ox = hi; ox < OW; ox++) cols[o + ox] = 0;
        }
        row += OHW;
      }
    }
  }
}

/** The adjoint of {@link im2col}: adds cols back into dx[C × H × W]. */
export function col2im(cols: Arr, cOff: number, C: number, H: number, W: number, k: number, s: number, p: number, OH: number, OW: number, dx: Arr, xOff: number): void {
  const OHW = OH * OW;
  let row = cOff;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        const lo = Math.max(0, Math.ceil((p - kx) / s));
        const hi = Math.min(OW, Math.floor((W - 1 + p - kx) / s) + 1);
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * s - p + ky;
          if (iy < 0 || iy >= H) continue;
          const o = row + oy * OW;
          const xr = xc + iy * W - p + kx;
          if (s === 1) for (let ox = lo; ox < hi; ox++) dx[xr + ox] += cols[o + ox]!;
          else for (let ox = lo; ox < hi; ox++) dx[xr + ox * s] += cols[o + ox]!;
        }
        row += OHW;
      }
    }
  }
}

/** The built layer; see {@link conv2d}. */
export class Conv2d implements Layer {
  readonly config: LayerConfig;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly params: readonly ParamSpec[];
  readonly paramCount: number;
  readonly #dtype: DType;
  readonly #C: number; readonly #H: number; readonly #W: number;
  readonly #F: number; readonly #k: number; readonly #s: number; readonly #p: number;
  readonly #OH: number; readonly #OW: number; readonly #CKK: number;
  #w!: Arr;
  #b!: Arr;
  #out: Arr;
  #cols: Arr;
  #dcols: Arr;
  #dx: Arr;

  constructor(config: Required<Conv2dOptions> & { type: 'conv2d' }, inputShape: Shape, ctx: BuildContext) {
    if (inputShape.length !== 3) throw new RangeError(`conv2d needs an input of shape [channels, height, width], got [${inputShape.join(', ')}]`);
    const [C, H, W] = inputShape as [number, number, number];
    const { filters: F, kernel: k, stride: s } = config;
    const p = config.padding === 'same' ? k >> 1 : config.padding === 'valid' ? 0 : config.padding;
    const OH = Math.floor((H + 2 * p - k) / s) + 1;
    const OW = Math.floor((W + 2 * p - k) / s) + 1;
    if (OH < 1 || OW < 1) throw new RangeError(`conv2d kernel ${k} does not fit input [${inputShape.join(', ')}] with padding ${p}`);
    this.config = config;
    this.inputShape = inputShape;
    this.outputShape = [F, OH, OW];
    this.params = [{ name: 'weight', shape: [F, C, k, k] }, { name: 'bias', shape: [F] }];
    this.paramCount = F * C * k * k + F;
    this.#dtype = ctx.dtype;
    this.#C = C; this.#H = H; this.#W = W; this.#F = F; this.#k = k; this.#s = s; this.#p = p;
    this.#OH = OH; this.#OW = OW; this.#CKK = C * k * k;
    this.#out = alloc(ctx.dtype, 0);
    this.#cols = alloc(ctx.dtype, 0);
    this.#dcols = alloc(ctx.dtype, this.#CKK * OH * OW);
    this.#dx = alloc(ctx.dtype, 0);
  }

  bind(params: Arr, offset: number): void {
    const nw = this.#F * this.#CKK;
    this.#w = params.subarray(offset, offset + nw);
    this.#b = params.subarray(offset + nw, offset + nw + this.#F);
  }

  init(u: UniformStream): void {
    const bound = Math.sqrt(6 / this.#CKK); // He-uniform for ReLU networks
    for (let i = 0; i < this.#w.length; i++) this.#w[i] = (2 * u.next() - 1) * bound;
    this.#b.fill(0);
  }

  forward(x: Arr, n: number): Arr {
    const F = this.#F, CKK = this.#CKK, OHW = this.#OH * this.#OW, CHW = this.#C * this.#H * this.#W;
    const out = (this.#out = ensure(this.#out, n * F * OHW, this.#dtype));
    const cols = (this.#cols = ensure(this.#cols, n * CKK * OHW, this.#dtype));
    const w = this.#w, b = this.#b;
    for (let i = 0; i < n; i++) {
      const co = i * CKK * OHW, oo = i * F * OHW;
      im2col(x, i * CHW, this.#C, this.#H, this.#W, this.#k, this.#s, this.#p, this.#OH, this.#OW, cols, co);
      for (let f = 0; f < F; f++) out.fill(b[f]!, oo + f * OHW, oo + (f + 1) * OHW);
      gemmNN(F, OHW, CKK, w, 0, cols, co, out, oo, true);
    }
    return out;
  }

  backward(dy: Arr, n: number, grad: Arr | null, gradOffset: number, gradStride: number, needDx: boolean): Arr | null {
    const F = this.#F, CKK = this.#CKK, OHW = this.#OH * this.#OW, CHW = this.#C * this.#H * this.#W;
    const cols = this.#cols, dcols = this.#dcols;
    const dx = needDx ? (this.#dx = ensure(this.#dx, n * CHW, this.#dtype)) : null;
    if (dx) dx.fill(0);
    for (let i = 0; i < n; i++) {
      const dyo = i * F * OHW;
      if (grad) {
        const g = gradOffset + i * gradStride;
        gemmNT(F, CKK, OHW, dy, dyo, cols, i * CKK * OHW, grad, g, true);
        const gb = g + F * CKK;
        for (let f = 0; f < F; f++) {
          let s = 0;
          const r = dyo + f * OHW;
          for (let j = 0; j < OHW; j++) s += dy[r + j]!;
          grad[gb + f] += s;
        }
      }
      if (dx) {
        gemmTN(CKK, OHW, F, this.#w, 0, dy, dyo, dcols, 0, false);
        col2im(dcols, 0, this.#C, this.#H, this.#W, this.#k, this.#s, this.#p, this.#OH, this.#OW, dx, i * CHW);
      }
    }
    return dx;
  }
}
