import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { verifyIntegrity } from '@tessera/audit';
import { simulate } from '@tessera/simulate';

const fixture = fileURLToPath(new URL('../../../../../shared/datasets/pneumoniamnist/pneumoniamnist_fixture64.npz', import.meta.url));
const present = existsSync(fixture);
/**
 * A small run on the 64-image fixture (train 38, val 12, test 14): 4 sites, complete graph, t = 2, so one
 * dropout leaves every member's seeds recoverable (with 3 sites and t = 2 a single dropout aborts: each
 * seed's shares are held by the 2 other members only).
 */
const small = { data: fixture, verify: false, sites: 4, secagg: { threshold: 2 }, split: 'iid', minPerSite: 5, rounds: 3, evaluateEvery: 1, dpsgd: { samplingRate: 0.5 }, seed: 'sim-test' };

const tmp = async (t: { teardown: (f: () => Promise<void>) => void }): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-simulate-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
};
const withoutTimes = (lines: readonly { seconds: number }[]) => lines.map(({ seconds: _s, ...rest }) => rest);

test('a run writes metrics.jsonl, summary.json and the reports; the same seed gives identical metrics', async (t) => {
  if (!present) return t.log(`SKIPPED: the fixture ${fixture} is absent`);
  const dir = await tmp(t);
  const events: string[] = [];
  const a = await simulate({ ...small, dropout: { schedule: [{ round: 2, site: 2, stage: 'masked' }] } }, { out: join(dir, 'a'), onEvent: (e) => events.push(e.type) });
  t.deepEqual(events, ['loaded', 'start', 'round', 'round', 'round', 'done']);
  const lines = (await readFile(join(dir, 'a', 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  t.is(lines.length, 3);
  t.deepEqual(lines, JSON.parse(JSON.stringify(a.rounds)));
  for (const l of lines) for (const k of ['round', 'loss', 'valAuc', 'testAuc', 'testAccuracy', 'epsilon', 'survivors', 'dropouts', 'seconds', 'bytesPerSite']) t.true(k in l, `metrics line lacks ${k}`);
  t.deepEqual(lines[1].survivors, [1, 3, 4]);
  t.deepEqual(lines[1].dropouts, [{ site: 2, stage: 'masked' }]);
  t.deepEqual(lines[0].survivors, [1, 2, 3, 4]);
  t.true(lines[2].epsilon > lines[0].epsilon, 'ε grows with the rounds');
  t.true(lines[0].bytesPerSite > 0);
  const summary = JSON.parse(await readFile(join(dir, 'a', 'summary.json'), 'utf8'));
  for (const k of ['testAuc', 'testAccuracy', 'balancedAccuracy', 'epsilon', 'delta', 'rounds', 'sites', 'wallSeconds', 'config']) t.true(k in summary, `summary lacks ${k}`);
  t.is(summary.rounds, 3);
  t.is(summary.sites, 4);
  t.is(summary.delta, 1e-5);
  t.true(summary.epsilon > 0 && summary.epsilon <= summary.epsilonWorstCase + 1e-9 && summary.epsilonWorstCase <= 8 + 1e-6);
  t.is(summary.config.seed, 'sim-test');
  const html = await readFile(join(dir, 'a', 'report.html'), 'utf8');
  t.regex(html, /<html/);
  t.regex(await readFile(join(dir, 'a', 'report.md'), 'utf8'), /AUC/);

  // Every party's transcript (coordinator + 4 sites) is complete, chained and signed.
  for (const party of ['coordinator', 'hospital-1', 'hospital-2', 'hospital-3', 'hospital-4']) {
    const v = await verifyIntegrity(join(dir, 'a', 'transcripts', party));
    t.true(v.ok && v.closed && v.verified === v.entries, `${party}: ${JSON.stringify(v.failures.slice(0, 2))}`);
  }

  const b = await simulate({ ...small, dropout: { schedule: [{ round: 2, site: 2, stage: 'masked' }] } }, { out: join(dir, 'b') });
  t.deepEqual(withoutTimes(b.rounds), withoutTimes(a.rounds));
  t.deepEqual(b.parameters, a.parameters);
  const c = await simulate({ ...small, seed: 'another', dropout: { schedule: [{ round: 2, site: 2, stage: 'masked' }] } });
  t.notDeepEqual(c.parameters, a.parameters);
});

test('FedAvg without DP reports no ε', async (t) => {
  if (!present) return t.log(`SKIPPED: the fixture ${fixture} is absent`);
  const r = await simulate({ ...small, rounds: 2, privacy: { unit: 'none' }, model: 'logistic', dropout: { rate: 0 } });
  t.is(r.summary.epsilon, null);
  t.is(r.summary.delta, null);
  t.true(r.rounds.every((l) => l.epsilon === null && l.survivors.length === 4));
});

test('--transport ws: a coordinator here and one process per site give the memory transport\'s model', async (t) => {
  if (!present) return t.log(`SKIPPED: the fixture ${fixture} is absent`);
  const dir = await tmp(t);
  const config = { ...small, dropout: { rate: 0 } };
  const memory = await simulate(config);
  const ws = await simulate({ ...config, transport: 'ws' }, { out: join(dir, 'ws') });
  t.deepEqual(ws.parameters, memory.parameters);
  t.is(ws.summary.modelSha256, memory.summary.modelSha256);
  t.regex(ws.summary.modelSha256, /^[0-9a-f]{64}$/);
  t.deepEqual(ws.rounds.map((l) => l.testAuc), memory.rounds.map((l) => l.testAuc));
  t.deepEqual(ws.rounds.map((l) => l.epsilon), memory.rounds.map((l) => l.epsilon));
  t.true(ws.rounds.every((l) => l.survivors.length === 4 && l.bytesPerSite > 0));
  t.true(existsSync(join(dir, 'ws', 'sites', 'hospital-1.log')));
  for (const party of ['coordinator', 'hospital-1', 'hospital-2', 'hospital-3', 'hospital-4']) {
    const v = await verifyIntegrity(join(dir, 'ws', 'transcripts', party));
    t.true(v.ok && v.closed && v.verified === v.entries, `${party}: ${JSON.stringify(v.failures.slice(0, 2))}`);
  }
});

test('--transport ws: a scheduled dropout is a real one (the site hangs up, then rejoins)', async (t) => {
  if (!present) return t.log(`SKIPPED: the fixture ${fixture} is absent`);
  const r = await simulate({ ...small, transport: 'ws', dropout: { schedule: [{ round: 2, site: 3, stage: 'masked' }] } });
  t.deepEqual(r.rounds.map((l) => l.survivors), [[1, 2, 3, 4], [1, 2, 4], [1, 2, 3, 4]]);
  t.deepEqual(r.rounds[1]!.dropouts, [{ site: 3, stage: 'masked' }]);
});
