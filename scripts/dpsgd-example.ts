/**
 * Distributed DP-SGD on PneumoniaMNIST: 5 hospitals with label skew (Dirichlet α = 0.5), SecAgg+ with
 * per-round dropouts, patient-level distributed discrete Gaussian noise calibrated to a target (ε, δ)
 * over the whole run (`calibrateDpSgd`, worst case t sites' noise), real SecAgg rounds through runRound.
 * Prints per-round val/test AUC and ε, writes JSON.
 *
 *   npx tsc -b scripts && node scripts/dist/dpsgd-example.js [--seed 1] [--epsilon 8] [--delta 1e-5]
 *     [--rounds 100] [--q 0.1] [--clip 0.1] [--model dpcnn-wide|dpcnn|dpcnn-gap|dpcnn-h32|dpcnn-h64|dpcnn-wide-h32|dpcnn-wide-gap|dpcnn-wide-gap-h32|smallcnn|logistic]
 *     [--optimizer sgd|adam] [--lr 1 (sgd) / 0.005 (adam)] [--momentum 0.9] [--wd 0 (SGD: L2; Adam: decoupled)] [--sites 5] [--alpha 0.5] [--dropout 0.1]
 *     [--evaluate-every 5] [--shift 2 (random shift ±px of each sampled image; 0: none)] [--flip (random mirror)] [--ema β] [--data PATH] [--out bench/results/dpsgd-example.json]
 *
 * The defaults are the recipe of packages/federated/README.md ("Measured: distributed DP-SGD on
 * PneumoniaMNIST"). `--epsilon Infinity` trains with clipping and no noise (z = 0): the non-private reference.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadDataset, splitDataset, splitLabelSkew } from '@tessera/data';
import { calibrateDpSgd, createChannel, federatedTrain } from '@tessera/federated';
import { adam, dpCnn, evaluateMetrics, logisticRegression, sgd, smallCnn, standardize, type Optimizer, type Sequential } from '@tessera/train';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const num = (name: string, dflt: string): number => {
  const v = Number(flag(name, dflt));
  if (Number.isNaN(v)) throw new RangeError(`--${name} must be a number, got ${flag(name, dflt)}`);
  return v;
};
const seed = flag('seed', '1');
const epsilon = num('epsilon', '8');
const delta = num('delta', '1e-5');
const rounds = num('rounds', '100');
const q = num('q', '0.1');
const clip = num('clip', '0.1');
const modelName = flag('model', 'dpcnn-wide');
const optName = flag('optimizer', 'sgd');
const lr = num('lr', optName === 'adam' ? '0.005' : '1');
const momentum = num('momentum', '0.9');
const weightDecay = num('wd', '0');
const nSites = num('sites', '5');
const alpha = num('alpha', '0.5');
const dropout = num('dropout', '0.1');
const every = num('evaluate-every', '5');
const shift = num('shift', '2');
const flip = args.includes('--flip');
// Post-processing only (no privacy cost): also evaluate an exponential moving average of the global
// models, avg ← β_r·avg + (1 − β_r)·θ_r with β_r = min(β, (1 + r)/(10 + r)), and pick on its val AUC too.
const ema = num('ema', '0');
const out = flag('out', 'bench/results/dpsgd-example.json');
const data = args.includes('--data') ? flag('data', '') : undefined;

// The public standardisation constants (packages/train/README.md).
const normalize = { mean: 0.5719, std: 0.1684 };
const optimizer = (): Optimizer => {
  if (optName === 'adam') return adam({ learningRate: lr, weightDecay });
  if (optName === 'sgd') return sgd({ learningRate: lr, momentum, weightDecay });
  throw new RangeError(`--optimizer must be adam or sgd, got ${optName}`);
};
const build = (s: string): Sequential => {
  const o = { seed: s, optimizer: optimizer() };
  switch (modelName) {
    case 'dpcnn': return dpCnn(o);
    case 'dpcnn-gap': return dpCnn({ ...o, head: 'gap' });
    case 'dpcnn-wide': return dpCnn({ ...o, channels: [16, 32] });
    case 'dpcnn-h32': return dpCnn({ ...o, hidden: 32 });
    case 'dpcnn-wide-h32': return dpCnn({ ...o, channels: [16, 32], hidden: 32 });
    case 'dpcnn-h64': return dpCnn({ ...o, hidden: 64 });
    case 'dpcnn-wide-gap': return dpCnn({ ...o, channels: [16, 32], head: 'gap' });
    case 'dpcnn-wide-gap-h32': return dpCnn({ ...o, channels: [16, 32], head: 'gap', hidden: 32 });
    case 'smallcnn': return smallCnn(o);
    case 'logistic': return logisticRegression(o);
    default: throw new RangeError(`--model must be dpcnn, dpcnn-gap, dpcnn-wide, dpcnn-h32, dpcnn-h64, dpcnn-wide-h32, dpcnn-wide-gap, dpcnn-wide-gap-h32, smallcnn or logistic, got ${modelName}`);
  }
};
// Every trainer starts from the same weights (the server's); sites only compute gradients.
const model = (_name: string) => build(`model/${seed}`);

const { splits, resolved } = await loadDataset({ ...(data ? { data } : {}), download: false });
console.log(`data: ${resolved.path} (train ${splits.train.n}, val ${splits.val.n}, test ${splits.test.n})`);
const parts = splitLabelSkew(splits.train.labels, { sites: nSites, alpha, seed: `split/${seed}`, minPerSite: 50 });
const siteData = splitDataset(splits.train, parts);
const siteInfo = siteData.map((s, i) => ({ site: i + 1, n: s.n, pneumonia: s.labels.reduce((a, b) => a + b, 0) }));
const population = siteData.reduce((a, s) => a + s.n, 0);
console.log('sites:', siteInfo.map((s) => `${s.site}: ${s.n} (${s.pneumonia} pneumonia)`).join(', '));

// The threshold t (= n_min) that federatedTrain will use: deriveParameters for the members and dropout rate.
const threshold = createChannel({ sites: nSites, vectorLength: 1, dropoutRate: dropout, seed }).threshold;
const dim = model('probe').parameterCount;
const cal = calibrateDpSgd({ epsilon, delta, rounds, samplingRate: q, clip, sites: nSites, threshold, dim, population });
console.log(`model ${modelName} (${dim} parameters), ${optName} lr ${lr}${optName === 'sgd' ? ` momentum ${momentum}` : ''}, C = ${clip}, q = ${q}, ${rounds} rounds, t = ${threshold}`);
console.log(`calibrated z = ${cal.noiseMultiplier.toFixed(4)} for ε = ${epsilon} (achieved ${cal.epsilon.toFixed(4)}, worst case) at δ = ${delta}; ` +
  `as continuous Gaussian that z would give ε = ${cal.epsilonGaussian.toFixed(3)}; γ = ${cal.granularity.toExponential(3)}, σ_site = ${cal.siteStddev.toFixed(4)}, n_pad = ${cal.paddedDim}`);

const valEx = { inputs: standardize(splits.val.images, normalize.mean, normalize.std), labels: splits.val.labels };
const testEx = { inputs: standardize(splits.test.images, normalize.mean, normalize.std), labels: splits.test.labels };
const started = performance.now();
const emaTrainer = ema > 0 ? build(`model/${seed}`) : undefined;
const emaAvg = emaTrainer ? Float64Array.from(emaTrainer.getParameters()) : undefined;
let emaBest: { round: number; val: number; test: { auc: number; accuracy: number } } | undefined;
const emaRounds: { round: number; valAuc: number; testAuc: number; testAccuracy: number }[] = [];
const fed = federatedTrain({
  model, sites: siteData, val: splits.val, test: splits.test, normalize, rounds, mode: 'dpsgd', seed, dropout, evaluateEvery: every,
  ...(shift > 0 || flip ? { augment: { maxShift: shift, flip } } : {}),
  dp: { clip, samplingRate: q, noiseMultiplier: cal.noiseMultiplier, delta, population },
  onRound: (r, run) => {
    if (emaTrainer && emaAvg) {
      const beta = Math.min(ema, (1 + r.round) / (10 + r.round));
      const theta = run.server.parameters;
      for (let i = 0; i < emaAvg.length; i++) emaAvg[i] = beta * emaAvg[i]! + (1 - beta) * theta[i]!;
      if (r.val) {
        emaTrainer.setParameters(Float32Array.from(emaAvg));
        const v = evaluateMetrics(emaTrainer, valEx), te = evaluateMetrics(emaTrainer, testEx);
        emaRounds.push({ round: r.round + 1, valAuc: v.auc, testAuc: te.auc, testAccuracy: te.accuracy });
        if (!emaBest || v.auc > emaBest.val) emaBest = { round: r.round + 1, val: v.auc, test: { auc: te.auc, accuracy: te.accuracy } };
        console.log(`  ema: val AUC ${v.auc.toFixed(4)} test AUC ${te.auc.toFixed(4)}`);
      }
    }
    console.log(`round ${r.round + 1}: survivors ${r.survivors.join(',') || '-'}${r.aborted ? ' ABORTED' : ''} ` +
    `val AUC ${r.val?.auc.toFixed(4) ?? '-'} test AUC ${r.test?.auc.toFixed(4) ?? '-'} acc ${r.test?.accuracy.toFixed(3) ?? '-'} ` +
    `loss ${r.loss.toFixed(3)} clipped ${r.clipped} ε ${r.epsilon?.toFixed(3) ?? '0'} (worst ${r.epsilonWorstCase?.toFixed(3) ?? '0'}) ` +
    `(local ${r.seconds.local.toFixed(1)} s, secagg ${r.seconds.secagg.toFixed(2)} s, eval ${r.seconds.evaluate.toFixed(2)} s)`);
  },
});
const seconds = (performance.now() - started) / 1000;
const best = fed.best!;
if (emaBest) console.log(`EMA (β = ${ema}) best on val AUC: round ${emaBest.round} (val ${emaBest.val.toFixed(4)}): test AUC ${emaBest.test.auc.toFixed(4)}, accuracy ${emaBest.test.accuracy.toFixed(4)}`);
const last = fed.rounds[fed.rounds.length - 1]!;
const lastEval = [...fed.rounds].reverse().find((r) => r.test)!;
const aborted = fed.rounds.filter((r) => r.aborted).length;
const eps = fed.ledger!.epsilon(delta).epsilon;
const epsWorst = fed.worstCaseLedger!.epsilon(delta).epsilon;
console.log(`\nbest round on val AUC: ${best.round + 1} (val ${best.val.auc.toFixed(4)}): test AUC ${best.test!.auc.toFixed(4)}, accuracy ${best.test!.accuracy.toFixed(4)}`);
console.log(`last round ${lastEval.round + 1}: test AUC ${lastEval.test!.auc.toFixed(4)}, accuracy ${lastEval.test!.accuracy.toFixed(4)}`);
console.log(`ε spent ${eps.toFixed(4)} (worst case ${epsWorst.toFixed(4)}) at δ = ${delta}; ${aborted} of ${rounds} rounds aborted; ${fed.seconds.toFixed(1)} s`);
const json = {
  script: 'scripts/dpsgd-example.ts', args, seed, data: resolved.path,
  setup: { model: modelName, parameters: dim, optimizer: optName, lr, momentum: optName === 'sgd' ? momentum : null, weightDecay, clip, samplingRate: q, rounds, shift, flip, evaluateEvery: every, normalize, sites: siteInfo, alpha, dropout, threshold, population },
  calibration: {
    targetEpsilon: epsilon, delta, noiseMultiplier: cal.noiseMultiplier, epsilon: cal.epsilon, epsilonGaussian: cal.epsilonGaussian, order: cal.order,
    granularity: cal.granularity, siteStddev: cal.siteStddev, paddedDim: cal.paddedDim, sensitivity: cal.sensitivity, wrapLog2: cal.plan.encoding.wrapLog2,
  },
  best: { round: best.round + 1, val: best.val, test: best.test },
  last: { round: lastEval.round + 1, val: lastEval.val, test: lastEval.test },
  ...(emaBest ? { ema: { decay: ema, best: emaBest, rounds: emaRounds } } : {}),
  epsilon: eps, epsilonWorstCase: epsWorst, aborted, seconds: fed.seconds, secondsWithEma: seconds, loadavg: (await import('node:os')).loadavg(),
  rounds: fed.rounds.map((r) => ({ round: r.round + 1, survivors: r.survivors, aborted: r.aborted ?? null, valAuc: r.val?.auc ?? null, testAuc: r.test?.auc ?? null, testAccuracy: r.test?.accuracy ?? null, loss: r.loss, clipped: r.clipped, epsilon: r.epsilon ?? null, epsilonWorstCase: r.epsilonWorstCase ?? null, seconds: r.seconds })),
  lastRound: last.round + 1,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(json, null, 2) + '\n');
console.log(`wrote ${out}`);
