/**
 * `tessera train`: central training on one machine, the baseline every federated run is compared with.
 * Loads the data set (resolution order and checksums of @tessera/data), standardises the images by the
 * training mean and std, trains with `fit` of @tessera/train (best epoch picked on validation AUC), and
 * reports the test metrics of that epoch beside the published MedMNIST v2 baseline.
 * @module
 */
import { access, constants, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { DataError, DataErrorCodes, MEDMNIST_BASELINES, PNEUMONIAMNIST, loadSplits, type ImageDataset } from '@tessera/data';
import {
  adam, fit, metricsOf, logisticRegression, meanStd, saveCheckpoint, sgd, smallCnn, standardize,
  type Examples, type FitEpoch, type Metrics, type Optimizer, type Sequential,
} from '@tessera/train';
import { action, subcommand, type Context } from '../command.js';
import { ExitCode, UsageError } from '../errors.js';
import { choice, decimal, integer, nonEmpty, option } from '../options.js';
import { keyValues, printJson, table, type Io } from '../output.js';

const DATASETS = ['pneumoniamnist'] as const;
const MODELS = ['cnn', 'logistic', 'mlp'] as const;
const OPTIMIZERS = ['sgd', 'adam'] as const;
type Model = (typeof MODELS)[number];

/** Defaults chosen on PneumoniaMNIST (packages/train/README.md): about 10 s per epoch on 2 cores. */
export const TRAIN_DEFAULTS = { epochs: 10, batchSize: 32, seed: '1', sgdLr: 0.01, adamLr: 1e-3, momentum: 0.9, sgdWeightDecay: 5e-4, maxShift: 2, mlpHidden: 128 } as const;

/** MedMNIST v2 (Yang et al., Scientific Data 2023), Table: PneumoniaMNIST, ResNet-18 (28). */
export const MEDMNIST_BASELINE = MEDMNIST_BASELINES.pneumoniamnist;

export interface TrainOptions {
  readonly dataset: (typeof DATASETS)[number];
  readonly data?: string;
  readonly verify: boolean;
  readonly download: boolean;
  readonly model: Model;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr?: number;
  readonly optimizer: (typeof OPTIMIZERS)[number];
  readonly momentum?: number;
  readonly weightDecay?: number;
  readonly augment?: boolean;
  readonly seed: string;
  readonly threshold: number | 'val';
  readonly save?: string;
  readonly json?: boolean;
}

export function trainCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'train', {
    summary: 'central training on one machine: the baseline federated runs are compared with',
    description:
      'Trains a model on the whole training split of the data set, evaluates it on the validation split after every ' +
      'epoch, keeps the epoch with the best validation ROC AUC (ties: lower validation loss), and reports that model\'s ' +
      'test AUC, accuracy, balanced accuracy, per-class recall and confusion matrix beside the published MedMNIST v2 ' +
      'ResNet-18 (28) result. Accuracy and recall are at the decision threshold chosen on validation with that epoch ' +
      '(the one with the best validation balanced accuracy), because PneumoniaMNIST\'s test split is shifted against ' +
      'train and validation and accuracy at 0.5 swings between epochs; the test split never chooses anything. ' +
      'Images are standardised by the training mean and std. The same --seed gives the same ' +
      'metrics. Progress goes to stderr.\n\n' +
      'The data set is found as described in packages/data/README.md (--data, $TESSERA_DATA_DIR, ./data, a shared/ folder ' +
      'beside the checkout, the cache, then a download) and checked against its known checksums (--no-verify for a file of ' +
      'your own). A --data .npz holding only images/labels arrays (e.g. pneumoniamnist_fixture64.npz) is split into ' +
      'train/val/test 60/20/20, stratified by class, always the same way.',
    examples: [
      'tessera train --dataset pneumoniamnist --model cnn --epochs 10',
      'tessera train --model cnn --seed 2 --save cnn.safetensors --json > run.json',
      'tessera train --model logistic --optimizer adam --lr 1e-3 --epochs 20',
    ],
  });
  cmd
    .addOption(choice('--dataset <name>', 'data set', DATASETS, 'pneumoniamnist'))
    .addOption(option('--data <path>', 'the data set file, or a folder holding it', nonEmpty('path')))
    .option('--no-verify', 'accept a file matching none of the known checksums (a file of your own)')
    .option('--no-download', 'fail instead of downloading when the data set is not found')
    .addOption(choice('--model <m>', 'cnn (smallCnn, 105,442 parameters), logistic (linear), mlp (one hidden layer of 128)', MODELS, 'cnn'))
    .addOption(option('--epochs <n>', 'training epochs', integer(1, 10_000), TRAIN_DEFAULTS.epochs))
    .addOption(option('--batch-size <n>', 'mini-batch size', integer(1, 65_536), TRAIN_DEFAULTS.batchSize))
    .addOption(choice('--optimizer <o>', 'sgd (momentum, L2 weight decay) or adam (decoupled weight decay)', OPTIMIZERS, 'sgd'))
    .addOption(option('--lr <rate>', 'learning rate (default 0.01 for sgd, 0.001 for adam)', decimal(0, 10)))
    .addOption(option('--momentum <m>', 'sgd momentum (default 0.9)', decimal(0, 0.999999, true)))
    .addOption(option('--weight-decay <w>', 'weight decay (default 5e-4 for sgd, 0 for adam)', decimal(0, 1, true)))
    .option('--augment', 'shift each training image by up to ±2 pixels each epoch (default for cnn)')
    .option('--no-augment', 'no augmentation (default for logistic and mlp)')
    .addOption(option('--threshold <t>', "decision threshold on P(pneumonia): 'val' (chosen on validation, best balanced accuracy) or a number in (0, 1]", thresholdOf, 'val' as const))
    .addOption(option('--seed <s>', 'seed of initialisation, shuffling and augmentation', nonEmpty('seed'), TRAIN_DEFAULTS.seed))
    .addOption(option('--save <file>', 'write the best model as a safetensors checkpoint', nonEmpty('path')))
    .option('--json', 'print one JSON document instead of the report');
  return action<TrainOptions>(cmd, ctx, (o) => runTrain(o, ctx.io));
}

