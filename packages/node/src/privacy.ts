/**
 * Distributed differential privacy for the secure-sum service. A roster may declare
 * `session.privacy = { "mechanism": "ddgauss", "localStddev": S, "l2Clip": C, "delta": δ, "unit": "site" }`;
 * then every peer, each round:
 * 1. reads its integer vector and reads each word w as a SIGNED integer (w ≥ 2^(b−1) means w − 2^b);
 * 2. refuses the round when the vector's L2 norm is above C (ERR_INPUT_NORM, naming the file and norm);
 * 3. adds to every coordinate a fresh exact sample of the discrete Gaussian N_Z(0, S²) (S² read exactly
 *    from the decimal S, samples from the system CSPRNG) and reduces mod 2^b.
 *
 * The sum over the survivors then carries N_Z(0, S²) from each of them. Its privacy cost per round,
 * for the accountant, is the distributed discrete Gaussian with G = 1 (the inputs are already integers:
 * no scaling and no rounding, so no rounding inflation of the sensitivity), Δ₂ = C, and — the worst
 * case — only t (the threshold) survivors' noise present:
 * `{ mechanism: 'ddgauss', granularity: 1, localStddev: S, clients: t, l2Clip: C, beta: 0, dim: d, rounding: false }`.
 * The unit is the site: neighbouring inputs differ by one site's whole (clipped) vector.
 * @module
 */
import { sha256, systemRandom, type RandomSource } from '@tessera/crypto';
import { DiscreteGaussian, PrivacyLedger, toRational, type DdgaussRound, type Rational } from '@tessera/dp';
import type { Session } from '@tessera/secagg';
import { FileError, NodeErrorCodes } from './errors.js';
import { FileUpdateProvider, inputPath, type InputContext, type UpdateProvider } from './inputs.js';
import { Fields, join } from './json.js';

/** The roster's `session.privacy`. */
export interface SessionPrivacy {
  readonly mechanism: 'ddgauss';
  /** Standard deviation S of the discrete Gaussian noise each site adds to each coordinate. */
  readonly localStddev: number;
  /** L2 clip C: a site's (signed) input vector must have norm ≤ C. */
  readonly l2Clip: number;
  /** δ of the (ε, δ) guarantee reported and capped. */
  readonly delta: number;
  /** The unit of privacy: 'site' (one site's whole contribution). */
  readonly unit: 'site';
}

/** Largest local noise stddev (noise samples must fit 32-bit integers by a wide margin). */
export const MAX_LOCAL_STDDEV = 2 ** 24;
/** Smallest local noise stddev: the ddgauss bound of Kairouz–Liu–Steinke needs σ ≥ 1/2. */
export const MIN_LOCAL_STDDEV = 0.5;
export const PRIVACY_FIELDS = ['mechanism', 'localStddev', 'l2Clip', 'delta', 'unit'] as const;

/**
 * Validates `session.privacy` of a roster (`field` is its path), naming the file and field in errors.
 *
 * @example
 * parsePrivacy({ mechanism: 'ddgauss', localStddev: 40, l2Clip: 100, delta: 1e-5, unit: 'site' }, new Fields('roster.json'), 'session.privacy');
 */
export function parsePrivacy(value: unknown, f: Fields, field: string): SessionPrivacy {
  const p = f.object(value, field, PRIVACY_FIELDS);
  f.literal(p, 'mechanism', field, 'ddgauss');
  const localStddev = f.number(p, 'localStddev', field, (x) => x >= MIN_LOCAL_STDDEV && x <= MAX_LOCAL_STDDEV, `[${MIN_LOCAL_STDDEV}, 2^24] (the ddgauss bound needs σ ≥ 1/2)`);
  const l2Clip = f.number(p, 'l2Clip', field, (x) => x > 0 && x <= 2 ** 40, '(0, 2^40]');
  const delta = f.number(p, 'delta', field, (x) => x > 0 && x < 1, '(0, 1)');
  if (f.has(p, 'unit')) f.literal(p, 'unit', field, 'site');
  else f.fail(join(field, 'unit'), "is missing: set \"unit\": \"site\" (the secure-sum service protects one site's whole vector)");
  return { mechanism: 'ddgauss', localStddev, l2Clip, delta, unit: 'site' };
}

