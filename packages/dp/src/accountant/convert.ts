/**
 * Composition of RDP curves and conversion of an RDP curve to (ε, δ)-DP.
 *
 * - Composition (Mironov 2017, Proposition 1): RDP curves at the same orders add.
 * - `'classic'` (Mironov 2017, Proposition 3): ε = min_α [ε(α) + log(1/δ)/(α − 1)].
 * - `'improved'` (Canonne, Kamath, Steinke 2020, "The Discrete Gaussian for Differential Privacy",
 *   Proposition 12 of arXiv:2004.00010v4; also Asoodeh et al. 2020, eq. 20), as in dp_accounting's
 *   `compute_epsilon`: ε = min_α [ε(α) + log(1 − 1/α) − (log δ + log α)/(α − 1)], used for α > 1.01
 *   (below that it is numerically unstable and never optimal); and ε = 0 at any order whose ε(α) satisfies
 *   δ ≥ √(1 − e^{−ε(α)}) (total variation ≤ √(1 − e^{−KL}) ≤ √(1 − e^{−ε(α)}), Bretagnolle–Huber).
 * At α = Infinity both rules give ε = ε(∞).
 * @module
 */
import { conversion as validConversion, inHalfOpen, integer, orders as validOrders, rdpCurve } from './validate.js';

export type Conversion = 'improved' | 'classic';

/** An (ε, δ) guarantee, the order that achieved it and the rule used. */
export interface EpsilonResult {
  readonly epsilon: number;
  readonly delta: number;
  /** The optimal Rényi order (NaN-free; the first order when every candidate is Infinity). */
  readonly order: number;
  readonly conversion: Conversion;
}

/**
 * Sums RDP curves (sequential composition), optionally each repeated `counts[i]` times.
 *
 * @example
 * composeRdp([[0.1, 0.2], [0.3, 0.4]], [2, 1]); // → [0.5, 0.8]
 */
export function composeRdp(curves: readonly (readonly number[])[], counts?: readonly number[]): number[] {
  if (!Array.isArray(curves) || curves.length === 0) throw new RangeError('curves must be a non-empty array of RDP curves');
  const len = (curves[0] as readonly number[] | undefined)?.length ?? 0;
  if (counts !== undefined && (!Array.isArray(counts) || counts.length !== curves.length))
    throw new RangeError(`counts must have one entry per curve (${curves.length})`);
  const out = new Array<number>(len).fill(0);
  curves.forEach((c, i) => {
    rdpCurve(c, `curves[${i}]`, len);
    const k = counts === undefined ? 1 : integer(counts[i], `counts[${i}]`, 0);
    if (k === 0) return;
    for (let j = 0; j < len; j++) out[j]! += k * c[j]!;
  });
  return out;
}

/** ε at one order by the given rule (Infinity when the rule gives nothing there). */
export function epsilonAtOrder(order: number, rdp: number, delta: number, rule: Conversion): number {
  if (rdp === Infinity) return Infinity;
  if (order === Infinity) return rdp;
  if (rule === 'classic') return rdp + Math.log(1 / delta) / (order - 1);
  if (delta * delta + Math.expm1(-rdp) > 0) return 0;
  if (order > 1.01) return rdp + Math.log1p(-1 / order) - (Math.log(delta) + Math.log(order)) / (order - 1);
  return Infinity;
}

/**
 * Converts an RDP curve to (ε, δ)-DP by the chosen rule, minimising over the orders.
 * δ = 0 gives ε = 0 if the curve is identically 0, else Infinity.
 *
 * @example
 * epsilonFromRdp([2, 10], [1, 5], 1e-5, 'classic'); // → { epsilon: 6.279…, order: 10, delta: 1e-5, conversion: 'classic' }
 */
export function epsilonFromRdp(orders: readonly number[], rdp: readonly number[], delta: number, rule: Conversion = 'improved'): EpsilonResult {
  const alphas = validOrders(orders);
  const curve = rdpCurve(rdp, 'rdp', alphas.length);
  const d = inHalfOpen(delta, 'delta', 0, 1);
  const conv = validConversion(rule);
  if (d === 0) return { epsilon: curve.every((r) => r === 0) ? 0 : Infinity, delta: d, order: alphas[0]!, conversion: conv };
  let best = Infinity;
  let order = alphas[0]!;
  alphas.forEach((a, i) => {
    const e = epsilonAtOrder(a, curve[i]!, d, conv);
    if (e < best) {
      best = e;
      order = a;
    }
  });
  return { epsilon: Math.max(0, best), delta: d, order, conversion: conv };
}

/**
 * The smallest δ at which the curve gives the target ε (the inverse of {@link epsilonFromRdp}, same rules):
 * classic δ = min_α exp((α − 1)(ε(α) − ε)); improved δ = min_α exp((α − 1)(ε(α) − ε + log(1 − 1/α)) − log α).
 */
export function deltaFromRdp(orders: readonly number[], rdp: readonly number[], epsilon: number, rule: Conversion = 'improved'): { delta: number; order: number; conversion: Conversion } {
  const alphas = validOrders(orders);
  const curve = rdpCurve(rdp, 'rdp', alphas.length);
  if (typeof epsilon !== 'number' || !(epsilon >= 0)) throw new RangeError(`epsilon must be a number ≥ 0, got ${String(epsilon)}`);
  const conv = validConversion(rule);
  let best = Infinity;
  let order = alphas[0]!;
  alphas.forEach((a, i) => {
    const r = curve[i]!;
    let logDelta: number;
    if (r === Infinity) logDelta = Infinity;
    else if (a === Infinity) logDelta = r <= epsilon ? -Infinity : Infinity;
    else if (conv === 'classic') logDelta = (a - 1) * (r - epsilon);
    else {
      logDelta = r === 0 ? -Infinity : 0.5 * Math.log(-Math.expm1(-r));
      if (a > 1.01) logDelta = Math.min(logDelta, (a - 1) * (r - epsilon + Math.log1p(-1 / a)) - Math.log(a));
    }
    if (logDelta < best) {
      best = logDelta;
      order = a;
    }
  });
  return { delta: Math.min(1, Math.exp(best)), order, conversion: conv };
}
