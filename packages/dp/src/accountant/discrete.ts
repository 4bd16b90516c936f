/**
 * Rényi DP of the two distributed discrete mechanisms Tessera's secure sum can carry.
 *
 * Units. Client vectors are clipped to L2 norm C (the "unscaled" units of the update), scaled by
 * 1/G (G = granularity γ; Skellam's scale s = 1/G), randomly rotated and rounded to the integer grid.
 * Conditional randomized rounding with bias β (Kairouz, Liu, Steinke 2021, Proposition 22 of
 * arXiv:2102.06387) bounds the rounded vector's norm by
 *   Δ₂ = min{ C/G + √d,  √((C/G)² + d/4 + √(2 log(1/β)) · (C/G + √d/2)) }   (second term only when β > 0),
 * and on the integer grid Δ₁ ≤ Δ₂ · min(√d, Δ₂) (L1 ≤ √d·L2, and L1 ≤ L2² for integer vectors). If an L1 clip
 * C₁ is given, Δ₁ ≤ C₁/G + d as well (rounding moves each coordinate by less than 1). With rounding off,
 * Δ₂ = C/G and Δ₁ = C₁/G (default C·√d/G).
 *
 * Distributed discrete Gaussian (Kairouz, Liu, Steinke, ICML 2021, Theorem 1 with Proposition 14 / eq. 17):
 * each of n clients adds N_ℤ(0, σ²) per coordinate, σ = S/G on the grid (S = local stddev in unscaled
 * units). With τ = 10 Σ_{k=1}^{n−1} exp(−2π²σ² k/(k+1)) and the sum's scale σ√n,
 *   ε(α) = min{ α Δ₂²/(2nσ²) + τd,
 *               α/2 · (Δ₂²/(nσ²) + 2Δ₁τ/(√n σ) + τ²d),
 *               α/2 · (Δ₂/(√n σ) + τ√d)² }.
 * The theorem assumes σ ≥ 1/2; below that we return Infinity (no bound).
 *
 * Skellam (Agarwal, Kairouz, Liu, NeurIPS 2021, the RDP theorem for the multi-dimensional Skellam
 * mechanism, §3; `_skellam_rdp` in google-research/federated): the sum carries Sk(μ) per coordinate with
 * μ = (s·S_c)² (S_c = central stddev in unscaled units, e.g. S_local·√n); then
 *   ε(α) = α Δ₂²/(2μ) + min{ ((2α − 1)Δ₂² + 6Δ₁)/(4μ²),  3Δ₁/(2μ) }.
 *
 * Both are evaluated at integer orders; a fractional order α is evaluated at ⌈α⌉ (an upper bound, since
 * RDP is non-decreasing in α). Subsampling with rate q < 1 uses the Zhu–Wang bound ({@link rdpSubsampledGeneric}).
 * @module
 */
import { rdpSubsampledGeneric } from './subsample.js';
import { inHalfOpen, integer, nonNegative, orders as validOrders, positive, probability } from './validate.js';

/** Parameters of the rounding step shared by both mechanisms (unscaled units). */
export interface RoundingParams {
  /** L2 clip C of one client's (or, at patient level, one example's) contribution. */
  readonly l2Clip: number;
  /** Optional L1 clip C₁; default C·√d. */
  readonly l1Clip?: number;
  /** Padded dimension d. */
  readonly dim: number;
  /** Conditional randomized rounding bias β ∈ [0, 1); 0 = unconditional rounding. */
  readonly beta: number;
  /** Whether sensitivities are inflated for rounding (default true). */
  readonly rounding?: boolean;
}

/** Parameters of {@link rdpDistributedDiscreteGaussian}. */
export interface DdgParams extends RoundingParams {
  /** Granularity G (γ): the grid spacing in unscaled units. */
  readonly granularity: number;
  /** Per-client noise standard deviation S in unscaled units (S/G on the grid). */
  readonly localStddev: number;
  /** Number of clients whose noise is present in the sum (the survivors). */
  readonly clients: number;
  /** Poisson sampling rate q (default 1). */
  readonly samplingRate?: number;
}

/** Parameters of {@link rdpSkellam}. */
export interface SkellamParams extends RoundingParams {
  /** Scale s = 1/G applied before rounding. */
  readonly scale: number;
  /** Standard deviation of the summed noise in unscaled units (variance of the sum = (s·S_c)² on the grid). */
  readonly centralStddev: number;
  /** Poisson sampling rate q (default 1). */
  readonly samplingRate?: number;
}

