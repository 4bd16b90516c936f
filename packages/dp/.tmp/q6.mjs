import { systemRandom, utf8 } from '/work/main/packages/crypto/dist/src/index.js';
import * as dp from '/work/main/packages/dp/dist/src/index.js';
const d = 1e6; const seed = utf8('s');
const p = dp.chooseEncoding({ dim: d, l2Clip: 1, clients: 100, noiseStddev: 0.01, bits: 20 });
const x = new Float32Array(d); for (let i = 0; i < d; i++) x[i] = (Math.random()*2-1)*0.003;
const w = new dp.RandomWords(systemRandom);
for (let r = 0; r < 6; r++) {
  const T = [performance.now()];
  const n = p.paddedDim;
  const signs = dp.rotationSigns(seed, n); T.push(performance.now());
  const y = new Float64Array(n); for (let i = 0; i < d; i++) { y[i] = x[i] * signs[i]; } T.push(performance.now());
  dp.fwht(y, 1/1024); T.push(performance.now());
  const norm = dp.l2Norm(y); const f = Math.min(1, 1/norm)/p.granularity; for (let i = 0; i < n; i++) y[i] *= f; T.push(performance.now());
  const r2 = new Float64Array(n); dp.conditionalRound(y, p.roundedNormBound, w, r2); T.push(performance.now());
  const out = new Uint32Array(n); for (let i = 0; i < n; i++) out[i] = (r2[i] >>> 0) & 0xfffff; T.push(performance.now());
  const t2 = performance.now(); dp.encodeUpdate(x, p, { roundSeed: seed, rng: w, addNoise: false }); const t3 = performance.now();
  console.log(T.slice(1).map((t, i) => (t - T[i]).toFixed(1)).join(' '), 'total', (T.at(-1) - T[0]).toFixed(1), 'encodeUpdate', (t3-t2).toFixed(1));
}
