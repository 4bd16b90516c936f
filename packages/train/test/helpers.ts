/** Shared test helpers: float64 layers, finite differences, small synthetic data. */
import { buildLayer, Dropout, streamFor, UniformStream, type Layer, type LayerConfig } from '../src/index.js';
import { seededRandom } from '@tessera/crypto';

export function randn(n: number, seed: string, scale = 1): Float64Array {
  const u = new UniformStream(seededRandom(seed));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = u.normal() * scale;
  return out;
}

/** A float64 layer bound to its own parameters (randomised, so γ ≠ 1 etc.). */
export function layer64(config: LayerConfig, inputShape: number[], seed = 'layer'): { layer: Layer; params: Float64Array } {
  const layer = buildLayer(config, inputShape, { dtype: 'float64', dropout: streamFor(seed, 'dropout') });
  const params = randn(layer.paramCount, `${seed} params`, 0.5);
  layer.bind(params, 0);
  return { layer, params };
}

export interface CheckResult { dx: number; dparams: number }

/**
 * Relative error max|analytic − numeric| / max(1e-3, max|numeric|) of dL/dx and dL/dθ for the scalar
 * L = Σ r ⊙ layer(x), by central differences with step h, for n examples.
 */
export function checkLayer(layer: Layer, params: Float64Array, x: Float64Array, n: number, seed = 'r', h = 1e-5): CheckResult {
  const out0 = layer.forward(x, n, true);
  const r = randn(out0.length, seed);
  if (layer instanceof Dropout) layer.frozen = true;
  const L = (): number => {
    const y = layer.forward(x, n, true);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += r[i]! * y[i]!;
    return s;
  };
  L();
  const grad = new Float64Array(params.length);
  const dxA = layer.backward(r, n, grad, 0, 0, true)!;
  const dx = Float64Array.from(dxA);
  const rel = (a: ArrayLike<number>, f: (i: number) => number, len: number): number => {
    let err = 0, scale = 1e-3;
    for (let i = 0; i < len; i++) {
      const num = f(i);
      err = Math.max(err, Math.abs(a[i]! - num));
      scale = Math.max(scale, Math.abs(num));
    }
    return err / scale;
  };
  const numeric = (arr: Float64Array) => (i: number): number => {
    const v = arr[i]!;
    arr[i] = v + h;
    const lp = L();
    arr[i] = v - h;
    const lm = L();
    arr[i] = v;
    return (lp - lm) / (2 * h);
  };
  return { dx: rel(dx, numeric(x), x.length), dparams: params.length ? rel(grad, numeric(params), params.length) : 0 };
}

/** Two classes of [1, s, s] images: a bright blob top-left (class 0) or bottom-right (class 1), plus noise. */
export function blobs(n: number, s: number, seed: string): { inputs: Float32Array; labels: Int32Array } {
  const u = new UniformStream(seededRandom(seed));
  const inputs = new Float32Array(n * s * s), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = u.below(2);
    labels[i] = y;
    const cx = (y ? 0.7 : 0.3) * s + u.normal(), cy = (y ? 0.7 : 0.3) * s + u.normal();
    for (let py = 0; py < s; py++)
      for (let px = 0; px < s; px++) inputs[i * s * s + py * s + px] = Math.exp(-((px - cx) ** 2 + (py - cy) ** 2) / 4) + 0.3 * u.normal();
  }
  return { inputs, labels };
}
