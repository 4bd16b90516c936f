import test from 'ava';
import { ConfigError, DEFAULT_CONFIG, dropoutRateOf, dropoutSchedule, parseSweep, pointConfig, resolveConfig } from '@tessera/simulate';

test('the defaults are the main job', (t) => {
  const c = resolveConfig({});
  t.deepEqual(c, DEFAULT_CONFIG);
  t.is(c.dataset, 'pneumoniamnist');
  t.is(c.sites, 5);
  t.is(c.split, 'label-skew');
  t.is(c.privacy.unit, 'patient');
  t.is(c.privacy.epsilon, 8);
  t.is(c.privacy.delta, 1e-5);
  t.is(c.dropout.rate, 0.1);
  t.is(c.transport, 'memory');
  t.true(Object.isFrozen(c) && Object.isFrozen(c.privacy));
});

test('nested fields merge over the defaults', (t) => {
  const c = resolveConfig({ sites: 10, privacy: { epsilon: 1 }, secagg: { graph: 4 } });
  t.is(c.sites, 10);
  t.is(c.privacy.epsilon, 1);
  t.is(c.privacy.delta, 1e-5);
  t.is(c.secagg.graph, 4);
  t.is(resolveConfig({ privacy: { epsilon: 'inf' } }).privacy.epsilon, 'inf');
});

const bad: [string, unknown, RegExp][] = [
  ['unknown top-level field', { site: 5 }, /^config\.site is not a known field/],
  ['unknown nested field', { privacy: { epsilom: 1 } }, /^config\.privacy\.epsilom is not a known field/],
  ['sites too few', { sites: 1 }, /^config\.sites must be in \[2, 1000\], got 1/],
  ['sites not integer', { sites: 2.5 }, /^config\.sites must be an integer/],
  ['epsilon zero', { privacy: { epsilon: 0 } }, /^config\.privacy\.epsilon must be in \(0/],
  ['epsilon string', { privacy: { epsilon: 'eight' } }, /^config\.privacy\.epsilon must be a number, got 'eight'/],
  ['split', { split: 'noniid' }, /^config\.split must be one of 'iid', 'label-skew', 'quantity-skew', got 'noniid'/],
  ['graph degree too high', { sites: 5, secagg: { graph: 5 } }, /^config\.secagg\.graph must be 'auto', 'complete' or a neighbour degree k in \[2, 4\]/],
  ['threshold too high', { sites: 5, secagg: { threshold: 5 } }, /^config\.secagg\.threshold must be in \[1, 4\]/],
  ['two dropout rules', { dropout: { rate: 0.1, stages: { masked: 0.1 } } }, /^config\.dropout takes one of rate, stages or schedule/],
  ['bad stage', { dropout: { stages: { upload: 0.1 } } }, /^config\.dropout\.stages\.upload is not a known field/],
  ['schedule site out of range', { sites: 3, dropout: { schedule: [{ round: 1, site: 4, stage: 'masked' }] } }, /^config\.dropout\.schedule\[0\]\.site must be in \[1, 3\]/],
  ['schedule round past the end', { rounds: 2, dropout: { schedule: [{ round: 3, site: 1, stage: 'masked' }] } }, /^config\.dropout\.schedule\[0\]\.round must be in \[1, 2\]/],
  ['not an object', [], /^config must be an object, got an array/],
  ['seed empty', { seed: '' }, /^config\.seed must be a non-empty string/],
];
for (const [what, input, message] of bad) {
  test(`refused, naming the field: ${what}`, (t) => {
    const e = t.throws(() => resolveConfig(input), { instanceOf: ConfigError });
    t.regex(e!.message, message);
  });
}

test('dropout schedules: explicit, per stage, per rate; all pure functions of the seed', (t) => {
  const explicit = dropoutSchedule(resolveConfig({ sites: 4, rounds: 5, dropout: { schedule: [{ round: 2, site: 3, stage: 'masked' }, { round: 2, site: 1, stage: 'share' }] } }));
  t.deepEqual([...explicit(1)].sort(), [[1, 'share'], [3, 'masked']]);
  t.is(explicit(0).size, 0);

  const stages = resolveConfig({ sites: 50, dropout: { stages: { share: 0.1, unmask: 0.2 } } });
  const s = dropoutSchedule(stages);
  let share = 0, unmask = 0, other = 0;
  for (let r = 0; r < 200; r++) for (const stage of s(r).values()) stage === 'share' ? share++ : stage === 'unmask' ? unmask++ : other++;
  // 10,000 site-rounds: share ≈ 1000, unmask ≈ 0.9 · 0.2 · 10,000 = 1800.
  t.is(other, 0);
  t.true(share > 850 && share < 1150, `share ${share}`);
  t.true(unmask > 1600 && unmask < 2000, `unmask ${unmask}`);
  t.deepEqual([...dropoutSchedule(stages)(7)], [...s(7)]);
  t.notDeepEqual([...dropoutSchedule(resolveConfig({ ...stages, seed: '2' }))(7)], [...s(7)]);
  t.true(Math.abs(dropoutRateOf(stages.dropout, 50, 1) - 0.28) < 1e-12);

  const rate = dropoutSchedule(resolveConfig({ sites: 100, dropout: { rate: 0.3 } }));
  let n = 0;
  for (let r = 0; r < 50; r++) n += rate(r).size;
  t.true(n > 1350 && n < 1650, `rate: ${n} of 5000`);
});

test('sweeps: parsed, each point a valid config', (t) => {
  t.deepEqual(parseSweep('epsilon=0.5,1,2,4,8,inf'), { parameter: 'epsilon', values: [0.5, 1, 2, 4, 8, 'inf'] });
  t.deepEqual(parseSweep('sites = 3, 5'), { parameter: 'sites', values: [3, 5] });
  t.throws(() => parseSweep('epsilon'), { message: /--sweep must look like PARAMETER=v1,v2/ });
  t.throws(() => parseSweep('lr=1,2'), { message: /--sweep sweeps one of epsilon, sites, dropout, alpha, rounds, got 'lr'/ });
  t.throws(() => parseSweep('sites=3,inf'), { message: /value 'inf' of sites is not a number/ });
  t.throws(() => parseSweep('epsilon=1,1'), { message: /has a value twice/ });
  const c = resolveConfig(pointConfig({ privacy: { delta: 1e-6, noiseMultiplier: 2 } }, parseSweep('epsilon=inf'), 'inf'));
  t.is(c.privacy.epsilon, 'inf');
  t.is(c.privacy.delta, 1e-6);
  t.is(c.privacy.noiseMultiplier, null);
  t.is(resolveConfig(pointConfig({ dropout: { stages: { masked: 0.1 } } }, parseSweep('dropout=0.3'), 0.3)).dropout.rate, 0.3);
});
