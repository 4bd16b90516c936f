/**
 * A federation's plan as canonical data, for the transcript's session entry (docs/transcript.md, "Tessera's
 * recording profile"): `params.extra` (how each round's sum is decoded) and `params.privacy` (how each
 * completed round is accounted). Reals are decimal text (canonical CBOR carries no floats); `Number(text)`
 * gives back the same double. {@link decodeRoundSum} is the one decode both the server and an auditor run.
 * @module
 */
import type { Canonical } from '@tessera/crypto';
import { decodeSum, type DdgaussRound, type EncodingParams } from '@tessera/dp';
import { dpSgdRound, type RoundPlan } from './plan.js';

type CanonicalMap = { [key: string]: Canonical };

/** What decoding a round's sum needs: the mode, the encoding and the divisor's inputs. */
export type DecodePlan =
  | { readonly mode: 'fedavg'; readonly encoding: EncodingParams; readonly countBound: number; readonly vectorLength: number }
  | { readonly mode: 'dpsgd'; readonly encoding: EncodingParams; readonly samplingRate: number; readonly population: number; readonly vectorLength: number };

/** The decoded aggregate of one round. */
export interface Decoded {
  /** FedAvg: the weighted mean delta Σ n_i·clip(Δ_i)/Σ n_i; DP-SGD: the noised mean gradient (Σ clip(g) + noise)/(q·N). */
  readonly mean: Float64Array;
  /** FedAvg: Σ n_i over the survivors (exact); DP-SGD: the expected batch size q·N. */
  readonly total: number;
  /** FedAvg: countBound·Σ w_i; DP-SGD: Σ clip(g) + noise (before dividing). */
  readonly sum: Float64Array;
}

/**
 * Decodes a round's secure sum (n_pad words, plus the count word for FedAvg) with the round's public seed.
 *
 * @example
 * const { mean } = decodeRoundSum(plan, result.sum, roundSeed);
 */
export function decodeRoundSum(plan: RoundPlan | DecodePlan, sum: Uint32Array, roundSeed: Uint8Array): Decoded {
  if (!(sum instanceof Uint32Array)) throw new TypeError('sum must be a Uint32Array');
  if (sum.length !== plan.vectorLength) throw new RangeError(`sum must have ${plan.vectorLength} words, got ${sum.length}`);
  const n = plan.encoding.paddedDim;
  const decoded = decodeSum(sum.subarray(0, n), plan.encoding, roundSeed);
  if (plan.mode === 'fedavg') {
    const total = sum[n]!;
    const s = new Float64Array(decoded.length);
    const mean = new Float64Array(decoded.length);
    for (let i = 0; i < s.length; i++) {
      s[i] = decoded[i]! * plan.countBound;
      mean[i] = total > 0 ? s[i]! / total : 0;
    }
    return { mean, total, sum: s };
  }
  const total = plan.samplingRate * plan.population;
  const mean = new Float64Array(decoded.length);
  for (let i = 0; i < mean.length; i++) mean[i] = decoded[i]! / total;
  return { mean, total, sum: decoded };
}

const text = (x: number): string => String(x);
function real(v: Canonical | undefined, field: string): number {
  if (typeof v !== 'string' || !/^-?(\d+(\.\d+)?(e[+-]?\d+)?|Infinity)$/.test(v)) throw new TypeError(`${field} must be a decimal text, got ${typeof v}`);
  return Number(v);
}
function uint(v: Canonical | undefined, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TypeError(`${field} must be a non-negative integer, got ${typeof v}`);
  return v;
}
const isMap = (v: unknown): v is CanonicalMap => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** EncodingParams as canonical data (every field; reals as text, the noise variance as a bigint fraction). */
export function encodingToCanonical(e: EncodingParams): CanonicalMap {
  return {
    dim: e.dim, paddedDim: e.paddedDim, l2Clip: text(e.l2Clip), clients: e.clients, bits: e.bits, granularity: text(e.granularity), beta: text(e.beta),
    noise: e.noise, noiseVariance: { num: e.noiseVariance.num, den: e.noiseVariance.den }, noiseStddev: text(e.noiseStddev),
    roundedNormBound: text(e.roundedNormBound), wrapProbability: text(e.wrapProbability), wrapLog2: text(e.wrapLog2),
  };
}

