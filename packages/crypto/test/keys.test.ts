import test from 'ava';
import fc from 'fast-check';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { fromHex, generateIdentity, identityFromSeed, seededRandom, toHex, verifySignature, x25519Agree, x25519KeyPair, x25519PublicKey } from '../src/index.js';

/** RFC 8032 §7.1 Ed25519 TEST 1, 2, 3. */
const RFC8032 = [
  {
    name: 'TEST 1',
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155' + '5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da' + '085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pub: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac' + '18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

const flip = (b: Uint8Array, bit: number): Uint8Array => {
  const c = b.slice();
  c[bit >> 3]! ^= 1 << (bit & 7);
  return c;
};

for (const v of RFC8032) {
  test(`Ed25519 RFC 8032 §7.1 ${v.name}: public key, signature, verification`, (t) => {
    const id = identityFromSeed(fromHex(v.seed));
    const msg = fromHex(v.msg);
    t.is(toHex(id.publicKey), v.pub);
    t.is(toHex(id.sign(msg)), v.sig);
    t.is(toHex(id.seed()), v.seed);
    t.true(verifySignature(fromHex(v.pub), msg, fromHex(v.sig)));
  });

  test(`Ed25519 RFC 8032 ${v.name}: any flipped bit in message, signature or key fails`, (t) => {
    const pub = fromHex(v.pub);
    const msg = fromHex(v.msg);
    const sig = fromHex(v.sig);
    for (let bit = 0; bit < sig.length * 8; bit++) t.false(verifySignature(pub, msg, flip(sig, bit)), `signature bit ${bit}`);
    for (let bit = 0; bit < pub.length * 8; bit++) t.false(verifySignature(flip(pub, bit), msg, sig), `key bit ${bit}`);
    for (let bit = 0; bit < msg.length * 8; bit++) t.false(verifySignature(pub, flip(msg, bit), sig), `message bit ${bit}`);
    // Extending or truncating the message also fails.
    t.false(verifySignature(pub, Uint8Array.of(...msg, 0), sig));
    if (msg.length > 0) t.false(verifySignature(pub, msg.subarray(1), sig));
  });
}

test('verifySignature returns false on wrong-length key or signature', (t) => {
  const v = RFC8032[1]!;
  const pub = fromHex(v.pub);
  const msg = fromHex(v.msg);
  const sig = fromHex(v.sig);
  t.false(verifySignature(pub.subarray(0, 31), msg, sig));
  t.false(verifySignature(Uint8Array.of(...pub, 0), msg, sig));
  t.false(verifySignature(new Uint8Array(0), msg, sig));
  t.false(verifySignature(pub, msg, sig.subarray(0, 63)));
  t.false(verifySignature(pub, msg, Uint8Array.of(...sig, 0)));
  t.false(verifySignature(pub, msg, new Uint8Array(0)));
  // Sanity: the untouched triple still verifies, so the falses above are about length.
  t.true(verifySignature(pub, msg, sig));
});

test('verifySignature returns false for a non-canonical S (S + L) and an all-zero signature', (t) => {
  const v = RFC8032[0]!;
  const sig = fromHex(v.sig);
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  let s = 0n;
  for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]!);
  let sPlusL = s + L;
  const malleated = sig.slice();
  for (let i = 0; i < 32; i++) {
    malleated[32 + i] = Number(sPlusL & 0xffn);
    sPlusL >>= 8n;
  }
  t.false(verifySignature(fromHex(v.pub), fromHex(v.msg), malleated));
  t.false(verifySignature(fromHex(v.pub), fromHex(v.msg), new Uint8Array(64)));
});

test('identityFromSeed rejects a wrong-length seed (RangeError) and a non-Uint8Array (TypeError)', (t) => {
  t.throws(() => identityFromSeed(new Uint8Array(31)), { instanceOf: RangeError, message: /seed/ });
  t.throws(() => identityFromSeed(new Uint8Array(33)), { instanceOf: RangeError, message: /seed/ });
  t.throws(() => identityFromSeed(new Uint8Array(0)), { instanceOf: RangeError });
  t.throws(() => identityFromSeed(RFC8032[0]!.seed as unknown as Uint8Array), { instanceOf: TypeError });
  t.throws(() => identityFromSeed(Array.from(new Uint8Array(32)) as unknown as Uint8Array), { instanceOf: TypeError });
});

test('identity.seed() returns a copy; mutating the caller’s seed does not change the identity', (t) => {
  const seed = fromHex(RFC8032[0]!.seed);
  const id = identityFromSeed(seed);
  seed.fill(0);
  id.seed().fill(0);
  t.is(toHex(id.seed()), RFC8032[0]!.seed);
  t.is(toHex(id.sign(new Uint8Array(0))), RFC8032[0]!.sig);
});