function thresholdOf(value: string): number | 'val' {
  if (value.trim() === 'val') return 'val';
  try {
    return decimal(0, 1)(value);
  } catch {
    throw new InvalidArgumentError("expected 'val' or a number in (0, 1]");
  }
}

/** The optimiser and its description from the flags. */
function optimizerOf(o: TrainOptions): { optimizer: Optimizer; config: Record<string, number | string | boolean> } {
  if (o.optimizer === 'adam') {
    if (o.momentum !== undefined) throw new UsageError('--momentum applies to --optimizer sgd only');
    const optimizer = adam({ learningRate: o.lr ?? TRAIN_DEFAULTS.adamLr, weightDecay: o.weightDecay ?? 0 });
    return { optimizer, config: { ...optimizer.config } };
  }
  const optimizer = sgd({ learningRate: o.lr ?? TRAIN_DEFAULTS.sgdLr, momentum: o.momentum ?? TRAIN_DEFAULTS.momentum, weightDecay: o.weightDecay ?? TRAIN_DEFAULTS.sgdWeightDecay });
  return { optimizer, config: { ...optimizer.config } };
}

function modelOf(model: Model, seed: string, optimizer: Optimizer, inputShape: number[]): Sequential {
  switch (model) {
    case 'cnn':
      return smallCnn({ seed, optimizer, inputShape });
    case 'logistic':
      return logisticRegression({ seed, optimizer, inputShape });
    case 'mlp':
      return logisticRegression({ seed, optimizer, inputShape, hidden: TRAIN_DEFAULTS.mlpHidden });
  }
}

