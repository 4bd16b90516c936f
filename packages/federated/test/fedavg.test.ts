import test from 'ava';
import { STAGES, openMessage, unpackWords, type Delivery } from '@tessera/secagg';
import { sumMod } from '@tessera/dp';
import { loadNpzPair } from '@tessera/data';
import { logisticRegression, sgd } from '@tessera/train';
import { Server, createFederation, federatedTrain, runFederatedRound, secureSum, type Federation, type LocalUpdate } from '../src/index.js';
import { blobs, fixturePath, haveFixture, l2, tinyModel } from './helpers.js';

const sizes = [37, 120, 64, 9];
const siteData = sizes.map((n, i) => blobs(n, `site-${i}`, [0.9, 0.5, 0.2, 0.6][i]));

function setup(seed = 'fedavg'): { f: Federation; locals: LocalUpdate[]; vectors: Uint32Array[]; roundSeed: Uint8Array; global: Float32Array } {
  const f = createFederation({ model: tinyModel, sites: siteData, mode: 'fedavg', localEpochs: 2, batchSize: 8, seed, secagg: { graph: 'complete' } });
  const global = f.server.parameters;
  const roundSeed = f.roundSeed(0);
  const locals = f.sites.map((s) => s.localUpdate(global, 0, f.plan));
  const vectors = f.sites.map((s, i) => s.encode(locals[i]!, 0, f.plan, roundSeed));
  return { f, locals, vectors, roundSeed, global };
}

/** The plain (unmasked, unencoded) weighted average over `members` (1-based). */
function plainAverage(locals: LocalUpdate[], members: readonly number[]): { mean: Float64Array; total: number } {
  const d = locals[0]!.update.length;
  const mean = new Float64Array(d);
  let total = 0;
  for (const u of members) {
    const l = locals[u - 1]!;
    total += l.count;
    for (let i = 0; i < d; i++) mean[i] += l.count * l.update[i]!;
  }
  for (let i = 0; i < d; i++) mean[i] /= total;
  return { mean, total };
}

test('FedAvg over SecAgg equals plain weighted averaging of the same deltas, within the documented precision', (t) => {
  const { f, locals, vectors, roundSeed, global } = setup();
  if (f.plan.mode !== 'fedavg') return t.fail();
  t.is(f.channel.session.vectorLength, f.plan.encoding.paddedDim + 1);
  const s = secureSum(f.channel, 0, vectors);
  t.deepEqual(s.survivors, [1, 2, 3, 4]);
  // The masks cancel exactly: the secure sum is the plain modular sum of the ring vectors.
  t.deepEqual(s.sum, sumMod(vectors, 32));
  const d = f.server.decode(s.sum!, roundSeed);
  const plain = plainAverage(locals, [1, 2, 3, 4]);
  t.is(d.total, 160 + 70); // the exact secure count total
  t.is(d.total, plain.total);
  const err = l2(d.mean, plain.mean);
  const bound = (f.plan.countBound * f.plan.sumErrorBound) / plain.total;
  t.true(err <= bound, `error ${err} > bound ${bound}`);
  t.true(err < 1e-3 * l2(plain.mean, new Float64Array(plain.mean.length)), `relative error ${err}`);
  for (const l of locals) t.true(l.norm > 0);
  // The server's step is θ + Δ̄.
  f.server.step(d);
  const after = f.server.parameters;
  t.true(after.every((v, i) => v === Math.fround(global[i]! + d.mean[i]!)));
});

test('the server receives only masked vectors: no site count or encoded update is visible', (t) => {
  const { f, locals, vectors } = setup('privacy');
  const toServer: Delivery[] = [];
  const s = secureSum(f.channel, 0, vectors, new Map(), (dl) => { if (dl.to === 0) toServer.push(dl); });
  t.truthy(s.sum);
  const masked = toServer.filter((dl) => dl.stage === 'masked');
  t.is(masked.length, 4);
  const n = f.plan.vectorLength;
  for (const dl of toServer) {
    const opened = openMessage(dl.bytes, f.channel.session, 'client');
    t.is(opened.message.from, dl.from);
    if (opened.message.type !== 'masked') {
      t.not(dl.stage, 'masked');
      continue;
    }
    const y = unpackWords(opened.message.data, 32, n);
    const x = vectors[dl.from - 1]!;
    let same = 0;
    for (let i = 0; i < n; i++) if (y[i] === x[i]) same++;
    t.true(same <= 2, `site ${dl.from}: ${same} of ${n} words unmasked`);
    t.not(y[n - 1], locals[dl.from - 1]!.count, 'the count word is masked');
  }
  // What the server can compute is the total only.
  t.is(s.sum![n - 1], sizes.reduce((a, b) => a + b, 0));
});

