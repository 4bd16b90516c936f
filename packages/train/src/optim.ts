/**
 * Optimisers that update a flat parameter vector in place from a flat gradient: SGD with momentum
 * (PyTorch's formulation, L2 weight decay added to the gradient) and Adam (with decoupled weight decay,
 * i.e. AdamW, when `weightDecay` > 0). State is kept in float64 and allocated on the first step.
 * @module
 */
import { anum } from './tensor.js';
import type { Arr } from './tensor.js';

/** An optimiser: `step` moves `params` against `grad`; `reset` forgets momentum/moment estimates. */
export interface Optimizer {
  /** Plain-JSON description (type and hyper-parameters). */
  readonly config: Readonly<Record<string, number | string | boolean>>;
  /** The learning rate; may be changed between steps (schedules). */
  learningRate: number;
  step(params: Arr, grad: Arr): void;
  reset(): void;
}

/** Options of {@link sgd}. */
export interface SgdOptions {
  learningRate: number;
  /** Momentum μ in [0, 1) (default 0). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** L2 penalty λ: the gradient becomes g + λθ (default 0). */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent: g ← g + λθ; v ← μv + g (v = g on the first step); θ ← θ − η·v
 * (or θ ← θ − η·(g + μv) with Nesterov), exactly as torch.optim.SGD with dampening 0.
 *
 * @example
 * const opt = sgd({ learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4 });
 */
export function sgd(options: SgdOptions): Optimizer {
  if (typeof options !== 'object' || options === null) throw new TypeError('sgd options must be an object');
  let learningRate = anum(options.learningRate, 'learningRate', 0);
  const momentum = anum(options.momentum ?? 0, 'momentum', 0, 0.999999);
  const weightDecay = anum(options.weightDecay ?? 0, 'weightDecay', 0);
  const nesterov = options.nesterov ?? false;
  if (typeof nesterov !== 'boolean') throw new TypeError('nesterov must be a boolean');
  let v: Float64Array | null = null;
  return {
    config: { type: 'sgd', learningRate, momentum, nesterov, weightDecay },
    get learningRate() { return learningRate; },
    set learningRate(x: number) { learningRate = anum(x, 'learningRate', 0); },
    step(params: Arr, grad: Arr): void {
      const n = params.length, lr = learningRate;
      if (momentum === 0) {
        for (let i = 0; i < n; i++) params[i] = params[i]! - lr * (grad[i]! + weightDecay * params[i]!);
        return;
      }
      const first = v === null || v.length !== n;
      if (first) v = new Float64Array(n);
      const vv = v!;
      for (let i = 0; i < n; i++) {
        const g = grad[i]! + weightDecay * params[i]!;
        const b = first ? g : momentum * vv[i]! + g;
        vv[i] = b;
        params[i] = params[i]! - lr * (nesterov ? g + momentum * b : b);
      }
    },
    reset(): void {
      v = null;
    },
  };
}

/** Options of {@link adam}. */
export interface AdamOptions {
  /** Step size η (default 1e-3). */
  learningRate?: number;
  /** β₁ (default 0.9). */
  beta1?: number;
  /** β₂ (default 0.999). */
  beta2?: number;
  /** ε (default 1e-8). */
  epsilon?: number;
  /** Decoupled weight decay λ (AdamW): θ ← θ(1 − ηλ) before the Adam update (default 0). */
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba 2015) with bias correction: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 * θ ← θ − η·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε), as torch.optim.AdamW when weightDecay > 0.
 *
 * @example
 * const opt = adam({ learningRate: 1e-3 });
 */
export function adam(options: AdamOptions = {}): Optimizer {
  if (typeof options !== 'object' || options === null) throw new TypeError('adam options must be an object');
  let learningRate = anum(options.learningRate ?? 1e-3, 'learningRate', 0);
  const beta1 = anum(options.beta1 ?? 0.9, 'beta1', 0, 0.999999);
  const beta2 = anum(options.beta2 ?? 0.999, 'beta2', 0, 0.99999999);
  const epsilon = anum(options.epsilon ?? 1e-8, 'epsilon', 0);
  const weightDecay = anum(options.weightDecay ?? 0, 'weightDecay', 0);
  let m: Float64Array | null = null, v: Float64Array | null = null, t = 0;
  return {
    config: { type: 'adam', learningRate, beta1, beta2, epsilon, weightDecay },
    get learningRate() { return learningRate; },
    set learningRate(x: number) { learningRate = anum(x, 'learningRate', 0); },
    step(params: Arr, grad: Arr): void {
      const n = params.length;
      if (m === null || m.length !== n) {
        m = new Float64Array(n);
        v = new Float64Array(n);
        t = 0;
      }
      t++;
      const mm = m, vv = v!, lr = learningRate;
      const c1 = 1 - beta1 ** t, c2 = 1 - beta2 ** t, decay = 1 - lr * weightDecay;
      for (let i = 0; i < n; i++) {
        const g = grad[i]!;
        const a = (mm[i] = beta1 * mm[i]! + (1 - beta1) * g);
        const b = (vv[i] = beta2 * vv[i]! + (1 - beta2) * g * g);
        params[i] = params[i]! * decay - (lr * (a / c1)) / (Math.sqrt(b / c2) + epsilon);
      }
    },
    reset(): void {
      m = v = null;
      t = 0;
    },
  };
}