const toExamples = (d: ImageDataset, mean: number, std: number): Examples => ({ inputs: standardize(d.images, mean, std), labels: d.labels });
const r4 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null);
const f4 = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
const duration = (s: number): string => (s < 60 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`);

function metricsJson(m: Metrics): Record<string, unknown> {
  return { auc: r4(m.auc), accuracy: r4(m.accuracy), balancedAccuracy: r4(m.balancedAccuracy), loss: r4(m.loss), perClassRecall: m.perClassRecall.map(r4), confusionMatrix: m.confusionMatrix };
}

/** Trains as the flags say and reports; exit 0, 1 when the data set cannot be found or read, 2 for bad flags. */
export async function runTrain(o: TrainOptions, io: Io): Promise<number> {
  const augment = o.augment ?? o.model === 'cnn';
  const { optimizer, config: optimizerConfig } = optimizerOf(o);
  const started = performance.now();
  if (o.save !== undefined) {
    // Fail before minutes of training, not after.
    try {
      await access(dirname(resolve(o.save)), constants.W_OK);
    } catch (e) {
      io.err(`tessera train: --save ${o.save}: cannot write there: ${(e as Error).message}\n`);
      return ExitCode.FAILURE;
    }
  }
  let loaded;
  try {
    loaded = await loadSplits({ dataset: PNEUMONIAMNIST, ...(o.data !== undefined ? { data: o.data } : {}), verify: o.verify, download: o.download });
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    io.err(`tessera train: ${o.data !== undefined && e.code === DataErrorCodes.NOT_FOUND ? '--data ' : ''}${e.message}\n`);
    return ExitCode.FAILURE;
  }
  const { splits, resolved, layout, sha256 } = loaded;
  const { train, val, test } = splits;
  const { mean, std } = meanStd(train.images);
  const inputShape = [train.channels, train.height, train.width];
  const model = modelOf(o.model, o.seed, optimizer, inputShape);
  const classes = train.classes;
  io.err(
    `tessera train: ${resolved.path} (${resolved.source}${layout === 'pooled' ? ', images/labels split 60/20/20' : ''}): ` +
    `train ${train.n}, val ${val.n}, test ${test.n}; ${o.model}, ${model.parameterCount.toLocaleString('en-US')} parameters, ` +
    `${o.epochs} epoch${o.epochs === 1 ? '' : 's'}\n`,
  );

  let elapsed = 0;
  const onEpoch = (e: FitEpoch, remaining: number): void => {
    elapsed += e.seconds;
    const eta = remaining > 0 ? `, ETA ${duration((elapsed / e.epoch) * remaining)}` : '';
    io.err(
      `epoch ${String(e.epoch).padStart(String(o.epochs).length)}/${o.epochs}  loss ${e.loss.toFixed(4)}  val AUC ${f4(e.val.auc)}  ` +
      `val acc ${f4(e.val.accuracy)}  ${e.seconds.toFixed(1)} s${eta}${e.best ? '  *' : ''}\n`,
    );
  };
  const result = fit(model, { train: toExamples(train, mean, std), val: toExamples(val, mean, std) }, {
    epochs: o.epochs, batchSize: o.batchSize, seed: o.seed, augment: augment ? { maxShift: TRAIN_DEFAULTS.maxShift } : false, select: 'auc', onEpoch,
    threshold: o.threshold === 'val' ? 'balanced' : o.threshold,
  });
  const testExamples = toExamples(test, mean, std);
  const evaluation = model.evaluate(testExamples, 256);
  const t = metricsOf(evaluation, test.labels, model.classes, result.threshold !== undefined ? { threshold: result.threshold } : {});
  const at05 = metricsOf(evaluation, test.labels, model.classes);
  const wallSeconds = (performance.now() - started) / 1000;

  if (o.save !== undefined) {
    const bytes = saveCheckpoint(model, {
      dataset: o.dataset, datasetSha256: sha256, model: o.model, seed: o.seed, bestEpoch: String(result.bestEpoch), epochs: String(o.epochs),
      inputMean: String(mean), inputStd: String(std), threshold: String(result.threshold ?? 0.5), classes: JSON.stringify(classes), testAuc: String(t.auc), testAccuracy: String(t.accuracy),
    });
    try {
      await writeFile(o.save, bytes);
    } catch (e) {
      io.err(`tessera train: --save ${o.save}: cannot write: ${(e as Error).message}\n`);
      return ExitCode.FAILURE;
    }
  }

  const history = result.epochs.map((e) => ({ epoch: e.epoch, loss: r4(e.loss), trainAccuracy: r4(e.trainAccuracy), valAuc: r4(e.val.auc), valAccuracy: r4(e.val.accuracy), valLoss: r4(e.val.loss), seconds: Math.round(e.seconds * 10) / 10 }));
  const report = {
    command: 'train' as const,
    dataset: { name: o.dataset, path: resolved.path, source: resolved.source, sha256, verified: o.verify, layout, train: train.n, val: val.n, test: test.n, classes },
    model: o.model,
    parameters: model.parameterCount,
    seed: o.seed,
    epochs: o.epochs,
    batchSize: o.batchSize,
    optimizer: optimizerConfig,
    augment: augment ? { maxShift: TRAIN_DEFAULTS.maxShift } : false,
    normalization: { mean: r4(mean), std: r4(std) },
    selectedOn: `val ${result.selectedOn}`,
    bestEpoch: result.bestEpoch,
    val: metricsJson(result.best.val),
    testAuc: r4(t.auc),
    testAccuracy: r4(t.accuracy),
    threshold: { value: result.threshold ?? 0.5, chosenOn: o.threshold === 'val' && result.threshold !== undefined ? 'val balanced accuracy' : 'fixed' },
    testAccuracyAt05: r4(at05.accuracy),
    balancedAccuracy: r4(t.balancedAccuracy),
    testLoss: r4(t.loss),
    perClassRecall: Object.fromEntries(classes.map((c, i) => [c, r4(t.perClassRecall[i]!)])),
    confusionMatrix: t.confusionMatrix,
    baseline: MEDMNIST_BASELINE,
    history,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    ...(o.save !== undefined ? { saved: o.save } : {}),
  };
  if (o.json) {
    printJson(io, report);
    return ExitCode.OK;
  }
  const cm = table(['true \\ predicted', ...classes], { colAligns: ['left', ...classes.map(() => 'right' as const)] });
  t.confusionMatrix.forEach((row, i) => cm.push([classes[i]!, ...row.map(String)]));
  const opt = Object.entries(optimizerConfig).filter(([k]) => k !== 'type').map(([k, v]) => `${k} ${v}`).join(', ');
  io.out(keyValues([
    ['data', `${resolved.path} (${resolved.source}; SHA-256 ${sha256.slice(0, 16)}…${o.verify ? ', verified' : ', not verified'}): train ${train.n}, val ${val.n}, test ${test.n}`],
    ['model', `${o.model}, ${model.parameterCount.toLocaleString('en-US')} parameters; ${optimizerConfig['type']} (${opt}), batch ${o.batchSize}, ${augment ? `random shift ±${TRAIN_DEFAULTS.maxShift} px` : 'no augmentation'}, seed ${o.seed}`],
    ['best epoch', `${result.bestEpoch} of ${o.epochs}, picked on validation ${result.selectedOn === 'auc' ? 'AUC' : result.selectedOn} (val AUC ${f4(result.best.val.auc)}, val accuracy ${f4(result.best.val.accuracy)})`],
    ['test AUC', `${f4(t.auc)}   (${MEDMNIST_BASELINE.name}: ${MEDMNIST_BASELINE.auc})`],
    ['test accuracy', `${f4(t.accuracy)}   (${MEDMNIST_BASELINE.name}: ${MEDMNIST_BASELINE.accuracy})`],
    ['threshold', `P(${classes[1] ?? '1'}) ≥ ${(result.threshold ?? 0.5).toFixed(4)}${o.threshold === 'val' && result.threshold !== undefined ? ', chosen on validation (best balanced accuracy)' : ''}; at 0.5 the test accuracy is ${f4(at05.accuracy)}`],
    ['balanced acc.', f4(t.balancedAccuracy)],
    ['recall', classes.map((c, i) => `${c} ${f4(t.perClassRecall[i]!)}`).join(', ')],
    ['wall time', `${duration(wallSeconds)}${o.save !== undefined ? `; best model saved to ${o.save}` : ''}`],
  ]));
  io.out(`confusion matrix (test):\n${cm.toString()}\n`);
  return ExitCode.OK;
}