for (const stage of STAGES) {
  test(`a site dropping at '${stage}' leaves the exact weighted average over the survivors`, (t) => {
    const { f, locals, vectors, roundSeed } = setup(`drop-${stage}`);
    if (f.plan.mode !== 'fedavg') return t.fail();
    const s = secureSum(f.channel, 0, vectors, new Map([[2, stage]]));
    // A site that sent its masked input (dropping at consistency/unmask) is in the sum.
    const expected = STAGES.indexOf(stage) <= STAGES.indexOf('masked') ? [1, 3, 4] : [1, 2, 3, 4];
    t.deepEqual(s.survivors, expected);
    const d = f.server.decode(s.sum!, roundSeed);
    const plain = plainAverage(locals, expected);
    t.is(d.total, plain.total);
    t.true(l2(d.mean, plain.mean) <= (f.plan.countBound * f.plan.sumErrorBound) / plain.total);
  });
}

test('a whole round with dropouts: the survivors are reported and the count total is theirs', (t) => {
  const f = createFederation({ model: tinyModel, sites: siteData, mode: 'fedavg', seed: 'round', secagg: { graph: 'complete' } });
  const r = runFederatedRound(f, 0, new Map([[4, 'masked']]));
  t.deepEqual(r.survivors, [1, 2, 3]);
  t.is(r.total, 37 + 120 + 64);
  t.true(r.bytes > 0);
  t.falsy(r.aborted);
  // Too many dropouts: the round aborts and the model is unchanged.
  const before = f.server.parameters;
  const r2 = runFederatedRound(f, 1, new Map([[1, 'advertise'], [2, 'advertise'], [3, 'masked']]));
  t.truthy(r2.aborted);
  t.deepEqual(f.server.parameters, before);
});

test('determinism: the same seed gives the same run bit for bit, another seed does not', (t) => {
  const run = (seed: string) => federatedTrain({ model: tinyModel, sites: siteData, val: blobs(50, 'val'), test: blobs(50, 'test'), rounds: 3, mode: 'fedavg', seed, dropout: 0.3 });
  const a = run('s1'), b = run('s1'), c = run('s2');
  t.deepEqual(a.parameters, b.parameters);
  const strip = (r: typeof a) => r.rounds.map(({ seconds: _s, ...rest }) => rest);
  t.deepEqual(strip(a), strip(b));
  t.notDeepEqual(a.parameters, c.parameters);
  t.true(a.rounds.every((r) => r.val !== undefined && r.test !== undefined));
  t.true(a.best!.val.auc > 0.8, `val AUC ${a.best!.val.auc}`);
});

test('FedAvg learns on the PneumoniaMNIST fixture (64 images, 3 sites)', async (t) => {
  if (!haveFixture) return t.pass('SKIPPED: fixture absent');
  const ds = await loadNpzPair(fixturePath);
  const size = 28 * 28;
  const part = (a: number, b: number) => ({ inputs: ds.images.slice(a * size, b * size), labels: ds.labels.slice(a, b) });
  const model = (name: string) => logisticRegression({ seed: `fx/${name}`, optimizer: sgd({ learningRate: 0.05 }) });
  const r = federatedTrain({ model, sites: [part(0, 15), part(15, 30), part(30, 48)], val: part(48, 64), rounds: 3, mode: 'fedavg', seed: 'fx', normalize: { mean: 0.5719, std: 0.1684 } });
  t.is(r.rounds.length, 3);
  t.true(r.rounds.every((x) => x.total === 48));
  t.true(Number.isFinite(r.rounds[2]!.val!.loss));
});

test('fixed local steps and server momentum (FedAvgM): θ ← θ + η·v, v ← β·v + Δ̄', (t) => {
  const f = createFederation({ model: tinyModel, sites: siteData, mode: 'fedavg', seed: 'm', localSteps: 3, batchSize: 8, serverLr: 0.5, serverMomentum: 0.9, secagg: { graph: 'complete' } });
  const theta0 = f.server.parameters;
  const r0 = runFederatedRound(f, 0);
  t.is(r0.total, 230);
  // The server step itself, on known aggregates: v1 = Δ1, v2 = 0.9·Δ1 + Δ2.
  const p0 = f.server.parameters;
  const dim = p0.length;
  const d1 = Float64Array.from({ length: dim }, (_, i) => ((i % 7) - 3) * 1e-3);
  const d2 = Float64Array.from({ length: dim }, (_, i) => ((i % 5) - 2) * 1e-3);
  const g = new Server(f.server.trainer, f.plan, { serverLr: 0.5, serverMomentum: 0.9 });
  g.step({ mean: d1, total: 1, sum: d1 });
  g.step({ mean: d2, total: 1, sum: d2 });
  const p2 = g.parameters;
  t.true(p2.every((x, i) => Math.abs(x - (p0[i]! + 0.5 * d1[i]! + 0.5 * (0.9 * d1[i]! + d2[i]!))) < 1e-6));
  t.true(theta0.some((x, i) => x !== p0[i]));
  t.throws(() => createFederation({ model: tinyModel, sites: siteData, mode: 'fedavg', serverMomentum: 1 }), { instanceOf: RangeError });
});
