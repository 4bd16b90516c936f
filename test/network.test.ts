/**
 * A real session between real processes over WebSockets: `tessera keygen`, `tessera roster …`, one
 * `tessera coordinator` and six `tessera node` processes running five rounds of secure sum, while
 * three nodes SIGKILL themselves at scheduled stages (TESSERA_FAULTS) and are restarted. Every
 * round file must hold exactly the plaintext sum over its survivors, and the coordinator must stay
 * up throughout. Also: a key that is not on the roster, and a roster pinning another coordinator
 * key, are refused with a clear error and a non-zero exit.
 */
import test from 'ava';
import { TesseraProcess as Proc, tessera, workspace, type Run } from './tessera.js';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SITES = 6;
const ROUNDS = 5;
const BITS = 16;
const D = 8;


/** Site u's input in round r. */
function inputOf(u: number, r: number): number[] {
  return Array.from({ length: D }, (_, i) => (u * 7919 + r * 104_729 + i * 31 + u * r * i) % 2 ** BITS);
}
function plainSum(survivors: readonly number[], r: number): number[] {
  const out = new Array<number>(D).fill(0);
  for (const u of survivors) inputOf(u, r).forEach((x, i) => (out[i] = (out[i]! + x) % 2 ** BITS));
  return out;
}

test('six node processes, five rounds, three SIGKILLed at scheduled stages and restarted: every round file is the survivors\' exact sum', async (t) => {
  const { dir, procs } = await workspace(t, 'network');
  const cli = (...args: string[]): Promise<Run> => tessera(args, { cwd: dir });
  const must = async (...args: string[]): Promise<Run> => {
    const run = await cli(...args);
    if (run.code !== 0) throw new Error(`tessera ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return run;
  };

  // Keys: the coordinator, six sites, and a stranger.
  const names = ['coord', ...Array.from({ length: SITES }, (_, i) => `site-${i + 1}`), 'stranger'];
  const keys = await Promise.all(names.map(async (n) => JSON.parse((await must('keygen', '--out', n, '--json')).stdout)));
  t.true(keys.every((k) => /^ts-[0-9a-f]{16}$/.test(k.memberId) && /^[0-9a-f]{64}$/.test(k.publicKey)));

  await must('roster', 'create', '--out', 'roster.json', '--name', 'network-test', '--coordinator-identity', 'coord/identity.json',
    '--bits', String(BITS), '--length', String(D), '--rounds', String(ROUNDS), '--dropout', '0.1');
  for (let u = 1; u <= SITES; u++) await must('roster', 'add', 'roster.json', '--name', `site-${u}`, '--key', keys[u].publicKey);
  const shown = JSON.parse((await must('roster', 'show', 'roster.json', '--json')).stdout);
  t.is(shown.members.length, SITES);
  t.is(shown.derived.t, 3);

  const stage = 5000;
  await writeFile(join(dir, 'coordinator.json'), JSON.stringify({
    roster: 'roster.json', identity: 'coord/identity.json', listen: { host: '127.0.0.1', port: 0 }, insecure: true, out: 'results',
    deadlines: { advertiseMs: stage, shareMs: stage, maskedMs: stage, consistencyMs: stage, unmaskMs: stage }, gatherMs: 5000, startTimeoutMs: 20_000,
    transcript: { dir: 'transcripts/coordinator' },
  }));
  const coordinator = new Proc(['coordinator', '--config', 'coordinator.json', '--json'], { cwd: dir });
  procs.push(coordinator);
  const listening = await coordinator.next((e) => e.type === 'listening');
  const url: string = listening.address;
  t.regex(url, /^ws:\/\/127\.0\.0\.1:\d+$/);

  for (let u = 1; u <= SITES; u++) {
    for (let r = 0; r < ROUNDS; r++) await writeFile(join(dir, `site-${u}`, `in-${r}.json`), JSON.stringify(inputOf(u, r)));
    await writeFile(join(dir, `site-${u}`, 'node.json'), JSON.stringify({
      roster: '../roster.json', identity: 'identity.json', coordinator: url, insecure: true, input: 'in-{round}.json', reconnect: { initialMs: 100, maxMs: 500 },
      transcript: { dir: `../transcripts/site-${u}` },
    }));
  }
  // Site 2 dies after advertise in round 1, site 4 after share in round 2, site 6 after masked in round 3.
  const faults = new Map([[2, { round: 1, stage: 'advertise' }], [4, { round: 2, stage: 'share' }], [6, { round: 3, stage: 'masked' }]]);
  const startNode = (u: number, withFault: boolean): Proc => {
    const f = faults.get(u);
    const p = new Proc(['node', '--config', `site-${u}/node.json`, '--json'], { cwd: dir, env: withFault && f ? { TESSERA_FAULTS: JSON.stringify({ killAfter: f }) } : {} });
    procs.push(p);
    return p;
  };
  const first = Array.from({ length: SITES }, (_, i) => startNode(i + 1, true));
  const killed = new Map<number, { signal: NodeJS.Signals | null }>();
  const restarted = new Map<number, Proc>();
  for (const u of faults.keys()) {
    void first[u - 1]!.exited.then((exit) => {
      killed.set(u, exit);
      restarted.set(u, startNode(u, false));
    });
  }

  // The refusals, while the session runs.
  await coordinator.next((e) => e.type === 'round-start' && e.round === 0);
  const strangerConfig = { roster: 'roster.json', identity: 'stranger/identity.json', coordinator: url, insecure: true, input: 'in-{round}.json' };
  await writeFile(join(dir, 'stranger.json'), JSON.stringify(strangerConfig));
  const notOnRoster = await cli('node', '--config', 'stranger.json');
  t.is(notOnRoster.code, 1);
  t.regex(notOnRoster.stderr, /^tessera node: .*stranger\/identity\.json: holds key ts-[0-9a-f]{16}, which is not a member of .*roster\.json/);
  // A stranger that lists itself on a roster of its own is turned away by the coordinator.
  const forged = JSON.parse(await readFile(join(dir, 'roster.json'), 'utf8'));
  forged.members[0].publicKey = keys[SITES + 1].publicKey;
  await writeFile(join(dir, 'forged-roster.json'), JSON.stringify(forged));
  await writeFile(join(dir, 'stranger2.json'), JSON.stringify({ ...strangerConfig, roster: 'forged-roster.json' }));
  const unknown = await cli('node', '--config', 'stranger2.json');
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /refused \(close code 400[13]\)/);
  // Site 1 holding a roster that pins another coordinator key refuses to go on.
  const otherCoordinator = JSON.parse(await readFile(join(dir, 'roster.json'), 'utf8'));
  otherCoordinator.coordinator.publicKey = keys[SITES + 1].publicKey;
  await writeFile(join(dir, 'other-coordinator.json'), JSON.stringify(otherCoordinator));
  await writeFile(join(dir, 'site-1', 'pinned.json'), JSON.stringify({ roster: '../other-coordinator.json', identity: 'identity.json', coordinator: url, insecure: true, input: 'in-{round}.json' }));
  const pinned = await cli('node', '--config', 'site-1/pinned.json');
  t.is(pinned.code, 1);
  t.regex(pinned.stderr, /refused \(close code 4005\): the coordinator's key is not the one this peer's roster pins/);

  const end = await coordinator.next((e) => e.type === 'session-end', 50_000);
  t.deepEqual({ completed: end.completed, aborted: end.aborted }, { completed: ROUNDS, aborted: 0 });
  t.deepEqual(await coordinator.exited, { code: 0, signal: null }, coordinator.stderr);
  t.regex(coordinator.stderr, /warning: INSECURE: plain ws:\/\//);

  // The coordinator stayed up: one listening event, and it saw every round through.
  t.is(coordinator.events.filter((e) => e.type === 'listening').length, 1);
  for (const [u, exit] of killed) t.is(exit.signal, 'SIGKILL', `site ${u} killed itself`);
  t.is(killed.size, 3);

  const records = new Map<number, any>(coordinator.events.filter((e) => e.type === 'round-end').map((e) => [e.round, e]));
  for (let r = 0; r < ROUNDS; r++) {
    const rec = records.get(r);
    t.true(rec?.ok, `round ${r}: ${rec?.code} ${rec?.reason}`);
    const file = JSON.parse(await readFile(join(dir, 'results', `round-${r}.json`), 'utf8'));
    t.deepEqual(Object.keys(file), ['round', 'survivors', 'bits', 'sum']);
    t.deepEqual(file, { round: r, survivors: rec.survivors, bits: BITS, sum: plainSum(rec.survivors, r) });
  }
  t.deepEqual(records.get(0).survivors, [1, 2, 3, 4, 5, 6]);
  // Died before sending shares / its masked input: not in the sum. Died after its masked input: in the sum.
  t.true(records.get(1).participants.includes(2) && !records.get(1).survivors.includes(2));
  t.true(records.get(2).participants.includes(4) && !records.get(2).survivors.includes(4));
  t.true(records.get(3).participants.includes(6) && records.get(3).survivors.includes(6));
  t.true(coordinator.events.some((e) => e.type === 'dropout' && e.round === 1 && e.stage === 'share' && e.members.includes(2)));
  // Each restarted site takes part in a later round, and its input is counted there.
  for (const [u, f] of faults) t.true([...records.values()].some((rec) => rec.round > f.round && rec.survivors.includes(u)), `site ${u} rejoined after round ${f.round}`);
  // Every surviving node process ends cleanly when the session ends.
  const others = [1, 3, 5].map((u) => first[u - 1]!);
  for (const p of [...others, ...restarted.values()]) t.deepEqual(await p.exited, { code: 0, signal: null }, p.stderr);

  // Every party kept a transcript (the killed sites' continued after their restart): the coordinator's
  // passes `tessera audit verify` (integrity and every protocol check, the sums recomputed), and the
  // cross-check of all seven finds no equivocation.
  const verify = await tessera(['audit', 'verify', 'transcripts/coordinator', '--roster', 'roster.json', '--json'], { cwd: dir, timeout: 60_000 });
  t.is(verify.code, 0, verify.stdout.slice(0, 2000) + verify.stderr);
  const report = JSON.parse(verify.stdout);
  t.true(report.ok && report.integrity.closed);
  t.is(report.checks.find((c: { id: string }) => c.id === 'sum').status, 'pass');
  const sites = Array.from({ length: SITES }, (_, i) => `transcripts/site-${i + 1}`);
  const cross = await tessera(['audit', 'cross-check', 'transcripts/coordinator', ...sites, '--roster', 'roster.json', '--json'], { cwd: dir, timeout: 60_000 });
  t.is(cross.code, 0, cross.stdout.slice(0, 2000) + cross.stderr);
  t.is(JSON.parse(cross.stdout).counts.equivocations, 0);
});

test('keygen, roster and config refusals: one clear line naming the file or flag, exit 1 (or 2 for usage)', async (t) => {
  const { dir } = await workspace(t, 'cli');
  const cli = (...args: string[]): Promise<Run> => tessera(args, { cwd: dir });
  const made = JSON.parse((await cli('keygen', '--out', 'k', '--json')).stdout);
  const again = await cli('keygen', '--out', 'k');
  t.is(again.code, 1);
  t.is(again.stderr, 'tessera keygen: k/identity.json: already exists; refusing to overwrite an identity (move it away first if you really mean to replace it)\n');
  const both = await cli('roster', 'create', '--out', 'r.json', '--name', 'x', '--length', '4', '--rounds', '1');
  t.is(both.code, 2);
  t.is(both.stderr, "tessera roster create: give exactly one of --coordinator-key or --coordinator-identity\nRun 'tessera roster create --help' for usage.\n");
  const badKey = await cli('roster', 'create', '--out', 'r.json', '--name', 'x', '--length', '4', '--rounds', '1', '--coordinator-key', 'abc');
  t.is(badKey.code, 2);
  t.regex(badKey.stderr, /^tessera roster create: invalid value 'abc' for --coordinator-key: expected 64 hex characters/);
  t.is((await cli('roster', 'create', '--out', 'r.json', '--name', 'x', '--length', '4', '--rounds', '1', '--coordinator-key', made.publicKey)).code, 0);
  const dup = await cli('roster', 'add', 'r.json', '--name', 'a', '--key', made.publicKey);
  t.is(dup.code, 1);
  t.regex(dup.stderr, /is the coordinator's key/);
  await writeFile(join(dir, 'bad.json'), '{"version": 1, "kind": "tessera-roster",}');
  const syntax = await cli('roster', 'show', 'bad.json');
  t.is(syntax.code, 1);
  t.is(syntax.stderr, 'tessera roster show: bad.json: not valid JSON at line 1, column 41: expected a property name in double quotes\n');
  await writeFile(join(dir, 'c.json'), JSON.stringify({ roster: 'r.json', identity: 'k/identity.json', listen: { host: '127.0.0.1', port: 0 }, out: 'o' }));
  const noTls = await cli('coordinator', '--config', 'c.json');
  t.is(noTls.code, 1);
  t.is(noTls.stderr, 'tessera coordinator: c.json: tls is missing: set tls {"cert", "key"} (PEM files), or "insecure": true for plain ws:// on a test machine\n');
  const show = await cli('roster', 'show', 'r.json');
  t.regex(show.stdout, /not runnable\s+r\.json: members lists 0 members; a session needs at least 2/);
});

test('SIGTERM stops a waiting coordinator and a retrying node cleanly; a bad TESSERA_FAULTS is refused', async (t) => {
  const { dir, procs } = await workspace(t, 'signal');
  const cli = (...args: string[]): Promise<Run> => tessera(args, { cwd: dir });
  const coord = JSON.parse((await cli('keygen', '--out', 'coord', '--json')).stdout);
  const site = JSON.parse((await cli('keygen', '--out', 'site', '--json')).stdout);
  const other = JSON.parse((await cli('keygen', '--out', 'other', '--json')).stdout);
  await cli('roster', 'create', '--out', 'roster.json', '--name', 'signals', '--coordinator-key', coord.publicKey, '--length', '2', '--rounds', '1');
  await cli('roster', 'add', 'roster.json', '--name', 'site', '--key', site.publicKey);
  await cli('roster', 'add', 'roster.json', '--name', 'other', '--key', other.publicKey);
  await writeFile(join(dir, 'coordinator.json'), JSON.stringify({ roster: 'roster.json', identity: 'coord/identity.json', listen: { host: '127.0.0.1', port: 0 }, insecure: true, out: 'results' }));
  const coordinator = new Proc(['coordinator', '--config', 'coordinator.json', '--json'], { cwd: dir });
  procs.push(coordinator);
  await coordinator.next((e) => e.type === 'waiting');
  coordinator.child.kill('SIGTERM');
  t.deepEqual(await coordinator.exited, { code: 1, signal: null });
  t.like(coordinator.events.find((e) => e.type === 'session-end'), { completed: 0, stopped: true });
  t.like(coordinator.events.find((e) => e.type === 'shutdown'), { signal: 'SIGTERM' });

  // Nothing listens now: the node retries until it is told to stop.
  await writeFile(join(dir, 'node.json'), JSON.stringify({ roster: 'roster.json', identity: 'site/identity.json', coordinator: 'ws://127.0.0.1:9', insecure: true, input: 'in-{round}.json' }));
  const node = new Proc(['node', '--config', 'node.json', '--json'], { cwd: dir });
  procs.push(node);
  await node.next((e) => e.type === 'retry');
  node.child.kill('SIGTERM');
  t.deepEqual(await node.exited, { code: 1, signal: null });
  t.like(node.events.find((e) => e.type === 'shutdown'), { signal: 'SIGTERM' });

  const bad = new Proc(['node', '--config', 'node.json'], { cwd: dir, env: { TESSERA_FAULTS: '{"killAfter":{"round":-1,"stage":"share"}}' } });
  procs.push(bad);
  t.deepEqual(await bad.exited, { code: 1, signal: null });
  t.regex(bad.stderr, /^tessera node: TESSERA_FAULTS must be \{"killAfter":\{"round":<integer ≥ 0>,"stage":"advertise"\|"share"\|"masked"\|"consistency"\|"unmask"\}\}\n$/);
});
