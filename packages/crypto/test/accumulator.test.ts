import test from 'ava';
import fc from 'fast-check';
import { prgBytes, RingAccumulator, seededRandom, withRingAccumulator, type MaskStream } from '../src/index.js';
import { ringKernels } from '../src/wasm-ring.js';

/** Mask word i of `key`: the little-endian uint32 at bytes [4i, 4i+4) of prgBytes(key, 4·length). */
function prgWords(key: Uint8Array, length: number): Uint32Array {
  const bytes = prgBytes(key, 4 * length);
  const out = new Uint32Array(length);
  for (let i = 0; i < length; i++)
    out[i] = (bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24)) >>> 0;
  return out;
}

/** A plain-JS model of the accumulator: Uint32 arithmetic with >>> 0. */
class Reference {
  readonly acc: number[];
  constructor(length: number) {
    this.acc = new Array<number>(length).fill(0);
  }
  addVector(v: Uint32Array, sign: 1 | -1): void {
    for (let i = 0; i < this.acc.length; i++) this.acc[i] = (this.acc[i]! + sign * v[i]!) >>> 0;
  }
  addMasks(streams: readonly MaskStream[]): void {
    for (const s of streams) this.addVector(prgWords(s.key, this.acc.length), s.sign);
  }
  result(bits: number): number[] {
    return this.acc.map((x) => x % 2 ** bits);
  }
}

function vectorFrom(seed: number, length: number): Uint32Array {
  const bytes = seededRandom(`vector ${seed}`)(4 * length);
  return new Uint32Array(bytes.buffer, bytes.byteOffset, length);
}

const sign = fc.constantFrom<1 | -1>(1, -1);
const key = fc.uint8Array({ minLength: 16, maxLength: 16 });
const op = fc.oneof(
  fc.record({ kind: fc.constant('vector' as const), seed: fc.nat(), sign }),
  fc.record({ kind: fc.constant('masks' as const), streams: fc.array(fc.record({ key, sign }), { maxLength: 4 }) }),
);
const length = fc.oneof(
  fc.constantFrom(0, 1, 3, 4, 5, 4095, 4096, 4097, 4096 * 3 + 7, 4096 * 4, 4096 * 4 + 1),
  fc.integer({ min: 0, max: 13000 }),
);

function firstMismatch(got: Uint32Array, want: number[]): number {
  if (got.length !== want.length) return -2;
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return i;
  return -1;
}

test('property: result(bits) = (Σ sign·vector + Σ sign·PRG words) mod 2^bits, against a plain-JS reference', (t) => {
  fc.assert(
    fc.property(length, fc.array(op, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 32 }), (n, ops, bits) => {
      const acc = new RingAccumulator(n);
      const ref = new Reference(n);
      for (const o of ops) {
        if (o.kind === 'vector') {
          const v = vectorFrom(o.seed, n);
          acc.addVector(v, o.sign);
          ref.addVector(v, o.sign);
        } else {
          acc.addMasks(o.streams);
          ref.addMasks(o.streams);
        }
      }
      const got = acc.result(bits);
      t.is(got.length, n);
      return firstMismatch(got, ref.result(bits)) === -1;
    }),
    { numRuns: 60 },
  );
});

test('property: withRingAccumulator (pooled, reused) and reducedView give what a fresh accumulator and result give', (t) => {
  t.notThrows(() => fc.assert(
    fc.property(length, fc.array(op, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 32 }), (n, ops, bits) => {
      const fresh = new RingAccumulator(n);
      for (const o of ops) o.kind === 'vector' ? fresh.addVector(vectorFrom(o.seed, n), o.sign) : fresh.addMasks(o.streams);
      const want = fresh.result(bits);
      // Twice with one length: the second call gets the accumulator the first one used, wiped.
      for (let pass = 0; pass < 2; pass++) {
        const got = withRingAccumulator(n, (acc) => {
          for (const o of ops) o.kind === 'vector' ? acc.addVector(vectorFrom(o.seed, n), o.sign) : acc.addMasks(o.streams);
          return acc.reducedView(bits).slice();
        });
        if (firstMismatch(got, Array.from(want)) !== -1) return false;
      }
      return true;
    }),
    { numRuns: 40 },
  ));
});

