/**
 * `tessera simulate` as a user runs it: flags, --config, --sweep, the output folder, errors.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { json, noStackTrace, root, tessera, workspace } from './tessera.js';

const FIXTURE = join(root, '../shared/datasets/pneumoniamnist/pneumoniamnist_fixture64.npz');
const present = existsSync(FIXTURE);
/** 4 sites on the 64-image fixture, t = 2, 2 rounds: a few seconds. */
const small = ['--data', FIXTURE, '--no-verify', '--sites', '4', '--threshold', '2', '--split', 'iid', '--min-per-site', '5', '--rounds', '2', '--sampling-rate', '0.5', '--dropout', '0'];
const lines = async (file: string) => (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
const untimed = (ls: { seconds: number }[]) => ls.map(({ seconds: _s, ...rest }) => rest);

test('a run writes its folder and prints summary.json; its config.json repeats it exactly', async (t) => {
  if (!present) return t.log(`SKIPPED: the fixture ${FIXTURE} is absent`);
  const { dir } = await workspace(t, 'simulate');
  const r = await tessera(['simulate', ...small, '--seed', 'cli', '--out', join(dir, 'a'), '--json'], { timeout: 120_000 });
  t.is(r.code, 0, r.stderr);
  const s = json(r);
  t.is(s.kind, 'tessera-simulation');
  t.is(s.sites, 4);
  t.is(s.rounds, 2);
  t.is(s.delta, 1e-5);
  t.true(s.epsilon > 0 && s.epsilon <= 8);
  t.deepEqual(s.baseline, { name: 'MedMNIST v2 ResNet-18 (28)', auc: 0.944, accuracy: 0.854 });
  for (const f of ['metrics.jsonl', 'summary.json', 'report.html', 'report.md', 'config.json']) t.true(existsSync(join(dir, 'a', f)), f);
  t.deepEqual(JSON.parse(await readFile(join(dir, 'a', 'summary.json'), 'utf8')), s);
  // The run's transcripts pass the auditor's tool: the coordinator's (every protocol check, sums
  // recomputed, ε re-accounted) and the cross-check with every site's.
  const roster = join(dir, 'a', 'transcripts', 'roster.json');
  const audit = await tessera(['audit', 'verify', join(dir, 'a', 'transcripts', 'coordinator'), '--roster', roster], { timeout: 60_000 });
  t.is(audit.code, 0, audit.stdout + audit.stderr);
  t.regex(audit.stdout, /verdict: PASS/);
  const sites = [1, 2, 3, 4].map((i) => join(dir, 'a', 'transcripts', `hospital-${i}`));
  const cross = await tessera(['audit', 'cross-check', join(dir, 'a', 'transcripts', 'coordinator'), ...sites, '--roster', roster], { timeout: 60_000 });
  t.is(cross.code, 0, cross.stdout + cross.stderr);
  // Progress: one line per round on stderr when it is not a terminal.
  t.regex(r.stderr, /round 1\/2 .*ε [0-9.]+ .*survivors 4/);
  t.regex(r.stderr, /round 2\/2 .*val AUC/);
  const again = await tessera(['simulate', '--config', join(dir, 'a', 'config.json'), '--out', join(dir, 'b'), '--json'], { timeout: 120_000 });
  t.is(again.code, 0, again.stderr);
  t.deepEqual(untimed(await lines(join(dir, 'b', 'metrics.jsonl'))), untimed(await lines(join(dir, 'a', 'metrics.jsonl'))));
  // Flags override the file.
  const other = await tessera(['simulate', '--config', join(dir, 'a', 'config.json'), '--seed', 'other', '--out', join(dir, 'c'), '--json'], { timeout: 120_000 });
  t.is(json(other).config.seed, 'other');
});

test('the human report names the baseline and where the report is', async (t) => {
  if (!present) return t.log(`SKIPPED: the fixture ${FIXTURE} is absent`);
  const { dir } = await workspace(t, 'simulate');
  const r = await tessera(['simulate', ...small, '--rounds', '1', '--out', join(dir, 'h')], { timeout: 120_000 });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /MedMNIST v2 ResNet-18 \(28\), central, no DP \(published\)\s*│?\s*0\.944/);
  t.regex(r.stdout, /report: .*report\.html/);
});

test('--sweep runs every value and draws the curve', async (t) => {
  if (!present) return t.log(`SKIPPED: the fixture ${FIXTURE} is absent`);
  const { dir } = await workspace(t, 'simulate');
  const r = await tessera(['simulate', ...small, '--rounds', '1', '--sweep', 'epsilon=2,inf', '--out', join(dir, 's'), '--json'], { timeout: 180_000 });
  t.is(r.code, 0, r.stderr);
  const s = json(r);
  t.is(s.kind, 'tessera-sweep');
  t.deepEqual(s.values, [2, 'inf']);
  t.is(s.points.length, 2);
  t.true(s.points[0].epsilon > 0 && s.points[0].epsilon <= 2);
  t.is(s.points[1].summary.epsilon, 'inf');
  for (const f of ['sweep.json', 'sweep.html', 'sweep.md', 'epsilon-2/report.html', 'epsilon-inf/metrics.jsonl']) t.true(existsSync(join(dir, 's', f)), f);
});

test('bad flags, configs and data are refused with the reason, exit 2 (or 1 for data)', async (t) => {
  const { dir } = await workspace(t, 'simulate');
  const cases: [string[], number, RegExp][] = [
    [['--epsilon', 'zero'], 2, /invalid value 'zero' for --epsilon/],
    [['--graph', 'star'], 2, /invalid value 'star' for --graph: expected 'auto', 'complete' or a neighbour degree/],
    [['--drop', '1:2'], 2, /invalid value '1:2' for --drop: expected ROUND:SITE:STAGE/],
    [['--dropout-stages', 'upload=0.1'], 2, /for --dropout-stages: expected STAGE=PROBABILITY/],
    [['--dropout', '0.1', '--drop', '1:1:masked'], 2, /give one of --dropout, --dropout-stages and --drop/],
    [['--sweep', 'lr=1,2'], 2, /--sweep sweeps one of epsilon, sites, dropout, alpha, rounds, got 'lr'/],
    [['--sites', '5', '--threshold', '5'], 2, /config\.secagg\.threshold must be in \[1, 4\], got 5/],
    [['--config', join(dir, 'missing.json')], 2, /--config .*missing\.json: cannot be read \(ENOENT\)/],
    [['--data', join(dir, 'nothing-here.npz')], 1, /nothing-here\.npz/],
  ];
  for (const [args, code, message] of cases) {
    const r = await tessera(['simulate', ...args, '--out', join(dir, 'x')], { timeout: 60_000 });
    t.is(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message, args.join(' '));
    t.true(noStackTrace(r.stderr), r.stderr);
    t.is(r.stdout, '');
  }
  await writeFile(join(dir, 'typo.json'), JSON.stringify({ privacy: { epsilom: 1 } }));
  const typo = await tessera(['simulate', '--config', join(dir, 'typo.json')]);
  t.is(typo.code, 2);
  t.regex(typo.stderr, /config\.privacy\.epsilom is not a known field \(known: unit, epsilon, delta, noiseMultiplier\)/);
  await writeFile(join(dir, 'bad.json'), '{ "sites": 5,');
  const bad = await tessera(['simulate', '--config', join(dir, 'bad.json')]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /bad\.json: is not valid JSON/);
});
