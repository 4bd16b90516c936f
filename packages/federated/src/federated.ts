/**
 * `federatedTrain`: many rounds of FedAvg or distributed DP-SGD among simulated sites, each round going
 *
 *     site: local training / clipped gradient sum → encode into Z_2^b (→ + its share of noise) ‖ count
 *       → SecAggClient (masks) ⇄ runRound (real envelopes, real dropouts) ⇄ SecAggServer (sum over U3)
 *     server: decode → divide by the secure total count (or q·N) → optimiser step → metrics, ε
 *
 * This is the engine of `tessera simulate`; a networked deployment replaces `secureSum` with the
 * coordinator/peer runtimes of @tessera/node and keeps `Site` and `Server` as they are.
 * @module
 */
import { seededRandom, systemRandom } from '@tessera/crypto';
import type { ImageDataset } from '@tessera/data';
import type { PrivacyLedger } from '@tessera/dp';
import type { Delivery, Stage } from '@tessera/secagg';
import type { Examples, Trainer } from '@tessera/train';
import { planDpSgd, planFedAvg, type Mode, type RoundPlan } from './plan.js';
import { createChannel, randomDropouts, secureSum, type DropoutSchedule, type SecAggOptions, type SecureChannel } from './secure.js';
import { Server } from './server.js';
import { Site } from './site.js';
import { RunTracker, toExamples, type MetricSummary, type RoundBase, type RoundReport } from './tracker.js';

export interface DpSgdOptions {
  /** Per-example L2 clip C. */
  readonly clip: number;
  /** Poisson sampling rate q. */
  readonly samplingRate: number;
  /** Central noise multiplier z (present in full when n_min = t sites contribute). */
  readonly noiseMultiplier: number;
  /** δ of the reported ε (default 1e-5). */
  readonly delta?: number;
  /** Public total number of patients N (default: the sum of the sites' sizes, taken as public). */
  readonly population?: number;
  /** L2 bound of one site's clipped-gradient sum in the encoding (see planDpSgd). */
  readonly encodingClip?: number;
}

export interface FederatedOptions {
  /** Builds a trainer: called once for the server ('server') and once per site ('site-1', …), all with the same architecture. */
  readonly model: (name: string) => Trainer;
  readonly sites: readonly (Examples | ImageDataset)[];
  readonly val?: Examples | ImageDataset;
  readonly test?: Examples | ImageDataset;
  /** Standardise every input by these public constants (x − mean)/std. */
  readonly normalize?: { readonly mean: number; readonly std: number };
  readonly rounds: number;
  readonly mode: Mode;
  /** FedAvg: local epochs per round (default 1), batch size (default 32), server learning rate (default 1). Augmentation: FedAvg's local epochs and DP-SGD's sampled examples. */
  readonly localEpochs?: number;
  readonly batchSize?: number;
  readonly augment?: false | { readonly maxShift: number; readonly flip?: boolean };
  readonly serverLr?: number;
  /** FedAvg: server momentum β (FedAvgM; default 0). */
  readonly serverMomentum?: number;
  /** FedAvg: a fixed number of local mini-batch steps per round instead of `localEpochs`. */
  readonly localSteps?: number;
  /** FedAvg: L2 clip of each site's delta (default 50, generous) and the public per-site count bound (default 2^16). */
  readonly clip?: number;
  readonly countBound?: number;
  readonly dp?: DpSgdOptions;
  readonly secagg?: SecAggOptions;
  /** Per-site dropout probability per round (at a random stage), or an explicit schedule. */
  readonly dropout?: number | DropoutSchedule;
  /** Makes the whole run reproducible (identities, masks, splits of randomness); system CSPRNG without it. */
  readonly seed?: string;
  /** Report an exponential moving average of the global model with this decay (see RunTracker; default 0: none). */
  readonly ema?: number;
  /** Evaluate val/test every this many rounds and at the last (default 1). */
  readonly evaluateEvery?: number;
  readonly onRound?: (report: RoundReport, run: { readonly server: Server; readonly sites: readonly Site[] }) => void;
}

