import test from 'ava';
import fc from 'fast-check';
import { isProbablyPrime } from 'bigint-crypto-utils';
import { reconstructSecret, seededRandom, SHAMIR_PRIME, SHAMIR_SHARE_BYTES, splitSecret, toHex, type Share } from '../src/index.js';

const P = SHAMIR_PRIME;

const toBig = (b: Uint8Array): bigint => b.reduce((v, x) => (v << 8n) | BigInt(x), 0n);
function toBytes(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}
const mod = (a: bigint): bigint => ((a % P) + P) % P;
function inv(a: bigint): bigint {
  // Fermat: a^(p−2) mod p (independent of the implementation's batch inversion).
  let r = 1n;
  let b = mod(a);
  for (let e = P - 2n; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
}
/** Reference Lagrange interpolation at 0, term by term. */
function interpolateAt0(points: readonly (readonly [bigint, bigint])[]): bigint {
  let s = 0n;
  for (const [j, [xj, yj]] of points.entries()) {
    let num = 1n;
    let den = 1n;
    for (const [m, [xm]] of points.entries()) {
      if (m === j) continue;
      num = mod(num * xm);
      den = mod(den * (xm - xj));
    }
    s = mod(s + yj * num * inv(den));
  }
  return s;
}

test('SHAMIR_PRIME is 2^256 + 297 and is prime', async (t) => {
  t.is(P, 2n ** 256n + 297n);
  t.true(await isProbablyPrime(P, 32, true));
  t.false(await isProbablyPrime(P * 3n, 16, true), 'control: the primality test can say no');
  t.is(SHAMIR_SHARE_BYTES, 33);
});

test('reconstructSecret recovers f(0) of a hand-made polynomial (independent of splitSecret)', (t) => {
  const secret = 0xfedcba9876543210n * 2n ** 190n + 12345n; // < 2^256
  const coeffs = [secret, 5n, P - 7n, 2n ** 255n];
  const f = (x: bigint) => coeffs.reduceRight((acc, c) => mod(acc * x + c), 0n);
  const xs = [3, 0xffffffff, 1, 77];
  const shares: Share[] = xs.map((x) => ({ x, y: toBytes(f(BigInt(x)), 33) }));
  t.is(toHex(reconstructSecret(shares, 4)), toHex(toBytes(secret, 32)));
  t.is(toHex(reconstructSecret([...shares].reverse(), 4)), toHex(toBytes(secret, 32)));
});

test('splitSecret shares lie on a polynomial of degree t − 1 with f(0) = secret (reference interpolation)', (t) => {
  const rng = seededRandom('degree');
  const secret = rng(32);
  const xs = [1, 2, 3, 4, 5, 6, 1000, 0xfffffffe];
  const ys = splitSecret(secret, 4, xs, rng);
  t.is(ys.length, xs.length);
  for (const y of ys) {
    t.is(y.length, 33);
    t.true(toBig(y) < P);
  }
  const pts = xs.map((x, i) => [BigInt(x), toBig(ys[i]!)] as const);
  // Any 4 points give the secret; 5 points also do (the degree is ≤ 3).
  t.is(interpolateAt0(pts.slice(0, 4)), toBig(secret));
  t.is(interpolateAt0(pts.slice(3, 8)), toBig(secret));
  // 3 points give something else: the degree is exactly 3 (w.h.p. for random coefficients).
  t.not(interpolateAt0(pts.slice(0, 3)), toBig(secret));
});

test('threshold 1: every share is the secret itself', (t) => {
  const secret = seededRandom('t1')(32);
  const ys = splitSecret(secret, 1, [9, 10, 11], seededRandom('t1 rng'));
  for (const y of ys) t.is(toHex(y), '00' + toHex(secret));
  t.is(toHex(reconstructSecret([{ x: 10, y: ys[1]! }], 1)), toHex(secret));
});

const scenario = fc
  .integer({ min: 2, max: 40 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      t: fc.integer({ min: 1, max: n }),
      xs: fc.uniqueArray(fc.integer({ min: 1, max: 0xffffffff }), { minLength: n, maxLength: n }),
      orders: fc.array(fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }), { minLength: 3, maxLength: 3 }),
      secret: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      seed: fc.nat(),
      bit: fc.nat({ max: 263 }),
    }),
  );