/** Sensitivities (Δ₂, Δ₁) on the integer grid after scaling by `scale` and (optionally) rounding. */
export function gridSensitivities(p: RoundingParams, scale: number): { l2: number; l1: number } {
  const c = nonNegative(p.l2Clip, 'l2Clip', true) * scale;
  const d = integer(p.dim, 'dim', 1);
  const beta = inHalfOpen(p.beta, 'beta', 0, 1);
  const l1Given = p.l1Clip === undefined ? undefined : positive(p.l1Clip, 'l1Clip') * scale;
  if (p.rounding !== undefined && typeof p.rounding !== 'boolean') throw new TypeError('rounding must be a boolean');
  if (p.rounding === false) return { l2: c, l1: l1Given ?? c * Math.sqrt(d) };
  let l2 = c + Math.sqrt(d);
  if (beta > 0) l2 = Math.min(l2, Math.sqrt(c * c + d / 4 + Math.sqrt(2 * Math.log(1 / beta)) * (c + Math.sqrt(d) / 2)));
  let l1 = l2 * Math.min(Math.sqrt(d), l2);
  if (l1Given !== undefined) l1 = Math.min(l1, l1Given + d);
  return { l2, l1 };
}

/** τ = 10 Σ_{k=1}^{n−1} exp(−2π²σ² k/(k+1)) of Kairouz–Liu–Steinke Theorem 1 (σ on the grid). */
export function ddgTau(gridStddev: number, clients: number): number {
  const s = positive(gridStddev, 'gridStddev');
  const n = integer(clients, 'clients', 1);
  const c = 2 * Math.PI * Math.PI * s * s;
  let tau = 0;
  for (let k = 1; k < n; k++) {
    const t = Math.exp((-c * k) / (k + 1));
    tau += t;
    if (t === 0) break; // every later term is smaller still
  }
  return 10 * tau;
}

/**
 * RDP of the distributed discrete Gaussian sum (one step), at each order.
 *
 * @example
 * rdpDistributedDiscreteGaussian([2, 32], { l2Clip: 1, dim: 1000, beta: Math.exp(-0.5), granularity: 1e-3,
 *   localStddev: 0.5, clients: 100 });
 */
export function rdpDistributedDiscreteGaussian(orders: readonly number[], p: DdgParams): number[] {
  const alphas = validOrders(orders);
  const g = positive(p.granularity, 'granularity');
  const S = nonNegative(p.localStddev, 'localStddev');
  const n = integer(p.clients, 'clients', 1);
  const q = probability(p.samplingRate ?? 1, 'samplingRate');
  const d = integer(p.dim, 'dim', 1);
  const { l2, l1 } = gridSensitivities(p, 1 / g);
  const sigma = S / g;
  if (!(sigma >= 0.5)) return alphas.map(() => (q === 0 ? 0 : Infinity));
  const tau = ddgTau(sigma, n);
  const scale = Math.sqrt(n) * sigma;
  const l2s = l2 / scale;
  const l1s = l1 / scale;
  const eps = (a: number): number => {
    if (a === Infinity) return Infinity;
    const t1 = (a / 2) * l2s * l2s + tau * d;
    const t2 = (a / 2) * (l2s * l2s + 2 * l1s * tau + tau * tau * d);
    const t3 = (a / 2) * (l2s + Math.sqrt(d) * tau) ** 2;
    return Math.min(t1, t2, t3);
  };
  return rdpSubsampledGeneric(alphas, q, eps);
}

/**
 * RDP of the Skellam mechanism on the secure sum (one step), at each order.
 *
 * @example
 * rdpSkellam([2, 32], { l2Clip: 1, dim: 1000, beta: Math.exp(-0.5), scale: 1000, centralStddev: 5 });
 */
export function rdpSkellam(orders: readonly number[], p: SkellamParams): number[] {
  const alphas = validOrders(orders);
  const s = positive(p.scale, 'scale');
  const Sc = nonNegative(p.centralStddev, 'centralStddev');
  const q = probability(p.samplingRate ?? 1, 'samplingRate');
  const { l2, l1 } = gridSensitivities(p, s);
  const mu = (s * Sc) ** 2;
  if (mu === 0) return alphas.map(() => (q === 0 ? 0 : Infinity));
  const eps = (a: number): number => {
    if (a === Infinity) return Infinity;
    return (a * l2 * l2) / (2 * mu) + Math.min(((2 * a - 1) * l2 * l2 + 6 * l1) / (4 * mu * mu), (3 * l1) / (2 * mu));
  };
  return rdpSubsampledGeneric(alphas, q, eps);
}
