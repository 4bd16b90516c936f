/**
 * What the server does after each round's secure sum, whatever carried the round (the in-process
 * `runRound` of {@link federatedTrain}, or the WebSocket coordinator of `tessera simulate --transport ws`):
 * charge the privacy ledgers (the survivors' noise, and the worst case t), evaluate the global model on
 * val/test, and keep the round with the best validation AUC. One implementation, so both transports
 * report the same numbers for the same rounds.
 * @module
 */
import type { ImageDataset } from '@tessera/data';
import { PrivacyLedger } from '@tessera/dp';
import type { Stage } from '@tessera/secagg';
import { evaluateMetrics, standardize, type Examples, type Metrics } from '@tessera/train';
import { dpSgdRound } from './plan.js';
import type { Federation } from './federated.js';

export type MetricSummary = Pick<Metrics, 'auc' | 'accuracy' | 'loss' | 'balancedAccuracy'>;

/** A round as the secure sum left it: who survived, what the sites reported, how long the parts took. */
export interface RoundBase {
  /** 0-based. */
  readonly round: number;
  readonly survivors: readonly number[];
  readonly dropouts: readonly { readonly site: number; readonly stage: Stage }[];
  /** Set when the SecAgg round aborted (the model is unchanged and no privacy is spent). */
  readonly aborted?: string;
  /** FedAvg: Σ n_i over the survivors, as decoded from the secure sum. DP-SGD: q·N. */
  readonly total: number;
  /** Sites whose delta was clipped (FedAvg) / examples clipped (DP-SGD), summed over the sites that computed. */
  readonly clipped: number;
  /** Mean local training loss over the sites that computed. */
  readonly loss: number;
  /** Bytes of all envelopes moved in the round. */
  readonly bytes: number;
  readonly seconds: { readonly local: number; readonly secagg: number; readonly server: number };
}

export interface RoundReport extends Omit<RoundBase, 'seconds'> {
  readonly seconds: { readonly local: number; readonly secagg: number; readonly server: number; readonly evaluate: number; readonly total: number };
  readonly val?: MetricSummary;
  readonly test?: MetricSummary;
  /** DP-SGD: ε so far with the contributors really present, and in the worst case (n_min every round). */
  readonly epsilon?: number;
  readonly epsilonWorstCase?: number;
}

/** Examples from an ImageDataset or Examples, standardised when asked. */
export function toExamples(d: Examples | ImageDataset, normalize?: { mean: number; std: number }): Examples {
  const inputs = 'images' in d ? d.images : d.inputs;
  return { inputs: normalize ? standardize(inputs, normalize.mean, normalize.std) : inputs, labels: d.labels };
}

const summary = (m: Metrics): MetricSummary => ({ auc: m.auc, accuracy: m.accuracy, loss: m.loss, balancedAccuracy: m.balancedAccuracy });

export interface TrackerOptions {
  readonly val?: Examples | ImageDataset;
  readonly test?: Examples | ImageDataset;
  readonly normalize?: { readonly mean: number; readonly std: number };
  readonly rounds: number;
  /** Evaluate every this many rounds and at the last (default 1). */
  readonly evaluateEvery?: number;
  /** δ of the reported ε (DP-SGD; default 1e-5). */
  readonly dp?: { readonly delta?: number };
  /**
   * Evaluate (and report as the model) an exponential moving average of the global model over the
   * completed rounds, with this decay β ∈ [0, 1) (default 0: the model itself). Post-processing of
   * published models: it costs no privacy, and under DP-SGD it averages out part of the noise.
   */
  readonly ema?: number;
}

/**
 * Turns each round's {@link RoundBase} into its {@link RoundReport}, in round order.
 *
 * @example
 * const tracker = new RunTracker(federation, { val, test, rounds: 20 });
 * const report = tracker.finish(runFederatedRound(federation, 0));
 */
export class RunTracker {
  readonly ledger: PrivacyLedger | undefined;
  readonly worstCaseLedger: PrivacyLedger | undefined;
  readonly reports: RoundReport[] = [];
  #best: { round: number; parameters: Float32Array; val: MetricSummary; test?: MetricSummary } | undefined;
  readonly #f: Federation;
  readonly #val: Examples | undefined;
  readonly #test: Examples | undefined;
  readonly #every: number;
  readonly #rounds: number;
  readonly #delta: number;
  readonly #ema: number;
  #average: Float32Array | undefined;
  #averaged = 0;

