import { seededRandom } from '/work/main/packages/crypto/dist/src/index.js';
import * as dp from '/work/main/packages/dp/dist/src/index.js';
const w = new dp.RandomWords(seededRandom('q'));
const st = dp.newStats();
const t = 1000001;
let bad = 0;
for (let i = 0; i < 1e6; i++) { const before = st.slowPaths; dp.geometricExp(w, t, BigInt(t), st); }
console.log(st);
// inspect reasons
const U53 = 2**-53, M = 2**-36;
let r1=0,r2=0,r3=0;
for (let i = 0; i < 1e6; i++) {
  const u = w.u53(); const x = u*U53;
  const g = Math.floor(-t * Math.log(x + U53 / 2));
  const upper = g === 0 ? 1 + M : Math.exp(-g / t);
  if (!(x + U53 <= upper - M)) { r1++; if (r1 < 4) console.log('upper', x, g, upper, x + U53 - upper); }
  else if (!(x >= Math.exp(-(g + 1) / t) + M)) { r2++; if (r2<4) console.log('lower', x, g, Math.exp(-(g + 1) / t), x - Math.exp(-(g + 1) / t)); }
}
console.log(r1, r2);
