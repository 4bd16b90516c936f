import test from 'ava';
import { MaskSum, RingAccumulator, closeMaskPool, prepareMaskPool, seededRandom, type MaskStream } from '../src/index.js';

const randomStreams = (rng: (n: number) => Uint8Array, count: number): MaskStream[] =>
  Array.from({ length: count }, () => ({ key: rng(16), sign: (rng(1)[0]! & 1 ? 1 : -1) as 1 | -1 }));

const sameWords = (a: Uint32Array, b: Uint32Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

test.after.always(async () => {
  await closeMaskPool();
});

test('MaskSum on the worker pool is bit-identical to addMasks on one thread (random inputs)', (t) => {
  const rng = seededRandom('mask-pool/identical');
  for (const [d, count] of [[1, 3], [5, 0], [4096, 1], [4099, 17], [20000, 41], [70001, 23]] as const) {
    const streams = randomStreams(rng, count);
    const x = new Uint32Array(rng(4 * d).buffer);
    const single = new RingAccumulator(d).addVector(x).addMasks(streams).result(32);
    const acc = new RingAccumulator(d);
    const masks = new MaskSum(d, { minVectorBytes: 0 });
    t.true(masks.parallel, 'the pool is used');
    // In several batches of uneven sizes, as unmasking adds them.
    for (let o = 0; o < count; o += 1 + (o % 7)) masks.add(streams.slice(o, o + 1 + (o % 7)));
    let calls = 0;
    masks.finish(acc, () => {
      calls++;
      acc.addVector(x);
    });
    masks.close();
    t.is(calls, 1);
    t.true(sameWords(acc.result(32), single), `d=${d} streams=${count}`);
    t.true(sameWords(acc.result(13), new RingAccumulator(d).addVector(x).addMasks(streams).result(13)));
  }
});

test('MaskSum below the size threshold stays on this thread and gives the same sum', (t) => {
  const rng = seededRandom('mask-pool/small');
  const d = 1000;
  const streams = randomStreams(rng, 9);
  const masks = new MaskSum(d);
  t.false(masks.parallel);
  t.false(prepareMaskPool(d));
  masks.add(streams);
  const acc = new RingAccumulator(d);
  masks.finish(acc);
  t.true(sameWords(acc.result(32), new RingAccumulator(d).addMasks(streams).result(32)));
});

test('MaskSum: a discarded sum does not leak into the next one; misuse throws', (t) => {
  const rng = seededRandom('mask-pool/discard');
  const d = 3000;
  const discarded = new MaskSum(d, { minVectorBytes: 0 });
  discarded.add(randomStreams(rng, 20));
  discarded.close();
  discarded.close();
  t.throws(() => discarded.add([]), { message: /finished/ });
  const streams = randomStreams(rng, 5);
  const masks = new MaskSum(d, { minVectorBytes: 0 }).add(streams);
  t.throws(() => masks.add([{ key: new Uint8Array(15), sign: 1 }]), { instanceOf: TypeError });
  t.throws(() => masks.add([{ key: new Uint8Array(16), sign: 2 as 1 }]), { instanceOf: RangeError });
  t.throws(() => masks.finish(new RingAccumulator(d + 1)), { instanceOf: RangeError });
  const acc = new RingAccumulator(d);
  masks.finish(acc);
  t.true(sameWords(acc.result(32), new RingAccumulator(d).addMasks(streams).result(32)));
  t.throws(() => masks.finish(acc), { message: /finished/ });
});

test('closeMaskPool: a later sum starts the pool again', async (t) => {
  await closeMaskPool();
  const rng = seededRandom('mask-pool/reopen');
  const d = 2048;
  const streams = randomStreams(rng, 6);
  const acc = new RingAccumulator(d);
  new MaskSum(d, { minVectorBytes: 0 }).add(streams).finish(acc);
  t.true(sameWords(acc.result(32), new RingAccumulator(d).addMasks(streams).result(32)));
});

test('RingAccumulator.copyRawInto and wipe', (t) => {
  const acc = new RingAccumulator(5).addVector(new Uint32Array([1, 2, 3, 0xffffffff, 5]));
  const out = new Uint32Array(5);
  acc.copyRawInto(out);
  t.deepEqual([...out], [1, 2, 3, 0xffffffff, 5]);
  t.throws(() => acc.copyRawInto(new Uint32Array(4)), { instanceOf: RangeError });
  acc.wipe();
  t.deepEqual([...acc.result(32)], [0, 0, 0, 0, 0]);
  acc.addVector(new Uint32Array([7, 7, 7, 7, 7]));
  t.deepEqual([...acc.result(32)], [7, 7, 7, 7, 7]);
});
