/**
 * The worker side of {@link MaskSum} (mask-pool.ts). Messages, processed in order:
 *   add:   expand `signs.length` streams (key j at keys[16j, 16j+16)) into the private accumulator of
 *          sum `id` (created on first use); the keys are wiped afterwards.
 *   flush: copy the raw Z_2^32 accumulator of sum `id` into `out` (zeros if nothing was added), or
 *          discard it when `out` is absent; wipe and forget it; then set flag[0] to 1 (done) or 2 (a
 *          job of this sum failed) and notify.
 * It never logs.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { PRG_KEY_BYTES, RingAccumulator, type MaskStream } from './prg.js';

export type MaskMessage =
  | { readonly kind: 'add'; readonly id: number; readonly length: number; readonly keys: Uint8Array; readonly signs: Int8Array }
  | { readonly kind: 'flush'; readonly id: number; readonly out?: SharedArrayBuffer; readonly flag: SharedArrayBuffer };

const sums = new Map<number, { acc: RingAccumulator; failed: boolean }>();

parentPort?.on('message', (m: MaskMessage) => {
  if (m.kind === 'add') {
    let sum = sums.get(m.id);
    try {
      if (!sum) sums.set(m.id, (sum = { acc: new RingAccumulator(m.length), failed: false }));
      const streams: MaskStream[] = [];
      for (let j = 0; j < m.signs.length; j++)
        streams.push({ key: m.keys.subarray(PRG_KEY_BYTES * j, PRG_KEY_BYTES * (j + 1)), sign: m.signs[j] === 1 ? 1 : -1 });
      sum.acc.addMasks(streams);
    } catch {
      if (sum) sum.failed = true;
      else sums.set(m.id, { acc: new RingAccumulator(0), failed: true });
    } finally {
      m.keys.fill(0);
    }
    return;
  }
  const flag = new Int32Array(m.flag);
  const sum = sums.get(m.id);
  sums.delete(m.id);
  let status = 1;
  try {
    if (sum?.failed) status = 2;
    else if (m.out && sum) sum.acc.copyRawInto(new Uint32Array(m.out, 0, sum.acc.length));
  } catch {
    status = 2;
  } finally {
    sum?.acc.wipe();
    Atomics.store(flag, 0, status);
    Atomics.notify(flag, 0);
  }
});
