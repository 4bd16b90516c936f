import { systemRandom, utf8 } from '/work/main/packages/crypto/dist/src/index.js';
import * as dp from '/work/main/packages/dp/dist/src/index.js';
function time(label, f) { f(); const ts = []; for (let r = 0; r < 5; r++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); } ts.sort((a,b)=>a-b); console.log(label.padEnd(20), ts.map(x => x.toFixed(1)).join(' ')); }
const n = 2 ** 20; const seed = utf8('s');
const x = new Float64Array(n); for (let i = 0; i < n; i++) x[i] = Math.random();
time('alloc 8MB', () => new Float64Array(n));
time('signs', () => dp.rotationSigns(seed, n));
const signs = dp.rotationSigns(seed, n);
time('fwht', () => dp.fwht(x, 1/1024));
time('rotate', () => dp.rotate(x, signs));
time('clip', () => dp.clipL2(x, 1e9));
time('l2norm', () => dp.l2Norm(x));
const out = new Float64Array(n); const w = new dp.RandomWords(systemRandom);
time('round', () => dp.conditionalRound(x, Infinity, w, out));
