import test from 'ava';
import {
  adam, conv2d, dense, dropout, flatten, gather, randomShift, groupNorm, logisticRegression, maxPool, poissonSample, relu, sequential, sgd, smallCnn, streamFor,
  type Examples,
} from '../src/index.js';
import { blobs } from './helpers.js';

const slice = (d: Examples, i: number, size: number): Examples => ({
  inputs: d.inputs.subarray(i * size, (i + 1) * size),
  labels: [d.labels[i]!],
});

const tinyCnn = (seed = 'tiny', extra: ReturnType<typeof relu>[] = []) =>
  sequential([conv2d({ filters: 4, kernel: 3 }), groupNorm(2), relu(), maxPool(2), flatten(), ...extra, dense(2)], { inputShape: [1, 8, 8], seed, optimizer: sgd({ learningRate: 0.1 }) });

test('perExampleGradients equals single-example gradients exactly (float32), and averages to the batch gradient', (t) => {
  const model = tinyCnn();
  const data = blobs(7, 8, 'pe');
  const P = model.parameterCount;
  const per = model.perExampleGradients(data);
  t.is(per.length, 7 * P);
  const mean = new Float64Array(P);
  for (let i = 0; i < 7; i++) {
    const one = model.gradient(slice(data, i, 64)).gradient;
    t.deepEqual(per.subarray(i * P, (i + 1) * P), one, `example ${i}`);
    for (let j = 0; j < P; j++) mean[j] += one[j]! / 7;
  }
  const batch = model.gradient(data).gradient;
  let err = 0, scale = 0;
  for (let j = 0; j < P; j++) {
    err = Math.max(err, Math.abs(batch[j]! - mean[j]!));
    scale = Math.max(scale, Math.abs(mean[j]!));
  }
  t.true(err <= 1e-5 * scale, `batch vs mean of per-example: ${err} (scale ${scale})`);
});

test('perExampleGradients across chunk boundaries matches the unchunked result', (t) => {
  const a = sequential([flatten(), dense(3), relu(), dense(2)], { inputShape: [1, 8, 8], seed: 'c', chunkSize: 3 });
  const b = sequential([flatten(), dense(3), relu(), dense(2)], { inputShape: [1, 8, 8], seed: 'c', chunkSize: 64 });
  const data = blobs(10, 8, 'chunk');
  t.deepEqual(a.perExampleGradients(data), b.perExampleGradients(data));
});

test('clippedGradientSum: every per-example contribution has L2 norm ≤ C and the sum is Σ clip(g_i)', (t) => {
  const model = tinyCnn('clip');
  const data = blobs(20, 8, 'clip');
  const P = model.parameterCount;
  const per = model.perExampleGradients(data);
  const norms = Array.from({ length: 20 }, (_, i) => Math.hypot(...per.subarray(i * P, (i + 1) * P)));
  const sorted = [...norms].sort((a, b) => a - b);
  const C = sorted[10]!; // about half the examples are clipped
  const r = model.clippedGradientSum(data, C);
  t.true(r.clipped >= 9 && r.clipped <= 10, `clipped ${r.clipped}`);
  const want = new Float64Array(P);
  for (let i = 0; i < 20; i++) {
    t.true(Math.abs(r.norms[i]! - norms[i]!) <= 1e-5 * norms[i]!);
    const f = Math.min(1, C / norms[i]!);
    let sq = 0;
    for (let j = 0; j < P; j++) {
      const v = Math.fround(f * per[i * P + j]!);
      sq += v * v;
      want[j] += f * per[i * P + j]!;
    }
    t.true(Math.sqrt(sq) <= C * (1 + 1e-7), `example ${i}: clipped norm ${Math.sqrt(sq)} > C = ${C}`);
  }
  let err = 0;
  for (let j = 0; j < P; j++) err = Math.max(err, Math.abs(r.sum[j]! - want[j]!));
  t.true(err < 1e-4 * C, `sum error ${err}`);
  // The norm of the sum is bounded by n·C (each term ≤ C).
  t.true(Math.hypot(...r.sum) <= 20 * C);
  // With a huge C nothing is clipped and the sum is n × the batch-mean gradient.
  const big = model.clippedGradientSum(data, 1e9);
  t.is(big.clipped, 0);
  const g = model.gradient(data).gradient;
  for (let j = 0; j < P; j += 7) t.true(Math.abs(big.sum[j]! - 20 * g[j]!) < 1e-4 * Math.max(1, Math.abs(big.sum[j]!)));
  t.throws(() => model.clippedGradientSum(data, 0), { instanceOf: RangeError, message: /l2Clip/ });
  t.throws(() => model.clippedGradientSum(data, Number.NaN), { instanceOf: TypeError, message: /l2Clip/ });
});

