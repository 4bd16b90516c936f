/**
 * t-out-of-n Shamir secret sharing of 32-byte secrets over the prime field F_p, p = 2^256 + 297 (the
 * smallest prime above 2^256, so that every 32-byte secret is a field element; a test re-checks its
 * primality). Field arithmetic uses bigint-crypto-utils.
 *
 * A share is (x, y): x is the holder's member index (1 ≤ x < 2^32, never 0), y = f(x) encoded as 33
 * big-endian bytes. f has degree t − 1, f(0) = secret, other coefficients uniform in F_p.
 * @module
 */
import { modInv } from 'bigint-crypto-utils';
import { abytes, aint } from './bytes.js';
import type { RandomSource } from './random.js';

/** The field prime p = 2^256 + 297. */
export const SHAMIR_PRIME = (1n << 256n) + 297n;
/** Secret length in bytes. */
export const SHAMIR_SECRET_BYTES = 32;
/** Encoded share value length in bytes (big-endian, < p). */
export const SHAMIR_SHARE_BYTES = 33;

const P = SHAMIR_PRIME;

/** One share: the holder's x coordinate and the 33-byte encoded value f(x). */
export interface Share {
  readonly x: number;
  readonly y: Uint8Array;
}

function toBig(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}
function toBytes(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function randomFieldElement(rng: RandomSource): bigint {
  for (;;) {
    const b = rng(SHAMIR_SHARE_BYTES);
    b[0]! &= 0x01; // 257 bits; p > 2^256 so acceptance is just under 1/2
    const v = toBig(b);
    if (v < P) return v;
  }
}

function checkXs(xs: readonly number[]): void {
  const seen = new Set<number>();
  for (const [i, x] of xs.entries()) {
    aint(x, `xs[${i}]`, 1, 0xffffffff);
    if (seen.has(x)) throw new RangeError(`xs[${i}] repeats x = ${x}`);
    seen.add(x);
  }
}

/**
 * Splits a 32-byte secret into shares for the holders `xs`, any `threshold` of which reconstruct it.
 *
 * @example
 * const ys = splitSecret(secret, 3, [1, 2, 3, 4, 5], systemRandom);
 * reconstructSecret([{ x: 2, y: ys[1] }, { x: 4, y: ys[3] }, { x: 5, y: ys[4] }], 3); // = secret
 */
export function splitSecret(secret: Uint8Array, threshold: number, xs: readonly number[], rng: RandomSource): Uint8Array[] {
  abytes(secret, 'secret', SHAMIR_SECRET_BYTES);
  checkXs(xs);
  aint(threshold, 'threshold', 1, Math.max(1, xs.length));
  const coeffs: bigint[] = [toBig(secret)];
  for (let i = 1; i < threshold; i++) coeffs.push(randomFieldElement(rng));
  const out = xs.map((x) => {
    const bx = BigInt(x);
    let acc = 0n;
    for (let i = coeffs.length - 1; i >= 0; i--) acc = (acc * bx + coeffs[i]!) % P;
    return toBytes(acc, SHAMIR_SHARE_BYTES);
  });
  coeffs.fill(0n);
  return out;
}

/**
 * Reconstructs the secret from the first `threshold` of `shares` by Lagrange interpolation at 0
 * (one modular inversion per call, by Montgomery's batch trick). With fewer than `threshold` shares it
 * throws: t − 1 shares carry no information about the secret. An interpolated value ≥ 2^256 cannot be
 * a secret and means a share was wrong: that throws too.
 */
export function reconstructSecret(shares: readonly Share[], threshold: number): Uint8Array {
  aint(threshold, 'threshold', 1, 0xffffffff);
  if (!Array.isArray(shares)) throw new TypeError('shares must be an array');
  if (shares.length < threshold) throw new RangeError(`need ${threshold} shares, got ${shares.length}`);
  const use = shares.slice(0, threshold);
  checkXs(use.map((s) => s.x));
  const ys = use.map((s, i) => {
    const y = toBig(abytes(s.y, `shares[${i}].y`, SHAMIR_SHARE_BYTES));
    if (y >= P) throw new RangeError(`shares[${i}].y is not a field element`);
    return y;
  });
  const xs = use.map((s) => BigInt(s.x));
  const t = xs.length;
  // λ_j = Π_{m≠j} x_m / Π_{m≠j} (x_m − x_j) = N / (x_j · D_j), N = Π x_m.
  let num = 1n;
  for (const x of xs) num = (num * x) % P;
  const dens: bigint[] = new Array(t);
  for (let j = 0; j < t; j++) {
    let d = xs[j]!;
    for (let m = 0; m < t; m++) if (m !== j) d = (d * (xs[m]! - xs[j]!)) % P;
    dens[j] = d < 0n ? d + P : d;
  }
  // Batch inversion: prefix products, one inverse, walk back.
  const prefix: bigint[] = new Array(t);
  let run = 1n;
  for (let j = 0; j < t; j++) {
    prefix[j] = run;
    run = (run * dens[j]!) % P;
  }
  let inv = modInv(run, P);
  let secret = 0n;
  for (let j = t - 1; j >= 0; j--) {
    const invDen = (inv * prefix[j]!) % P;
    inv = (inv * dens[j]!) % P;
    secret = (secret + ys[j]! * invDen) % P;
  }
  secret = (secret * num) % P;
  if (secret >> 256n !== 0n) throw new RangeError('shares are inconsistent: the interpolated value is not a 32-byte secret');
  return toBytes(secret, SHAMIR_SECRET_BYTES);
}
