/**
 * A site: it owns its examples and its trainer, and turns the global model of a round into its ring
 * vector for SecAgg (train → clip → weight → encode [→ noise] ‖ count). Nothing leaves a site except
 * that vector, and only through a SecAggClient, which masks it.
 * @module
 */
import { systemRandom, type RandomSource } from '@tessera/crypto';
import { createNoiseSampler, encodeUpdate, type EncodingParams, type NoiseSampler } from '@tessera/dp';
import { UniformStream, gather, permutation, poissonSample, randomShift, streamFor, type Examples, type Trainer } from '@tessera/train';
import type { RoundPlan } from './plan.js';
import { rngFactory } from './secure.js';

export interface SiteOptions {
  /** 1-based member index in the SecAgg session. */
  readonly id: number;
  readonly data: Examples;
  readonly trainer: Trainer;
  /** Seed of the site's streams (augmentation, Poisson sampling, rounding, noise); system CSPRNG without it. */
  readonly seed?: string;
  /** FedAvg: local epochs per round (default 1). */
  readonly localEpochs?: number;
  /** FedAvg: instead of epochs, exactly this many mini-batch steps per round (batches drawn in a seeded shuffled order). */
  readonly localSteps?: number;
  /** FedAvg: mini-batch size (default 32). */
  readonly batchSize?: number;
  /** Random shift of each image: each local epoch (FedAvg), each sampled example (DP-SGD); default none. */
  readonly augment?: false | { readonly maxShift: number; readonly flip?: boolean };
  /** FedAvg: forget the local optimiser's state (momentum) at the start of each round (default true). */
  readonly resetOptimizer?: boolean;
}

/** A site's plaintext contribution to one round (it never leaves the site unmasked). */
export interface LocalUpdate {
  /** FedAvg: clip_C(θ_i − θ); DP-SGD: Σ_j clip_C(g_j) over the Poisson batch. */
  readonly update: Float64Array;
  /** FedAvg: examples trained on (n_i); DP-SGD: the Poisson batch size. */
  readonly count: number;
  /** ‖θ_i − θ‖₂ before clipping (FedAvg) or ‖Σ clip(g_j)‖₂ (DP-SGD). */
  readonly norm: number;
  /** FedAvg: whether the delta was clipped; DP-SGD: examples whose gradient was clipped. */
  readonly clipped: number;
  readonly loss: number;
  readonly seconds: number;
}

export class Site {
  readonly id: number;
  readonly data: Examples;
  readonly trainer: Trainer;
  readonly size: number;
  readonly #o: SiteOptions;
  readonly #rng: (purpose: string) => RandomSource;
  #sampler: { params: EncodingParams; sampler: NoiseSampler } | undefined;

  constructor(o: SiteOptions) {
    if (!Number.isInteger(o.id) || o.id < 1) throw new RangeError(`id must be a positive integer, got ${o.id}`);
    if (typeof o.trainer?.getParameters !== 'function') throw new TypeError('trainer must be a Trainer');
    this.id = o.id;
    this.data = o.data;
    this.trainer = o.trainer;
    this.size = o.data.labels.length;
    this.#o = o;
    this.#rng = rngFactory(o.seed, `site-${o.id}`);
  }