test('withRingAccumulator: a reused accumulator starts from zero, even after fn threw; nested calls get distinct ones', (t) => {
  const n = 5000;
  let first: RingAccumulator | undefined;
  t.throws(() => withRingAccumulator(n, (acc) => {
    first = acc;
    acc.addVector(vectorFrom(7, n));
    throw new Error('boom');
  }), { message: 'boom' });
  withRingAccumulator(n, (acc) => {
    t.true(acc === first, 'the pooled accumulator is reused');
    t.true(acc.result(32).every((w) => w === 0), 'it was wiped');
    withRingAccumulator(n, (inner) => t.not(inner, acc as RingAccumulator));
  });
  t.throws(() => withRingAccumulator(-1, () => 0), { instanceOf: RangeError });
  t.throws(() => withRingAccumulator(4, 'f' as never), { instanceOf: TypeError });
});

test('reducedView reduces in place and is a view of the accumulator', (t) => {
  const acc = new RingAccumulator(3).addVector(Uint32Array.of(0xffffffff, 0x12345678, 7));
  const v = acc.reducedView(8);
  t.deepEqual(Array.from(v), [0xff, 0x78, 7]);
  t.deepEqual(Array.from(acc.result(32)), [0xff, 0x78, 7]);
  t.throws(() => acc.reducedView(0), { instanceOf: RangeError });
});

test('masking then unmasking with the same streams returns x mod 2^bits (lengths across 16 KiB windows)', (t) => {
  for (const n of [0, 1, 5, 4095, 4096, 4097, 4096 * 3 + 7]) {
    const x = vectorFrom(n, n);
    const streams: MaskStream[] = [
      { key: new Uint8Array(16).fill(1), sign: 1 },
      { key: new Uint8Array(16).fill(2), sign: -1 },
      { key: new Uint8Array(16).fill(3), sign: 1 },
    ];
    const masked = new RingAccumulator(n).addVector(x).addMasks(streams).result(32);
    const unmasked = new RingAccumulator(n)
      .addVector(masked)
      .addMasks(streams.map((s) => ({ key: s.key, sign: s.sign === 1 ? -1 : 1 })))
      .result(16);
    t.deepEqual(unmasked, x.map((v) => v & 0xffff), `n = ${n}`);
    if (n > 0) t.notDeepEqual(masked, x, `n = ${n}: masks changed nothing`);
  }
});

test('explicit wrap-around: 0xffffffff + 1 = 0 and 0 − 1 = 0xffffffff', (t) => {
  const acc = new RingAccumulator(5);
  acc.addVector(Uint32Array.of(0xffffffff, 0, 0x80000000, 7, 1));
  acc.addVector(Uint32Array.of(1, 1, 0x80000000, 9, 0), -1);
  acc.addVector(Uint32Array.of(2, 0, 0, 0, 0), 1);
  // 0xffffffff − 1 + 2 ≡ 0; 0 − 1 ≡ 0xffffffff; 2^31 − 2^31 = 0; 7 − 9 ≡ 0xfffffffe; 1 − 0 = 1.
  t.deepEqual(Array.from(acc.result(32)), [0, 0xffffffff, 0, 0xfffffffe, 1]);
});

test('addVector accepts a Uint32Array view with a byte offset', (t) => {
  const backing = Uint32Array.of(99, 10, 20, 30, 99);
  const acc = new RingAccumulator(3).addVector(backing.subarray(1, 4));
  t.deepEqual(Array.from(acc.result(32)), [10, 20, 30]);
});

test('result(bits) does not change the accumulator (it returns a reduced copy)', (t) => {
  // Reading the result twice, or at a different width, must not depend on earlier reads.
  const acc = new RingAccumulator(2).addVector(Uint32Array.of(0x12345678, 0xffffffff));
  t.deepEqual(Array.from(acc.result(8)), [0x78, 0xff]);
  t.deepEqual(Array.from(acc.result(32)), [0x12345678, 0xffffffff]);
});

test('result rejects bits outside 1..32', (t) => {
  const acc = new RingAccumulator(4);
  t.throws(() => acc.result(0), { instanceOf: RangeError });
  t.throws(() => acc.result(33), { instanceOf: RangeError });
  t.throws(() => acc.result(1.5), { instanceOf: TypeError });
});

