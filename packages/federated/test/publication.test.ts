import test from 'ava';
import { decodePublication, encodePublication, parsePublication } from '../src/index.js';

const seed = Uint8Array.from({ length: 32 }, (_, i) => i);

test('a publication round-trips bit for bit', (t) => {
  const parameters = Float32Array.from([0, -0, 1.5, -3.25e-30, 3.4e38, 1e-45]);
  const p = decodePublication(encodePublication({ round: 7, roundSeed: seed, parameters }), 7, parameters.length);
  t.is(p.round, 7);
  t.deepEqual(p.roundSeed, seed);
  t.deepEqual(new Uint8Array(p.parameters.buffer), new Uint8Array(parameters.buffer));
});

test('a publication for another round, size or with a non-finite value is refused', (t) => {
  const parameters = new Float32Array(4);
  const bytes = encodePublication({ round: 1, roundSeed: seed, parameters });
  t.throws(() => decodePublication(bytes, 2, 4), { message: /for round 1, expected round 2/ });
  t.throws(() => decodePublication(bytes, 1, 5), { message: /parameters must be 20 bytes/ });
  t.throws(() => decodePublication(encodePublication({ round: 1, roundSeed: seed, parameters: Float32Array.of(0, NaN, 0, 0) }), 1, 4), { message: /parameter 1 is not finite/ });
  t.throws(() => decodePublication(encodePublication({ round: 1, roundSeed: seed.subarray(0, 16), parameters }), 1, 4), { message: /'roundSeed' is not 32 bytes/ });
});

test('a publication carries the decoded update of an earlier round, float64 exact', (t) => {
  const parameters = new Float32Array(3);
  const update = Float64Array.from([0.1, -1e-300, 12345.678901234567]);
  const bytes = encodePublication({ round: 5, roundSeed: seed, parameters, update, updateRound: 3 });
  const p = decodePublication(bytes, 5, 3);
  t.deepEqual(p.update, update);
  t.is(p.updateRound, 3);
  const raw = parsePublication(bytes);
  t.is(raw.update!.length, 24);
  t.throws(() => decodePublication(encodePublication({ round: 5, roundSeed: seed, parameters, update, updateRound: 5 }), 5, 3), { message: /'updateRound' 5 is not before round 5/ });
  t.throws(() => decodePublication(bytes, 5, 4), { message: /parameters must be 16 bytes/ });
  t.throws(() => parsePublication(Uint8Array.of(1, 2)), { instanceOf: TypeError, message: /not canonical CBOR/ });
});