/** The inverse of {@link encodingToCanonical}; throws TypeError naming a missing or mistyped field. */
export function encodingFromCanonical(m: Canonical | undefined, field = 'encoding'): EncodingParams {
  if (!isMap(m)) throw new TypeError(`${field} must be a map`);
  const nv = m['noiseVariance'];
  // Canonical CBOR has one integer type: a decoder gives small ones back as numbers, large ones as bigints.
  const int = (v: Canonical | undefined, f: string): bigint => {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
    throw new TypeError(`${field}.noiseVariance.${f} must be an integer`);
  };
  if (!isMap(nv)) throw new TypeError(`${field}.noiseVariance must be { num, den } integers`);
  const num = int(nv['num'], 'num'), den = int(nv['den'], 'den');
  const noise = m['noise'];
  if (noise !== 'gaussian' && noise !== 'skellam') throw new TypeError(`${field}.noise must be 'gaussian' or 'skellam'`);
  return {
    dim: uint(m['dim'], `${field}.dim`), paddedDim: uint(m['paddedDim'], `${field}.paddedDim`), l2Clip: real(m['l2Clip'], `${field}.l2Clip`),
    clients: uint(m['clients'], `${field}.clients`), bits: uint(m['bits'], `${field}.bits`), granularity: real(m['granularity'], `${field}.granularity`),
    beta: real(m['beta'], `${field}.beta`), noise, noiseVariance: { num, den }, noiseStddev: real(m['noiseStddev'], `${field}.noiseStddev`),
    roundedNormBound: real(m['roundedNormBound'], `${field}.roundedNormBound`), wrapProbability: real(m['wrapProbability'], `${field}.wrapProbability`),
    wrapLog2: real(m['wrapLog2'], `${field}.wrapLog2`),
  };
}

/** `params.extra` of a training session: how every round's sum is decoded. */
export function planToCanonical(plan: RoundPlan): CanonicalMap {
  const base = { kind: 'tessera/federated', mode: plan.mode, encoding: encodingToCanonical(plan.encoding), vectorLength: plan.vectorLength };
  return plan.mode === 'fedavg'
    ? { ...base, countBound: plan.countBound }
    : { ...base, samplingRate: text(plan.samplingRate), population: plan.population };
}

/** The inverse of {@link planToCanonical}: what {@link decodeRoundSum} needs. */
export function planFromCanonical(m: Canonical | undefined, field = 'extra'): DecodePlan {
  if (!isMap(m) || m['kind'] !== 'tessera/federated') throw new TypeError(`${field} must be a map of kind 'tessera/federated'`);
  const encoding = encodingFromCanonical(m['encoding'], `${field}.encoding`);
  const vectorLength = uint(m['vectorLength'], `${field}.vectorLength`);
  if (m['mode'] === 'fedavg') return { mode: 'fedavg', encoding, countBound: uint(m['countBound'], `${field}.countBound`), vectorLength };
  if (m['mode'] === 'dpsgd') return { mode: 'dpsgd', encoding, samplingRate: real(m['samplingRate'], `${field}.samplingRate`), population: uint(m['population'], `${field}.population`), vectorLength };
  throw new TypeError(`${field}.mode must be 'fedavg' or 'dpsgd'`);
}

/** What `params.privacy` says: the accounting round (without its survivors), δ, the target, the planned rounds. */
export interface PrivacyProfile {
  readonly unit: 'patient';
  readonly round: Omit<DdgaussRound, 'clients'>;
  readonly delta: number;
  readonly epsilonTarget: number | null;
  readonly rounds: number;
}

/** `params.privacy` of a DP-SGD session (null for FedAvg). */
export function privacyToCanonical(plan: RoundPlan, o: { delta: number; epsilonTarget: number | null; rounds: number }): CanonicalMap | null {
  if (plan.mode !== 'dpsgd') return null;
  const r = dpSgdRound(plan, 1);
  return {
    unit: 'patient', mechanism: 'ddgauss',
    round: {
      granularity: text(r.granularity), localStddev: text(r.localStddev), l2Clip: text(r.l2Clip), beta: text(r.beta), dim: r.dim,
      samplingRate: text(r.samplingRate ?? 1), rounding: r.rounding ?? true,
    },
    delta: text(o.delta), epsilonTarget: o.epsilonTarget === null || !Number.isFinite(o.epsilonTarget) ? null : text(o.epsilonTarget), rounds: o.rounds,
  };
}

/** The inverse of {@link privacyToCanonical} (null stays null). */
export function privacyFromCanonical(m: Canonical | undefined, field = 'privacy'): PrivacyProfile | null {
  if (m === null) return null;
  if (!isMap(m) || m['unit'] !== 'patient' || m['mechanism'] !== 'ddgauss') throw new TypeError(`${field} must be null or a map { unit: 'patient', mechanism: 'ddgauss', … }`);
  const r = m['round'];
  if (!isMap(r)) throw new TypeError(`${field}.round must be a map`);
  if (typeof r['rounding'] !== 'boolean') throw new TypeError(`${field}.round.rounding must be a boolean`);
  return {
    unit: 'patient',
    round: {
      mechanism: 'ddgauss', granularity: real(r['granularity'], `${field}.round.granularity`), localStddev: real(r['localStddev'], `${field}.round.localStddev`),
      l2Clip: real(r['l2Clip'], `${field}.round.l2Clip`), beta: real(r['beta'], `${field}.round.beta`), dim: uint(r['dim'], `${field}.round.dim`),
      samplingRate: real(r['samplingRate'], `${field}.round.samplingRate`), rounding: r['rounding'],
    },
    delta: real(m['delta'], `${field}.delta`),
    epsilonTarget: m['epsilonTarget'] === null ? null : real(m['epsilonTarget'], `${field}.epsilonTarget`),
    rounds: uint(m['rounds'], `${field}.rounds`),
  };
}
