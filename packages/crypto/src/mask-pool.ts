/**
 * Parallel mask expansion for large unmasking jobs. Measured on the 2-core server (n = 100,
 * d = 10^5): expanding ~460 mask streams on the main thread costs twice what it costs in a fresh
 * process, because every 16 KiB keystream piece node:crypto returns is a new external buffer and the
 * external-memory pressure forces full mark-compact collections of the server's large heap (15–20 ms
 * each). Worker threads have small heaps, so the same garbage is cheap there; and with two of them,
 * the two cores expand streams at once while the calling thread only adds the masked inputs.
 *
 * {@link MaskSum} hands streams to a small persistent pool (one worker per core, at most 2) in
 * batches as soon as their keys are derived; {@link MaskSum.finish} adds the workers' Z_2^32 sums into
 * an accumulator. Addition mod 2^32 commutes, so the result is bit-identical to
 * {@link RingAccumulator.addMasks} on one thread. The API stays synchronous: the calling thread blocks
 * in `Atomics.wait` on each worker's completion flag (allowed on Node's main thread).
 *
 * The workers are created lazily, unref'd (they never keep a process alive) and closed with
 * {@link closeMaskPool}. They receive keys only for the duration of a job, wipe them, and wipe their
 * accumulators when a sum is flushed or discarded. Whenever a worker cannot be used (creation failed,
 * it reported a failure, it did not answer in time) its streams are expanded on the calling thread,
 * from the keys the caller still holds: the pool is an optimisation, never a dependency.
 * @module
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PRG_KEY_BYTES, RingAccumulator, type MaskStream } from './prg.js';
import type { MaskMessage } from './mask-worker.js';

/**
 * Vectors shorter than this (in bytes of keystream per stream) stay on the calling thread: handing a
 * batch to a worker costs ~0.1 ms, and ~30 ms the first time, while the worker boots.
 */
export const PARALLEL_MIN_VECTOR_BYTES = 256 * 1024;
/** Streams per message to a worker. */
const BATCH = 16;
/** How long the calling thread waits for a worker before expanding its streams itself. */
const WORKER_TIMEOUT_MS = 120_000;

let pool: Worker[] = [];
let disabled = false;
let nextId = 1;

function workers(): Worker[] {
  if (disabled) return [];
  const size = Math.max(1, Math.min(2, availableParallelism()));
  try {
    while (pool.length < size) {
      const w = new Worker(new URL('./mask-worker.js', import.meta.url));
      w.unref();
      const drop = (): void => {
        pool = pool.filter((x) => x !== w);
      };
      w.on('error', drop);
      w.on('exit', drop);
      pool.push(w);
    }
  } catch {
    disabled = true;
    void closeMaskPool();
    return [];
  }
  return pool;
}

/**
 * Starts the pool now if a sum over vectors of `length` words would use it, so that the workers boot
 * (~30 ms) while the caller waits for input rather than while it unmasks. Returns whether it is ready.
 */
export function prepareMaskPool(length: number, options: MaskSumOptions = {}): boolean {
  return 4 * length >= (options.minVectorBytes ?? PARALLEL_MIN_VECTOR_BYTES) && length > 0 && workers().length > 0;
}

/** Terminates the pool's workers (a later large sum starts new ones). */
export async function closeMaskPool(): Promise<void> {
  const ws = pool;
  pool = [];
  await Promise.all(ws.map((w) => w.terminate()));
}

/** Options of {@link MaskSum}. */
export interface MaskSumOptions {
  /** Minimum 4·length for using the workers (default {@link PARALLEL_MIN_VECTOR_BYTES}; tests lower it). */
  readonly minVectorBytes?: number;
}

interface Lane {
  readonly worker: Worker;
  streams: MaskStream[]; // every stream sent, kept for the fallback
  pending: MaskStream[];
}

/**
 * Σ sign_j · PRG(key_j) (mod 2^32) over every stream passed to {@link add}, expanded on the worker
 * pool when the vector is large (else on the calling thread, in {@link finish}).
 *
 * @example
 * const masks = new MaskSum(d);
 * try {
 *   masks.add(selfStreams);
 *   masks.add(pairwiseStreams);
 *   masks.finish(acc, () => inputs.forEach((x) => acc.addVector(x)));
 * } finally {
 *   masks.close();
 * }
 */
export class MaskSum {
  readonly length: number;
  readonly #id = nextId++;
  readonly #lanes: Lane[];
  readonly #local: MaskStream[] = [];
  #open = true;