export interface FederatedResult {
  readonly rounds: readonly RoundReport[];
  /** The final global model. */
  readonly parameters: Float32Array;
  /** The round with the best validation AUC (accuracy when AUC is undefined), if val was given. */
  readonly best?: { readonly round: number; readonly parameters: Float32Array; readonly val: MetricSummary; readonly test?: MetricSummary };
  readonly plan: RoundPlan;
  readonly threshold: number;
  /** DP-SGD: the ledger of the completed rounds as they happened (the survivors' noise present). */
  readonly ledger?: PrivacyLedger;
  /** DP-SGD: the same rounds with only t = n_min sites' noise present (the worst case the plan assumes). */
  readonly worstCaseLedger?: PrivacyLedger;
  readonly seconds: number;
}

/** Everything a run needs, built once (exported so tests and `simulate` can drive rounds themselves). */
export interface Federation {
  readonly sites: readonly Site[];
  readonly server: Server;
  readonly channel: SecureChannel;
  readonly plan: RoundPlan;
  readonly schedule: DropoutSchedule;
  /** The PUBLIC randomness of round r (the rotation of the encoding). */
  roundSeed(round: number): Uint8Array;
}

export function createFederation(o: Omit<FederatedOptions, 'rounds' | 'onRound' | 'val' | 'test' | 'evaluateEvery'>): Federation {
  const k = o.sites.length;
  if (k < 2) throw new RangeError(`a federation needs at least 2 sites, got ${k}`);
  const serverTrainer = o.model('server');
  const dim = serverTrainer.parameterCount;
  const rate = typeof o.dropout === 'number' ? o.dropout : 0;
  // The threshold comes first: DP-SGD's n_min is t.
  const probe = createChannel({ sites: k, vectorLength: 1, ...(o.secagg ? { secagg: o.secagg } : {}), dropoutRate: rate, ...(o.seed !== undefined ? { seed: o.seed } : {}) });
  const sizes = o.sites.map((s) => s.labels.length);
  let plan: RoundPlan;
  if (o.mode === 'fedavg') plan = planFedAvg({ dim, sites: k, ...(o.clip !== undefined ? { clip: o.clip } : {}), ...(o.countBound !== undefined ? { countBound: o.countBound } : {}), bits: probe.bits });
  else if (o.mode === 'dpsgd') {
    if (!o.dp) throw new TypeError("mode 'dpsgd' needs dp: { clip, samplingRate, noiseMultiplier }");
    plan = planDpSgd({
      dim, sites: k, clip: o.dp.clip, samplingRate: o.dp.samplingRate, noiseMultiplier: o.dp.noiseMultiplier, nMin: probe.threshold,
      population: o.dp.population ?? sizes.reduce((a, b) => a + b, 0), bits: probe.bits,
      ...(o.dp.encodingClip !== undefined ? { encodingClip: o.dp.encodingClip } : {}),
    });
  } else throw new RangeError(`mode must be 'fedavg' or 'dpsgd', got ${String(o.mode)}`);
  const channel = createChannel({ sites: k, vectorLength: plan.vectorLength, secagg: { ...o.secagg, threshold: probe.threshold, graph: probe.graph }, ...(o.seed !== undefined ? { seed: o.seed } : {}) });
  const sites = o.sites.map((d, i) => new Site({
    id: i + 1, data: toExamples(d, o.normalize), trainer: o.model(`site-${i + 1}`),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.localEpochs !== undefined ? { localEpochs: o.localEpochs } : {}),
    ...(o.localSteps !== undefined ? { localSteps: o.localSteps } : {}),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.augment ? { augment: o.augment } : {}),
  }));
  for (const s of sites) if (s.trainer.parameterCount !== dim) throw new RangeError(`site ${s.id}'s model has ${s.trainer.parameterCount} parameters, the server's ${dim}`);
  // Every site starts from the server's initial model.
  const server = new Server(serverTrainer, plan, { ...(o.serverLr !== undefined ? { serverLr: o.serverLr } : {}), ...(o.serverMomentum !== undefined ? { serverMomentum: o.serverMomentum } : {}) });
  const schedule: DropoutSchedule = typeof o.dropout === 'function' ? o.dropout
    : randomDropouts(rate, k, (p) => (o.seed === undefined ? systemRandom : seededRandom(`tessera/federated/dropouts/${o.seed}/${p}`)));
  const roundSeed = (r: number): Uint8Array => (o.seed === undefined ? systemRandom(32) : seededRandom(`tessera/federated/round-seed/${o.seed}/${r}`)(32));
  return { sites, server, channel, plan, schedule, roundSeed };
}

