import { seededRandom, systemRandom } from '/work/main/packages/crypto/dist/src/index.js';
import * as dp from '/work/main/packages/dp/dist/src/index.js';
const out = new Float64Array(1e6);
function time(label, f) { const ts = []; for (let r = 0; r < 5; r++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); } ts.sort((a,b)=>a-b); console.log(label, ts.map(x => x.toFixed(1)).join(' ')); }
const w = new dp.RandomWords(systemRandom);
time('u32 x3e6', () => { let s = 0; for (let i = 0; i < 3e6; i++) s ^= w.u32(); });
time('log+exp 1e6', () => { let s = 0; for (let i = 0; i < 1e6; i++) s += Math.exp(-Math.log(i + 0.5) * 0.3); });
const st = dp.newStats();
time('geom t=4000 1e6', () => { for (let i = 0; i < 1e6; i++) dp.geometricExp(w, 4000, 4000n, st); });
const dg = new dp.DiscreteGaussian(dp.toRational(4000 ** 2), systemRandom);
time('dg σ=4000', () => dg.fill(out));
const sk = new dp.Skellam(dp.toRational(4000 ** 2), systemRandom);
time('sk σ=4000', () => sk.fill(out));
const rng = systemRandom;
time('systemRandom 4MB', () => rng(4e6));
