/**
 * A whole session that spends privacy, over the in-memory transport: every peer clips and noises its
 * update (NoisyUpdateProvider), checks each round against its cap and records it in its own ledger
 * before sending its masked input. The coordinator's sum minus the plaintext sum is the survivors'
 * noise; a peer whose cap allows two rounds takes part in exactly two.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, seededRandom, toHex } from '@tessera/crypto';
import { DEFAULT_LEDGER_ORDERS, composeRdp, epsilonFromRdp, roundRdp } from '@tessera/dp';
import { createSession } from '@tessera/secagg';
import { MemoryNetwork, MemoryTransport } from '@tessera/transport';
import {
  BudgetLedger, Coordinator, NodeErrorCodes, NoisyUpdateProvider, Peer, privacyCost, type PeerEvent, type SessionPrivacy, type UpdateProvider,
} from '../src/index.js';

const BITS = 32;
const D = 20_000;
const N = 5;
const T = 3;
const ROUNDS = 4;
const S = 3; // noise stddev per site and coordinate: variance 9
const C = 5; // L2 clip: ε ≈ 5 per round with only t = 3 sites' noise
const PRIVACY: SessionPrivacy = { mechanism: 'ddgauss', localStddev: S, l2Clip: C, delta: 1e-5, unit: 'site' };
const MOD = 2 ** BITS;

/** Member u's plaintext in round r: four signed entries of size 1 or 2 (L2 norm ≤ 4 ≤ C), zeros elsewhere. */
function plain(u: number, r: number): Int32Array {
  return Int32Array.from({ length: D }, (_, i) => (i % 5000 === (u * 13 + r * 7) % 5000 ? ((i / 5000) % 2 ? -1 : 1) * (1 + ((u + r) % 2)) : 0));
}
const asWords = (x: Int32Array): Uint32Array => Uint32Array.from(x, (v) => (v < 0 ? v + MOD : v));
const signed = (w: number): number => (w >= MOD / 2 ? w - MOD : w);

