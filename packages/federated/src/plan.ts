/**
 * What every party agrees on before training: the mode, the encoding into Z_2^b (`chooseEncoding` of
 * @tessera/dp) and the layout of the SecAgg vector.
 *
 * FedAvg (no DP). Site i sends w_i = (n_i / countBound)·clip_C(Δ_i), Δ_i = θ_i − θ (its model delta
 * after local training), encoded without noise, followed by ONE extra ring word holding n_i:
 *
 *     vector = encodeUpdate(w_i) (n_pad words) ‖ n_i (1 word)          length n_pad + 1
 *
 * The secure sum reveals Σ w_i (decoded) and Σ n_i (exact) over the survivors only; the server computes
 * Δ̄ = countBound·Σ w_i / Σ n_i = Σ n_i·clip(Δ_i) / Σ n_i. No per-site count is ever revealed, and a site
 * that drops out is missing from both sums at once. ‖w_i‖ ≤ C, so chooseEncoding (zero noise, k = sites)
 * picks γ with P[wrap] ≤ 2^−40; Σ n_i ≤ k·countBound < 2^b is checked.
 *
 * Precision. Randomized rounding moves each rotated coordinate by less than one grid step γ, so
 * ‖decoded Σ w_i − Σ w_i‖₂ < γ·k·√n_pad (a hard bound; the typical per-coordinate error is ≈ γ·√k/2),
 * and the averaged delta is off by countBound/Σn_i times that. For smallCnn (d = 105,442, n_pad = 2^17),
 * 5 sites, C = 50, countBound = 2^16: γ = 2^−28 ≈ 3.7·10⁻⁹, so the per-coordinate error of Δ̄ is about
 * 10⁻⁷ with 4,708 examples — below float32 resolution of the weights (≈ 6·10⁻⁸ relative).
 *
 * DP-SGD (patient level). Site i sends encodeUpdate(Σ_{j∈B_i} clip_C(g_j)) with its share of discrete
 * Gaussian noise, σ_site = z·C/√t (t = SecAgg threshold = n_min), and no count (the batch size is private;
 * the server divides by the expected batch size q·N, N the public total number of patients).
 *
 * The DP-SGD encoding uses UNCONDITIONAL randomized rounding (β = 0): the privacy unit is one patient,
 * who moves one site's sum by at most C, and the bound on the grid difference of two neighbouring
 * rounded sums, C/γ + √n_pad, holds under the coupling that reuses the rounding uniforms (see
 * {@link dpSgdRound}). Conditional rounding (β > 0) bounds ‖rounded x‖ of ONE vector (Kairouz et al.'s
 * client-level sensitivity), not the difference of two rounded sums whose norms are ≈ C_enc ≫ C, and its
 * rejection step depends on the whole sum, which breaks the coupling.
 * @module
 */
import { chooseEncoding, type DdgaussRound, type EncodingParams, type NoiseKind } from '@tessera/dp';

export type Mode = 'fedavg' | 'dpsgd';

export interface FedAvgPlan {
  readonly mode: 'fedavg';
  readonly encoding: EncodingParams;
  /** L2 clip of each site's model delta (model units). */
  readonly clip: number;
  /** Public bound on any site's example count; weights are n_i/countBound ≤ 1. */
  readonly countBound: number;
  /** SecAgg vector length: paddedDim + 1 (the count word). */
  readonly vectorLength: number;
  /** Hard ℓ2 bound on the error of the decoded Σ w_i (γ·k·√n_pad). */
  readonly sumErrorBound: number;
}

export interface DpSgdPlan {
  readonly mode: 'dpsgd';
  readonly encoding: EncodingParams;
  /** Per-example L2 clip C. */
  readonly clip: number;
  /** Poisson sampling rate q. */
  readonly samplingRate: number;
  /** Central noise multiplier z (noise stddev / C when n_min sites' noise is present). */
  readonly noiseMultiplier: number;
  /** n_min = the SecAgg threshold t. */
  readonly nMin: number;
  /** Public total number of patients N (the server divides by q·N). */
  readonly population: number;
  /** Per-site noise stddev z·C/√n_min (model units). */
  readonly siteStddev: number;
  readonly vectorLength: number;
}

export type RoundPlan = FedAvgPlan | DpSgdPlan;

