/**
 * The server (coordinator) of a federation: it holds the global model, decodes the secure sum of a
 * round and takes the step. It only ever sees the sum over the survivors (the SecAggServer state
 * machine reveals nothing else), never a site's vector or count.
 * @module
 */
import type { Trainer } from '@tessera/train';
import type { RoundPlan } from './plan.js';
import { decodeRoundSum, type Decoded } from './profile.js';

export class Server {
  readonly trainer: Trainer;
  readonly plan: RoundPlan;
  /** FedAvg server learning rate η: θ ← θ + η·Δ̄ (default 1, plain FedAvg). */
  readonly serverLr: number;
  /** FedAvg server momentum β (FedAvgM, Hsu et al. 2019): v ← β·v + Δ̄, θ ← θ + η·v (default 0: plain FedAvg). */
  readonly serverMomentum: number;
  #velocity: Float64Array | undefined;

  constructor(trainer: Trainer, plan: RoundPlan, o: { serverLr?: number; serverMomentum?: number } = {}) {
    this.trainer = trainer;
    this.plan = plan;
    this.serverLr = o.serverLr ?? 1;
    this.serverMomentum = o.serverMomentum ?? 0;
    if (!(this.serverMomentum >= 0 && this.serverMomentum < 1)) throw new RangeError(`serverMomentum must be in [0, 1), got ${this.serverMomentum}`);
  }

  get parameters(): Float32Array {
    return this.trainer.getParameters();
  }

  /** Decodes a secure sum (n_pad words, plus the count word for FedAvg): {@link decodeRoundSum}. */
  decode(sum: Uint32Array, roundSeed: Uint8Array): Decoded {
    return decodeRoundSum(this.plan, sum, roundSeed);
  }

  /** FedAvg: θ ← θ + η·Δ̄. DP-SGD: the server optimiser's step with the noised mean gradient. */
  step(d: Decoded): void {
    if (this.plan.mode === 'fedavg') {
      if (d.total === 0) return;
      const theta = this.trainer.getParameters();
      const v = (this.#velocity ??= new Float64Array(theta.length));
      const beta = this.serverMomentum;
      for (let i = 0; i < theta.length; i++) {
        v[i] = beta * v[i]! + d.mean[i]!;
        theta[i] = theta[i]! + this.serverLr * v[i]!;
      }
      this.trainer.setParameters(theta);
    } else this.trainer.applyGradient(Float32Array.from(d.mean));
  }
}