test('addVector: wrong length → RangeError; non-Uint32Array → TypeError', (t) => {
  const acc = new RingAccumulator(4);
  t.throws(() => acc.addVector(new Uint32Array(3)), { instanceOf: RangeError });
  t.throws(() => acc.addVector(new Uint32Array(5)), { instanceOf: RangeError });
  t.throws(() => new RingAccumulator(0).addVector(new Uint32Array(1)), { instanceOf: RangeError });
  t.throws(() => acc.addVector(new Int32Array(4) as unknown as Uint32Array), { instanceOf: TypeError });
  t.throws(() => acc.addVector(new Uint8Array(16) as unknown as Uint32Array), { instanceOf: TypeError });
  t.throws(() => acc.addVector([1, 2, 3, 4] as unknown as Uint32Array), { instanceOf: TypeError });
  t.deepEqual(Array.from(acc.result(32)), [0, 0, 0, 0], 'rejected calls must not modify the accumulator');
});

test('addMasks: bad sign → RangeError; bad key → TypeError/RangeError; non-array → TypeError', (t) => {
  const acc = new RingAccumulator(4);
  const k = new Uint8Array(16);
  for (const bad of [0, 2, -2, 1.5, '1', undefined]) {
    t.throws(() => acc.addMasks([{ key: k, sign: bad as unknown as 1 }]), { instanceOf: RangeError, message: /sign/ }, String(bad));
  }
  t.throws(() => acc.addMasks([{ key: new Uint8Array(32), sign: 1 }]), { instanceOf: RangeError, message: /key/ });
  t.throws(() => acc.addMasks([{ key: 'k' as unknown as Uint8Array, sign: 1 }]), { instanceOf: TypeError, message: /key/ });
  t.throws(() => acc.addMasks({ key: k, sign: 1 } as unknown as MaskStream[]), { instanceOf: TypeError });
  // A bad stream anywhere in the list rejects the whole call before anything is added.
  t.throws(() => acc.addMasks([{ key: k, sign: 1 }, { key: k, sign: 3 as unknown as 1 }]), { instanceOf: RangeError });
  t.deepEqual(Array.from(acc.result(32)), [0, 0, 0, 0]);
});

test('addVector: a sign other than ±1 → RangeError', (t) => {
  const acc = new RingAccumulator(2);
  t.throws(() => acc.addVector(Uint32Array.of(5, 6), 2 as unknown as 1), { instanceOf: RangeError });
  t.throws(() => acc.addVector(Uint32Array.of(5, 6), 0 as unknown as 1), { instanceOf: RangeError });
});

test('constructor validates length', (t) => {
  t.is(new RingAccumulator(0).result(32).length, 0);
  t.throws(() => new RingAccumulator(-1), { instanceOf: RangeError });
  t.throws(() => new RingAccumulator(2 ** 28 + 1), { instanceOf: RangeError });
  t.throws(() => new RingAccumulator(2.5), { instanceOf: TypeError });
});

test('wasm ring kernels: add, sub, and over lanes match the reference', (t) => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  const k = ringKernels(memory);
  const words = new Uint32Array(memory.buffer);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 64 }).chain((lanes) =>
        fc.tuple(fc.array(fc.nat({ max: 0xffffffff }), { minLength: 4 * lanes, maxLength: 4 * lanes }), fc.array(fc.nat({ max: 0xffffffff }), { minLength: 4 * lanes, maxLength: 4 * lanes })),
      ),
      fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      ([a, b], mask) => {
        const n = a.length;
        const dst = 0;
        const src = 4096; // byte offsets, 16-aligned
        const guard = dst / 4 + n; // the word just past dst must never be touched
        words.fill(0xdeadbeef, 0, 2048);
        words.set(a, dst / 4);
        words.set(b, src / 4);
        k.add(dst, src, 4 * n);
        if (words[guard] !== 0xdeadbeef) return false;
        for (let i = 0; i < n; i++) if (words[i] !== ((a[i]! + b[i]!) >>> 0)) return false;
        words.set(a, dst / 4);
        k.sub(dst, src, 4 * n);
        for (let i = 0; i < n; i++) if (words[i] !== ((a[i]! - b[i]!) >>> 0)) return false;
        words.set(a, dst / 4);
        k.and(dst, mask, 4 * n);
        for (let i = 0; i < n; i++) if (words[i] !== ((a[i]! & mask) >>> 0)) return false;
        return words[guard] === 0xdeadbeef;
      },
    ),
    { numRuns: 100 },
  );
  t.pass();
});