  constructor(f: Federation, o: TrackerOptions) {
    this.#f = f;
    this.#val = o.val ? toExamples(o.val, o.normalize) : undefined;
    this.#test = o.test ? toExamples(o.test, o.normalize) : undefined;
    this.#every = o.evaluateEvery ?? 1;
    if (!Number.isInteger(this.#every) || this.#every < 1) throw new RangeError(`evaluateEvery must be an integer ≥ 1, got ${this.#every}`);
    this.#rounds = o.rounds;
    this.#delta = o.dp?.delta ?? 1e-5;
    this.#ema = o.ema ?? 0;
    if (!(typeof this.#ema === 'number' && this.#ema >= 0 && this.#ema < 1)) throw new RangeError(`ema must be a decay in [0, 1), got ${String(o.ema)}`);
    const dp = f.plan.mode === 'dpsgd';
    this.ledger = dp ? new PrivacyLedger({ unit: 'patient' }) : undefined;
    this.worstCaseLedger = dp ? new PrivacyLedger({ unit: 'patient' }) : undefined;
  }

  /** The round with the best validation AUC (accuracy when AUC is undefined), if val was given. */
  get best(): { readonly round: number; readonly parameters: Float32Array; readonly val: MetricSummary; readonly test?: MetricSummary } | undefined {
    return this.#best;
  }

  /** The model that is evaluated and reported: the global model, or its moving average (`ema`). */
  get parameters(): Float32Array {
    return this.#average ? this.#average.slice() : this.#f.server.parameters;
  }

  /** Folds the global model after a completed round into the average (bias-corrected, Adam-style). */
  #updateAverage(): void {
    if (this.#ema === 0) return;
    const theta = this.#f.server.parameters;
    this.#averaged++;
    const sum = (this.#sum ??= new Float64Array(theta.length));
    const beta = this.#ema;
    for (let i = 0; i < theta.length; i++) sum[i] = beta * sum[i]! + (1 - beta) * theta[i]!;
    const correction = 1 - beta ** this.#averaged;
    const avg = (this.#average ??= new Float32Array(theta.length));
    for (let i = 0; i < theta.length; i++) avg[i] = sum[i]! / correction;
  }
  #sum: Float64Array | undefined;

  /** Evaluates the reported model (the average when `ema` is set) on `data`. */
  #evaluate(data: Examples): MetricSummary {
    const trainer = this.#f.server.trainer;
    if (!this.#average) return summary(evaluateMetrics(trainer, data));
    const theta = trainer.getParameters();
    trainer.setParameters(this.#average);
    try {
      return summary(evaluateMetrics(trainer, data));
    } finally {
      trainer.setParameters(theta);
    }
  }

  /** Accounts, evaluates (the server's current model, or its average) and records round `base.round`. */
  finish(base: RoundBase): RoundReport {
    const f = this.#f;
    const r = base.round;
    if (!base.aborted) this.#updateAverage();
    let epsilon: number | undefined, epsilonWorstCase: number | undefined;
    if (this.ledger && this.worstCaseLedger && f.plan.mode === 'dpsgd') {
      if (!base.aborted) {
        // The distributed discrete Gaussian actually used: the survivors' noise, and the worst case t.
        this.ledger.addRound(dpSgdRound(f.plan, base.survivors.length));
        this.worstCaseLedger.addRound(dpSgdRound(f.plan, f.plan.nMin));
      }
      if (this.ledger.epsilon(this.#delta).rounds > 0) {
        epsilon = this.ledger.epsilon(this.#delta).epsilon;
        epsilonWorstCase = this.worstCaseLedger.epsilon(this.#delta).epsilon;
      }
    }
    const t0 = performance.now();
    let v: MetricSummary | undefined, te: MetricSummary | undefined;
    if ((r + 1) % this.#every === 0 || r === this.#rounds - 1) {
      if (this.#val) v = this.#evaluate(this.#val);
      if (this.#test) te = this.#evaluate(this.#test);
    }
    const evaluate = (performance.now() - t0) / 1000;
    const report: RoundReport = {
      ...base,
      seconds: { ...base.seconds, evaluate, total: base.seconds.local + base.seconds.secagg + base.seconds.server + evaluate },
      ...(v ? { val: v } : {}), ...(te ? { test: te } : {}),
      ...(epsilon !== undefined ? { epsilon, epsilonWorstCase: epsilonWorstCase! } : {}),
    };
    if (v) {
      const score = (m: MetricSummary) => (Number.isNaN(m.auc) ? m.accuracy : m.auc);
      if (!this.#best || score(v) > score(this.#best.val)) this.#best = { round: r, parameters: this.parameters, val: v, ...(te ? { test: te } : {}) };
    }
    this.reports.push(report);
    return report;
  }
}
