/**
 * The "federated ≈ central" measurement: smallCnn on the full PneumoniaMNIST, trained centrally and by
 * FedAvg over secure aggregation (5 sites, label skew Dirichlet α = 0.5, real SecAgg rounds through
 * runRound), same model, same initialisation, same seed. Prints the comparison and writes JSON.
 *
 *   npx tsc -b scripts && node scripts/dist/federated-example.js [--seed 1] [--rounds 40] [--epochs 8]
 *     [--sites 5] [--alpha 0.5] [--local-epochs 1 | --local-steps K] [--server-lr 1] [--server-momentum 0] [--dropout 0]
 *     [--data PATH] [--out bench/results/federated-example.json]
 *     [--central-from JSON]   reuse the central baseline of an earlier run with the same --seed and --epochs
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadDataset, splitDataset, splitLabelSkew } from '@tessera/data';
import { federatedTrain } from '@tessera/federated';
import { evaluateMetrics, fit, sgd, smallCnn, standardize } from '@tessera/train';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const seed = flag('seed', '1');
const rounds = Number(flag('rounds', '40'));
const epochs = Number(flag('epochs', '8'));
const nSites = Number(flag('sites', '5'));
const alpha = Number(flag('alpha', '0.5'));
const localEpochs = Number(flag('local-epochs', '1'));
const dropout = Number(flag('dropout', '0'));
const localSteps = args.includes('--local-steps') ? Number(flag('local-steps', '0')) : undefined;
const serverMomentum = Number(flag('server-momentum', '0'));
const serverLr = Number(flag('server-lr', '1'));
const centralFrom = args.includes('--central-from') ? flag('central-from', '') : undefined;
const out = flag('out', 'bench/results/federated-example.json');
const data = args.includes('--data') ? flag('data', '') : undefined;

// The public standardisation constants of the central run (packages/train/README.md).
const normalize = { mean: 0.5719, std: 0.1684 };
const model = (name: string) => smallCnn({ seed: name === 'server' || name === 'central' ? `model/${seed}` : `model/${seed}/${name}`, optimizer: sgd({ learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4 }) });

const { splits, resolved } = await loadDataset({ ...(data ? { data } : {}), download: false });
console.log(`data: ${resolved.path} (train ${splits.train.n}, val ${splits.val.n}, test ${splits.test.n})`);
const ex = (d: { images: Float32Array; labels: Int32Array }) => ({ inputs: standardize(d.images, normalize.mean, normalize.std), labels: d.labels });
const train = ex(splits.train), val = ex(splits.val), test = ex(splits.test);

// Central baseline: fit() with the same model, optimiser, augmentation and seed; best epoch on val AUC.
type CentralJson = { epochs: number; bestEpoch: number; val: number; test: { auc: number; accuracy: number }; seconds: number; perEpoch: unknown[]; seed?: string };
let centralJson: CentralJson;
if (centralFrom) {
  const prev = JSON.parse(readFileSync(centralFrom, 'utf8')) as { seed: string; central: CentralJson };
  if (prev.seed !== seed || prev.central.epochs !== epochs) throw new Error(`${centralFrom} is for seed ${prev.seed}, ${prev.central.epochs} epochs`);
  centralJson = prev.central;
  console.log(`central (from ${centralFrom}): best epoch ${centralJson.bestEpoch}, test AUC ${centralJson.test.auc.toFixed(4)}`);
} else {
  const c0 = performance.now();
  const central = smallCnn({ seed: `model/${seed}`, optimizer: sgd({ learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4 }) });
  const fr = fit(central, { train, val }, {
    epochs, seed, augment: { maxShift: 2 },
    onEpoch: (e) => console.log(`central epoch ${e.epoch}: val AUC ${e.val.auc.toFixed(4)} (${e.seconds.toFixed(1)} s)`),
  });
  const ct = evaluateMetrics(central, test);
  centralJson = { epochs, bestEpoch: fr.bestEpoch, val: fr.best.val.auc, test: { auc: ct.auc, accuracy: ct.accuracy }, seconds: (performance.now() - c0) / 1000, perEpoch: fr.epochs.map((e) => ({ epoch: e.epoch, valAuc: e.val.auc, seconds: e.seconds })) };
  console.log(`central: best epoch ${fr.bestEpoch}, val AUC ${fr.best.val.auc.toFixed(4)}, test AUC ${ct.auc.toFixed(4)}, accuracy ${ct.accuracy.toFixed(4)} (${centralJson.seconds.toFixed(0)} s)`);
}
const centralTest = centralJson.test;
const centralSeconds = centralJson.seconds;

// Federated: 5 sites, label skew α = 0.5, FedAvg over SecAgg (secure counts), 1 local epoch per round.
const parts = splitLabelSkew(splits.train.labels, { sites: nSites, alpha, seed: `split/${seed}`, minPerSite: 50 });
const siteData = splitDataset(splits.train, parts);
const siteInfo = siteData.map((s, i) => ({ site: i + 1, n: s.n, pneumonia: s.labels.reduce((a, b) => a + b, 0) }));
console.log('sites:', siteInfo.map((s) => `${s.site}: ${s.n} (${s.pneumonia} pneumonia)`).join(', '));
const fed = federatedTrain({
  model, sites: siteData, val: splits.val, test: splits.test, normalize, rounds, mode: 'fedavg', localEpochs, batchSize: 32,
  ...(localSteps !== undefined ? { localSteps } : {}), serverLr, serverMomentum,
  augment: { maxShift: 2 }, seed, dropout,
  onRound: (r) => console.log(`round ${r.round + 1}: survivors ${r.survivors.join(',')} total ${r.total} val AUC ${r.val?.auc.toFixed(4)} test AUC ${r.test?.auc.toFixed(4)} ` +
    `loss ${r.loss.toFixed(3)} clipped ${r.clipped} ${(r.bytes / 2 ** 20).toFixed(1)} MiB (local ${r.seconds.local.toFixed(1)} s, secagg ${r.seconds.secagg.toFixed(2)} s)`),
});
const fedBest = fed.best!;
const last = fed.rounds[fed.rounds.length - 1]!;
const diff = fedBest.test!.auc - centralTest.auc;
console.log(`\n                 test AUC   test acc   (model picked on val AUC)`);
console.log(`central          ${centralTest.auc.toFixed(4)}     ${centralTest.accuracy.toFixed(4)}     epoch ${centralJson.bestEpoch}/${epochs}, ${centralSeconds.toFixed(0)} s`);
console.log(`federated        ${fedBest.test!.auc.toFixed(4)}     ${fedBest.test!.accuracy.toFixed(4)}     round ${fedBest.round + 1}/${rounds}, ${fed.seconds.toFixed(0)} s`);
console.log(`federated, last  ${last.test!.auc.toFixed(4)}     ${last.test!.accuracy.toFixed(4)}`);
console.log(`difference (federated − central): ${diff >= 0 ? '+' : ''}${diff.toFixed(4)} → ${Math.abs(diff) <= 0.01 || diff > 0 ? 'within' : 'NOT within'} 0.01`);
const plan = fed.plan;
const json = {
  script: 'scripts/federated-example.ts', args, seed, data: resolved.path,
  setup: { model: 'smallCnn', optimizer: 'sgd lr 0.01 momentum 0.9 wd 5e-4', batchSize: 32, augment: 'randomShift 2', normalize },
  central: { ...centralJson, ...(centralFrom ? { reusedFrom: centralFrom } : {}) },
  federated: {
    sites: siteInfo, alpha, rounds, localEpochs, localSteps: localSteps ?? null, serverLr, serverMomentum, dropout, threshold: fed.threshold,
    encoding: plan.mode === 'fedavg' ? { bits: plan.encoding.bits, granularity: plan.encoding.granularity, paddedDim: plan.encoding.paddedDim, clip: plan.clip, countBound: plan.countBound, wrapLog2: plan.encoding.wrapLog2, sumErrorBound: plan.sumErrorBound } : null,
    bestRound: fedBest.round + 1, val: fedBest.val.auc, test: fedBest.test, last: last.test, seconds: fed.seconds, rounds_: fed.rounds,
  },
  difference: diff, within: Math.abs(diff) <= 0.01 || diff > 0,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(json, null, 2) + '\n');
console.log(`wrote ${out}`);