/** One round (see the module comment); returns the report without metrics. */
export interface RoundHooks {
  /** Every envelope the round moves (for transcripts), as runRound's observe. */
  readonly observe?: (d: Delivery) => void;
  /** The round's secure sum (the coordinator's output), when the round completed. */
  readonly onSum?: (sum: Uint32Array, roundSeed: Uint8Array) => void;
}

export function runFederatedRound(f: Federation, round: number, dropouts: ReadonlyMap<number, Stage> = f.schedule(round), hooks: RoundHooks = {}): RoundBase {
  const t0 = performance.now();
  const global = f.server.parameters;
  const seed = f.roundSeed(round);
  const vectors: Uint32Array[] = [];
  let clipped = 0, lossSum = 0, computed = 0;
  for (const s of f.sites) {
    const drop = dropouts.get(s.id);
    // A site that drops before sending its masked input contributes nothing: skip its computation.
    if (drop === 'advertise' || drop === 'share') {
      vectors.push(new Uint32Array(f.plan.vectorLength));
      continue;
    }
    const { vector, local } = s.contribute(global, round, f.plan, seed);
    vectors.push(vector);
    clipped += local.clipped;
    if (Number.isFinite(local.loss)) {
      lossSum += local.loss;
      computed++;
    }
  }
  const t1 = performance.now();
  const secure = secureSum(f.channel, round, vectors, dropouts, hooks.observe);
  if (secure.sum) hooks.onSum?.(secure.sum, seed);
  const t2 = performance.now();
  let total = 0;
  if (secure.sum) {
    const decoded = f.server.decode(secure.sum, seed);
    f.server.step(decoded);
    total = decoded.total;
  }
  const t3 = performance.now();
  return {
    round, survivors: secure.survivors,
    dropouts: [...dropouts].sort(([a], [b]) => a - b).map(([site, stage]) => ({ site, stage })),
    ...(secure.error ? { aborted: secure.error.message } : {}),
    total, clipped, loss: computed ? lossSum / computed : NaN, bytes: secure.bytes,
    seconds: { local: (t1 - t0) / 1000, secagg: (t2 - t1) / 1000, server: (t3 - t2) / 1000 },
  };
}

/**
 * Trains one model over `sites` for `rounds` rounds.
 *
 * @example
 * const r = federatedTrain({ model: (n) => smallCnn({ seed: n, optimizer: sgd({ learningRate: 0.01, momentum: 0.9 }) }),
 *   sites, val, test, rounds: 10, mode: 'fedavg', seed: '1', onRound: (r) => console.log(r.round, r.test?.auc) });
 */
export function federatedTrain(o: FederatedOptions): FederatedResult {
  const started = performance.now();
  const f = createFederation(o);
  const tracker = new RunTracker(f, o);
  for (let r = 0; r < o.rounds; r++) {
    const report = tracker.finish(runFederatedRound(f, r));
    o.onRound?.(report, { server: f.server, sites: f.sites });
  }
  const best = tracker.best;
  return {
    rounds: tracker.reports, parameters: tracker.parameters, ...(best ? { best } : {}), plan: f.plan, threshold: f.channel.threshold,
    ...(tracker.ledger ? { ledger: tracker.ledger } : {}), ...(tracker.worstCaseLedger ? { worstCaseLedger: tracker.worstCaseLedger } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}
