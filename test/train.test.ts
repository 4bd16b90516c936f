/**
 * `tessera train`: central training from the command line, on the 64-image fixture (a .npz holding only
 * images/labels, which `train` splits 60/20/20 by class). The full PneumoniaMNIST run takes minutes and
 * is measured by hand (packages/cli/README.md); these check the flags, the JSON report, determinism and
 * the errors.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadCheckpoint } from '@tessera/train';
import { json, noStackTrace, root, tessera } from './tessera.js';

const FIXTURE = join(root, '../shared/datasets/pneumoniamnist/pneumoniamnist_fixture64.npz');
const present = existsSync(FIXTURE);
const fixture = ['--data', FIXTURE, '--no-verify'];

/** The report without its timings (the only part that may differ between two runs of one seed). */
function withoutTimings(report: any): unknown {
  const { wallSeconds, history, ...rest } = report;
  return { ...rest, history: history.map(({ seconds, ...h }: any) => h) };
}

const needsFixture = (title: string, body: (t: any) => Promise<void>): void =>
  test(title, async (t) => {
    if (!present) {
      t.log(`SKIPPED: the fixture ${FIXTURE} is absent`);
      t.pass();
      return;
    }
    await body(t);
  });

needsFixture('train --json on the fixture: one JSON document with the metrics, the data set and the history', async (t) => {
  const r = await tessera(['train', '--dataset', 'pneumoniamnist', '--model', 'cnn', '--epochs', '3', ...fixture, '--seed', '7', '--json'], { timeout: 60_000 });
  t.is(r.code, 0, r.stderr);
  const j = json(r);
  for (const k of ['testAuc', 'testAccuracy', 'balancedAccuracy', 'wallSeconds']) t.true(typeof j[k] === 'number' && j[k] >= 0, `${k}: ${j[k]}`);
  t.true(j.testAuc <= 1 && j.testAccuracy <= 1 && j.balancedAccuracy <= 1);
  t.is(j.epochs, 3);
  t.true(Number.isInteger(j.bestEpoch) && j.bestEpoch >= 1 && j.bestEpoch <= 3);
  t.is(j.model, 'cnn');
  t.is(j.parameters, 105_442);
  t.is(j.seed, '7');
  t.like(j.dataset, { path: FIXTURE, source: 'option', layout: 'pooled', train: 38, val: 12, test: 14, verified: false });
  t.regex(j.dataset.sha256, /^ee089663[0-9a-f]{56}$/);
  t.deepEqual(Object.keys(j.perClassRecall), ['normal', 'pneumonia']);
  t.is(j.confusionMatrix.length, 2);
  t.is(j.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0), 14, 'the confusion matrix counts the test split');
  t.deepEqual(j.augment, { maxShift: 2 });
  t.is(j.threshold.chosenOn, 'val balanced accuracy');
  t.true(j.threshold.value > 0 && j.threshold.value < 1);
  t.true(typeof j.testAccuracyAt05 === 'number');
  t.like(j.optimizer, { type: 'sgd', learningRate: 0.01, momentum: 0.9, weightDecay: 0.0005 });
  t.deepEqual(j.baseline, { name: 'MedMNIST v2 ResNet-18 (28)', auc: 0.944, accuracy: 0.854 });
  t.is(j.history.length, 3);
  t.is(j.history[j.bestEpoch - 1].valAuc, j.val.auc, 'the best epoch is the one reported');
  t.true(Math.max(...j.history.map((h: any) => h.valAuc)) === j.val.auc, 'picked on validation AUC');
  // Progress goes to stderr: one line per epoch.
  t.is(r.stderr.match(/^epoch \d\/3 {2}loss [\d.]+ {2}val AUC [\d.]+ {2}val acc [\d.]+ {2}[\d.]+ s/gm)?.length, 3, r.stderr);
  t.regex(r.stderr, /ETA/);
});

needsFixture('train is deterministic for a fixed --seed, and another seed trains another model', async (t) => {
  const args = (seed: string) => ['train', '--epochs', '2', ...fixture, '--seed', seed, '--json'];
  const [a, b, c] = await Promise.all([tessera(args('3'), { timeout: 60_000 }), tessera(args('3'), { timeout: 60_000 }), tessera(args('4'), { timeout: 60_000 })]);
  t.is(a.code, 0, a.stderr);
  t.deepEqual(withoutTimings(json(a)), withoutTimings(json(b)));
  t.notDeepEqual(json(a).history, json(c).history);
});

