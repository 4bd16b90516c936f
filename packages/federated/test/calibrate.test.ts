import test from 'ava';
import { seededRandom } from '@tessera/crypto';
import { PrivacyLedger, chooseEncoding, encodeUpdate } from '@tessera/dp';
import { calibrateDpSgd, dpSgdRound, federatedTrain, planDpSgd, planFedAvg } from '../src/index.js';
import { blobs, tinyModel } from './helpers.js';

/** ε of `rounds` worst-case rounds of the real plan for z (what calibrateDpSgd must bound). */
function worstEpsilon(o: { z: number; rounds: number; q: number; clip: number; sites: number; t: number; dim: number; population: number; delta?: number }): number {
  const plan = planDpSgd({ dim: o.dim, sites: o.sites, clip: o.clip, samplingRate: o.q, noiseMultiplier: o.z, nMin: o.t, population: o.population });
  const ledger = new PrivacyLedger({ unit: 'patient' });
  for (let r = 0; r < o.rounds; r++) ledger.addRound(dpSgdRound(plan, o.t));
  return ledger.epsilon(o.delta ?? 1e-5).epsilon;
}

const base = { delta: 1e-5, clip: 1, sites: 5, threshold: 3, dim: 2866, population: 4708 };

for (const [epsilon, rounds, q] of [[8, 60, 0.1], [1, 30, 0.2], [8, 20, 1]] as const) {
  test(`calibrateDpSgd: z meets ε = ${epsilon} over ${rounds} rounds at q = ${q} and 0.97·z does not`, (t) => {
    const c = calibrateDpSgd({ ...base, epsilon, rounds, samplingRate: q });
    t.true(c.noiseMultiplier > 0);
    t.true(c.epsilon <= epsilon, `achieved ${c.epsilon}`);
    t.true(c.epsilon > epsilon * 0.99, `achieved ${c.epsilon}: not the least noise`);
    const same = { rounds, q, clip: 1, sites: 5, t: 3, dim: 2866, population: 4708 };
    // The ledger a run builds (one round at a time) agrees.
    t.true(worstEpsilon({ ...same, z: c.noiseMultiplier }) <= epsilon);
    t.true(worstEpsilon({ ...same, z: c.noiseMultiplier * 0.97 }) > epsilon);
    // The plan numbers are the real plan's: σ_site = z·C/√t, sensitivity C + γ√n_pad.
    t.is(c.plan.encoding.beta, 0);
    t.is(c.paddedDim, 4096);
    t.true(Math.abs(c.siteStddev - c.noiseMultiplier / Math.sqrt(3)) < 1e-9);
    t.is(c.sensitivity, 1 + c.granularity * 64);
    // The continuous Gaussian accounting of the same z is never worse than the discrete one.
    t.true(c.epsilonGaussian <= c.epsilon + 1e-9);
  });
}

test('calibrateDpSgd: more rounds need more noise, and ε of a fixed z grows with rounds', (t) => {
  const zs = [10, 40, 160].map((rounds) => calibrateDpSgd({ ...base, epsilon: 4, rounds, samplingRate: 0.1 }).noiseMultiplier);
  t.true(zs[0]! < zs[1]! && zs[1]! < zs[2]!, `${zs}`);
  const es = [10, 40, 160].map((rounds) => worstEpsilon({ z: 1, rounds, q: 0.1, clip: 1, sites: 5, t: 3, dim: 2866, population: 4708 }));
  t.true(es[0]! < es[1]! && es[1]! < es[2]!, `${es}`);
});

test('calibrateDpSgd: epsilon = Infinity means no noise', (t) => {
  const c = calibrateDpSgd({ ...base, epsilon: Infinity, rounds: 10, samplingRate: 0.1 });
  t.is(c.noiseMultiplier, 0);
  t.is(c.epsilon, Infinity);
  t.is(c.siteStddev, 0);
});

test('calibrateDpSgd: validators name the bad argument', (t) => {
  const ok = { ...base, epsilon: 8, rounds: 10, samplingRate: 0.1 };
  for (const [field, value] of [
    ['epsilon', 0], ['epsilon', -1], ['epsilon', NaN], ['delta', 0], ['delta', 1], ['rounds', 0], ['rounds', 1.5], ['samplingRate', 0],
    ['samplingRate', 1.1], ['clip', 0], ['sites', 1], ['threshold', 0], ['threshold', 6], ['dim', 0], ['population', 0], ['bits', 40],
    ['encodingClip', -1], ['tolerance', 0],
  ] as const) {
    const e = t.throws(() => calibrateDpSgd({ ...ok, [field]: value }), { instanceOf: RangeError });
    t.true(e!.message.startsWith(`${field} `), e!.message);
  }
  t.throws(() => calibrateDpSgd(null as never), { instanceOf: TypeError });
});

