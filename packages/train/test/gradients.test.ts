/**
 * Gradient checks of every layer and the loss against central finite differences, in float64 (the same
 * layer code as training, instantiated over Float64Array). A wrong gradient gives relative errors of
 * order 1; correct ones give ~1e-8 or less.
 */
import test from 'ava';
import {
  avgPool, conv2d, dense, dropout, flatten, groupNorm, maxPool, Network, relu, softmaxCrossEntropy, type LayerConfig,
} from '../src/index.js';
import { checkLayer, layer64, randn } from './helpers.js';

const TOL = 1e-6;
const cases: [string, LayerConfig, number[]][] = [
  ['conv2d 3×3 same, 2→3 channels', conv2d({ filters: 3, kernel: 3 }), [2, 6, 5]],
  ['conv2d 3×3 stride 2 valid', conv2d({ filters: 2, kernel: 3, stride: 2, padding: 'valid' }), [2, 7, 7]],
  ['conv2d 5×5 padding 1, 1 channel, 5 filters', conv2d({ filters: 5, kernel: 5, padding: 1 }), [1, 6, 6]],
  ['conv2d 1×1', conv2d({ filters: 4, kernel: 1 }), [3, 3, 3]],
  ['maxPool 2', maxPool(2), [2, 6, 6]],
  ['maxPool 3 stride 2 (overlapping, odd size)', maxPool({ size: 3, stride: 2 }), [2, 7, 7]],
  ['avgPool 2', avgPool(2), [3, 4, 5]],
  ['avgPool 3 stride 1', avgPool({ size: 3, stride: 1 }), [1, 5, 5]],
  ['dense on images', dense(5), [2, 3, 3]],
  ['dense on vectors, 7 outputs', dense(7), [9]],
  ['relu', relu(), [2, 4, 4]],
  ['groupNorm 2 groups of 2 channels', groupNorm(2), [4, 3, 3]],
  ['groupNorm 1 group (layer norm)', groupNorm(1), [3, 2, 2]],
  ['groupNorm groups = channels (instance norm)', groupNorm(4), [4, 3, 2]],
  ['dropout 0.3 (fixed mask)', dropout(0.3), [2, 3, 3]],
  ['flatten', flatten(), [2, 3, 3]],
];

for (const [name, config, shape] of cases) {
  test(`gradient check: ${name}`, (t) => {
    const { layer, params } = layer64(config, shape, name);
    const n = 3;
    const x = randn(n * shape.reduce((a, b) => a * b, 1), `${name} x`);
    const r = checkLayer(layer, params, x, n, `${name} r`);
    t.true(r.dx < TOL, `dL/dx relative error ${r.dx}`);
    t.true(r.dparams < TOL, `dL/dθ relative error ${r.dparams}`);
    if (layer.paramCount) t.true(params.length > 0);
  });
}

test('the gradient check catches a wrong gradient (a layer with a deliberately perturbed backward)', (t) => {
  const { layer, params } = layer64(dense(3), [4], 'bad');
  const backward = layer.backward.bind(layer);
  layer.backward = (dy, n, grad, go, gs, needDx) => {
    const dx = backward(dy, n, grad, go, gs, needDx);
    if (grad) grad[0] = grad[0]! * 1.01; // a 1 % error in one weight's gradient
    return dx;
  };
  const r = checkLayer(layer, params, randn(8, 'bad x'), 2);
  t.true(r.dparams > 1e-4, `relative error ${r.dparams} should expose the bug`);
});

test('gradient check: softmax cross-entropy', (t) => {
  const n = 4, K = 5;
  const z = randn(n * K, 'logits', 3);
  const labels = [0, 4, 2, 2];
  const d = new Float64Array(n * K);
  const loss = softmaxCrossEntropy(z, labels, n, K, d, 1);
  const h = 1e-6;
  let err = 0;
  for (let i = 0; i < z.length; i++) {
    const v = z[i]!;
    z[i] = v + h;
    const lp = softmaxCrossEntropy(z, labels, n, K, null, 1);
    z[i] = v - h;
    const lm = softmaxCrossEntropy(z, labels, n, K, null, 1);
    z[i] = v;
    err = Math.max(err, Math.abs((lp - lm) / (2 * h) - d[i]!));
  }
  t.true(err < 1e-8, `max abs error ${err}`);
  // Known value: uniform logits give log K per example; huge logits stay finite (stable log-sum-exp).
  t.is(softmaxCrossEntropy(new Float64Array(K), [1], 1, K, null, 1), Math.log(K));
  const big = new Float64Array([1000, 0]);
  t.is(softmaxCrossEntropy(big, [0], 1, 2, null, 1), 0);
  t.true(Math.abs(softmaxCrossEntropy(big, [1], 1, 2, null, 1) - 1000) < 1e-9);
  t.true(loss > 0);
});

test('gradient check: a whole CNN with GroupNorm, pooling, dropout off, through the loss (float64)', (t) => {
  const net = new Network(
    [conv2d({ filters: 4, kernel: 3 }), groupNorm(2), relu(), maxPool(2), conv2d({ filters: 4, kernel: 3 }), avgPool(2), flatten(), dense(6), relu(), dense(3)],
    { inputShape: [2, 8, 8], seed: 'net', dtype: 'float64' },
  );
  const n = 3;
  const x = randn(n * 128, 'net x');
  const labels = [0, 2, 1];
  const P = net.parameterCount;
  const grad = new Float64Array(P);
  net.lossAndGradient(x, labels, n, grad, 0, 1, false);
  const loss = (): number => {
    const z = net.forward(x, n, false);
    return softmaxCrossEntropy(z, labels, n, 3, null, 1);
  };
  const h = 1e-5, params = net.params;
  let err = 0, scale = 1e-3;
  for (let i = 0; i < P; i++) {
    const v = params[i]!;
    params[i] = v + h;
    const lp = loss();
    params[i] = v - h;
    const lm = loss();
    params[i] = v;
    const num = (lp - lm) / (2 * h);
    err = Math.max(err, Math.abs(num - grad[i]!));
    scale = Math.max(scale, Math.abs(num));
  }
  t.true(err / scale < 1e-6, `relative error ${err / scale} over ${P} parameters`);
});

test('per-example gradient slices (stride = P) equal batch-of-1 runs and sum to the batch gradient (float64)', (t) => {
  const configs = [conv2d({ filters: 3, kernel: 3 }), groupNorm(3), relu(), maxPool(2), flatten(), dense(2)];
  const net = new Network(configs, { inputShape: [1, 6, 6], seed: 'pe', dtype: 'float64' });
  const n = 5, P = net.parameterCount;
  const x = randn(n * 36, 'pe x');
  const labels = [0, 1, 1, 0, 1];
  const per = new Float64Array(n * P);
  net.lossAndGradient(x, labels, n, per, P, 1, false);
  const sum = new Float64Array(P);
  net.lossAndGradient(x, labels, n, sum, 0, 1, false);
  for (let i = 0; i < n; i++) {
    const one = new Float64Array(P);
    net.lossAndGradient(x.subarray(i * 36, (i + 1) * 36), [labels[i]!], 1, one, 0, 1, false);
    t.deepEqual(per.subarray(i * P, (i + 1) * P), one, `example ${i}`);
  }
  for (let j = 0; j < P; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += per[i * P + j]!;
    t.true(Math.abs(s - sum[j]!) < 1e-12 * Math.max(1, Math.abs(s)), `parameter ${j}`);
  }
});
