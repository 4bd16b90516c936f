/**
 * Group normalisation (Wu & He 2018): each example's channels are split into groups and normalised by
 * the group's own mean and variance, then scaled and shifted per channel. Unlike batch normalisation
 * it never mixes examples, so per-example gradients (and their clipping, for DP-SGD) stay exact.
 * @module
 */
import { alloc, ensure, sizeOf, type Arr, type DType, type Shape } from '../tensor.js';
import type { BuildContext, Layer, LayerConfig, ParamSpec } from './layer.js';

/** Options of {@link groupNorm}. */
export interface GroupNormOptions {
  /** Number of groups; must divide the number of channels. */
  groups: number;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
}

/** The built layer; see {@link groupNorm}. Parameters: weight (γ, init 1) and bias (β, init 0), one per channel. */
export class GroupNorm implements Layer {
  readonly config: LayerConfig;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly params: readonly ParamSpec[];
  readonly paramCount: number;
  readonly #dtype: DType;
  readonly #C: number; readonly #S: number; readonly #G: number; readonly #eps: number;
  #gamma!: Arr;
  #beta!: Arr;
  #xhat: Arr;
  #inv = new Float64Array(0);
  #out: Arr;
  #dx: Arr;

  constructor(config: LayerConfig & Required<GroupNormOptions>, inputShape: Shape, ctx: BuildContext) {
    const C = inputShape[0]!;
    if (C % config.groups !== 0) throw new RangeError(`groupNorm groups (${config.groups}) must divide the number of channels (${C})`);
    this.config = config;
    this.inputShape = inputShape;
    this.outputShape = inputShape;
    this.params = [{ name: 'weight', shape: [C] }, { name: 'bias', shape: [C] }];
    this.paramCount = 2 * C;
    this.#dtype = ctx.dtype;
    this.#C = C;
    this.#S = sizeOf(inputShape) / C;
    this.#G = config.groups;
    this.#eps = config.epsilon;
    this.#xhat = this.#out = this.#dx = alloc(ctx.dtype, 0);
  }

  bind(params: Arr, offset: number): void {
    this.#gamma = params.subarray(offset, offset + this.#C);
    this.#beta = params.subarray(offset + this.#C, offset + 2 * this.#C);
  }

  init(): void {
    this.#gamma.fill(1);
    this.#beta.fill(0);
  }

  forward(x: Arr, n: number): Arr {
    const C = this.#C, S = this.#S, G = this.#G, cpg = C / G, m = cpg * S;
    const len = n * C * S;
    const out = (this.#out = ensure(this.#out, len, this.#dtype));
    const xhat = (this.#xhat = ensure(this.#xhat, len, this.#dtype));
    if (this.#inv.length < n * G) this.#inv = new Float64Array(n * G);
    const gamma = this.#gamma, beta = this.#beta;
    for (let i = 0; i < n; i++) {
      for (let g = 0; g < G; g++) {
        const start = (i * C + g * cpg) * S;
        let sum = 0;
        for (let j = 0; j < m; j++) sum += x[start + j]!;
        const mean = sum / m;
        let sq = 0;
        for (let j = 0; j < m; j++) {
          const d = x[start + j]! - mean;
          sq += d * d;
        }
        const inv = 1 / Math.sqrt(sq / m + this.#eps);
        this.#inv[i * G + g] = inv;
        for (let c = 0; c < cpg; c++) {
          const ch = g * cpg + c, o = start + c * S, ga = gamma[ch]!, be = beta[ch]!;
          for (let s = 0; s < S; s++) {
            const h = (x[o + s]! - mean) * inv;
            xhat[o + s] = h;
            out[o + s] = ga * h + be;
          }
        }
      }
    }
    return out;
  }

  backward(dy: Arr, n: number, grad: Arr | null, gradOffset: number, gradStride: number, needDx: boolean): Arr | null {
    const C = this.#C, S = this.#S, G = this.#G, cpg = C / G, m = cpg * S;
    const xhat = this.#xhat, gamma = this.#gamma;
    const dx = needDx ? (this.#dx = ensure(this.#dx, n * C * S, this.#dtype)) : null;
    for (let i = 0; i < n; i++) {
      const go = gradOffset + i * gradStride;
      for (let g = 0; g < G; g++) {
        const start = (i * C + g * cpg) * S;
        let s1 = 0, s2 = 0;
        for (let c = 0; c < cpg; c++) {
          const ch = g * cpg + c, o = start + c * S;
          let dg = 0, db = 0;
          for (let s = 0; s < S; s++) {
            const d = dy[o + s]!, h = xhat[o + s]!;
            dg += d * h;
            db += d;
          }
          if (grad) {
            grad[go + ch] += dg;
            grad[go + C + ch] += db;
          }
          s1 += gamma[ch]! * db;
          s2 += gamma[ch]! * dg;
        }
        if (!dx) continue;
        const inv = this.#inv[i * G + g]!, a = s1 / m, b = s2 / m;
        for (let c = 0; c < cpg; c++) {
          const ch = g * cpg + c, o = start + c * S, ga = gamma[ch]!;
          for (let s = 0; s < S; s++) dx[o + s] = inv * (ga * dy[o + s]! - a - xhat[o + s]! * b);
        }
      }
    }
    return dx;
  }
}