needsFixture('train --model logistic|mlp --optimizer adam --no-augment, and the human report', async (t) => {
  const [l, m] = await Promise.all([
    tessera(['train', '--model', 'logistic', '--optimizer', 'adam', '--epochs', '2', '--threshold', '0.5', ...fixture, '--json'], { timeout: 60_000 }),
    tessera(['train', '--model', 'mlp', '--epochs', '1', '--batch-size', '8', '--lr', '0.05', '--weight-decay', '0', '--augment', ...fixture], { timeout: 60_000 }),
  ]);
  t.is(l.code, 0, l.stderr);
  const j = json(l);
  t.is(j.parameters, 28 * 28 * 2 + 2);
  t.is(j.augment, false, 'no augmentation by default for logistic');
  t.like(j.optimizer, { type: 'adam', learningRate: 0.001 });
  t.deepEqual(j.threshold, { value: 0.5, chosenOn: 'fixed' });
  t.is(j.testAccuracy, j.testAccuracyAt05);
  t.is(m.code, 0, m.stderr);
  t.regex(m.stdout, /test AUC +[\d.]+|test AUC +n\/a/);
  t.regex(m.stdout, /MedMNIST v2 ResNet-18 \(28\): 0\.944/);
  t.regex(m.stdout, /mlp, 100,738 parameters; sgd \(learningRate 0\.05/);
  t.regex(m.stdout, /batch 8, random shift ±2 px/);
  t.regex(m.stdout, /confusion matrix \(test\)/);
});

needsFixture('train --save writes a safetensors checkpoint of the best model', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-train-'));
  try {
    const file = join(dir, 'best.safetensors');
    const r = await tessera(['train', '--epochs', '2', ...fixture, '--save', file, '--json'], { timeout: 60_000 });
    t.is(r.code, 0, r.stderr);
    const model = loadCheckpoint(new Uint8Array(readFileSync(file)));
    t.is(model.parameterCount, 105_442);
    t.is(json(r).saved, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

needsFixture('train: a file of no known checksum is refused unless --no-verify (exit 1, one line)', async (t) => {
  const r = await tessera(['train', '--data', FIXTURE, '--epochs', '1']);
  t.is(r.code, 1);
  t.regex(r.stderr, /^tessera train: .*pneumoniamnist_fixture64\.npz: is not a known version of pneumoniamnist\.npz: .*--no-verify/);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.is(r.stdout, '');
});

test('train: data set not found (explicit --data, and nowhere with downloading off) is one line, exit 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-train-'));
  try {
    const unwritable = await tessera(['train', '--save', join(dir, 'no/such/dir/m.safetensors')]);
    t.is(unwritable.code, 1);
    t.regex(unwritable.stderr, /^tessera train: --save .*m\.safetensors: cannot write there: /);
    const missing = await tessera(['train', '--data', join(dir, 'none.npz')]);
    t.is(missing.code, 1);
    t.is(missing.stderr, `tessera train: --data ${join(dir, 'none.npz')}: does not exist\n`);
    const nowhere = await tessera(['train', '--no-download'], { cwd: dir, env: { TESSERA_DATA_DIR: '', XDG_CACHE_HOME: join(dir, 'cache') } });
    t.is(nowhere.code, 1);
    t.regex(nowhere.stderr, /^tessera train: pneumoniamnist\.npz was not found \(looked in .*\) and downloading is off\. Put pneumoniamnist\.npz/);
    t.true(noStackTrace(nowhere.stderr));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train: bad flags are usage errors naming the flag (exit 2)', async (t) => {
  const cases: [string[], RegExp][] = [
    [['train', '--epochs', '0'], /invalid value '0' for --epochs: expected an integer in \[1, 10000\]/],
    [['train', '--model', 'resnet'], /invalid value 'resnet' for --model: expected one of cnn, logistic, mlp/],
    [['train', '--dataset', 'chestmnist'], /invalid value 'chestmnist' for --dataset: expected one of pneumoniamnist/],
    [['train', '--optimizer', 'rmsprop'], /invalid value 'rmsprop' for --optimizer/],
    [['train', '--lr', '-1'], /invalid value '-1' for --lr/],
    [['train', '--batch-size', 'x'], /invalid value 'x' for --batch-size/],
    [['train', '--optimizer', 'adam', '--momentum', '0.5'], /--momentum applies to --optimizer sgd only/],
    [['train', '--epochs'], /--epochs needs a value/],
    [['train', '--threshold', '2'], /invalid value '2' for --threshold: expected 'val' or a number in \(0, 1\]/],
    [['train', '--frobnicate'], /unknown option '--frobnicate'/],
  ];
  const runs = await Promise.all(cases.map(([args]) => tessera(args)));
  runs.forEach((r, i) => {
    t.is(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, cases[i]![1]);
    t.regex(r.stderr, /Run 'tessera train --help' for usage\./);
    t.is(r.stdout, '');
  });
});