  #stream(purpose: string): UniformStream {
    return this.#o.seed === undefined ? new UniformStream(systemRandom) : streamFor(`${this.#o.seed}/site-${this.id}`, purpose);
  }

  /** Trains (FedAvg) or computes the clipped gradient sum of a Poisson batch (DP-SGD) from `global`. */
  localUpdate(global: Float32Array, round: number, plan: RoundPlan): LocalUpdate {
    const t0 = performance.now();
    const tr = this.trainer;
    tr.setParameters(global);
    if (plan.mode === 'fedavg') {
      if (this.#o.resetOptimizer !== false) (tr as { optimizer?: { reset?: () => void } }).optimizer?.reset?.();
      const epochs = this.#o.localEpochs ?? 1;
      const aug = this.#o.augment || undefined;
      const stream = aug ? this.#stream(`round-${round}/augment`) : undefined;
      let loss = 0;
      const steps = this.#o.localSteps;
      if (steps !== undefined) {
        const bs = Math.min(this.#o.batchSize ?? 32, this.size);
        const order = this.#stream(`round-${round}/steps`);
        let perm = permutation(this.size, order), pos = 0, lossSum = 0;
        let data = aug ? randomShift(this.data, tr.inputShape, aug, stream!) : this.data;
        for (let s = 0; s < steps; s++) {
          if (pos + bs > this.size) {
            perm = permutation(this.size, order);
            pos = 0;
            if (aug) data = randomShift(this.data, tr.inputShape, aug, stream!);
          }
          lossSum += tr.trainStep(gather(data, perm.subarray(pos, pos + bs))).loss;
          pos += bs;
        }
        loss = lossSum / steps;
      }
      for (let e = 0; steps === undefined && e < epochs; e++) {
        const data = aug ? randomShift(this.data, tr.inputShape, aug, stream!) : this.data;
        loss = tr.trainEpochs(data, { epochs: 1, batchSize: this.#o.batchSize ?? 32 })[0]!.loss;
      }
      const theta = tr.getParameters();
      const delta = new Float64Array(theta.length);
      let sq = 0;
      for (let i = 0; i < theta.length; i++) {
        const v = theta[i]! - global[i]!;
        delta[i] = v;
        sq += v * v;
      }
      const norm = Math.sqrt(sq);
      const clipped = norm > plan.clip;
      if (clipped) {
        const f = (plan.clip / norm) * (1 - 1e-9);
        for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! * f;
      }
      return { update: delta, count: this.size, norm, clipped: clipped ? 1 : 0, loss, seconds: (performance.now() - t0) / 1000 };
    }
    const idx = poissonSample(this.size, plan.samplingRate, this.#stream(`round-${round}/poisson`));
    const update = new Float64Array(tr.parameterCount);
    if (idx.length === 0) return { update, count: 0, norm: 0, clipped: 0, loss: NaN, seconds: (performance.now() - t0) / 1000 };
    // DP-SGD augmentation: each sampled example is shifted with the site's private stream before its
    // gradient is taken; the per-example clip, and so the sensitivity, is unchanged.
    const aug = this.#o.augment || undefined;
    const batch = gather(this.data, idx);
    const cs = tr.clippedGradientSum(aug ? randomShift(batch, tr.inputShape, aug, this.#stream(`round-${round}/augment`)) : batch, plan.clip);
    let sq = 0;
    for (let i = 0; i < update.length; i++) {
      update[i] = cs.sum[i]!;
      sq += update[i]! * update[i]!;
    }
    return { update, count: idx.length, norm: Math.sqrt(sq), clipped: cs.clipped, loss: cs.loss, seconds: (performance.now() - t0) / 1000 };
  }

  /** The ring vector of a local update: the SecAgg input (see plan.ts for the layout). */
  encode(u: LocalUpdate, round: number, plan: RoundPlan, roundSeed: Uint8Array): Uint32Array {
    const enc = plan.encoding;
    const rng = this.#rng(`round-${round}/rounding`);
    if (plan.mode === 'fedavg') {
      if (u.count > plan.countBound) throw new RangeError(`site ${this.id} has ${u.count} examples, more than countBound ${plan.countBound}`);
      const w = new Float64Array(u.update.length);
      const f = u.count / plan.countBound;
      for (let i = 0; i < w.length; i++) w[i] = u.update[i]! * f;
      const { words } = encodeUpdate(w, enc, { roundSeed, rng, addNoise: false });
      const out = new Uint32Array(plan.vectorLength);
      out.set(words);
      out[enc.paddedDim] = u.count;
      return out;
    }
    if (this.#sampler?.params !== enc) this.#sampler = { params: enc, sampler: createNoiseSampler(enc, this.#rng('noise')) };
    return encodeUpdate(u.update, enc, { roundSeed, rng, sampler: this.#sampler.sampler }).words;
  }

  /** localUpdate then encode: the site's whole part of a round. */
  contribute(global: Float32Array, round: number, plan: RoundPlan, roundSeed: Uint8Array): { vector: Uint32Array; local: LocalUpdate } {
    const local = this.localUpdate(global, round, plan);
    return { vector: this.encode(local, round, plan, roundSeed), local };
  }
}
