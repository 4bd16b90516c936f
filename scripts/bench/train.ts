/**
 * Training-engine benchmark: one epoch of 1,000 synthetic 28×28 grey images, batch 32, forward +
 * backward + optimiser step, for the benchmark CNN (conv 3×3×8 → maxpool 2 → conv 3×3×16 → maxpool 2 →
 * dense 2) and the small CNN; and the DP-SGD path (per-example gradients clipped and summed) both
 * batched and as batch-size-1 passes. Median of several epochs after a warm-up epoch.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { benchCnnLayers, sequential, sgd, smallCnn, streamFor, type Sequential } from '@tessera/train';

const IMAGES = 1000;
const BATCH = 32;
const SIZE = 28 * 28;
/** TensorFlow.js (tfjs CPU backend) took 38 s for this epoch of the benchmark CNN on this machine. */
const TFJS_EPOCH_SECONDS = 38;

interface Row {
  model: string; mode: string; parameters: number; images: number; batch: number; runs: number;
  epochSeconds: number; minSeconds: number; maxSeconds: number; imagesPerSecond: number; speedupVsTfjs: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Synthetic grey images: a noisy bright blob whose position depends on the label. */
function data(): { inputs: Float32Array; labels: Int32Array } {
  const u = streamFor('tessera bench train', 'data');
  const inputs = new Float32Array(IMAGES * SIZE), labels = new Int32Array(IMAGES);
  for (let i = 0; i < IMAGES; i++) {
    const y = u.below(2);
    labels[i] = y;
    const c = y ? 18 : 10;
    for (let p = 0; p < SIZE; p++) {
      const dx = (p % 28) - c, dy = Math.floor(p / 28) - c;
      inputs[i * SIZE + p] = Math.exp(-(dx * dx + dy * dy) / 30) + 0.2 * u.next();
    }
  }
  return { inputs, labels };
}

function time(runs: number, epoch: () => void): number[] {
  epoch(); // warm-up: JIT compilation and buffer allocation
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    epoch();
    out.push((performance.now() - t) / 1000);
  }
  return out;
}

function row(model: string, mode: string, parameters: number, seconds: number[]): Row {
  const epochSeconds = median(seconds);
  return {
    model, mode, parameters, images: IMAGES, batch: BATCH, runs: seconds.length,
    epochSeconds, minSeconds: Math.min(...seconds), maxSeconds: Math.max(...seconds),
    imagesPerSecond: IMAGES / epochSeconds, speedupVsTfjs: TFJS_EPOCH_SECONDS / epochSeconds,
  };
}

