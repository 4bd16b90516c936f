import test from 'ava';
import fc from 'fast-check';
import { AEAD_TAG_BYTES, aeadOpen, aeadSeal, DecryptionError, fromHex, fromUtf8, toHex, utf8 } from '../src/index.js';

// RFC 8439 §2.8.2.
const KEY = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
const NONCE = fromHex('070000004041424344454647');
const AAD = fromHex('50515253c0c1c2c3c4c5c6c7');
const PLAINTEXT = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
const CIPHERTEXT =
  'd31a8d34648e60db7b86afbc53ef7ec2' +
  'a4aded51296e08fea9e2b5a736ee62d6' +
  '3dbea45e8ca9671282fafb69da92728b' +
  '1a71de0a9e060b2905d6a5b67ecd3b36' +
  '92ddbd7f2d778b8c9803aee328091b58' +
  'fab324e4fad675945585808b4831d7bc' +
  '3ff4def08e4b7a9de576d26586cec64b' +
  '6116';
const TAG = '1ae10b594f09e26a7e902ecbd0600691';

const isDecryptError = { instanceOf: DecryptionError, code: 'ERR_DECRYPT' } as const;

test('ChaCha20-Poly1305 RFC 8439 §2.8.2: ciphertext and tag', (t) => {
  const pt = utf8(PLAINTEXT);
  t.is(pt.length, 114);
  const sealed = aeadSeal(KEY, NONCE, pt, AAD);
  t.is(sealed.length, 114 + AEAD_TAG_BYTES);
  t.is(toHex(sealed.subarray(0, 114)), CIPHERTEXT);
  t.is(toHex(sealed.subarray(114)), TAG);
  t.is(fromUtf8(aeadOpen(KEY, NONCE, fromHex(CIPHERTEXT + TAG), AAD)), PLAINTEXT);
});

test('RFC 8439 vector: tampering with any byte of ciphertext or tag → DecryptionError', (t) => {
  const sealed = fromHex(CIPHERTEXT + TAG);
  for (let i = 0; i < sealed.length; i++) {
    const bad = sealed.slice();
    bad[i]! ^= 0x01;
    t.throws(() => aeadOpen(KEY, NONCE, bad, AAD), isDecryptError, `byte ${i}`);
  }
});

test('RFC 8439 vector: tampering with any byte of nonce or AAD → DecryptionError', (t) => {
  const sealed = fromHex(CIPHERTEXT + TAG);
  for (let i = 0; i < NONCE.length; i++) {
    const bad = NONCE.slice();
    bad[i]! ^= 0x80;
    t.throws(() => aeadOpen(KEY, bad, sealed, AAD), isDecryptError, `nonce byte ${i}`);
  }
  for (let i = 0; i < AAD.length; i++) {
    const bad = AAD.slice();
    bad[i]! ^= 0x80;
    t.throws(() => aeadOpen(KEY, NONCE, sealed, bad), isDecryptError, `aad byte ${i}`);
  }
  t.throws(() => aeadOpen(KEY, NONCE, sealed, AAD.subarray(1)), isDecryptError, 'shortened aad');
  t.throws(() => aeadOpen(KEY, NONCE, sealed, new Uint8Array(0)), isDecryptError, 'empty aad');
  const otherKey = KEY.slice();
  otherKey[31]! ^= 1;
  t.throws(() => aeadOpen(otherKey, NONCE, sealed, AAD), isDecryptError, 'wrong key');
});

test('truncated or extended sealed message → DecryptionError', (t) => {
  const sealed = fromHex(CIPHERTEXT + TAG);
  t.throws(() => aeadOpen(KEY, NONCE, sealed.subarray(0, sealed.length - 1), AAD), isDecryptError);
  t.throws(() => aeadOpen(KEY, NONCE, Uint8Array.of(...sealed, 0), AAD), isDecryptError);
  t.throws(() => aeadOpen(KEY, NONCE, sealed.subarray(0, 15), AAD), isDecryptError);
  t.throws(() => aeadOpen(KEY, NONCE, new Uint8Array(0), AAD), isDecryptError);
});

test('property: seal/open roundtrip, and any single-byte tamper is detected', (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 12, maxLength: 12 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (key, nonce, pt, aad, where, delta) => {
        const sealed = aeadSeal(key, nonce, pt, aad);
        if (sealed.length !== pt.length + AEAD_TAG_BYTES) return false;
        if (toHex(aeadOpen(key, nonce, sealed, aad)) !== toHex(pt)) return false;
        const bad = sealed.slice();
        bad[where % bad.length]! ^= delta;
        try {
          aeadOpen(key, nonce, bad, aad);
          return false;
        } catch (e) {
          return e instanceof DecryptionError && e.code === 'ERR_DECRYPT';
        }
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});

test('aead rejects wrong key and nonce lengths with RangeError', (t) => {
  t.throws(() => aeadSeal(new Uint8Array(16), NONCE, new Uint8Array(0), AAD), { instanceOf: RangeError, message: /key/ });
  t.throws(() => aeadSeal(KEY, new Uint8Array(8), new Uint8Array(0), AAD), { instanceOf: RangeError, message: /nonce/ });
  t.throws(() => aeadOpen(KEY, new Uint8Array(24), fromHex(TAG), AAD), { instanceOf: RangeError, message: /nonce/ });
});