test('with session privacy: the sum carries the survivors\' noise, ledgers grow one round per round taken part in, a capped peer stops at its cap', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-budget-session-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const rng = seededRandom('budget-session');
  const coordinatorId = generateIdentity(rng);
  const members = Array.from({ length: N }, () => generateIdentity(rng));
  const session = createSession({ sessionId: rng(16), serverKey: coordinatorId.publicKey, memberKeys: members.map((m) => m.publicKey), threshold: T, graph: { kind: 'complete' }, bits: BITS, vectorLength: D });
  const sessionHex = toHex(session.digest);
  const network = new MemoryNetwork();
  const cost = privacyCost(PRIVACY, session);
  t.deepEqual(cost, { mechanism: 'ddgauss', granularity: 1, localStddev: S, clients: T, l2Clip: C, beta: 0, dim: D, rounding: false });
  const eps = (k: number): number => epsilonFromRdp(DEFAULT_LEDGER_ORDERS, composeRdp([roundRdp(cost, DEFAULT_LEDGER_ORDERS)], [k]), PRIVACY.delta, 'improved').epsilon;
  const capOf5 = Number(((eps(2) + eps(3)) / 2).toPrecision(6));
  t.true(eps(2) < capOf5 && capOf5 < eps(3));

  // Member 4's ledger already holds round 1 of this session (as if from a run before a coordinator restart).
  const ledgers = await Promise.all(Array.from({ length: N }, (_, i) => BudgetLedger.open(join(dir, `site-${i + 1}`, 'budget.json'))));
  await ledgers[3]!.spend('pneumonia', cost, { session: sessionHex, round: 1 }, { epsilon: 1000, delta: PRIVACY.delta });

  const out = join(dir, 'results');
  const coordinator = new Coordinator({
    transport: new MemoryTransport(network), session, identity: coordinatorId, rounds: ROUNDS, out,
    deadlines: { advertiseMs: 1000, shareMs: 5000, maskedMs: 5000, consistencyMs: 5000, unmaskMs: 5000 },
    minQuorum: N, startTimeoutMs: 10_000, gatherMs: 0, limits: { heartbeatMs: 0 },
  });
  const address = await coordinator.start();
  const events = new Map<number, PeerEvent[]>();
  const peers = members.map((identity, i) => {
    const u = i + 1;
    const base: UpdateProvider = { input: async (r) => asWords(plain(u, r)) };
    const provider = new NoisyUpdateProvider({ base, privacy: PRIVACY, session });
    const peer = new Peer({
      transport: new MemoryTransport(network), address, session, identity, provider,
      budget: { ledger: ledgers[i]!, dataset: 'pneumonia', cap: { epsilon: u === 5 ? capOf5 : 1000, delta: PRIVACY.delta } },
      reconnect: { initialMs: 20, maxMs: 100 }, limits: { heartbeatMs: 0 },
    });
    events.set(u, []);
    peer.on('event', (e) => events.get(u)!.push(e));
    return peer;
  });
  const [summary, ...peerSummaries] = await Promise.all([coordinator.run(), ...peers.map((p) => p.run())]);
  t.is(summary.completed, ROUNDS);

  const expectedSurvivors = [[1, 2, 3, 4, 5], [1, 2, 3, 5], [1, 2, 3, 4], [1, 2, 3, 4]];
  for (const rec of summary.rounds) {
    t.true(rec.ok, `round ${rec.round}: ${rec.code}`);
    t.deepEqual(rec.survivors, expectedSurvivors[rec.round]);
    const json = JSON.parse(await readFile(join(out, `round-${rec.round}.json`), 'utf8'));
    // The signed lift of (sum − plaintext sum) mod 2^b is the survivors' noise.
    let s1 = 0;
    let s2 = 0;
    const plainSum = new Float64Array(D);
    for (const u of rec.survivors) plain(u, rec.round).forEach((x, i) => (plainSum[i]! += x));
    for (let i = 0; i < D; i++) {
      const e = signed((((json.sum[i] - plainSum[i]!) % MOD) + MOD) % MOD);
      s1 += e;
      s2 += e * e;
    }
    const mean = s1 / D;
    const variance = s2 / D - mean * mean;
    const expected = rec.survivors.length * S * S;
    // Standard error of the sample variance ≈ σ²·√(2/d) ≈ 1 %; allow 10 %.
    t.true(Math.abs(variance / expected - 1) < 0.1, `round ${rec.round}: noise variance ${variance}, expected ${expected}`);
    t.true(Math.abs(mean) < 0.5, `round ${rec.round}: noise mean ${mean}`);
    t.true(variance > 0.5 * expected, 'noise is really there');
  }

  // Ledgers: one spend per round taken part in, in order, at this session's digest.
  const spent = async (u: number) => (await BudgetLedger.open(join(dir, `site-${u}`, 'budget.json'))).spends('pneumonia').map((s) => s.round);
  for (const u of [1, 2, 3]) t.deepEqual(await spent(u), [0, 1, 2, 3], `member ${u}`);
  t.deepEqual(await spent(4), [1, 0, 2, 3], 'member 4: the pre-recorded round 1, then the rounds it took part in');
  t.deepEqual(await spent(5), [0, 1], 'member 5: exactly the two rounds its cap allows');
  for (const u of [1, 2, 3, 5]) {
    const total = (await BudgetLedger.open(join(dir, `site-${u}`, 'budget.json'))).total('pneumonia', PRIVACY.delta);
    const k = u === 5 ? 2 : 4;
    t.true(Math.abs(total.epsilon - eps(k)) < 1e-9 * eps(k), `member ${u}: ε ${total.epsilon} vs ${eps(k)}`);
  }

  // Member 5 refused rounds 2 and 3 with ERR_BUDGET_EXCEEDED (and said so), and stayed to the end.
  const refused5 = events.get(5)!.filter((e) => e.type === 'budget-refused');
  t.deepEqual(refused5.map((e) => [e.round, e.code]), [[2, 'ERR_BUDGET_EXCEEDED'], [3, 'ERR_BUDGET_EXCEEDED']]);
  const first = refused5[0]!;
  t.true(first.type === 'budget-refused' && first.message.startsWith(`dataset 'pneumonia': taking part in round 2 would raise ε from ${eps(2).toFixed(2)} to `));
  t.true(first.type === 'budget-refused' && first.message.endsWith(`above the cap ε = ${capOf5} at δ = 1e-5; not taking part`));
  t.deepEqual(peerSummaries[4]!.rounds.map((r) => [r.round, r.included, r.code ?? null]), [[0, true, null], [1, true, null], [2, false, 'ERR_BUDGET_EXCEEDED'], [3, false, 'ERR_BUDGET_EXCEEDED']]);
  t.true(events.get(5)!.some((e) => e.type === 'session-end'));
  // Member 4 refused the round already in its ledger.
  t.deepEqual(events.get(4)!.filter((e) => e.type === 'budget-refused').map((e) => [e.round, e.code]), [[1, NodeErrorCodes.BUDGET_REPLAY]]);
  // The running total after every spend.
  const totals1 = events.get(1)!.filter((e) => e.type === 'budget');
  t.deepEqual(totals1.map((e) => e.round), [0, 1, 2, 3]);
  for (const e of totals1) if (e.type === 'budget') t.true(Math.abs(e.epsilon - eps(e.round + 1)) < 1e-9 * eps(e.round + 1));
  // Events carry no vectors.
  for (const list of events.values()) for (const e of list) t.false(JSON.stringify(e).length > 2000, 'an event is small');
});

