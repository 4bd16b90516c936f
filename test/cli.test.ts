/**
 * End-to-end tests of the `tessera` program: each runs the built executable as a child process, the
 * way a user or a script would, and checks its exit code, stdout and stderr.
 */
import test from 'ava';
import { json, noStackTrace, tessera } from './tessera.js';

/** The report without its timings (the only part that may differ between two runs of one seed). */
function withoutTimings(report: any): unknown {
  const { timings, ...rest } = report;
  return rest;
}


test('demo --seed 1 --json: valid JSON, correct, and reproducible', async (t) => {
  const [a, b] = await Promise.all([tessera(['demo', '--seed', '1', '--json']), tessera(['demo', '--seed', '1', '--json'])]);
  t.is(a.code, 0, a.stderr);
  const ra = json(a);
  const rb = json(b);
  t.is(ra.correct, true);
  t.is(ra.aborted, undefined);
  t.is(ra.seed, '1');
  t.deepEqual(withoutTimings(ra), withoutTimings(rb));
  t.is(typeof ra.timings.roundMs, 'number');
  t.like(ra.parameters, { n: 8, d: 1000, bits: 16, threat: 'malicious' });
  t.true(ra.parameters.t <= ra.parameters.k);
  t.is(ra.sumPreview.length, 8);
  t.is(ra.dropouts.length, 2, 'round(0.25 x 8) sites drop');
  // What each party saw is consistent with the survivors.
  const coordinator = ra.seen.coordinator;
  t.deepEqual(coordinator.maskedVectors.from, ra.survivors);
  t.deepEqual(coordinator.sum.survivors, ra.survivors);
  t.is(ra.seen.sites.length, 8);
  for (const site of ra.seen.sites) t.is(site.received.masked, undefined, 'no site receives a masked vector');
});

test('demo without --seed uses fresh randomness', async (t) => {
  const [a, b] = await Promise.all([tessera(['demo', '--json', '--length', '16']), tessera(['demo', '--json', '--length', '16'])]);
  t.is(json(a).correct, true);
  t.is(json(a).seed, null);
  t.notDeepEqual(json(a).seen.sites[0].input.preview, json(b).seen.sites[0].input.preview);
});

test('demo --drop at every stage still recovers the survivors\' sum', async (t) => {
  const run = await tessera(['demo', '--json', '--seed', 'stages', '--sites', '12', '--drop', '2:advertise,3:share,5:masked,7:consistency,9:unmask']);
  t.is(run.code, 0, run.stderr);
  const r = json(run);
  t.is(r.correct, true);
  t.is(r.dropoutSource, 'explicit');
  // Dropping at consistency or unmask comes after the masked vector was sent: those inputs count.
  t.deepEqual(r.survivors, [1, 4, 6, 7, 8, 9, 10, 11, 12]);
  t.deepEqual(r.seen.coordinator.revealedShares.maskKey.of, [5], 'mask-key shares only of the site that left after sharing');
  t.deepEqual(r.seen.coordinator.revealedShares.selfMask.of, r.survivors);
  const site = (u: number) => r.seen.sites[u - 1];
  t.like(site(2), { droppedAt: 'advertise', inSum: false, revealed: null });
  t.like(site(7), { droppedAt: 'consistency', inSum: true });
  t.is(site(9).revealed, null, 'site 9 left before unmasking');
  t.deepEqual(site(1).revealed.maskKeyOf, [5]);
});

test('demo --drop without a seed (system randomness) is correct too', async (t) => {
  const run = await tessera(['demo', '--json', '--sites', '10', '--drop', '3:masked,5:share,7:unmask']);
  t.is(run.code, 0, run.stderr);
  t.is(json(run).correct, true);
});

test('a demo that must abort exits 1 with the error code, in JSON too', async (t) => {
  const run = await tessera(['demo', '--json', '--sites', '5', '--drop', '1:share,2:share,3:share']);
  t.is(run.code, 1);
  const r = json(run);
  t.regex(r.aborted.code, /^ERR_[A-Z_]+$/);
  t.is(r.aborted.code, 'ERR_BELOW_THRESHOLD');
  t.is(typeof r.aborted.message, 'string');
  t.is(r.correct, false);
  t.is(r.survivors, null);
  t.true(run.stderr.includes('ERR_BELOW_THRESHOLD'));
  t.true(noStackTrace(run.stderr));

  const human = await tessera(['demo', '--sites', '5', '--drop', '1:share,2:share,3:share']);
  t.is(human.code, 1);
  t.regex(human.stdout, /ABORTED \(ERR_BELOW_THRESHOLD\)/);
});

