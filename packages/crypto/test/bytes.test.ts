import test from 'ava';
import fc from 'fast-check';
import { equalBytes, fromHex, toHex } from '../src/index.js';

test('equalBytes: equal contents are equal, one differing byte is not', (t) => {
  t.true(equalBytes(new Uint8Array(0), new Uint8Array(0)));
  t.true(equalBytes(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3)));
  t.false(equalBytes(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4)));
  t.false(equalBytes(Uint8Array.of(0x80, 2, 3), Uint8Array.of(0, 2, 3)));
  // Views with offsets compare by content, not by buffer.
  const big = Uint8Array.of(9, 1, 2, 3, 9);
  t.true(equalBytes(big.subarray(1, 4), Uint8Array.of(1, 2, 3)));
});

test('equalBytes: different lengths are not equal (no throw)', (t) => {
  t.false(equalBytes(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2)));
  t.false(equalBytes(new Uint8Array(0), Uint8Array.of(0)));
  t.false(equalBytes(new Uint8Array(32), new Uint8Array(33)));
});

test('equalBytes: property — agrees with element-wise comparison', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
      const expected = a.length === b.length && a.every((v, i) => v === b[i]);
      return equalBytes(a, b) === expected && equalBytes(a, a.slice());
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('fromHex/toHex roundtrip, upper and lower case', (t) => {
  t.deepEqual(fromHex(''), new Uint8Array(0));
  t.deepEqual(fromHex('00ff10Ab'), Uint8Array.of(0x00, 0xff, 0x10, 0xab));
  t.is(toHex(Uint8Array.of(0x00, 0xff, 0x10, 0xab)), '00ff10ab');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => equalBytes(fromHex(toHex(b)), b) && equalBytes(fromHex(toHex(b).toUpperCase()), b)), {
    numRuns: 100,
  });
});

test('fromHex rejects odd length with a TypeError naming the argument', (t) => {
  t.throws(() => fromHex('abc', 'sessionKey'), { instanceOf: TypeError, message: /sessionKey/ });
  t.throws(() => fromHex('0'), { instanceOf: TypeError, message: /hex/ });
});

test('fromHex rejects non-hex characters with a TypeError naming the argument', (t) => {
  for (const bad of ['zz', '0g', '  ', '0x00', 'ab c', 'éé', '+1']) {
    t.throws(() => fromHex(bad, 'peerKey'), { instanceOf: TypeError, message: /peerKey/ }, JSON.stringify(bad));
  }
});