test('sgd with momentum, Nesterov and weight decay matches hand-computed steps', (t) => {
  const p = new Float64Array([1, -2]);
  const opt = sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.5 });
  opt.step(p, new Float64Array([0.2, 0.4]));
  // g' = g + 0.5θ = [0.7, −0.6]; v = g'; θ = θ − 0.1·v = [0.93, −1.94]
  t.true(Math.abs(p[0]! - 0.93) < 1e-12 && Math.abs(p[1]! + 1.94) < 1e-12, `${p}`);
  opt.step(p, new Float64Array([0.2, 0.4]));
  // g' = [0.2 + 0.465, 0.4 − 0.97] = [0.665, −0.57]; v = 0.9·[0.7, −0.6] + g' = [1.295, −1.11]; θ = [0.93 − 0.1295, −1.94 + 0.111]
  t.true(Math.abs(p[0]! - 0.8005) < 1e-12 && Math.abs(p[1]! + 1.829) < 1e-12, `${p}`);
  const q = new Float64Array([1]);
  const nes = sgd({ learningRate: 0.1, momentum: 0.5, nesterov: true });
  nes.step(q, new Float64Array([1])); // v = 1; θ −= 0.1·(1 + 0.5·1) = 0.85
  t.true(Math.abs(q[0]! - 0.85) < 1e-12);
  const plain = new Float64Array([3]);
  sgd({ learningRate: 0.5 }).step(plain, new Float64Array([2])); // 3 − 1
  t.is(plain[0], 2);
  t.throws(() => sgd({ learningRate: -1 }), { instanceOf: RangeError, message: /learningRate/ });
  t.throws(() => sgd({ learningRate: 0.1, momentum: 1 }), { instanceOf: RangeError, message: /momentum/ });
});

test('adam (and AdamW decay) matches hand-computed steps', (t) => {
  const p = new Float64Array([1, 1]);
  const opt = adam({ learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 0 });
  opt.step(p, new Float64Array([0.5, -2]));
  // Step 1: m̂ = g, v̂ = g², update = lr·sign(g)
  t.true(Math.abs(p[0]! - 0.9) < 1e-12 && Math.abs(p[1]! - 1.1) < 1e-12, `${p}`);
  opt.step(p, new Float64Array([1, -2]));
  // Step 2, θ0: m = 0.9·0.05 + 0.1·1 = 0.145, m̂ = 0.145/0.19; v = 0.999·0.00025 + 0.001·1 = 0.00124975, v̂ = v/0.001999
  const m = 0.145 / 0.19, v = 0.00124975 / (1 - 0.999 ** 2);
  t.true(Math.abs(p[0]! - (0.9 - (0.1 * m) / Math.sqrt(v))) < 1e-12, `${p[0]}`);
  t.true(Math.abs(p[1]! - 1.2) < 1e-12, `${p[1]}`); // constant gradient: step lr·sign(g) again
  const w = new Float64Array([2]);
  adam({ learningRate: 0.1, weightDecay: 0.5, epsilon: 0 }).step(w, new Float64Array([3]));
  t.true(Math.abs(w[0]! - (2 * (1 - 0.05) - 0.1)) < 1e-12, `${w[0]}`); // θ(1 − ηλ) − η·sign(g)
});

test('determinism: same seed and data → identical parameters after training; different seed → different', (t) => {
  const data = blobs(40, 8, 'det');
  const run = (seed: string) => {
    const m = sequential([conv2d({ filters: 4, kernel: 3 }), relu(), maxPool(2), flatten(), dense(8), relu(), dropout(0.25), dense(2)], {
      inputShape: [1, 8, 8], seed, optimizer: adam({ learningRate: 0.01 }),
    });
    m.trainEpochs(data, { epochs: 2, batchSize: 8 });
    m.clippedGradientSum(data, 1);
    return m.getParameters();
  };
  const a = run('s1');
  t.deepEqual(a, run('s1'));
  t.notDeepEqual(a, run('s2'));
});