test('human demo output names the parameters and fits 100 columns', async (t) => {
  const run = await tessera(['demo', '--seed', '1']);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stdout, /n=8 +k=7 \(complete graph\) +t=4 +bits=16 +d=1000/);
  t.regex(run.stdout, /CORRECT/);
  t.regex(run.stdout, /coordinator saw/);
  for (const line of run.stdout.split('\n')) t.true(line.length <= 100, `too wide: ${line}`);
});

test('--help works for the program and every command', async (t) => {
  const top = await tessera(['--help']);
  t.is(top.code, 0);
  t.regex(top.stdout, /Usage: tessera/);
  const commands = [...top.stdout.split('Commands:')[1]!.matchAll(/^ {2}(\w[\w-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  t.true(commands.includes('demo') && commands.includes('params'), `commands listed: ${commands.join(', ')}`);
  const runs = await Promise.all(commands.map((c) => tessera([c, '--help'])));
  runs.forEach((run, i) => {
    t.is(run.code, 0, `${commands[i]} --help`);
    t.regex(run.stdout, new RegExp(`Usage: tessera ${commands[i]}`));
    t.regex(run.stdout, /Examples:\n +\$ tessera /, `${commands[i]} --help shows an example`);
    t.is(run.stderr, '');
  });
  const viaHelp = await tessera(['help', 'demo']);
  t.is(viaHelp.code, 0);
  t.regex(viaHelp.stdout, /Usage: tessera demo/);
});

test('an unknown flag exits 2, naming the flag, with a hint', async (t) => {
  const run = await tessera(['demo', '--frobnicate']);
  t.is(run.code, 2);
  t.is(run.stdout, '');
  const lines = run.stderr.trimEnd().split('\n');
  t.is(lines.length, 2, run.stderr);
  t.regex(lines[0]!, /--frobnicate/);
  t.regex(lines[1]!, /--help/);
  t.true(noStackTrace(run.stderr));
});

test('bad values exit 2, naming the flag and what is wrong', async (t) => {
  const cases: [string[], RegExp][] = [
    [['demo', '--dropout', '2'], /--dropout.*\[0, 1\)/],
    [['demo', '--sites', 'many'], /--sites.*integer/],
    [['demo', '--drop', '3:sideways'], /--drop.*sideways/],
    [['demo', '--drop', '9:masked'], /--drop.*site 9/],
    [['demo', '--threat', 'evil'], /--threat.*malicious/],
    [['demo', '--threshold', '50'], /--threshold 50/],
    [['params', '--members', '100'], /--dropout/],
    [['params', '--members', '1', '--dropout', '0.1'], /--members/],
    [['nonsense'], /unknown command 'nonsense'/],
  ];
  const runs = await Promise.all(cases.map(([args]) => tessera(args)));
  runs.forEach((run, i) => {
    const [args, pattern] = cases[i]!;
    t.is(run.code, 2, args.join(' '));
    t.is(run.stdout, '', args.join(' '));
    t.regex(run.stderr, pattern, args.join(' '));
    t.regex(run.stderr, /--help/);
    t.true(noStackTrace(run.stderr));
  });
});

test('params --members 100 --dropout 0.1 --json: a sparse graph with t <= k', async (t) => {
  const run = await tessera(['params', '--members', '100', '--dropout', '0.1', '--json']);
  t.is(run.code, 0, run.stderr);
  const r = json(run);
  t.is(r.graph, 'sparse');
  t.true(r.t <= r.k && r.k < 99, `k=${r.k} t=${r.t}`);
  t.true(r.maxCorruptNeighbours < r.t);
  t.is(r.meetsTargets, true);
  t.true(r.abortLog2 <= -20);
  t.deepEqual(r.warnings, []);
});

test('params warns in plain language when the targets cannot be met', async (t) => {
  const [human, machine] = await Promise.all([
    tessera(['params', '--members', '10', '--dropout', '0.3']),
    tessera(['params', '--members', '10', '--dropout', '0.3', '--json']),
  ]);
  t.is(human.code, 0);
  t.regex(human.stdout, /warning: aborts are not rare/);
  const r = json(machine);
  t.is(r.meetsTargets, false);
  t.is(r.warnings.length, 1);
});