export async function runTrainBench(args: string[]): Promise<void> {
  const unknown = args.filter((a) => a !== '--quick');
  if (unknown.length) {
    process.stderr.write(`bench train: unknown argument ${unknown[0]} (flags: --quick)\n`);
    process.exit(2);
  }
  const quick = args.includes('--quick');
  const runs = quick ? 3 : 7;
  const d = data();
  const batches = Array.from({ length: Math.ceil(IMAGES / BATCH) }, (_, b) => ({
    inputs: d.inputs.subarray(b * BATCH * SIZE, Math.min(IMAGES, (b + 1) * BATCH) * SIZE),
    labels: d.labels.subarray(b * BATCH, Math.min(IMAGES, (b + 1) * BATCH)),
  }));
  const models: [string, () => Sequential][] = [
    ['bench CNN', () => sequential(benchCnnLayers(), { inputShape: [1, 28, 28], seed: 'bench', optimizer: sgd({ learningRate: 0.01, momentum: 0.9 }) })],
    ['small CNN', () => smallCnn({ seed: 'bench', optimizer: sgd({ learningRate: 0.01, momentum: 0.9 }) })],
  ];
  const rows: Row[] = [];
  for (const [name, make] of models) {
    const m = make();
    process.stderr.write(`${name}: train epoch … `);
    rows.push(row(name, 'train (fwd+bwd+step)', m.parameterCount, time(runs, () => m.trainEpochs(d, { batchSize: BATCH, shuffle: true }))));
    process.stderr.write('clipped per-example sum … ');
    const sum = new Float32Array(m.parameterCount);
    rows.push(row(name, 'DP: per-example clip+sum', m.parameterCount, time(runs, () => {
      for (const b of batches) {
        m.clippedGradientSum(b, 1, sum);
        m.applyGradient(sum);
      }
    })));
    process.stderr.write('batch-1 passes …\n');
    const g = new Float32Array(m.parameterCount), acc = new Float32Array(m.parameterCount);
    rows.push(row(name, 'DP: batch-1 passes', m.parameterCount, time(quick ? 1 : 3, () => {
      for (let i = 0; i < IMAGES; i++) {
        const { gradient } = m.gradient({ inputs: d.inputs.subarray(i * SIZE, (i + 1) * SIZE), labels: d.labels.subarray(i, i + 1) }, g);
        let sq = 0;
        for (let j = 0; j < gradient.length; j++) sq += gradient[j]! * gradient[j]!;
        const f = Math.min(1, 1 / Math.sqrt(sq));
        for (let j = 0; j < gradient.length; j++) acc[j] += f * gradient[j]!;
        if ((i + 1) % BATCH === 0 || i === IMAGES - 1) {
          m.applyGradient(acc);
          acc.fill(0);
        }
      }
    })));
    process.stderr.write(`${name}: evaluate … \n`);
    rows.push(row(name, 'inference (forward only)', m.parameterCount, time(runs, () => m.evaluate(d, 256))));
  }
  console.log(`${IMAGES} images of 28×28, batch ${BATCH}, median of ${runs} epochs after a warm-up (node ${process.version}, ${availableParallelism()} cores, 1 thread)`);
  console.log('model      mode                        params   epoch s   (min–max)        images/s   × TF.js (38 s)');
  for (const r of rows)
    console.log(
      `${r.model.padEnd(10)} ${r.mode.padEnd(27)} ${String(r.parameters).padStart(7)} ${r.epochSeconds.toFixed(3).padStart(9)}   (${r.minSeconds.toFixed(3)}–${r.maxSeconds.toFixed(3)})  ${r.imagesPerSecond.toFixed(0).padStart(9)}   ${r.speedupVsTfjs.toFixed(1).padStart(6)}`,
    );
  const main = rows[0]!;
  const pick = (model: string, mode: string) => {
    const r = rows.find((x) => x.model === model && x.mode.startsWith(mode))!;
    return { images: r.images, batch: r.batch, epochSeconds: r.epochSeconds, imagesPerSecond: r.imagesPerSecond, parameters: r.parameters };
  };
  const result = {
    images: IMAGES, batch: BATCH, epochSeconds: main.epochSeconds, imagesPerSecond: main.imagesPerSecond,
    model: 'conv3x3x8 → maxpool2 → conv3x3x16 → maxpool2 → dense(2)', parameters: main.parameters,
    tfjsEpochSeconds: TFJS_EPOCH_SECONDS, speedupVsTfjs: main.speedupVsTfjs, target: 'epochSeconds < 1.9 (20× TF.js)', meetsTarget: main.epochSeconds < TFJS_EPOCH_SECONDS / 20,
    smallCnn: pick('small CNN', 'train'),
    perExample: { benchCnn: pick('bench CNN', 'DP: per-example'), smallCnn: pick('small CNN', 'DP: per-example'), l2Clip: 1 },
    perExampleBatch1: { benchCnn: pick('bench CNN', 'DP: batch-1'), smallCnn: pick('small CNN', 'DP: batch-1') },
    quick, runs, node: process.version, cores: availableParallelism(), rows,
  };
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'train.json');
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
  if (!result.meetsTarget) process.exitCode = 1;
}