/** The FedAvg plan (see the module comment). */
export function planFedAvg(o: { dim: number; sites: number; clip?: number; countBound?: number; bits?: number }): FedAvgPlan {
  const clip = o.clip ?? 50;
  const countBound = o.countBound ?? 2 ** 16;
  const bits = o.bits ?? 32;
  if (!Number.isInteger(countBound) || countBound < 1) throw new RangeError(`countBound must be a positive integer, got ${countBound}`);
  if (o.sites * countBound >= 2 ** bits) throw new RangeError(`sites·countBound = ${o.sites * countBound} does not fit in 2^${bits}: lower countBound or raise bits`);
  const encoding = chooseEncoding({ dim: o.dim, l2Clip: clip, clients: o.sites, noiseStddev: 0, bits });
  return {
    mode: 'fedavg', encoding, clip, countBound, vectorLength: encoding.paddedDim + 1,
    sumErrorBound: encoding.granularity * o.sites * Math.sqrt(encoding.paddedDim),
  };
}

/** The DP-SGD plan (see the module comment). */
export function planDpSgd(o: {
  dim: number; sites: number; clip: number; samplingRate: number; noiseMultiplier: number; nMin: number; population: number;
  /** L2 bound on one site's clipped-gradient SUM for the encoding (default C·(q·N/k·2 + 10·√(qN) + 10)). */
  encodingClip?: number; bits?: number; noise?: NoiseKind;
}): DpSgdPlan {
  if (!(o.samplingRate > 0 && o.samplingRate <= 1)) throw new RangeError(`samplingRate must be in (0, 1], got ${o.samplingRate}`);
  if (!(o.noiseMultiplier >= 0)) throw new RangeError(`noiseMultiplier must be ≥ 0, got ${o.noiseMultiplier}`);
  if (!(o.clip > 0)) throw new RangeError(`clip must be > 0, got ${o.clip}`);
  const expected = o.samplingRate * o.population;
  const encodingClip = o.encodingClip ?? o.clip * Math.ceil((2 * expected) / o.sites + 10 * Math.sqrt(expected) + 10);
  const siteStddev = (o.noiseMultiplier * o.clip) / Math.sqrt(o.nMin);
  // β = 0: unconditional randomized rounding (see the module comment: the patient-level sensitivity needs it).
  const encoding = chooseEncoding({ dim: o.dim, l2Clip: encodingClip, clients: o.sites, noiseStddev: siteStddev, bits: o.bits ?? 32, noise: o.noise ?? 'gaussian', beta: 0 });
  return {
    mode: 'dpsgd', encoding, clip: o.clip, samplingRate: o.samplingRate, noiseMultiplier: o.noiseMultiplier, nMin: o.nMin,
    population: o.population, siteStddev, vectorLength: encoding.paddedDim,
  };
}

/**
 * The accounting event of one completed DP-SGD round: the distributed discrete Gaussian actually used,
 * at patient level, with `clients` sites' noise present (the survivors, or n_min = t for the worst case).
 *
 * Units are the accountant's "unscaled" (model) units, as in the encoder: `granularity` γ is the grid
 * step, `localStddev` the per-site stddev as realised by the sampler (γ·√noiseVariance, i.e. z·C/√t up to
 * the double → rational conversion), `l2Clip` the per-example clip C. With `rounding: true, beta: 0` the
 * accountant uses Δ₂ = C/γ + √n_pad on the grid: a patient moves one site's clipped-gradient sum by ≤ C
 * (the encoder's rotation is orthonormal and its clip to C_enc is a projection onto a ball, 1-Lipschitz),
 * and unconditional randomized rounding with the same uniforms U_j ∈ [0, 1) is r_j = ⌈v_j − U_j⌉ (up to the
 * 2^−32 resolution of the uniforms), monotone in v_j, so each coordinate of the difference of the two
 * rounded sums is < |v_j − v'_j| + 1 in absolute value, hence
 * ‖r − r'‖₂ < C/γ + √n_pad for every u; the output is a mixture over u of discrete Gaussians shifted by
 * r_u, and Rényi divergence is jointly quasi-convex, so the bound for the worst u holds for the mixture.
 * Requires a plan from {@link planDpSgd} (β = 0).
 *
 * @example
 * const ledger = new PrivacyLedger({ unit: 'patient' });
 * ledger.addRound(dpSgdRound(plan, survivors.length));
 */
export function dpSgdRound(plan: DpSgdPlan, clients: number): DdgaussRound {
  if (plan === null || typeof plan !== 'object' || plan.mode !== 'dpsgd') throw new TypeError('plan must be a DP-SGD plan (planDpSgd)');
  if (!Number.isInteger(clients) || clients < 1) throw new RangeError(`clients must be a positive integer, got ${clients}`);
  if (plan.encoding.beta !== 0) throw new RangeError(`plan.encoding.beta must be 0 (unconditional rounding) for the patient-level bound, got ${plan.encoding.beta}`);
  return {
    mechanism: 'ddgauss', granularity: plan.encoding.granularity, localStddev: plan.encoding.noiseStddev, clients,
    l2Clip: plan.clip, beta: 0, rounding: true, dim: plan.encoding.paddedDim, samplingRate: plan.samplingRate,
  };
}
