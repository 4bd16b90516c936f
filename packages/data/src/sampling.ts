/**
 * Seeded sampling for splits: uniform doubles, standard normals, Gamma (Marsaglia–Tsang, in log space so
 * that tiny shapes do not underflow), Dirichlet and Fisher–Yates shuffles, all drawn from a
 * {@link RandomSource} so that a seed replays a split exactly.
 * @module
 */
import { seededRandom, type RandomSource } from '@tessera/crypto';

/** A seed (string or bytes, for `seededRandom`) or a random source to draw from directly. */
export type Seed = string | Uint8Array | RandomSource;

/** The random source for `seed`. */
export function sourceOf(seed: Seed, name = 'seed'): RandomSource {
  if (typeof seed === 'function') return seed;
  if (typeof seed === 'string' || seed instanceof Uint8Array) return seededRandom(seed);
  throw new TypeError(`${name} must be a string, a Uint8Array or a RandomSource`);
}

/** A uniform double in [0, 1) with 53 random bits. */
export function uniform(rng: RandomSource): number {
  const b = rng(7);
  // 53 bits: 5 high bits of b[0], then 6 whole bytes.
  let x = b[0]! & 0x1f;
  for (let i = 1; i < 7; i++) x = x * 256 + b[i]!;
  return x / 2 ** 53;
}

/** A standard normal (Box–Muller). */
export function normal(rng: RandomSource): number {
  const u1 = 1 - uniform(rng); // (0, 1]
  const u2 = uniform(rng);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * The logarithm of a Gamma(shape, 1) draw (Marsaglia & Tsang 2000, "A simple method for generating gamma
 * variables"; for shape < 1, Gamma(shape) = Gamma(shape + 1)·U^(1/shape), kept in log space).
 */
export function logGamma(rng: RandomSource, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`shape must be a finite number > 0, got ${shape}`);
  if (shape < 1) return logGamma(rng, shape + 1) + Math.log(1 - uniform(rng)) / shape;
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(rng);
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = 1 - uniform(rng);
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return Math.log(d * v);
  }
}

/** A Gamma(shape, 1) draw. */
export function gamma(rng: RandomSource, shape: number): number {
  return Math.exp(logGamma(rng, shape));
}

/**
 * A Dirichlet(alpha) draw: normalised Gamma draws (normalised in log space, so even alpha = 1e-3 gives a
 * valid point of the simplex rather than 0/0).
 *
 * @example
 * dirichlet(seededRandom('x'), [0.5, 0.5, 0.5]); // three proportions summing to 1
 */
export function dirichlet(rng: RandomSource, alpha: readonly number[]): number[] {
  if (alpha.length === 0) throw new RangeError('alpha must have at least one entry');
  const logs = alpha.map((a) => logGamma(rng, a));
  const max = Math.max(...logs);
  const w = logs.map((l) => Math.exp(l - max));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / sum);
}

/** Shuffles `a` in place (Fisher–Yates) and returns it. */
export function shuffle<T>(rng: RandomSource, a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(uniform(rng) * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/**
 * Integer counts summing to `total`, proportional to `p` (largest remainder; ties to the lower index).
 */
export function apportion(total: number, p: readonly number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`total must be a non-negative integer, got ${total}`);
  if (p.length === 0 || !p.every((x) => Number.isFinite(x) && x >= 0) || Math.abs(p.reduce((a, b) => a + b, 0) - 1) > 1e-9)
    throw new RangeError('p must be non-negative proportions summing to 1');
  const raw = p.map((x) => x * total);
  const counts = raw.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]![1]]!++;
  // Rounding can overshoot only when p sums to a hair above 1: take the excess from the largest counts.
  for (; left < 0; left++) counts[counts.indexOf(Math.max(...counts))]!--;
  return counts;
}
