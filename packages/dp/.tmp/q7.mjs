import { seededRandom } from '/work/main/packages/crypto/dist/src/index.js';
import * as dp from '/work/main/packages/dp/dist/src/index.js';
for (const [sigma, cut] of [[2, 2], [10, 12], [0.5, 1]]) {
  try {
    const dg = new dp.DiscreteGaussian(dp.toRational(sigma * sigma), seededRandom('x'), { tableCut: cut });
    const xs = new Float64Array(20000);
    const t0 = performance.now();
    for (let i = 0; i < xs.length; i++) { xs[i] = dg.sample(); if (performance.now() - t0 > 3000) { console.log('slow at', i, dg.stats); break; } }
    console.log(sigma, cut, dg.stats, performance.now() - t0);
  } catch (e) { console.log(sigma, cut, e.message); }
}
