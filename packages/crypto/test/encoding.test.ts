import test from 'ava';
import fc from 'fast-check';
import { decodeCanonical, encodeCanonical, EncodingError, fromHex, toHex, type Canonical } from '../src/index.js';

/** A comparable form: bytes as hex, bigints in the safe range as numbers (the decoder returns numbers there). */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: toHex(v) };
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, normalize(x)]).sort(([a], [b]) => (String(a) < String(b) ? -1 : 1));
  return v;
}

const { value: canonical } = fc.letrec<{ value: Canonical }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.integer({ min: -30, max: 300 }),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }), tie('value'), { maxKeys: 5 }),
  ),
}));

const isEncodingError = (code: EncodingError['code']) => ({ instanceOf: EncodingError, code });

test('known encodings (RFC 8949 §4.2.1 shortest form)', (t) => {
  const cases: [Canonical, string][] = [
    [0, '00'],
    [1, '01'],
    [23, '17'],
    [24, '1818'],
    [255, '18ff'],
    [256, '190100'],
    [65536, '1a00010000'],
    [-1, '20'],
    [-25, '3818'],
    [2n ** 64n - 1n, '1bffffffffffffffff'],
    [-(2n ** 64n), '3bffffffffffffffff'],
    [2n ** 53n, '1b0020000000000000'],
    ['', '60'],
    ['a', '6161'],
    [new Uint8Array([1, 2]), '420102'],
    [[], '80'],
    [{}, 'a0'],
    [true, 'f5'],
    [false, 'f4'],
    [null, 'f6'],
    [{ aa: 2, b: 1 }, 'a261620162616102'], // keys sorted bytewise by their encoding: "b" (0x61 62) before "aa" (0x62 …)
  ];
  for (const [v, hex] of cases) {
    t.is(toHex(encodeCanonical(v)), hex, hex);
    t.is(toHex(encodeCanonical(decodeCanonical(fromHex(hex)))), hex, hex);
  }
});

test('property: roundtrip of nested maps/arrays/bytes/ints/strings/bigints', (t) => {
  fc.assert(
    fc.property(canonical, (v) => {
      const bytes = encodeCanonical(v);
      const back = decodeCanonical(bytes);
      t.deepEqual(normalize(back), normalize(v));
      t.is(toHex(encodeCanonical(back)), toHex(bytes));
    }),
    { numRuns: 300 },
  );
});

test('property: map key insertion order does not change the encoding', (t) => {
  fc.assert(
    fc.property(fc.dictionary(fc.string({ maxLength: 6 }), canonical, { minKeys: 2, maxKeys: 8 }), fc.nat(), (obj, seed) => {
      const entries = Object.entries(obj);
      const shuffled = entries.map((e, i) => [e, (i * 7919 + seed) % 104729] as const).sort((a, b) => a[1] - b[1]).map(([e]) => e);
      const reordered: { [key: string]: Canonical } = {};
      for (const [k, v] of [...shuffled].reverse()) Object.defineProperty(reordered, k, { value: v, enumerable: true, writable: true, configurable: true });
      t.is(toHex(encodeCanonical(reordered)), toHex(encodeCanonical(obj)));
    }),
    { numRuns: 150 },
  );
  t.is(toHex(encodeCanonical({ b: 1, a: 2, c: { z: 1, y: 2 } })), toHex(encodeCanonical({ c: { y: 2, z: 1 }, a: 2, b: 1 })));
});

