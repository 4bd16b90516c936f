/**
 * Unmasking a large vector expands the masks on worker threads (MaskSum in @tessera/crypto): the sum
 * must be bit-identical to the single-threaded computation and to the plaintext sum.
 */
import test from 'ava';
import { PARALLEL_MIN_VECTOR_BYTES, closeMaskPool } from '@tessera/crypto';
import { runRound, type Stage } from '../src/index.js';
import { fixture, plainSum } from './helpers.js';

test.after.always(async () => {
  await closeMaskPool();
});

for (const bits of [32, 17]) {
  test(`n = 12, sparse, ${bits}-bit words, d above the parallel threshold: the sum is exact with dropouts`, (t) => {
    const d = PARALLEL_MIN_VECTOR_BYTES / 4 + 3;
    const f = fixture(`parallel-unmask/${bits}`, { n: 12, threshold: 3, graph: { kind: 'sparse', degree: 8 }, bits, vectorLength: d });
    const drops = new Map<number, Stage>([[2, 'masked'], [7, 'masked']]);
    const out = runRound({
      session: f.session, round: 3, serverIdentity: f.serverIdentity, memberIdentities: f.memberIdentities, inputs: f.inputs,
      dropouts: drops, rngFor: f.rngFor,
    });
    if (!out.result) return t.fail(`aborted: ${out.error?.message}`);
    t.deepEqual(out.result.survivors, [1, 3, 4, 5, 6, 8, 9, 10, 11, 12]);
    const expected = plainSum(f.inputs, out.result.survivors, bits, d);
    t.true(out.result.sum.every((x, i) => x === expected[i]));
  });
}