test('property: every random t-subset, in any order, reconstructs; t − 1 shares do not', (t) => {
  fc.assert(
    fc.property(scenario, ({ t: th, xs, orders, secret, seed }) => {
      const ys = splitSecret(secret, th, xs, seededRandom(`split ${seed}`));
      const shares: Share[] = xs.map((x, i) => ({ x, y: ys[i]! }));
      const want = toHex(secret);
      for (const order of orders) {
        const subset = order.slice(0, th).map((i) => shares[i]!);
        if (toHex(reconstructSecret(subset, th)) !== want) return false;
        if (toHex(reconstructSecret([...subset].reverse(), th)) !== want) return false;
        // Extra shares beyond the threshold are allowed and do not change the answer.
        if (toHex(reconstructSecret(order.map((i) => shares[i]!), th)) !== want) return false;
        if (th >= 2) {
          const fewer = subset.slice(0, th - 1);
          try {
            if (toHex(reconstructSecret(fewer, th - 1)) === want) return false;
          } catch (e) {
            if (!(e instanceof RangeError)) return false;
          }
        }
      }
      return true;
    }),
    { numRuns: 100 },
  );
  t.pass();
});

test('property: fewer shares than the threshold, a repeated x, or y ≥ p → RangeError', (t) => {
  fc.assert(
    fc.property(scenario, ({ t: th, xs, orders, secret, seed }) => {
      const ys = splitSecret(secret, th, xs, seededRandom(`split ${seed}`));
      const shares: Share[] = orders[0]!.map((i) => ({ x: xs[i]!, y: ys[i]! }));
      const used = shares.slice(0, th);
      const throwsRange = (f: () => unknown): boolean => {
        try {
          f();
          return false;
        } catch (e) {
          return e instanceof RangeError;
        }
      };
      if (!throwsRange(() => reconstructSecret(used.slice(0, th - 1), th))) return false;
      if (th >= 2 && !throwsRange(() => reconstructSecret([used[0]!, ...used.slice(0, th - 1)], th))) return false;
      if (th >= 2 && !throwsRange(() => reconstructSecret([...used.slice(0, th - 1), { x: used[0]!.x, y: used[th - 1]!.y }], th))) return false;
      const j = seed % th;
      for (const big of [P, P + 1n, 2n ** 264n - 1n]) {
        const bad = used.map((s, i) => (i === j ? { x: s.x, y: toBytes(big, 33) } : s));
        if (!throwsRange(() => reconstructSecret(bad, th))) return false;
      }
      return true;
    }),
    { numRuns: 100 },
  );
  t.pass();
});

test('property: a tampered share yields a different secret or throws', (t) => {
  fc.assert(
    fc.property(scenario, ({ t: th, xs, orders, secret, seed, bit }) => {
      const ys = splitSecret(secret, th, xs, seededRandom(`split ${seed}`));
      const used: Share[] = orders[0]!.slice(0, th).map((i) => ({ x: xs[i]!, y: ys[i]! }));
      const j = seed % th;
      const y = used[j]!.y.slice();
      y[bit >> 3]! ^= 1 << (bit & 7);
      const tampered = used.map((s, i) => (i === j ? { x: s.x, y } : s));
      try {
        return toHex(reconstructSecret(tampered, th)) !== toHex(secret);
      } catch (e) {
        return e instanceof RangeError;
      }
    }),
    { numRuns: 100 },
  );
  t.pass();
});

test('splitSecret with a seeded source is reproducible; different seeds give different shares', (t) => {
  const secret = Uint8Array.from({ length: 32 }, (_, i) => i);
  const xs = [1, 2, 3, 4, 5];
  const a = splitSecret(secret, 3, xs, seededRandom('shamir'));
  const b = splitSecret(secret, 3, xs, seededRandom('shamir'));
  const c = splitSecret(secret, 3, xs, seededRandom('shamir 2'));
  t.deepEqual(a.map(toHex), b.map(toHex));
  t.notDeepEqual(a.map(toHex), c.map(toHex));
  t.is(toHex(reconstructSecret([{ x: 2, y: a[1]! }, { x: 4, y: a[3]! }, { x: 5, y: a[4]! }], 3)), toHex(secret));
});

test('splitSecret validates its inputs', (t) => {
  const rng = seededRandom('validate');
  const s = new Uint8Array(32);
  t.throws(() => splitSecret(new Uint8Array(31), 2, [1, 2], rng), { instanceOf: RangeError, message: /secret/ });
  t.throws(() => splitSecret(s, 3, [1, 2], rng), { instanceOf: RangeError, message: /threshold/ });
  t.throws(() => splitSecret(s, 0, [1, 2], rng), { instanceOf: RangeError, message: /threshold/ });
  t.throws(() => splitSecret(s, 2, [0, 2], rng), { instanceOf: RangeError });
  t.throws(() => splitSecret(s, 2, [1, 2 ** 32], rng), { instanceOf: RangeError });
  t.throws(() => splitSecret(s, 2, [1, 1], rng), { instanceOf: RangeError, message: /repeat/ });
  t.throws(() => splitSecret(s, 2, [1, 2.5], rng), { instanceOf: TypeError });
  t.throws(() => reconstructSecret([{ x: 1, y: new Uint8Array(32) }], 1), { instanceOf: RangeError });
  t.throws(() => reconstructSecret([], 0), { instanceOf: RangeError });
});
