/**
 * Distributed-DP benchmark (`pnpm bench dp [--quick]`): exact noise sampling throughput, the client
 * encoding pipeline and the server decoding at d = 10^6, next to the cost of masking the same vector
 * with RingAccumulator (the SecAgg client's dominant cost), all measured in the same process.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemRandom, utf8, withRingAccumulator, type MaskStream } from '@tessera/crypto';
import {
  DiscreteGaussian, NoisePool, RandomWords, Skellam, chooseEncoding, decodeSum, encodeUpdate, rotate, rotationSigns, sumMod, toRational,
  type EncodingParams, type NoiseSampler,
} from '@tessera/dp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** Median wall time of `reps` runs of f (after one warm-up run). */
function time(reps: number, f: () => void): number {
  f();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

interface SamplerRow { sampler: 'discrete-gaussian' | 'skellam'; sigma: number; d: number; ms: number; valuesPerSecond: number; proposalsPerValue: number; wordsPerValue: number; slowPaths: number }
interface PipelineRow { stage: string; d: number; paddedDim: number; ms: number; valuesPerSecond: number }
interface MaskRow { streams: number; words: number; ms: number }

export async function runDpBench(args: string[]): Promise<void> {
  const unknown = args.filter((a) => a !== '--quick');
  if (unknown.length) {
    process.stderr.write(`bench dp: unknown argument ${unknown[0]} (flags: --quick)\n`);
    process.exit(2);
  }
  const quick = args.includes('--quick');
  const reps = quick ? 3 : 7;
  const d = 1_000_000;
  const started = performance.now();

  // 1. Samplers: d values each, CSPRNG = systemRandom (crypto.getRandomValues), as in production.
  const samplers: SamplerRow[] = [];
  for (const kind of ['discrete-gaussian', 'skellam'] as const) {
    for (const sigma of quick ? [10, 1000] : [0.5, 2, 10, 1000, 1e6]) {
      const words = new RandomWords(systemRandom);
      const s: NoiseSampler = kind === 'skellam' ? new Skellam(toRational(sigma * sigma), words) : new DiscreteGaussian(toRational(sigma * sigma), words);
      const out = new Float64Array(d);
      const ms = time(reps, () => s.fill(out));
      const values = s.stats.samples / (kind === 'skellam' ? 2 : 1);
      samplers.push({
        sampler: kind, sigma, d, ms, valuesPerSecond: (d / ms) * 1000,
        proposalsPerValue: s.stats.iterations / values, wordsPerValue: words.wordsUsed / values, slowPaths: s.stats.slowPaths,
      });
      process.stderr.write(`  ${kind} σ=${sigma}: ${ms.toFixed(1)} ms per 10^6\n`);
    }
  }

  // 2. Client pipeline at d = 10^6 (n_pad = 2^20): 100 clients, clip 1, per-client noise stddev 0.01, 20-bit ring.
  const roundSeed = utf8('bench dp round');
  const x = new Float32Array(d);
  {
    const w = new RandomWords(systemRandom);
    for (let i = 0; i < d; i++) x[i] = ((w.u32() / 2 ** 32) * 2 - 1) * 0.003; // norm ≈ 1.7: clipped
  }
  const paramsFor = (noise: 'gaussian' | 'skellam'): EncodingParams =>
    chooseEncoding({ dim: d, l2Clip: 1, clients: 100, noiseStddev: 0.01, noise, bits: 20 });
  const pg = paramsFor('gaussian'), ps = paramsFor('skellam');
  const rng = new RandomWords(systemRandom);
  const pipeline: PipelineRow[] = [];
  const add = (stage: string, ms: number, n = d) => pipeline.push({ stage, d, paddedDim: pg.paddedDim, ms, valuesPerSecond: (n / ms) * 1000 });
  add('rotation signs from the round seed (AES-CTR bits)', time(reps, () => rotationSigns(roundSeed, pg.paddedDim)));
  const buf = new Float64Array(pg.paddedDim), signs = rotationSigns(roundSeed, pg.paddedDim);
  add('rotation H·D·x/√n (FWHT, 2^20)', time(reps, () => rotate(buf, signs)));
  add('encode, no noise (rotate, clip, scale, round, mod 2^b)', time(reps, () => encodeUpdate(x, pg, { roundSeed, rng, addNoise: false })));
  const dgSampler = new DiscreteGaussian(pg.noiseVariance, rng);
  const encG = time(reps, () => encodeUpdate(x, pg, { roundSeed, rng, sampler: dgSampler }));
  add(`encode + discrete Gaussian (grid σ = ${Math.sqrt(Number(pg.noiseVariance.num) / Number(pg.noiseVariance.den)).toFixed(0)})`, encG);
  const skSampler = new Skellam(ps.noiseVariance, rng);
  const encS = time(reps, () => encodeUpdate(x, ps, { roundSeed, rng, sampler: skSampler }));
  add(`encode + Skellam (grid σ = ${Math.sqrt(Number(ps.noiseVariance.num) / Number(ps.noiseVariance.den)).toFixed(0)})`, encS);
  // Noise drawn ahead of time by a NoisePool worker while the main thread is busy (a stand-in for local
  // training: masking work for 150 ms); then the round's critical path is take() + encode with that noise.
  const pool = new NoisePool({ noise: 'discrete-gaussian', variance: pg.noiseVariance, length: pg.paddedDim });
  const poolMs: number[] = [];
  const waitMs: number[] = [];
  {
    const busyV = new Uint32Array(pg.paddedDim);
    const busyKeys: MaskStream[] = [{ key: systemRandom(16), sign: 1 }];
    for (let i = 0; i <= reps; i++) {
      const until = performance.now() + 150;
      while (performance.now() < until) withRingAccumulator(busyV.length, (acc) => acc.addVector(busyV).addMasks(busyKeys));
      await new Promise((r) => setImmediate(r)); // the worker's message is delivered, as in any event-driven client
      const started = performance.now();
      const noise = await pool.take();
      const waited = performance.now() - started;
      encodeUpdate(x, pg, { roundSeed, rng, noise });
      if (i > 0) {
        poolMs.push(performance.now() - started);
        waitMs.push(waited);
      }
    }
    await pool.close();
  }
  const encPre = median(poolMs);
  add('encode + discrete Gaussian drawn by a NoisePool worker during training (critical path)', encPre);
  process.stderr.write(`  NoisePool: take() waited ${median(waitMs).toFixed(2)} ms (median): the buffer was drawn while the main thread worked\n`);
  const sum = sumMod([encodeUpdate(x, pg, { roundSeed, rng }).words], pg.bits);
  add('server decode (lift, ×γ, inverse rotation)', time(reps, () => decodeSum(sum, pg, roundSeed)));

  // 3. Masking the same client's vector as the SecAgg client does (withRingAccumulator: addVector,
  // addMasks, reducedView), with k + 1 streams: k = 18 and 24 are SecAgg+'s degrees at n = 100 for 10 %
  // and 20 % dropout (semi-honest), k = 42 the malicious-server degree at 10 %.
  const masks: MaskRow[] = [];
  for (const streams of [19, 25, 43]) {
    for (const words of [d, pg.paddedDim]) {
      const keys: MaskStream[] = Array.from({ length: streams }, (_, i) => ({ key: systemRandom(16), sign: i % 2 ? -1 : 1 }));
      const v = new Uint32Array(words);
      masks.push({ streams, words, ms: time(reps, () => withRingAccumulator(words, (acc) => acc.addVector(v).addMasks(keys).reducedView(pg.bits))) });
    }
  }
  const maskRef = masks.find((m) => m.streams === 19 && m.words === pg.paddedDim)!.ms;
  const maskRef25 = masks.find((m) => m.streams === 25 && m.words === pg.paddedDim)!.ms;
  const maskRef43 = masks.find((m) => m.streams === 43 && m.words === pg.paddedDim)!.ms;

  const fmt = (v: number, p = 1) => v.toFixed(p);
  const mvs = (v: number) => `${(v / 1e6).toFixed(2)} M/s`;
  console.log(`exact noise samplers, d = 10^6 values, systemRandom (median of ${reps})`);
  console.log('sampler            σ          ms     values/s    proposals/value  words/value  slow paths');
  for (const r of samplers)
    console.log(`${r.sampler.padEnd(18)} ${String(r.sigma).padEnd(9)} ${fmt(r.ms).padStart(7)}  ${mvs(r.valuesPerSecond).padStart(10)}  ${fmt(r.proposalsPerValue, 3).padStart(15)}  ${fmt(r.wordsPerValue, 2).padStart(11)}  ${String(r.slowPaths).padStart(10)}`);
  console.log(`\nclient pipeline, d = 10^6 (n_pad = ${pg.paddedDim}), ${pg.bits}-bit ring, γ = 2^${Math.log2(pg.granularity)}, wrap ≤ 2^${fmt(pg.wrapLog2)}`);
  console.log('stage                                                      ms     values/s');
  for (const r of pipeline) console.log(`${r.stage.padEnd(56)} ${fmt(r.ms).padStart(7)}  ${mvs(r.valuesPerSecond).padStart(10)}`);
  console.log('\nmasking as the SecAgg client does (withRingAccumulator: addVector + addMasks + reducedView), same process');
  console.log('streams  words      ms');
  for (const m of masks) console.log(`${String(m.streams).padEnd(8)} ${String(m.words).padEnd(10)} ${fmt(m.ms).padStart(6)}`);
  const share = (enc: number, mask: number) => `${fmt(enc / mask, 2)}× masking; ${fmt((100 * enc) / (enc + mask))}% of encode + mask`;
  console.log('\nshare of a client round (encode incl. noise vs masking n_pad words):');
  for (const [name, ms] of [['discrete Gaussian', encG], ['Skellam', encS], ['NoisePool (worker)', encPre]] as const)
    console.log(`  ${(name + ':').padEnd(20)}${fmt(ms)} ms = ${share(ms, maskRef)} (19 streams); ${share(ms, maskRef25)} (25); ${share(ms, maskRef43)} (43)`);
  console.log('  target: noise + encoding ≤ masking (ratio ≤ 1)');

  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'dp.json');
  writeFileSync(file, JSON.stringify({
    quick, node: process.version, d, reps, samplers, pipeline, masks,
    encoding: { gaussian: { ...pg, noiseVariance: `${pg.noiseVariance.num}/${pg.noiseVariance.den}` }, skellam: { ...ps, noiseVariance: `${ps.noiseVariance.num}/${ps.noiseVariance.den}` } },
    ratioToMasking: {
      gaussian19: encG / maskRef, gaussian25: encG / maskRef25, gaussian43: encG / maskRef43,
      skellam19: encS / maskRef, skellam25: encS / maskRef25, skellam43: encS / maskRef43,
      noisePool19: encPre / maskRef, noisePool25: encPre / maskRef25, noisePool43: encPre / maskRef43, noisePoolTakeWaitMs: median(waitMs),
    },
    wallSeconds: (performance.now() - started) / 1000,
  }, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
}