/**
 * The per-round privacy cost of a session with `privacy`, for the accountant: worst case, only the
 * threshold t of survivors' noise is present.
 *
 * @example
 * privacyCost(privacy, session); // { mechanism: 'ddgauss', granularity: 1, localStddev: 40, clients: 3, l2Clip: 100, beta: 0, dim: 1000, rounding: false }
 */
export function privacyCost(privacy: SessionPrivacy, session: Pick<Session, 'threshold' | 'vectorLength'>): DdgaussRound {
  return { mechanism: 'ddgauss', granularity: 1, localStddev: privacy.localStddev, clients: session.threshold, l2Clip: privacy.l2Clip, beta: 0, dim: session.vectorLength, rounding: false };
}

/** Worst-case ε of one round and of all `rounds` rounds at the privacy's δ (improved conversion). */
export function privacyEpsilon(privacy: SessionPrivacy, session: Pick<Session, 'threshold' | 'vectorLength'>, rounds: number): { perRound: number; total: number; order: number } {
  const cost = privacyCost(privacy, session);
  const one = new PrivacyLedger({ unit: privacy.unit });
  one.addRound(cost);
  const all = new PrivacyLedger({ unit: privacy.unit });
  all.addRound({ ...cost, steps: rounds });
  const t = all.epsilon(privacy.delta);
  return { perRound: one.epsilon(privacy.delta).epsilon, total: t.epsilon, order: t.order };
}

/**
 * The 16 bytes the session id becomes when the roster declares privacy: SHA-256 of a label, the
 * roster's session id and the privacy settings. The privacy settings thereby enter the session digest,
 * so parties whose rosters disagree about the noise never connect. Rosters without privacy keep their
 * session id (and digest) unchanged.
 */
export function privacySessionId(sessionId: Uint8Array, privacy: SessionPrivacy): Uint8Array {
  const text = JSON.stringify([privacy.mechanism, privacy.localStddev, privacy.l2Clip, privacy.delta, privacy.unit]);
  const label = new TextEncoder().encode('tessera/v1/session-privacy\0');
  const body = new TextEncoder().encode(text);
  const input = new Uint8Array(label.length + sessionId.length + body.length);
  input.set(label, 0);
  input.set(sessionId, label.length);
  input.set(body, label.length + sessionId.length);
  return sha256(input).slice(0, 16);
}

/** x as an exact rational, from its shortest decimal form (S = 2.5 → 5/2, so S² = 25/4 exactly). */
export function decimalRational(x: number, name: string): Rational {
  return toRational(String(x), name);
}

/**
 * Whether the SIGNED reading of `words` (w ≥ 2^(b−1) means w − 2^b) has L2 norm at most `clip`,
 * decided exactly (integer sum of squares against the exact rational C²), with the norm as a double.
 */
export function signedNormWithin(words: Uint32Array, bits: number, clip: number): { within: boolean; norm: number } {
  const half = 2 ** (bits - 1);
  const mod = 2 ** bits;
  let small = 0; // exact while below 2^53
  let big = 0n;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const v = w >= half ? w - mod : w;
    if (v > -67_108_864 && v < 67_108_864) {
      small += v * v; // each term < 2^52
      if (small >= 2 ** 52) {
        big += BigInt(small);
        small = 0;
      }
    } else {
      const b = BigInt(v);
      big += b * b;
    }
  }
  const sumSq = big + BigInt(small);
  const c = decimalRational(clip, 'l2Clip');
  const within = sumSq * c.den * c.den <= c.num * c.num;
  return { within, norm: Math.sqrt(Number(sumSq)) };
}

export interface NoisyUpdateOptions {
  /** Where the integer vectors come from (e.g. a FileUpdateProvider). */
  readonly base: UpdateProvider;
  readonly privacy: SessionPrivacy;
  /** The session (its bits, vector length and threshold). */
  readonly session: Pick<Session, 'bits' | 'vectorLength' | 'threshold'>;
  /** What to call round r's input in errors (default: the FileUpdateProvider's file, else "the update of round r"). */
  readonly describe?: (round: number) => string;
  /** Randomness for the noise (tests); the system CSPRNG otherwise. */
  readonly rng?: RandomSource;
}

