import test from 'ava';
import { dpCnn, dpCnnLayers, sgd } from '../src/index.js';

test('dpCnn has the documented architectures and sizes', (t) => {
  const m = dpCnn({ seed: 'x', optimizer: sgd({ learningRate: 0.1 }) });
  t.is(m.parameterCount, 2866);
  t.deepEqual(m.inputShape, [1, 28, 28]);
  t.is(m.classes, 2);
  t.deepEqual(m.architecture.layers.map((l) => l.type), ['conv2d', 'groupNorm', 'relu', 'maxPool', 'conv2d', 'groupNorm', 'relu', 'maxPool', 'flatten', 'dense']);
  t.is(dpCnn({ head: 'gap' }).parameterCount, 1330);
  t.is(dpCnn({ channels: [16, 32] }).parameterCount, 8034);
  t.is(dpCnn({ channels: [16, 32], head: 'gap' }).parameterCount, 4962);
  t.deepEqual(dpCnnLayers(2, { hidden: 32 }).slice(-4).map((l) => l.type), ['flatten', 'dense', 'relu', 'dense']);
  t.is(dpCnn({ hidden: 32 }).parameterCount, 2866 - 1570 + 784 * 32 + 32 + 32 * 2 + 2);
});

test('dpCnn: clipped per-example gradient sums work (the DP-SGD path) and bad options are rejected by name', (t) => {
  const m = dpCnn({ seed: 'g', optimizer: sgd({ learningRate: 0.1 }) });
  const inputs = new Float32Array(3 * 784).map((_, i) => Math.sin(i));
  const r = m.clippedGradientSum({ inputs, labels: [0, 1, 1] }, 0.1);
  let sq = 0;
  for (const v of r.sum) sq += v * v;
  t.true(Math.sqrt(sq) <= 0.3 + 1e-6);
  t.is(r.norms.length, 3);
  t.throws(() => dpCnnLayers(2, { channels: [6, 16], groups: 4 }), { instanceOf: RangeError, message: /groups/ });
  t.throws(() => dpCnnLayers(2, { head: 'pool' as never }), { instanceOf: RangeError, message: /^head/ });
  t.throws(() => dpCnnLayers(2, { hidden: -1 }), { instanceOf: RangeError, message: /^hidden/ });
});