test('dpSgdRound: only for a DP-SGD plan with unconditional rounding; clients must be a positive integer', (t) => {
  const plan = planDpSgd({ dim: 100, sites: 4, clip: 1, samplingRate: 0.5, noiseMultiplier: 1, nMin: 3, population: 200 });
  t.is(dpSgdRound(plan, 4).clients, 4);
  t.throws(() => dpSgdRound(plan, 0), { instanceOf: RangeError, message: /^clients / });
  t.throws(() => dpSgdRound(planFedAvg({ dim: 100, sites: 4 }) as never, 4), { instanceOf: TypeError });
  t.throws(() => dpSgdRound({ ...plan, encoding: { ...plan.encoding, beta: 0.5 } }, 4), { instanceOf: RangeError, message: /beta/ });
});

test('patient-level sensitivity: neighbouring site sums encoded with the same rounding randomness differ by < C/γ + √n_pad, coordinate by coordinate coupled', (t) => {
  // A site sum of 300 clipped gradients and its neighbour without one patient (a gradient of norm C),
  // encoded with the same private stream, as a site does in both worlds. (a) The ledger's bound
  // ‖r − r′‖ < C/γ + √n_pad holds with the plan's grid. (b) The coupling itself: on a coarse grid
  // (γ = C, so the rotated difference has ℓ1 norm ≤ √n_pad grid steps) unconditional rounding with shared
  // uniforms changes only ≈ ‖Δv‖₁ ≤ √n_pad coordinates, where independent rounding would change ≈ n_pad/3.
  const dim = 1000, C = 0.5;
  const plan = planDpSgd({ dim, sites: 5, clip: C, samplingRate: 1, noiseMultiplier: 1, nMin: 3, population: 1500 });
  const coarse = chooseEncoding({ dim, l2Clip: plan.encoding.l2Clip, clients: 5, noiseStddev: 0, granularity: C, beta: 0, bits: 32 });
  const n = plan.encoding.paddedDim;
  const u = seededRandom('sensitivity-test');
  const gauss = () => {
    const b = u(8), v = new DataView(b.buffer, b.byteOffset);
    return Math.sqrt(-2 * Math.log((v.getUint32(0, true) + 1) / 2 ** 32)) * Math.cos((2 * Math.PI * v.getUint32(4, true)) / 2 ** 32);
  };
  for (let trial = 0; trial < 10; trial++) {
    const sum = new Float64Array(dim), g = new Float64Array(dim);
    for (let j = 0; j < 300; j++) {
      let sq = 0;
      for (let i = 0; i < dim; i++) sq += (g[i] = gauss() + 0.3) ** 2;
      const f = (C / Math.sqrt(sq)) * 0.9;
      for (let i = 0; i < dim; i++) sum[i] += g[i]! * f;
    }
    const first = new Float64Array(dim);
    let sq = 0;
    for (let i = 0; i < dim; i++) sq += (first[i] = gauss()) ** 2;
    for (let i = 0; i < dim; i++) first[i] = (first[i]! * C) / Math.sqrt(sq); // the patient: norm C
    const neighbour = sum.map((v, i) => v - first[i]!);
    const roundSeed = u(32);
    for (const enc of [plan.encoding, coarse]) {
      const encode = (x: Float64Array) => encodeUpdate(x, enc, { roundSeed, rng: seededRandom(`rounding/${trial}`), addNoise: false }).words;
      const a = encode(sum), b = encode(neighbour);
      let d2 = 0;
      for (let i = 0; i < n; i++) d2 += ((a[i]! - b[i]!) | 0) ** 2; // the signed difference mod 2^32
      t.true(Math.sqrt(d2) < C / enc.granularity + Math.sqrt(n), `trial ${trial}, γ ${enc.granularity}: ${Math.sqrt(d2)}`);
      if (enc === coarse) t.true(d2 <= 2 * Math.sqrt(n), `trial ${trial}: ${d2} coordinates moved (independent rounding: ≈ ${Math.round(n / 3)})`);
    }
  }
});

test('a calibrated run stays within the target: the worst-case ε reported after the last round is ≤ ε', (t) => {
  const sites = [40, 60, 50, 30].map((n, i) => blobs(n, `cal-site-${i}`));
  const rounds = 5, q = 0.3;
  // Complete graph, no dropouts: t is what deriveParameters picks for 4 members.
  const probe = federatedTrain({ model: tinyModel, sites, rounds: 1, mode: 'dpsgd', seed: 'cal', secagg: { graph: 'complete' }, dp: { clip: 1, samplingRate: q, noiseMultiplier: 1 } });
  const c = calibrateDpSgd({ epsilon: 3, rounds, samplingRate: q, clip: 1, sites: 4, threshold: probe.threshold, dim: 65 * 2, population: 180 });
  const run = federatedTrain({
    model: tinyModel, sites, rounds, mode: 'dpsgd', seed: 'cal', secagg: { graph: 'complete' },
    dp: { clip: 1, samplingRate: q, noiseMultiplier: c.noiseMultiplier, delta: 1e-5 },
  });
  const last = run.rounds[rounds - 1]!;
  t.true(last.epsilonWorstCase! <= 3, `${last.epsilonWorstCase}`);
  t.true(Math.abs(last.epsilonWorstCase! - c.epsilon) < 1e-9 * c.epsilon);
  t.true(last.epsilon! <= last.epsilonWorstCase!);
});
