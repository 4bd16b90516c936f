/**
 * `NoisePool`: exact discrete noise drawn ahead of time in a worker thread. Noise does not depend on the
 * data, so a client can draw the next round's noise while it trains, on the core training leaves idle;
 * at round time, encoding then only adds a ready buffer (`encodeUpdate(…, { noise })`), which keeps
 * noise + encoding within the cost of masking (`pnpm bench dp`). Each buffer is handed out once and
 * never reused; the worker draws from the system CSPRNG unless a seed is given on purpose (simulations).
 * @module
 */
import { Worker } from 'node:worker_threads';
import { aint } from '@tessera/crypto';
import { asRational, type RationalLike } from './rational.js';

export interface NoisePoolOptions {
  /** Which distribution (the same samplers as `DiscreteGaussian` / `Skellam`). */
  readonly noise: 'discrete-gaussian' | 'skellam';
  /** The exact variance σ² of each sample. */
  readonly variance: RationalLike;
  /** Samples per buffer (an encoding's paddedDim). */
  readonly length: number;
  /** Buffers kept ready, 1–8 (default 1: the next round's). */
  readonly depth?: number;
  /** A seed for reproducible simulations only; the system CSPRNG otherwise. */
  readonly seed?: string;
}

/**
 * @example
 * const pool = new NoisePool({ noise: 'discrete-gaussian', variance: params.noiseVariance, length: params.paddedDim });
 * // … train …
 * const { words } = encodeUpdate(update, params, { roundSeed, rng: systemRandom, noise: await pool.take() });
 * await pool.close();
 */
export class NoisePool {
  readonly length: number;
  readonly depth: number;
  readonly #worker: Worker;
  /** Filled buffers not yet taken. */
  readonly #ready: Int32Array[] = [];
  /** Callers waiting for a buffer. */
  readonly #waiting: { resolve: (b: Int32Array) => void; reject: (e: Error) => void }[] = [];
  #inFlight = 0;
  #failure: Error | undefined;
  #closed = false;

  constructor(options: NoisePoolOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (options.noise !== 'discrete-gaussian' && options.noise !== 'skellam') throw new RangeError(`options.noise must be 'discrete-gaussian' or 'skellam', got ${String(options.noise)}`);
    const variance = asRational(options.variance, 'options.variance');
    this.length = aint(options.length, 'options.length', 1, 2 ** 28);
    this.depth = aint(options.depth ?? 1, 'options.depth', 1, 8);
    if (options.seed !== undefined && typeof options.seed !== 'string') throw new TypeError('options.seed must be a string');
    this.#worker = new Worker(new URL('./pool-worker.js', import.meta.url), {
      workerData: { noise: options.noise, num: variance.num.toString(), den: variance.den.toString(), length: this.length, seed: options.seed },
    });
    this.#worker.on('message', (m: { ok: true; buffer: ArrayBuffer } | { ok: false; message: string }) => {
      this.#inFlight--;
      if (!m.ok) return this.#fail(new Error(`noise worker: ${m.message}`));
      const buffer = new Int32Array(m.buffer);
      const waiter = this.#waiting.shift();
      if (waiter) waiter.resolve(buffer);
      else this.#ready.push(buffer);
      this.#refill();
    });
    this.#worker.on('error', (e) => this.#fail(e));
    this.#worker.on('exit', (code) => {
      if (!this.#closed) this.#fail(new Error(`noise worker exited unexpectedly (code ${code})`));
    });
    this.#refill();
  }

  #refill(): void {
    while (!this.#closed && this.#failure === undefined && this.#ready.length + this.#inFlight < this.depth + this.#waiting.length) {
      this.#inFlight++;
      this.#worker.postMessage(null);
    }
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    for (const w of this.#waiting.splice(0)) w.reject(this.#failure);
  }

  /** A buffer of `length` fresh samples, handed out once; the pool starts drawing the next at once. */
  take(): Promise<Int32Array> {
    if (this.#closed) return Promise.reject(new Error('the noise pool is closed'));
    if (this.#failure) return Promise.reject(this.#failure);
    const ready = this.#ready.shift();
    const p = ready ? Promise.resolve(ready) : new Promise<Int32Array>((resolve, reject) => this.#waiting.push({ resolve, reject }));
    this.#refill();
    return p;
  }

  /** Stops the worker; buffers not taken are wiped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const b of this.#ready.splice(0)) b.fill(0);
    for (const w of this.#waiting.splice(0)) w.reject(new Error('the noise pool is closed'));
    await this.#worker.terminate();
  }
}
