import { seededRandom, utf8 } from '/work/main/packages/crypto/dist/src/index.js';
import * as dp from '/work/main/packages/dp/dist/src/index.js';
const d = 1e6, k = 10;
const rng = seededRandom('q3');
const seed = utf8('round 1');
for (const noise of ['gaussian', 'skellam']) {
const params = dp.chooseEncoding({ dim: d, l2Clip: 1, clients: k, noiseStddev: 0.001, noise, bits: 20 });
console.log({ ...params, noiseVariance: String(params.noiseVariance.num) + '/' + params.noiseVariance.den });
const xs = []; const encs = [];
for (let c = 0; c < 3; c++) {
  const x = new Float32Array(d); for (let i = 0; i < d; i++) x[i] = Math.sin(i * (c + 1)) * 0.002;
  xs.push(x);
  const t0 = performance.now();
  const e = dp.encodeUpdate(x, params, { roundSeed: seed, rng });
  console.log('encode ms', (performance.now() - t0).toFixed(1), e.norm, e.roundingAttempts);
  encs.push(e.words);
}
const t0 = performance.now();
const dec = dp.decodeSum(dp.sumMod(encs, params.bits), params, seed);
console.log('decode ms', (performance.now() - t0).toFixed(1));
const fs = xs.map((x) => Math.min(1, 1 / dp.l2Norm(x))); let err = 0; for (let i = 0; i < d; i++) { let s = 0; for (let c = 0; c < 3; c++) s += fs[c] * xs[c][i]; const e = dec[i] - s; err += e * e; }
console.log('rms err', Math.sqrt(err / d), 'expected noise', 0.001 * Math.sqrt(3));
}
const x = new Float64Array(1 << 20); for (let i = 0; i < x.length; i++) x[i] = Math.random();
let t0 = performance.now(); dp.fwht(x); console.log('fwht ms', performance.now() - t0);
t0 = performance.now(); dp.fwht(x); console.log('fwht ms', performance.now() - t0);