test('a tiny learnable problem (two blobs) is learned to > 95 % test accuracy', (t) => {
  const train = blobs(400, 12, 'blobs train'), testSet = blobs(200, 12, 'blobs test');
  const model = sequential([conv2d({ filters: 4, kernel: 3 }), groupNorm(2), relu(), maxPool(2), flatten(), dense(2)], {
    inputShape: [1, 12, 12], seed: 'learn', optimizer: sgd({ learningRate: 0.05, momentum: 0.9 }),
  });
  const before = model.evaluate(testSet).accuracy;
  const epochs = model.trainEpochs(train, { epochs: 4, batchSize: 16 });
  const after = model.evaluate(testSet);
  t.true(after.accuracy > 0.95, `accuracy ${after.accuracy} (before ${before})`);
  t.true(epochs[3]!.loss < epochs[0]!.loss);
  t.is(after.probabilities.length, 400);
  t.true(Math.abs(after.probabilities[0]! + after.probabilities[1]! - 1) < 1e-6);
  // Logistic regression learns it too.
  const lr = logisticRegression({ inputShape: [1, 12, 12], seed: 'lr', optimizer: sgd({ learningRate: 0.05 }) });
  lr.trainEpochs(train, { epochs: 5, batchSize: 16 });
  t.true(lr.evaluate(testSet).accuracy > 0.95);
});

test('the Trainer API validates its arguments and names them', (t) => {
  const model = tinyCnn();
  const P = model.parameterCount;
  t.throws(() => model.setParameters(new Float32Array(P + 1)), { instanceOf: RangeError, message: /params/ });
  t.throws(() => model.setParameters(new Float64Array(P) as never), { instanceOf: TypeError, message: /params/ });
  const nan = new Float32Array(P);
  nan[3] = Number.NaN;
  t.throws(() => model.setParameters(nan), { instanceOf: RangeError, message: /params\[3\]/ });
  t.throws(() => model.trainStep({ inputs: new Float32Array(63), labels: [0] }), { instanceOf: RangeError, message: /batch\.inputs/ });
  t.throws(() => model.trainStep({ inputs: new Float32Array(64), labels: [2] }), { instanceOf: RangeError, message: /batch\.labels\[0\]/ });
  t.throws(() => sequential([dense(1)], { inputShape: [4] }), { instanceOf: RangeError, message: /2 logits/ });
  t.throws(() => sequential([conv2d({ filters: 2, kernel: 3 }), groupNorm(3), flatten(), dense(2)], { inputShape: [1, 4, 4] }), { instanceOf: RangeError, message: /layer 1: groupNorm groups/ });
  t.throws(() => conv2d({ filters: 0, kernel: 3 }), { instanceOf: RangeError, message: /conv2d filters/ });
  t.throws(() => dropout(1), { instanceOf: RangeError, message: /dropout rate/ });
  const p = model.getParameters();
  p[0] = 42;
  t.not(model.getParameters()[0], 42); // a copy
  model.setParameters(p);
  t.is(model.getParameters()[0], 42);
});

test('smallCnn has the documented architecture and size', (t) => {
  const m = smallCnn({ seed: 'x' });
  t.is(m.parameterCount, 105442);
  t.deepEqual(m.inputShape, [1, 28, 28]);
  t.is(m.classes, 2);
  t.deepEqual(m.architecture.layers.map((l) => l.type), ['conv2d', 'groupNorm', 'relu', 'maxPool', 'conv2d', 'groupNorm', 'relu', 'maxPool', 'flatten', 'dense', 'relu', 'dense']);
});

