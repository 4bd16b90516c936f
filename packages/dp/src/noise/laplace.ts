/**
 * The discrete Laplace distribution Lap_Z(t): P(Y = y) ∝ e^(−|y|/t) on the integers.
 * @module
 */
import { aint } from '@tessera/crypto';
import { RandomWords } from './words.js';
import { bernoulliExpNeg, bernoulliRational } from './bernoulli.js';
import { geometricExp, newStats, type SamplerStats } from './fast.js';

/**
 * One sample of Lap_Z(t/s) for positive integers s, t, exactly as in Canonne–Kamath–Steinke 2020,
 * Algorithm 2 (U uniform below t accepted w.p. e^(−U/t), V from a run of Bernoulli(e^(−1)) trials,
 * X = U + tV, Y = ⌊X/s⌋, a fair sign, rejecting "−0"). Integer arithmetic only (bigint). Reference
 * implementation, used by tests; {@link DiscreteLaplace} samples the same distribution faster.
 *
 * @example
 * discreteLaplaceCks(new RandomWords(seededRandom('x')), 1, 3); // P(y) ∝ e^(−|y|/3)
 */
export function discreteLaplaceCks(words: RandomWords, s: number, t: number): number {
  aint(s, 's', 1, Number.MAX_SAFE_INTEGER);
  aint(t, 't', 1, Number.MAX_SAFE_INTEGER);
  const tb = BigInt(t);
  const one = { num: 1n, den: 1n };
  for (;;) {
    const u = words.below(t);
    if (!bernoulliExpNeg(words, { num: BigInt(u), den: tb })) continue;
    let v = 0;
    while (bernoulliExpNeg(words, one)) v++;
    const y = Math.floor((u + t * v) / s);
    const negative = bernoulliRational(words, 1n, 2n);
    if (negative && y === 0) continue;
    return negative ? -y : y;
  }
}

/**
 * A fast exact sampler of Lap_Z(t) for an integer scale t ≥ 1: |Y| is geometric with ratio e^(−1/t),
 * drawn by exact lazy inversion ({@link geometricExp}); a fair sign; "−0" rejected (as in CKS
 * Algorithm 2, so P(Y = y) = (1 − e^(−1/t))/(1 + e^(−1/t)) · e^(−|y|/t)).
 *
 * @example
 * const lap = new DiscreteLaplace(3, seededRandom('x'));
 * lap.sample();
 */
export class DiscreteLaplace {
  readonly scale: number;
  readonly stats: SamplerStats = newStats();
  readonly #words: RandomWords;
  readonly #tBig: bigint;

  constructor(scale: number, rng: RandomWords | ((length: number) => Uint8Array)) {
    this.scale = aint(scale, 'scale', 1, 2 ** 40);
    this.#tBig = BigInt(scale);
    this.#words = rng instanceof RandomWords ? rng : new RandomWords(rng);
  }

  sample(): number {
    for (;;) {
      this.stats.iterations++;
      const g = geometricExp(this.#words, this.scale, this.#tBig, this.stats);
      const negative = this.#words.bit();
      if (negative && g === 0) continue;
      this.stats.samples++;
      return negative ? -g : g;
    }
  }
}
