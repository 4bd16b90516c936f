import test from 'ava';
import fc from 'fast-check';
import { equalBytes, randomBelow, seededRandom, systemRandom, toHex, utf8, type RandomSource } from '../src/index.js';

test('seededRandom is deterministic per seed, including across call splits', (t) => {
  const a = seededRandom('seed 1');
  const b = seededRandom(utf8('seed 1')); // string and its UTF-8 bytes are the same seed
  const whole = a(100);
  const parts = [b(1), b(0), b(30), b(69)];
  t.is(toHex(whole), parts.map(toHex).join(''));
  t.is(whole.length, 100);
});

test('seededRandom differs across seeds', (t) => {
  const outs = ['', 'a', 'b', 'seed 1', 'seed 2'].map((s) => toHex(seededRandom(s)(32)));
  t.is(new Set(outs).size, outs.length);
  t.false(equalBytes(seededRandom(new Uint8Array([0]))(32), seededRandom(new Uint8Array([0, 0]))(32)));
});

test('seededRandom successive draws differ (stream advances)', (t) => {
  const r = seededRandom('advance');
  t.not(toHex(r(32)), toHex(r(32)));
});

test('systemRandom returns the requested length, including 0 and > 65536', (t) => {
  for (const n of [0, 1, 31, 65536, 65537, 200_000]) t.is(systemRandom(n).length, n);
  const big = systemRandom(3 * 65536 + 5);
  // Each 64 KiB piece was filled: the probability a filled 64 KiB piece is all zero is negligible.
  for (let o = 0; o < big.length; o += 65536) {
    const piece = big.subarray(o, Math.min(big.length, o + 65536));
    t.true(piece.some((x) => x !== 0), `piece at ${o} is all zero`);
  }
  t.not(toHex(systemRandom(32)), toHex(systemRandom(32)));
});

test('systemRandom.fill overwrites the whole buffer in place (beyond 64 KiB too) with fresh bytes', (t) => {
  const buf = new Uint8Array(200_000);
  t.is(systemRandom.fill(buf), buf);
  // 200 000 uniform bytes: every 64 KiB piece was filled (a zero run of 4 KiB has probability 2^−32768).
  for (let o = 0; o < buf.length; o += 4096) t.true(buf.subarray(o, o + 4096).some((b) => b !== 0), `piece at ${o}`);
  const copy = buf.slice();
  systemRandom.fill(buf);
  t.false(equalBytes(buf, copy));
  t.throws(() => systemRandom.fill([1, 2] as never), { instanceOf: TypeError, message: /out/ });
});

test('systemRandom and seededRandom reject invalid lengths', (t) => {
  t.throws(() => systemRandom(-1), { instanceOf: RangeError });
  t.throws(() => systemRandom(1.5), { instanceOf: TypeError });
  t.throws(() => seededRandom('x')(-1), { instanceOf: RangeError });
});

test('randomBelow stays in range', (t) => {
  const rng = seededRandom('randomBelow');
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 0x100000000 }), (bound) => {
      for (let i = 0; i < 5; i++) {
        const v = randomBelow(rng, bound);
        if (!Number.isInteger(v) || v < 0 || v >= bound) return false;
      }
      return true;
    }),
    { numRuns: 300 },
  );
  for (let i = 0; i < 20; i++) t.is(randomBelow(rng, 1), 0);
  // Small bound: every value appears.
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) seen.add(randomBelow(rng, 3));
  t.deepEqual([...seen].sort(), [0, 1, 2]);
});

test('randomBelow rejects words at or above the rejection limit', (t) => {
  // bound 3: limit = 2^32 − (2^32 mod 3) = 0xffffffff, so the word 0xffffffff must be rejected.
  const words = [Uint8Array.of(0xff, 0xff, 0xff, 0xff), Uint8Array.of(0, 0, 0, 7)];
  let calls = 0;
  const rng: RandomSource = () => words[calls++]!;
  t.is(randomBelow(rng, 3), 7 % 3);
  t.is(calls, 2);
});

test('randomBelow rejects bound 0 and out-of-range bounds', (t) => {
  const rng = seededRandom('bounds');
  t.throws(() => randomBelow(rng, 0), { instanceOf: RangeError });
  t.throws(() => randomBelow(rng, -5), { instanceOf: RangeError });
  t.throws(() => randomBelow(rng, 0x100000001), { instanceOf: RangeError });
  t.throws(() => randomBelow(rng, 2.5), { instanceOf: TypeError });
});