test('generateIdentity with a seeded source is reproducible and signs verifiably', (t) => {
  const a = generateIdentity(seededRandom('id'));
  const b = generateIdentity(seededRandom('id'));
  t.is(toHex(a.publicKey), toHex(b.publicKey));
  const m = Uint8Array.of(1, 2, 3);
  t.true(verifySignature(a.publicKey, m, a.sign(m)));
  t.false(verifySignature(generateIdentity(seededRandom('other')).publicKey, m, a.sign(m)));
});

/** RFC 7748 §6.1. */
const ALICE_SK = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a';
const ALICE_PK = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
const BOB_SK = '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb';
const BOB_PK = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
const SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

test('X25519 RFC 7748 §6.1 Alice/Bob: public keys and shared secret', (t) => {
  t.is(toHex(x25519PublicKey(fromHex(ALICE_SK))), ALICE_PK);
  t.is(toHex(x25519PublicKey(fromHex(BOB_SK))), BOB_PK);
  t.is(toHex(x25519Agree(fromHex(ALICE_SK), fromHex(BOB_PK))), SHARED);
  t.is(toHex(x25519Agree(fromHex(BOB_SK), fromHex(ALICE_PK))), SHARED);
});

/** Small-order points of Curve25519 in Montgomery u-coordinates (and their non-canonical aliases u + p). */
const SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000', // u = 0 (all-zero key)
  '0100000000000000000000000000000000000000000000000000000000000000', // u = 1
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // u = p − 1
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // u = p ≡ 0 (non-canonical)
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // u = p + 1 ≡ 1 (non-canonical)
];

test('x25519Agree throws for an all-zero or other small-order peer public key', (t) => {
  const sk = fromHex(ALICE_SK);
  for (const u of SMALL_ORDER) t.throws(() => x25519Agree(sk, fromHex(u)), { instanceOf: Error }, u);
  // A fresh random secret too (the result is zero for every scalar).
  const kp = x25519KeyPair(seededRandom('small-order'));
  for (const u of SMALL_ORDER) t.throws(() => x25519Agree(kp.secretKey, fromHex(u)), { instanceOf: Error }, u);
  // The list really is small-order: the independent reference also yields no usable secret for them.
  for (const u of SMALL_ORDER) t.throws(() => x25519.getSharedSecret(kp.secretKey, fromHex(u)), { instanceOf: Error }, `noble ${u}`);
});

test('x25519 rejects wrong-length keys', (t) => {
  const sk = fromHex(ALICE_SK);
  t.throws(() => x25519Agree(sk, new Uint8Array(31)), { instanceOf: RangeError, message: /peerPublicKey/ });
  t.throws(() => x25519Agree(sk, new Uint8Array(33)), { instanceOf: RangeError, message: /peerPublicKey/ });
  t.throws(() => x25519PublicKey(new Uint8Array(33)), { instanceOf: RangeError, message: /secretKey/ });
  t.throws(() => x25519PublicKey(new Uint8Array(31)), { instanceOf: RangeError, message: /secretKey/ });
});

test('x25519Agree: wrong-length own secret → RangeError naming secretKey', (t) => {
  t.throws(() => x25519Agree(new Uint8Array(31), fromHex(BOB_PK)), { instanceOf: RangeError, message: /secretKey/ });
});

test('property: Ed25519 public keys and signatures equal @noble/curves for random seeds', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 200 }), (seed, msg) => {
      const id = identityFromSeed(seed);
      const sig = id.sign(msg);
      if (toHex(id.publicKey) !== toHex(ed25519.getPublicKey(seed))) return false;
      if (toHex(sig) !== toHex(ed25519.sign(msg, seed))) return false;
      return verifySignature(id.publicKey, msg, sig) && ed25519.verify(sig, msg, id.publicKey);
    }),
    { numRuns: 40 },
  );
  t.pass();
});

test('property: X25519 public keys and shared secrets equal @noble/curves for random secrets', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
      const pa = x25519PublicKey(a);
      const pb = x25519PublicKey(b);
      if (toHex(pa) !== toHex(x25519.getPublicKey(a)) || toHex(pb) !== toHex(x25519.getPublicKey(b))) return false;
      const s = x25519Agree(a, pb);
      return toHex(s) === toHex(x25519.getSharedSecret(a, pb)) && toHex(s) === toHex(x25519Agree(b, pa));
    }),
    { numRuns: 30 },
  );
  t.pass();
});