test('decodeCanonical rejects hand-made non-canonical encodings with the right code', (t) => {
  const cases: [string, string, EncodingError['code']][] = [
    ['integer 1 as 0x18 0x01', '1801', 'ERR_MALFORMED'], // cborg strict mode refuses non-shortest integers
    ['integer 1 as 0x19 0x0001', '190001', 'ERR_MALFORMED'],
    ['array length 1 as 0x98 0x01', '980101', 'ERR_MALFORMED'],
    ['unsorted map keys {"b":2,"a":1}', 'a2616202616101', 'ERR_NON_CANONICAL'],
    ['unsorted by length {"aa":2,"b":1}', 'a262616102616201', 'ERR_NON_CANONICAL'],
    ['indefinite-length array [_ 1, 2]', '9f0102ff', 'ERR_MALFORMED'],
    ['indefinite-length map', 'bf616101ff', 'ERR_MALFORMED'],
    ['indefinite-length byte string', '5f4101ff', 'ERR_MALFORMED'],
    ['duplicate map keys {"a":1,"a":2}', 'a2616101616102', 'ERR_MALFORMED'],
    ['trailing bytes after 1', '0100', 'ERR_MALFORMED'],
    ['trailing bytes after a map', 'a0f6', 'ERR_MALFORMED'],
    ['half float 1.5', 'f93e00', 'ERR_MALFORMED'],
    ['float32 1.5', 'fa3fc00000', 'ERR_MALFORMED'],
    ['half float 1.0 (integral)', 'f93c00', 'ERR_NON_CANONICAL'],
    ['float64 1.0 (integral)', 'fb3ff0000000000000', 'ERR_NON_CANONICAL'],
    ['float NaN', 'f97e00', 'ERR_MALFORMED'],
    ['float Infinity', 'f97c00', 'ERR_MALFORMED'],
    ['undefined', 'f7', 'ERR_MALFORMED'],
    ['undefined inside an array', '81f7', 'ERR_MALFORMED'],
    ['tag 0 on a string', 'c0740000000000000000000000000000000000000000', 'ERR_MALFORMED'],
    ['tag 2 (bignum)', 'c24101', 'ERR_MALFORMED'],
    ['simple value 16', 'f0', 'ERR_MALFORMED'],
    ['integer map key', 'a10102', 'ERR_MALFORMED'],
    ['truncated', '6261', 'ERR_MALFORMED'],
    ['empty input', '', 'ERR_MALFORMED'],
    ['break outside indefinite item', 'ff', 'ERR_MALFORMED'],
  ];
  for (const [name, hex, code] of cases) t.throws(() => decodeCanonical(fromHex(hex)), isEncodingError(code), name);
});

test('decodeCanonical rejects a float64 such as 1.5 (fb 3ff8…)', (t) => {
  t.throws(() => decodeCanonical(fromHex('fb3ff8000000000000')), { instanceOf: EncodingError });
  t.throws(() => decodeCanonical(fromHex('a16178fb3ff8000000000000')), { instanceOf: EncodingError });
});

test('encodeCanonical throws TypeError for values outside Canonical', (t) => {
  t.throws(() => encodeCanonical(1.5), { instanceOf: TypeError });
  t.throws(() => encodeCanonical([undefined] as unknown as Canonical), { instanceOf: TypeError });
  t.throws(() => encodeCanonical(new Map([[1, 2]]) as unknown as Canonical), { instanceOf: TypeError });
});

test('oversize input → ERR_OVERSIZE (checked before parsing); the limit itself is allowed', (t) => {
  const ok = encodeCanonical('0123456789'); // 11 bytes
  t.is(ok.length, 11);
  t.is(decodeCanonical(ok, 11), '0123456789');
  t.throws(() => decodeCanonical(ok, 10), isEncodingError('ERR_OVERSIZE'));
  t.throws(() => decodeCanonical(new Uint8Array(100).fill(0xff), 99), isEncodingError('ERR_OVERSIZE'));
  t.throws(() => decodeCanonical(ok, 0), { instanceOf: RangeError });
});

const decodesCanonicallyOrThrowsEncodingError = (bytes: Uint8Array): boolean => {
  let v: Canonical;
  try {
    v = decodeCanonical(bytes);
  } catch (e) {
    return e instanceof EncodingError && ['ERR_MALFORMED', 'ERR_NON_CANONICAL'].includes(e.code);
  }
  return toHex(encodeCanonical(v)) === toHex(bytes);
};

test('fuzz: random bytes decode to a value that re-encodes identically, or throw EncodingError', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), decodesCanonicallyOrThrowsEncodingError), { numRuns: 3000 });
  t.pass();
});

test('fuzz: mutated valid encodings decode canonically or throw EncodingError', (t) => {
  fc.assert(
    fc.property(canonical, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { minLength: 1, maxLength: 3 }), (v, edits) => {
      const bytes = Array.from(encodeCanonical(v));
      for (const [where, byte, kind] of edits) {
        const i = where % (bytes.length + 1);
        if (kind === 'set' && i < bytes.length) bytes[i] = byte;
        else if (kind === 'insert') bytes.splice(i, 0, byte);
        else bytes.splice(i, 1);
      }
      return decodesCanonicallyOrThrowsEncodingError(Uint8Array.from(bytes));
    }),
    { numRuns: 800 },
  );
  t.pass();
});
