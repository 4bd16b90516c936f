import { seededRandom } from '/work/main/packages/crypto/dist/src/index.js';
import * as dp from '/work/main/packages/dp/dist/src/index.js';
const rng = seededRandom('q');
for (const [name, S, v] of [['dg', dp.DiscreteGaussian, '0.25'], ['dg', dp.DiscreteGaussian, '4'], ['dg', dp.DiscreteGaussian, '100'], ['dg', dp.DiscreteGaussian, '1000000'], ['dg', dp.DiscreteGaussian, '1000000000000'], ['sk', dp.Skellam, '0.25'], ['sk', dp.Skellam, '4'], ['sk', dp.Skellam, '100'], ['sk', dp.Skellam, '1000000'], ['sk', dp.Skellam, '1000000000000']]) {
  const s = new S(dp.toRational(v), rng);
  const n = 1e6; const out = new Float64Array(n);
  const t0 = performance.now(); s.fill(out); const ms = performance.now() - t0;
  let m = 0, q = 0; for (const x of out) { m += x; q += x * x; } m /= n; q = q / n - m * m;
  console.log(name, v, 'ms', ms.toFixed(1), 'mean', m.toFixed(3), 'var/σ²', (q / Number(v)).toFixed(4), JSON.stringify(s.stats));
}