  constructor(length: number, options: MaskSumOptions = {}) {
    this.length = length;
    const parallel = 4 * length >= (options.minVectorBytes ?? PARALLEL_MIN_VECTOR_BYTES) && length > 0;
    this.#lanes = (parallel ? workers() : []).map((worker) => ({ worker, streams: [], pending: [] }));
  }

  /** Whether the streams go to worker threads. */
  get parallel(): boolean {
    return this.#lanes.length > 0;
  }

  /** Adds streams to the sum (validated here, so that errors surface on the calling thread). */
  add(streams: readonly MaskStream[]): this {
    if (!this.#open) throw new Error('MaskSum is finished');
    if (!Array.isArray(streams)) throw new TypeError('streams must be an array');
    streams.forEach((s, i) => {
      if (s.sign !== 1 && s.sign !== -1) throw new RangeError(`streams[${i}].sign must be 1 or -1`);
      if (!(s.key instanceof Uint8Array) || s.key.length !== PRG_KEY_BYTES) throw new TypeError(`streams[${i}].key must be ${PRG_KEY_BYTES} bytes`);
    });
    if (!this.parallel) {
      this.#local.push(...streams);
      return this;
    }
    for (const s of streams) {
      // Least-loaded lane (by streams sent or queued).
      let lane = this.#lanes[0]!;
      for (const l of this.#lanes) if (l.streams.length + l.pending.length < lane.streams.length + lane.pending.length) lane = l;
      lane.pending.push(s);
      if (lane.pending.length >= BATCH) this.#send(lane);
    }
    return this;
  }

  #send(lane: Lane): void {
    const batch = lane.pending;
    lane.pending = [];
    if (batch.length === 0) return;
    lane.streams.push(...batch);
    const keys = new Uint8Array(PRG_KEY_BYTES * batch.length);
    const signs = new Int8Array(batch.length);
    batch.forEach((s, j) => {
      keys.set(s.key, PRG_KEY_BYTES * j);
      signs[j] = s.sign;
    });
    try {
      lane.worker.postMessage({ kind: 'add', id: this.#id, length: this.length, keys, signs } satisfies MaskMessage);
    } catch {
      // Expanded on this thread by finish() (the flush will report nothing added, or fail).
      this.#local.push(...batch);
      lane.streams.length -= batch.length;
    } finally {
      keys.fill(0); // postMessage copied them
    }
  }

  /**
   * acc ← acc + the sum. `alongside` (e.g. adding the masked inputs into `acc`) runs exactly once on
   * the calling thread, while the workers finish their streams.
   */
  finish(acc: RingAccumulator, alongside?: () => void): void {
    if (!this.#open) throw new Error('MaskSum is finished');
    if (acc.length !== this.length) throw new RangeError(`acc must have ${this.length} words, got ${acc.length}`);
    this.#open = false;
    for (const lane of this.#lanes) this.#send(lane);
    const flushes = this.#lanes.map((lane) => {
      const out = new SharedArrayBuffer(4 * this.length);
      const flag = new SharedArrayBuffer(4);
      let posted = true;
      try {
        lane.worker.postMessage({ kind: 'flush', id: this.#id, out, flag } satisfies MaskMessage);
      } catch {
        posted = false;
      }
      return { lane, out, state: new Int32Array(flag), posted };
    });
    alongside?.();
    acc.addMasks(this.#local);
    for (const { lane, out, state, posted } of flushes) {
      if (posted && Atomics.load(state, 0) === 0) Atomics.wait(state, 0, 0, WORKER_TIMEOUT_MS);
      const view = new Uint32Array(out);
      if (posted && Atomics.load(state, 0) === 1) {
        acc.addVector(view);
      } else {
        // The worker failed or hung: stop using the pool in this process, and do its share here.
        disabled = true;
        void closeMaskPool();
        acc.addMasks(lane.streams);
      }
      view.fill(0);
    }
    this.#release();
  }

  /** Discards the sum (wiping the workers' accumulators) if {@link finish} was not called; idempotent. */
  close(): void {
    if (this.#open) {
      this.#open = false;
      for (const lane of this.#lanes) {
        try {
          lane.worker.postMessage({ kind: 'flush', id: this.#id, flag: new SharedArrayBuffer(4) } satisfies MaskMessage);
        } catch {
          // the worker is gone, and its memory with it
        }
      }
    }
    this.#release();
  }

  #release(): void {
    this.#local.length = 0;
    for (const lane of this.#lanes) {
      lane.streams = [];
      lane.pending = [];
    }
  }
}
