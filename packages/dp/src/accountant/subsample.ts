/**
 * Privacy amplification by Poisson subsampling for any mechanism given by its RDP curve — the general
 * upper bound of Zhu & Wang, "Poisson Subsampled Rényi Differential Privacy", ICML 2019 (Theorem 5 of the
 * PMLR version, the "general upper bound"; the `upper_bound=True` branch of `_compute_rdp_subsampled` in
 * google-research/federated distributed_dp/accounting_utils.py). For integer α ≥ 2 and rate γ:
 *
 *   ε'(α) ≤ 1/(α−1) · log{ (1−γ)^{α−1}(αγ − γ + 1) + C(α,2)γ²(1−γ)^{α−2} e^{ε(2)}
 *                           + 3 Σ_{ℓ=3}^{α} C(α,ℓ) γ^ℓ (1−γ)^{α−ℓ} e^{(ℓ−1)ε(ℓ)} }.
 *
 * Because Σ_ℓ C(α,ℓ)γ^ℓ(1−γ)^{α−ℓ} = 1 and the ℓ = 0, 1 terms equal the first summand, the argument of
 * the log is 1 + Σ_{ℓ≥2} C(α,ℓ)γ^ℓ(1−γ)^{α−ℓ}(m_ℓ e^{(ℓ−1)ε(ℓ)} − 1) with m₂ = 1, m_ℓ = 3 (ℓ ≥ 3): a sum of
 * non-negative terms, which we add in log space (no cancellation at small γ). The result is then
 * min(ε'(α), ε(α)) (subsampling never hurts). A fractional order α is evaluated at ⌈α⌉: RDP is
 * non-decreasing in α (van Erven & Harremoës 2014, Theorem 3), so that is an upper bound.
 * @module
 */
import { log1pExp, logAbsBinomial, logExpm1, logSumExp } from './logmath.js';
import { orders as validOrders, probability } from './validate.js';

/** An RDP curve as a function of the order α (must be ≥ 0, may be Infinity). */
export type RdpFunction = (alpha: number) => number;

/**
 * Zhu–Wang subsampled RDP of a mechanism with RDP function `rdp`, at each order (one step).
 *
 * @example
 * // Subsampled Gaussian, z = 2: never above the unsampled α/(2z²) and above the exact value.
 * rdpSubsampledGeneric([2, 8], 0.01, (a) => a / 8);
 */
export function rdpSubsampledGeneric(orders: readonly number[], samplingRate: number, rdp: RdpFunction): number[] {
  const alphas = validOrders(orders);
  const q = probability(samplingRate, 'samplingRate');
  if (typeof rdp !== 'function') throw new TypeError('rdp must be a function of the order');
  const cache = new Map<number, number>();
  const eps = (a: number): number => {
    let v = cache.get(a);
    if (v === undefined) {
      v = rdp(a);
      if (typeof v !== 'number' || Number.isNaN(v) || v < 0) throw new RangeError(`rdp(${a}) must be a number ≥ 0, got ${String(v)}`);
      cache.set(a, v);
    }
    return v;
  };
  return alphas.map((a0) => {
    if (q === 0) return 0;
    const a = a0 === Infinity ? Infinity : Math.ceil(a0);
    const plain = eps(a);
    if (q === 1 || a === Infinity) return plain;
    const logQ = Math.log(q);
    const log1mQ = Math.log1p(-q);
    const terms: number[] = [];
    for (let l = 2; l <= a; l++) {
      const x = (l - 1) * eps(l);
      if (x === Infinity) {
        terms.push(Infinity);
        break;
      }
      // log(m e^x − 1): m = 1 → log expm1(x); m = 3 → x + log(3 − e^{−x}).
      const logM = l === 2 ? logExpm1(x) : x + Math.log(3 - Math.exp(-x));
      terms.push(logAbsBinomial(a, l) + l * logQ + (a - l) * log1mQ + logM);
    }
    const bound = log1pExp(logSumExp(terms)) / (a - 1);
    return Math.min(bound, plain);
  });
}