test('poissonSample is deterministic per seed with mean size q·n; gather copies the chosen examples', (t) => {
  const a = poissonSample(10000, 0.05, streamFor('s', 'batches'));
  t.deepEqual(a, poissonSample(10000, 0.05, streamFor('s', 'batches')));
  t.true(Math.abs(a.length - 500) < 5 * Math.sqrt(10000 * 0.05 * 0.95), `size ${a.length}`);
  t.true(a.every((x, i) => i === 0 || x > a[i - 1]!));
  t.is(poissonSample(100, 0, streamFor('s', 'b')).length, 0);
  t.is(poissonSample(100, 1, streamFor('s', 'b')).length, 100);
  const data = blobs(6, 8, 'g');
  const b = gather(data, [4, 1]);
  t.deepEqual(b.inputs, Float32Array.from([...data.inputs.subarray(256, 320), ...data.inputs.subarray(64, 128)]));
  t.deepEqual(Array.from(b.labels), [data.labels[4], data.labels[1]]);
  t.throws(() => gather(data, [6]), { instanceOf: RangeError, message: /indices\[0\]/ });
  t.throws(() => poissonSample(10, 1.5, streamFor('s', 'b')), { instanceOf: RangeError, message: /rate/ });
});

test('randomShift moves each image by at most maxShift with edge clamping, reproducibly', (t) => {
  // One 1×3×4 image with distinct values; maxShift 0 is the identity.
  const img = { inputs: Float32Array.from({ length: 12 }, (_, i) => i), labels: [0] };
  t.deepEqual(randomShift(img, [1, 3, 4], { maxShift: 0 }, streamFor('a', 'aug')).inputs, img.inputs);
  const seen = new Set<string>();
  const u = streamFor('a', 'aug');
  for (let k = 0; k < 60; k++) {
    const out = randomShift(img, [1, 3, 4], { maxShift: 1 }, u).inputs;
    // Recover (dx, dy) from the centre-ish pixel (1, 1) = 5: out(1,1) = in(1+dy, 1+dx).
    const v = out[5]!, dy = Math.floor(v / 4) - 1, dx = (v % 4) - 1;
    t.true(Math.abs(dx) <= 1 && Math.abs(dy) <= 1);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) {
      const sy = Math.min(2, Math.max(0, y + dy)), sx = Math.min(3, Math.max(0, x + dx));
      t.is(out[y * 4 + x], sy * 4 + sx);
    }
    seen.add(`${dx},${dy}`);
  }
  t.is(seen.size, 9); // all nine shifts occur
  t.deepEqual(randomShift(img, [1, 3, 4], { maxShift: 1, flip: true }, streamFor('b', 'aug')), randomShift(img, [1, 3, 4], { maxShift: 1, flip: true }, streamFor('b', 'aug')));
  t.throws(() => randomShift(img, [1, 3, 4], { maxShift: 3 }, u), { instanceOf: RangeError, message: /maxShift/ });
});

test('trainEpochs without shuffling equals a loop of trainStep; gradient + applyGradient equals trainStep', (t) => {
  const data = blobs(20, 8, 'loop');
  const a = tinyCnn('loop'), b = tinyCnn('loop'), c = tinyCnn('loop');
  const [epoch] = a.trainEpochs(data, { batchSize: 8, shuffle: false });
  let loss = 0;
  for (let s = 0; s < 20; s += 8) {
    const m = Math.min(8, 20 - s);
    const batch = { inputs: data.inputs.subarray(s * 64, (s + m) * 64), labels: data.labels.subarray(s, s + m) };
    loss += b.trainStep(batch).loss * m;
    c.applyGradient(c.gradient(batch).gradient);
  }
  t.deepEqual(a.getParameters(), b.getParameters());
  t.deepEqual(b.getParameters(), c.getParameters());
  t.true(Math.abs(epoch!.loss - loss / 20) < 1e-12);
});

test('evaluate and predict are deterministic (dropout off) and agree', (t) => {
  const m = tinyCnn('eval', [dropout(0.5)]);
  const data = blobs(9, 8, 'eval');
  const e1 = m.evaluate(data, 4), e2 = m.evaluate(data);
  t.deepEqual(e1.probabilities, e2.probabilities);
  t.deepEqual(m.predict(data.inputs), e1.probabilities);
  t.is(e1.accuracy, e1.predictions.reduce((s, p, i) => s + (p === data.labels[i] ? 1 : 0), 0) / 9);
});
