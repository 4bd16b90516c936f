/**
 * Privacy budgets through the `tessera` program: the roster's --dp-* flags and what `roster show` says
 * about ε, `tessera budget show`, a node refusing to start without a budget, and a real session of
 * `tessera coordinator` and four `tessera node` processes in which every node adds noise, keeps its
 * ledger, and one node stops taking part when its cap is reached.
 */
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_LEDGER_ORDERS, composeRdp, epsilonFromRdp, roundRdp, type DdgaussRound } from '@tessera/dp';
import { BudgetLedger } from '@tessera/node';
import { TesseraProcess as Proc, json, noStackTrace, tessera, workspace } from './tessera.js';


const epsilon = (cost: DdgaussRound, rounds: number, delta: number): number =>
  epsilonFromRdp(DEFAULT_LEDGER_ORDERS, composeRdp([roundRdp(cost, DEFAULT_LEDGER_ORDERS)], [rounds]), delta, 'improved').epsilon;

/** Keys, and a roster with `sites` members created with `flags`. */
async function setup(dir: string, sites: number, flags: readonly string[]): Promise<void> {
  const must = async (...args: string[]) => {
    const run = await tessera(args);
    if (run.code !== 0) throw new Error(`tessera ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return run;
  };
  await must('keygen', '--out', join(dir, 'coord'));
  await must('roster', 'create', '--out', join(dir, 'roster.json'), '--name', 'dp-test', '--coordinator-identity', join(dir, 'coord/identity.json'), ...flags);
  for (let u = 1; u <= sites; u++) {
    await must('keygen', '--out', join(dir, `site-${u}`));
    await must('roster', 'add', join(dir, 'roster.json'), '--name', `site-${u}`, '--identity', join(dir, `site-${u}/identity.json`));
  }
}

test('roster create --dp-*: session.privacy in the file; roster show gives the worst-case ε per round and over all rounds', async (t) => {
  const dir = (await workspace(t, 'budget-cli')).dir;
  await setup(dir, 4, ['--bits', '16', '--length', '1000', '--rounds', '10', '--threshold', '3', '--graph', 'complete', '--dp-local-stddev', '40', '--dp-l2-clip', '100', '--dp-delta', '1e-6']);
  const roster = JSON.parse(await readFile(join(dir, 'roster.json'), 'utf8'));
  t.deepEqual(roster.session.privacy, { mechanism: 'ddgauss', localStddev: 40, l2Clip: 100, delta: 1e-6, unit: 'site' });
  const cost: DdgaussRound = { mechanism: 'ddgauss', granularity: 1, localStddev: 40, clients: 3, l2Clip: 100, beta: 0, dim: 1000, rounding: false };
  const shown = json(await tessera(['roster', 'show', join(dir, 'roster.json'), '--json']));
  t.is(shown.derived.t, 3);
  t.like(shown.derived.privacy, { delta: 1e-6, conversion: 'improved', worstCaseClients: 3 });
  t.true(Math.abs(shown.derived.privacy.epsilonPerRound - epsilon(cost, 1, 1e-6)) < 1e-9);
  t.true(Math.abs(shown.derived.privacy.epsilonAllRounds - epsilon(cost, 10, 1e-6)) < 1e-9);
  const text = await tessera(['roster', 'show', join(dir, 'roster.json')]);
  t.is(text.code, 0, text.stderr);
  t.true(text.stdout.includes(`${epsilon(cost, 1, 1e-6).toFixed(2)} per round, ${epsilon(cost, 10, 1e-6).toFixed(2)} over all 10 rounds at δ = 1e-6`), text.stdout);
  // Without the flags: no privacy, exactly as before.
  const plain = await tessera(['roster', 'create', '--out', join(dir, 'plain.json'), '--name', 'p', '--coordinator-identity', join(dir, 'coord/identity.json'), '--length', '8', '--rounds', '2']);
  t.is(plain.code, 0, plain.stderr);
  t.false('privacy' in JSON.parse(await readFile(join(dir, 'plain.json'), 'utf8')).session);
  // Half a privacy declaration is a usage error.
  const half = await tessera(['roster', 'create', '--out', join(dir, 'half.json'), '--name', 'h', '--coordinator-identity', join(dir, 'coord/identity.json'), '--length', '8', '--rounds', '2', '--dp-local-stddev', '3']);
  t.is(half.code, 2);
  t.regex(half.stderr, /give both --dp-local-stddev and --dp-l2-clip/);
  const small = await tessera(['roster', 'create', '--out', join(dir, 'small.json'), '--name', 'h', '--coordinator-identity', join(dir, 'coord/identity.json'), '--length', '8', '--rounds', '2', '--dp-local-stddev', '0.1', '--dp-l2-clip', '1']);
  t.is(small.code, 2);
  t.regex(small.stderr, /invalid value '0\.1' for --dp-local-stddev/);
});

test('budget show --json lists datasets, spends and ε; a corrupt ledger is refused naming it', async (t) => {
  const dir = (await workspace(t, 'budget-cli')).dir;
  const file = join(dir, 'budget.json');
  const cost: DdgaussRound = { mechanism: 'ddgauss', granularity: 1, localStddev: 10, clients: 3, l2Clip: 20, beta: 0, dim: 100, rounding: false };
  const ledger = await BudgetLedger.open(file);
  const session = 'ab'.repeat(32);
  for (let r = 0; r < 3; r++) await ledger.spend('pneumonia', cost, { session, round: r }, { epsilon: 100, delta: 1e-5 });
  await ledger.spend('chest-ct', cost, { session, round: 0 }, { epsilon: 100, delta: 1e-5 });
  const all = json(await tessera(['budget', 'show', '--ledger', file, '--json']));
  t.is(all.command, 'budget show');
  t.is(all.delta, 1e-5);
  t.deepEqual(all.datasets.map((d: any) => [d.name, d.rounds, d.unit]), [['chest-ct', 1, 'site'], ['pneumonia', 3, 'site']]);
  const p = all.datasets[1];
  t.true(Math.abs(p.epsilon - epsilon(cost, 3, 1e-5)) < 1e-9);
  t.is(p.conversion, 'improved');
  t.deepEqual(p.spends.map((s: any) => [s.session, s.round, s.cost]), [0, 1, 2].map((r) => [session, r, cost]));
  const one = json(await tessera(['budget', 'show', '--ledger', file, '--dataset', 'pneumonia', '--delta', '1e-7', '--json']));
  t.deepEqual(one.datasets.map((d: any) => d.name), ['pneumonia']);
  t.true(Math.abs(one.datasets[0].epsilon - epsilon(cost, 3, 1e-7)) < 1e-9);
  const text = await tessera(['budget', 'show', '--ledger', file]);
  t.is(text.code, 0);
  t.true(text.stdout.includes(`dataset 'pneumonia' (unit: site): ε = ${epsilon(cost, 3, 1e-5).toFixed(2)} after 3 rounds`), text.stdout);
  const empty = json(await tessera(['budget', 'show', '--ledger', join(dir, 'none.json'), '--json']));
  t.deepEqual(empty.datasets, []);
  await writeFile(file, '{"version": 1, "kind": "tessera-budget", "datasets": {"x": {"unit": "site", "spends": [{}]}}}');
  const bad = await tessera(['budget', 'show', '--ledger', file]);
  t.is(bad.code, 1);
  t.is(bad.stderr, `tessera budget show: ${file}: datasets.x.spends[0].session is missing\n`);
  t.true(noStackTrace(bad.stderr));
});


test('a session that spends privacy, with real processes: nodes refuse to start without a budget, keep ledgers, and one stops at its cap', async (t) => {
  const { dir, procs } = await workspace(t, 'budget-cli');
  const D = 8;
  const ROUNDS = 3;
  // Four sites, t = 2: when site 4 stops, each of the others still has two live neighbours.
  await setup(dir, 4, ['--bits', '16', '--length', String(D), '--rounds', String(ROUNDS), '--threshold', '2', '--graph', 'complete', '--dp-local-stddev', '2', '--dp-l2-clip', '4']);
  const cost: DdgaussRound = { mechanism: 'ddgauss', granularity: 1, localStddev: 2, clients: 2, l2Clip: 4, beta: 0, dim: D, rounding: false };
  const cap4 = Number(((epsilon(cost, 1, 1e-5) + epsilon(cost, 2, 1e-5)) / 2).toFixed(4));

  // Inputs: signed entries (65535 reads as -1), L2 norm √2 ≤ 4.
  const input = (u: number, r: number): number[] => Array.from({ length: D }, (_, i) => (i === (u + r) % D ? 2 ** 16 - 1 : i === (u + r + 1) % D ? 1 : 0));
  for (let u = 1; u <= 4; u++) for (let r = 0; r < ROUNDS; r++) await writeFile(join(dir, `site-${u}`, `in-${r}.json`), JSON.stringify(input(u, r)));

  const stage = 2500;
  await writeFile(join(dir, 'coordinator.json'), JSON.stringify({
    roster: 'roster.json', identity: 'coord/identity.json', listen: { host: '127.0.0.1', port: 0 }, insecure: true, out: 'results',
    deadlines: { advertiseMs: stage, shareMs: stage, maskedMs: stage, consistencyMs: stage, unmaskMs: stage }, gatherMs: 3000, startTimeoutMs: 20_000,
  }));
  const nodeConfig = (url: string, budget?: object) => JSON.stringify({
    roster: '../roster.json', identity: 'identity.json', coordinator: url, insecure: true, input: 'in-{round}.json', reconnect: { initialMs: 100, maxMs: 500 }, ...(budget ? { budget } : {}),
  });

  // Without a budget section, or with another δ, a node refuses to start.
  await writeFile(join(dir, 'site-1', 'nobudget.json'), nodeConfig('ws://127.0.0.1:1'));
  const nobudget = await tessera(['node', '--config', join(dir, 'site-1', 'nobudget.json')]);
  t.is(nobudget.code, 1);
  t.is(nobudget.stderr.split('\n').filter((l) => !l.startsWith('warning:'))[0],
    `tessera node: ${join(dir, 'site-1', 'nobudget.json')}: budget is missing: this session spends privacy (${join(dir, 'roster.json')} declares session.privacy); configure budget.ledger, budget.dataset and budget.epsilonCap`);
  await writeFile(join(dir, 'site-1', 'delta.json'), nodeConfig('ws://127.0.0.1:1', { ledger: 'budget.json', dataset: 'd', epsilonCap: 10, delta: 1e-6 }));
  const delta = await tessera(['node', '--config', join(dir, 'site-1', 'delta.json')]);
  t.is(delta.code, 1);
  t.regex(delta.stderr, /delta\.json: budget\.delta is 0\.000001, but .*roster\.json declares session\.privacy\.delta = 0\.00001/);

  const coordinator = new Proc(['coordinator', '--config', join(dir, 'coordinator.json'), '--json']);
  procs.push(coordinator);
  const url: string = (await coordinator.next((e) => e.type === 'listening')).address;
  const nodes: Proc[] = [];
  for (let u = 1; u <= 4; u++) {
    await writeFile(join(dir, `site-${u}`, 'node.json'), nodeConfig(url, { ledger: 'ledger/budget.json', dataset: 'pneumonia', epsilonCap: u === 4 ? cap4 : 100 }));
    const p = new Proc(['node', '--config', join(dir, `site-${u}`, 'node.json'), '--json']);
    procs.push(p);
    nodes.push(p);
  }
  const end = await coordinator.next((e) => e.type === 'session-end', 60_000);
  t.deepEqual({ completed: end.completed, aborted: end.aborted }, { completed: ROUNDS, aborted: 0 }, JSON.stringify(coordinator.events.filter((e) => e.type === 'round-end')));
  for (const p of nodes) t.deepEqual(await p.exited, { code: 0, signal: null }, p.stderr);

  const survivors = coordinator.events.filter((e) => e.type === 'round-end').map((e) => e.survivors);
  t.deepEqual(survivors, [[1, 2, 3, 4], [1, 2, 3], [1, 2, 3]]);
  // Site 4: one round spent, then refusals with the documented message.
  const refusals = nodes[3]!.events.filter((e) => e.type === 'budget-refused');
  t.deepEqual(refusals.map((e) => [e.round, e.code]), [[1, 'ERR_BUDGET_EXCEEDED'], [2, 'ERR_BUDGET_EXCEEDED']]);
  t.regex(refusals[0].message, new RegExp(`^dataset 'pneumonia': taking part in round 1 would raise ε from ${epsilon(cost, 1, 1e-5).toFixed(2)} to \\d+\\.\\d+, above the cap ε = ${cap4} at δ = 1e-5; not taking part$`));
  // The running total: a budget event at start (0 rounds) and after each spend.
  const totals = nodes[0]!.events.filter((e) => e.type === 'budget');
  t.deepEqual(totals.map((e) => e.round ?? null), [null, 0, 1, 2]);
  t.true(Math.abs(totals[3].epsilon - epsilon(cost, 3, 1e-5)) < 1e-9);
  t.true(nodes[0]!.events.some((e) => e.type === 'privacy' && e.localStddev === 2 && e.l2Clip === 4));
  for (const [u, rounds] of [[1, 3], [2, 3], [3, 3], [4, 1]] as const) {
    const shown = json(await tessera(['budget', 'show', '--ledger', join(dir, `site-${u}`, 'ledger', 'budget.json'), '--json']));
    t.is(shown.datasets[0].rounds, rounds, `site ${u}`);
    t.true(Math.abs(shown.datasets[0].epsilon - epsilon(cost, rounds, 1e-5)) < 1e-9);
  }
  // The sums carry noise: over three rounds, not all equal to the plaintext sums.
  let differs = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const file = JSON.parse(await readFile(join(dir, 'results', `round-${r}.json`), 'utf8'));
    const plain = new Array<number>(D).fill(0);
    for (const u of file.survivors) input(u, r).forEach((x, i) => (plain[i] = (plain[i]! + x) % 2 ** 16));
    differs += file.sum.filter((x: number, i: number) => x !== plain[i]).length;
  }
  t.true(differs > 0, 'noise was added');
});
