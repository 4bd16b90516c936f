import test from 'ava';
import { fromHex, hkdf, sha256, toHex, utf8 } from '../src/index.js';

const range = (from: number, to: number): Uint8Array => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('SHA-256("abc") (FIPS 180-2 B.1)', (t) => {
  t.is(toHex(sha256(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('SHA-256 of the empty string', (t) => {
  t.is(toHex(sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('HKDF-SHA256 RFC 5869 A.1 (test case 1)', (t) => {
  const okm = hkdf(new Uint8Array(22).fill(0x0b), range(0x00, 0x0c), range(0xf0, 0xf9), 42);
  t.is(toHex(okm), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
});

test('HKDF-SHA256 RFC 5869 A.2 (test case 2, long inputs)', (t) => {
  const okm = hkdf(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82);
  t.is(
    toHex(okm),
    'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
      '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71' +
      'cc30c58179ec3e87c14c01d5c1f3434f1d87',
  );
});

test('HKDF-SHA256 RFC 5869 A.3 (test case 3, empty salt and info)', (t) => {
  const okm = hkdf(fromHex('0b'.repeat(22)), new Uint8Array(0), new Uint8Array(0), 42);
  t.is(toHex(okm), '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
});

test('HKDF rejects lengths outside [1, 8160] and non-byte inputs', (t) => {
  const k = new Uint8Array(32);
  t.is(hkdf(k, k, k, 8160).length, 8160);
  t.throws(() => hkdf(k, k, k, 0), { instanceOf: RangeError });
  t.throws(() => hkdf(k, k, k, 8161), { instanceOf: RangeError });
  t.throws(() => hkdf('ikm' as unknown as Uint8Array, k, k, 16), { instanceOf: TypeError, message: /ikm/ });
  t.throws(() => sha256([1, 2] as unknown as Uint8Array), { instanceOf: TypeError, message: /data/ });
});
