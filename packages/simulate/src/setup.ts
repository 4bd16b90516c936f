/**
 * From a config to the `federatedTrain` options both transports use: the model, the SecAgg threshold
 * and graph, the dropout schedule, and — for patient-level DP — the noise multiplier calibrated to the
 * target ε over the whole run (worst case: only t sites' noise present in every round).
 * Everything here is a pure function of the config and the data, so a site process that rebuilds it
 * gets exactly what the coordinator has.
 * @module
 */
import { PrivacyLedger } from '@tessera/dp';
import { calibrateDpSgd, dpSgdRound, planDpSgd, type FederatedOptions } from '@tessera/federated';
import { deriveParameters, type GraphSpec } from '@tessera/secagg';
import { adam, dpCnn, logisticRegression, sgd, smallCnn, type Optimizer, type Sequential } from '@tessera/train';
import { dropoutRateOf, epsilonOf, type ModelName, type SimulationConfig } from './config.js';
import type { ConsortiumData } from './data.js';
import { dropoutSchedule } from './dropouts.js';

/** One model of the run; every party builds the same architecture from the same seed. */
export function buildModel(name: ModelName, seed: string, optimizer: Optimizer): Sequential {
  switch (name) {
    case 'dp-cnn':
      return dpCnn({ seed, optimizer, channels: [16, 32] });
    case 'small-cnn':
      return smallCnn({ seed, optimizer });
    case 'logistic':
      return logisticRegression({ seed, optimizer });
    case 'mlp':
      return logisticRegression({ seed, optimizer, hidden: 128 });
  }
}

/** The SecAgg threshold t and graph: the config's, else derived for the sites and the dropout rate. */
export function secaggOf(c: SimulationConfig): { threshold: number; graph: GraphSpec } {
  const rate = Math.min(0.9, dropoutRateOf(c.dropout, c.sites, c.rounds));
  const g = c.secagg.graph;
  const derived = deriveParameters({ members: c.sites, dropoutRate: rate, graph: g === 'complete' || typeof g === 'number' ? 'complete' : 'auto' });
  const graph: GraphSpec = typeof g === 'number' ? (g >= c.sites - 1 ? { kind: 'complete' } : { kind: 'sparse', degree: g }) : derived.graph;
  const maxT = graph.kind === 'complete' ? c.sites - 1 : graph.degree;
  const threshold = c.secagg.threshold ?? Math.min(derived.threshold, maxT);
  if (threshold > maxT) throw new RangeError(`config.secagg.threshold ${threshold} exceeds what the graph allows (${maxT}: each site has ${maxT} neighbours)`);
  return { threshold, graph };
}

/** What a run is, resolved: the options of `federatedTrain` and the numbers the report states. */
export interface RunSetup {
  readonly options: FederatedOptions;
  readonly threshold: number;
  readonly graph: GraphSpec;
  /** DP-SGD: the central noise multiplier z (0 for ε = ∞); null for FedAvg. */
  readonly noiseMultiplier: number | null;
  /** ε the accountant predicts for the whole run in the worst case (t contributors every round); null without DP. */
  readonly plannedEpsilon: number | null;
  readonly parameters: number;
}

/**
 * The `federatedTrain` options of `c` on `data` (without val/test/onRound, which the runner adds).
 *
 * @example
 * const s = runSetup(config, await loadConsortium(config));
 * s.noiseMultiplier; // z calibrated to config.privacy.epsilon
 */
export function runSetup(c: SimulationConfig, data: ConsortiumData): RunSetup {
  const dp = c.privacy.unit === 'patient';
  const serverOptimizer = (): Optimizer =>
    dp
      ? c.dpsgd.optimizer === 'adam' ? adam({ learningRate: c.dpsgd.learningRate, weightDecay: c.dpsgd.weightDecay }) : sgd({ learningRate: c.dpsgd.learningRate, momentum: c.dpsgd.momentum, weightDecay: c.dpsgd.weightDecay })
      : sgd({ learningRate: c.fedavg.learningRate, momentum: c.fedavg.momentum, weightDecay: c.fedavg.weightDecay });
  const model = (name: string): Sequential => buildModel(c.model, name === 'server' ? `model/${c.seed}` : `model/${c.seed}/${name}`, serverOptimizer());
  const parameters = model('server').parameterCount;
  const { threshold, graph } = secaggOf(c);
  const population = data.sites.reduce((a, s) => a + s.data.n, 0);
  let noiseMultiplier: number | null = null, plannedEpsilon: number | null = null;
  if (dp) {
    const target = epsilonOf(c);
    const common = { samplingRate: c.dpsgd.samplingRate, clip: c.dpsgd.clip, sites: c.sites, dim: parameters, bits: c.secagg.bits, population };
    if (c.privacy.noiseMultiplier !== null) {
      // A given z: what it spends over the run in the worst case, accounted as the run's ledger does.
      noiseMultiplier = c.privacy.noiseMultiplier;
      if (noiseMultiplier === 0) plannedEpsilon = Infinity;
      else {
        const plan = planDpSgd({ ...common, noiseMultiplier, nMin: threshold });
        const ledger = new PrivacyLedger({ unit: 'patient' });
        ledger.addRound({ ...dpSgdRound(plan, threshold), steps: c.rounds });
        plannedEpsilon = ledger.epsilon(c.privacy.delta).epsilon;
      }
    } else {
      const cal = calibrateDpSgd({ ...common, epsilon: target, delta: c.privacy.delta, rounds: c.rounds, threshold });
      noiseMultiplier = cal.noiseMultiplier;
      plannedEpsilon = cal.epsilon;
    }
  }
  const options: FederatedOptions = {
    model,
    sites: data.sites.map((s) => s.data),
    normalize: data.normalize,
    rounds: c.rounds,
    evaluateEvery: c.evaluateEvery,
    seed: c.seed,
    secagg: { threshold, graph, bits: c.secagg.bits },
    dropout: dropoutSchedule(c),
    ema: c.ema,
    augment: c.maxShift > 0 ? { maxShift: c.maxShift } : false,
    ...(dp
      ? { mode: 'dpsgd' as const, dp: { clip: c.dpsgd.clip, samplingRate: c.dpsgd.samplingRate, noiseMultiplier: noiseMultiplier!, delta: c.privacy.delta, population } }
      : {
        mode: 'fedavg' as const, localEpochs: c.fedavg.localEpochs, batchSize: c.fedavg.batchSize, serverLr: c.fedavg.serverLr, serverMomentum: c.fedavg.serverMomentum,
      }),
  };
  return { options, threshold, graph, noiseMultiplier, plannedEpsilon, parameters };
}
