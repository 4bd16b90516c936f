import test from 'ava';
import { sumMod } from '@tessera/dp';
import { createFederation, federatedTrain, secureSum } from '../src/index.js';
import { blobs, tinyModel } from './helpers.js';

const siteData = [40, 60, 50, 30].map((n, i) => blobs(n, `dp-site-${i}`));

test('DP-SGD: the decoded sum is unbiased around the clipped-gradient sum, with variance k·σ_site²', (t) => {
  // q = 1: every example is in the batch, so each site's clipped-gradient sum is fixed and the only
  // randomness is the encoding's rounding and the discrete Gaussian noise.
  const f = createFederation({
    model: tinyModel, sites: siteData, mode: 'dpsgd', seed: 'dp', secagg: { graph: 'complete' },
    dp: { clip: 1, samplingRate: 1, noiseMultiplier: 1 },
  });
  if (f.plan.mode !== 'dpsgd') return t.fail();
  t.is(f.plan.nMin, f.channel.threshold);
  t.is(f.plan.siteStddev, 1 / Math.sqrt(f.plan.nMin));
  const global = f.server.parameters;
  const locals = f.sites.map((s) => s.localUpdate(global, 0, f.plan));
  const d = locals[0]!.update.length;
  const exact = new Float64Array(d);
  for (const l of locals) {
    t.is(l.count, f.sites[locals.indexOf(l)]!.size);
    for (let i = 0; i < d; i++) exact[i] += l.update[i]!;
  }
  // One round through the real SecAgg path decodes to the same thing as the plain modular sum.
  const seed0 = f.roundSeed(0);
  const v0 = f.sites.map((s, i) => s.encode(locals[i]!, 0, f.plan, seed0));
  const s0 = secureSum(f.channel, 0, v0);
  t.deepEqual(s0.sum, sumMod(v0, f.plan.encoding.bits));
  const dec0 = f.server.decode(s0.sum!, seed0);
  t.is(dec0.total, f.plan.samplingRate * f.plan.population);
  // The server's step: its optimiser (SGD, lr 0.05, first step) on the noised mean gradient.
  const before = f.server.parameters;
  f.server.step(dec0);
  const g = Float32Array.from(dec0.mean);
  t.true(f.server.parameters.every((v, i) => Math.abs(v - (before[i]! - 0.05 * g[i]!)) < 1e-6));
  // Many rounds (sumMod stands in for SecAgg, which the line above shows equal): mean and variance.
  const M = 300;
  const mean = new Float64Array(d), sq = new Float64Array(d);
  for (let r = 1; r <= M; r++) {
    const seed = f.roundSeed(r);
    const sum = sumMod(f.sites.map((s, i) => s.encode(locals[i]!, r, f.plan, seed)), f.plan.encoding.bits);
    const dec = f.server.decode(sum, seed).sum;
    for (let i = 0; i < d; i++) {
      const e = dec[i]! - exact[i]!;
      mean[i] += e / M;
      sq[i] += (e * e) / M;
    }
  }
  const sigma2 = f.sites.length * f.plan.siteStddev ** 2; // k sites' noise, each σ_site²
  // Per coordinate, the mean error over M rounds is N(0, σ²/M): z-scores must look standard normal.
  let zMean = 0, zSq = 0, varRatio = 0;
  for (let i = 0; i < d; i++) {
    const z = mean[i]! / Math.sqrt(sigma2 / M);
    zMean += z / d;
    zSq += (z * z) / d;
    varRatio += sq[i]! / sigma2 / d;
  }
  t.true(Math.abs(zMean) < 4 / Math.sqrt(d), `mean z ${zMean}`);
  t.true(Math.abs(zSq - 1) < 5 * Math.sqrt(2 / d), `mean z² ${zSq}`); // zSq ~ χ²_d/d: sd √(2/d)
  t.true(Math.abs(varRatio - 1) < 0.05, `variance ratio ${varRatio}`);
});

test('DP-SGD training: per-round privacy accounting with the worst case n_min and the survivors present', (t) => {
  const run = (seed: string) => federatedTrain({
    model: tinyModel, sites: siteData, val: blobs(60, 'dp-val'), rounds: 4, mode: 'dpsgd', seed, secagg: { graph: 'complete' },
    dp: { clip: 1, samplingRate: 0.2, noiseMultiplier: 1.1, delta: 1e-5 },
    dropout: (r) => new Map(r === 2 ? [[3, 'advertise' as const]] : []),
  });
  const a = run('dp1');
  t.is(a.rounds.length, 4);
  const eps = a.rounds.map((r) => r.epsilon!);
  for (let i = 1; i < eps.length; i++) t.true(eps[i]! > eps[i - 1]!);
  for (const r of a.rounds) t.true(r.epsilonWorstCase! >= r.epsilon! - 1e-12);
  t.deepEqual(a.rounds[2]!.survivors, [1, 2, 4]);
  t.is(a.ledger!.toJSON().rounds.length, 4);
  // Every completed round is accounted as the distributed discrete Gaussian actually used: the plan's grid,
  // the realised per-site stddev, the per-example clip, unconditional rounding, n_pad, q; clients = the
  // survivors (a round with a dropout records 3, not 4) and, in the worst-case ledger, t.
  if (a.plan.mode !== 'dpsgd') return t.fail();
  const enc = a.plan.encoding;
  t.is(enc.beta, 0);
  const rounds = a.ledger!.toJSON().rounds as unknown as { mechanism: string; clients?: number }[];
  t.deepEqual(rounds.map((r) => r.clients), [4, 4, 3, 4]);
  for (const r of rounds) {
    t.deepEqual(r, {
      mechanism: 'ddgauss', granularity: enc.granularity, localStddev: enc.noiseStddev, clients: r.clients, l2Clip: 1, beta: 0,
      rounding: true, dim: enc.paddedDim, samplingRate: 0.2,
    });
  }
  t.true(Math.abs(enc.noiseStddev - (1.1 * 1) / Math.sqrt(a.threshold)) < 1e-9 * enc.noiseStddev);
  t.deepEqual((a.worstCaseLedger!.toJSON().rounds as unknown as { clients?: number }[]).map((r) => r.clients), [a.threshold, a.threshold, a.threshold, a.threshold]);
  t.is(a.rounds[3]!.epsilonWorstCase, a.worstCaseLedger!.epsilon(1e-5).epsilon);
  t.is(a.rounds[3]!.epsilon, a.ledger!.epsilon(1e-5).epsilon);
  // Determinism from the seed, noise included.
  const b = run('dp1');
  t.deepEqual(a.parameters, b.parameters);
  t.notDeepEqual(a.parameters, run('dp2').parameters);
});