/**
 * Wraps an UpdateProvider: checks each round's signed vector against the session's L2 clip, adds
 * discrete Gaussian noise N_Z(0, S²) to every coordinate and reduces mod 2^b; `privacyCost(round)`
 * tells the Peer what taking part costs.
 *
 * @example
 * const provider = new NoisyUpdateProvider({ base: new FileUpdateProvider({ pattern, bits, vectorLength }), privacy, session });
 * await provider.input(0); // the noised vector of round 0
 * provider.privacyCost(0); // { mechanism: 'ddgauss', … }
 */
export class NoisyUpdateProvider implements UpdateProvider {
  readonly privacy: SessionPrivacy;
  readonly #base: UpdateProvider;
  readonly #bits: number;
  readonly #vectorLength: number;
  readonly #cost: DdgaussRound;
  readonly #describe: (round: number) => string;
  readonly #sampler: DiscreteGaussian;

  constructor(options: NoisyUpdateOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const { base, privacy, session } = options;
    if (typeof base !== 'object' || base === null || typeof base.input !== 'function') throw new TypeError('base must be an UpdateProvider');
    if (typeof privacy !== 'object' || privacy === null || privacy.mechanism !== 'ddgauss') throw new TypeError("privacy must be a session privacy with mechanism 'ddgauss'");
    if (!(privacy.localStddev >= MIN_LOCAL_STDDEV && privacy.localStddev <= MAX_LOCAL_STDDEV)) throw new RangeError(`privacy.localStddev must be in [${MIN_LOCAL_STDDEV}, 2^24]`);
    if (!(privacy.l2Clip > 0 && Number.isFinite(privacy.l2Clip))) throw new RangeError('privacy.l2Clip must be a finite number > 0');
    if (typeof session !== 'object' || session === null || !Number.isSafeInteger(session.bits) || session.bits < 1 || session.bits > 32) throw new TypeError('session must have bits in [1, 32]');
    if (options.describe !== undefined && typeof options.describe !== 'function') throw new TypeError('describe must be a function');
    this.privacy = privacy;
    this.#base = base;
    this.#bits = session.bits;
    this.#vectorLength = session.vectorLength;
    this.#cost = privacyCost(privacy, session);
    this.#describe = options.describe ?? (base instanceof FileUpdateProvider ? (r) => inputPath(base.pattern, r) : (r) => `the update of round ${r}`);
    const s = decimalRational(privacy.localStddev, 'localStddev');
    this.#sampler = new DiscreteGaussian({ num: s.num * s.num, den: s.den * s.den }, options.rng ?? systemRandom);
  }

  /** The exact noise variance S² per coordinate. */
  get variance(): Rational {
    return this.#sampler.variance;
  }

  /** What taking part in `round` costs (the same every round). */
  privacyCost(_round: number): DdgaussRound {
    return { ...this.#cost };
  }

  /** The base provider's vector (given the same context), norm-checked and noised. */
  async input(round: number, context?: InputContext): Promise<Uint32Array> {
    const x = await this.#base.input(round, context);
    if (!(x instanceof Uint32Array) || x.length !== this.#vectorLength) throw new RangeError(`the base provider returned ${x?.length} words for round ${round}; the session's vectorLength is ${this.#vectorLength}`);
    const { within, norm } = signedNormWithin(x, this.#bits, this.privacy.l2Clip);
    if (!within)
      throw new FileError(this.#describe(round), undefined,
        `has L2 norm ${norm.toPrecision(6)} (words read as signed ${this.#bits}-bit integers), above the session's privacy clip l2Clip = ${this.privacy.l2Clip}; not taking part in round ${round}`,
        NodeErrorCodes.INPUT_NORM);
    const noise = new Int32Array(x.length);
    this.#sampler.fill(noise);
    const mod = 2 ** this.#bits;
    const out = new Uint32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = (x[i]! + noise[i]!) % mod;
      out[i] = v < 0 ? v + mod : v;
    }
    noise.fill(0);
    return out;
  }
}