test('write-ahead: each round is in the ledger file before the masked input leaves; a peer whose ledger cannot be written sends no masked input', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-budget-wal-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const rng = seededRandom('budget-wal');
  const coordinatorId = generateIdentity(rng);
  const members = Array.from({ length: 4 }, () => generateIdentity(rng));
  const d = 16;
  const session = createSession({ sessionId: rng(16), serverKey: coordinatorId.publicKey, memberKeys: members.map((m) => m.publicKey), threshold: 2, graph: { kind: 'complete' }, bits: 16, vectorLength: d });
  const network = new MemoryNetwork();
  const privacy: SessionPrivacy = { ...PRIVACY, localStddev: 2, l2Clip: 2 };
  const files = members.map((_, i) => join(dir, `site-${i + 1}`, 'budget.json'));
  // Site 4's ledger cannot be written: its temporary file's path is taken by a folder.
  await mkdir(join(dir, 'site-4', `.budget.json.tmp-${process.pid}`), { recursive: true });
  const coordinator = new Coordinator({
    transport: new MemoryTransport(network), session, identity: coordinatorId, rounds: 2,
    deadlines: { advertiseMs: 3000, shareMs: 3000, maskedMs: 1000, consistencyMs: 3000, unmaskMs: 3000 },
    minQuorum: 4, startTimeoutMs: 10_000, gatherMs: 0, limits: { heartbeatMs: 0 },
  });
  const address = await coordinator.start();
  const checks: [number, number, boolean][] = [];
  const errors: PeerEvent[] = [];
  const peers = await Promise.all(members.map(async (identity, i) => {
    const ledger = await BudgetLedger.open(files[i]!);
    const provider = new NoisyUpdateProvider({ base: { input: async () => new Uint32Array(d).fill(1, 0, 2) }, privacy, session });
    const peer = new Peer({
      transport: new MemoryTransport(network), address, session, identity, provider,
      budget: { ledger, dataset: 'x', cap: { epsilon: 1000, delta: PRIVACY.delta } }, reconnect: { initialMs: 20, maxMs: 100 }, limits: { heartbeatMs: 0 },
    });
    peer.on('stage', (e) => {
      if (e.stage !== 'masked') return;
      // The masked input has just been sent: its round must already be on disk.
      let rounds: number[] = [];
      try {
        rounds = JSON.parse(readFileSync(files[i]!, 'utf8')).datasets.x.spends.map((s: { round: number }) => s.round);
      } catch {
        rounds = [];
      }
      checks.push([i + 1, e.round, rounds.includes(e.round)]);
    });
    peer.on('event', (e) => e.type === 'error' && errors.push(e));
    return peer;
  }));
  const [summary] = await Promise.all([coordinator.run(), ...peers.map((p) => p.run())]);
  t.is(checks.length, 6, 'sites 1-3 sent their masked inputs in both rounds, site 4 never');
  t.true(checks.every(([, , onDisk]) => onDisk), JSON.stringify(checks));
  t.false(checks.some(([u]) => u === 4));
  for (const rec of summary.rounds) {
    t.true(rec.ok);
    t.deepEqual(rec.survivors, [1, 2, 3], 'site 4 dropped out before its masked input');
  }
  t.deepEqual(errors.map((e) => e.type === 'error' && [e.round, e.code]), [[0, 'ERR_FILE_WRITE'], [1, 'ERR_FILE_WRITE']]);
  await t.throwsAsync(readFile(files[3]!, 'utf8'), { code: 'ENOENT' });
});
