/**
 * The privacy budget: the ledger file (durable, atomic, 0600, never reset silently), the admission check
 * and the refusal over the cap, ε against the accountant computed independently, the session privacy
 * of the roster and the node config, and the noise the NoisyUpdateProvider adds.
 */
import test from 'ava';
import fc from 'fast-check';
import { mkdtemp, readFile, readdir, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { seededRandom, sha256, toHex } from '@tessera/crypto';
import { DEFAULT_LEDGER_ORDERS, composeRdp, epsilonFromRdp, roundRdp, type DdgaussRound } from '@tessera/dp';
import {
  BudgetLedger, FileError, FileUpdateProvider, NodeError, NodeErrorCodes, NoisyUpdateProvider, addMember, budgetExceededMessage, budgetLine, createRoster, openNodeBudget,
  parseNodeConfig, parseRoster, privacyCost, sessionFromRoster, signedNormWithin, type SessionPrivacy,
} from '../src/index.js';

async function tempDir(t: { teardown(f: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-budget-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const SESSION_A = toHex(sha256(Uint8Array.of(1)));
const SESSION_B = toHex(sha256(Uint8Array.of(2)));
const COST: DdgaussRound = { mechanism: 'ddgauss', granularity: 1, localStddev: 40, clients: 3, l2Clip: 100, beta: 0, dim: 1000, rounding: false };
const COST2: DdgaussRound = { ...COST, localStddev: 25, clients: 5, dim: 4000 };
const DELTA = 1e-5;
const BIG = { epsilon: 1000, delta: DELTA };

/** ε of `rounds` composed, computed with the accountant directly (not through BudgetLedger). */
function accountantEpsilon(rounds: readonly DdgaussRound[], delta = DELTA): number {
  return epsilonFromRdp(DEFAULT_LEDGER_ORDERS, composeRdp(rounds.map((r) => roundRdp(r, DEFAULT_LEDGER_ORDERS))), delta, 'improved').epsilon;
}

test('a missing ledger is empty; spends are recorded, survive a reopen ("restart") with the same total, and match the accountant', async (t) => {
  const file = join(await tempDir(t), 'budget.json');
  const ledger = await BudgetLedger.open(file);
  t.deepEqual(ledger.datasets(), []);
  t.is(ledger.total('pneumonia', DELTA).epsilon, 0);
  const seq = [COST, COST, COST2, COST, COST2];
  for (let r = 0; r < seq.length; r++) await ledger.spend('pneumonia', seq[r]!, { session: SESSION_A, round: r }, BIG);
  const total = ledger.total('pneumonia', DELTA);
  const expected = accountantEpsilon(seq);
  t.true(expected > 0 && Number.isFinite(expected));
  t.true(Math.abs(total.epsilon - expected) <= 1e-12 * expected, `${total.epsilon} vs ${expected}`);
  t.like(total, { dataset: 'pneumonia', unit: 'site', rounds: 5, conversion: 'improved', delta: DELTA });
  // Composition is not additive in ε: the total is below five times the worst single round.
  t.true(total.epsilon < 3 * accountantEpsilon([COST]) + 2 * accountantEpsilon([COST2]));
  const reopened = await BudgetLedger.open(file);
  t.is(reopened.total('pneumonia', DELTA).epsilon, total.epsilon);
  t.deepEqual(reopened.spends('pneumonia').map((s) => [s.session, s.round]), seq.map((_, r) => [SESSION_A, r]));
  const json = JSON.parse(await readFile(file, 'utf8'));
  t.deepEqual(Object.keys(json), ['version', 'kind', 'datasets']);
  t.like(json, { version: 1, kind: 'tessera-budget' });
  t.deepEqual(json.datasets.pneumonia.spends[2].cost, COST2);
  t.false(Number.isNaN(Date.parse(json.datasets.pneumonia.spends[0].at)));
  // Datasets are separate budgets.
  await reopened.spend('chest-ct', COST, { session: SESSION_A, round: 0 }, BIG);
  t.deepEqual(reopened.datasets(), ['chest-ct', 'pneumonia']);
  t.true(Math.abs(reopened.total('chest-ct', DELTA).epsilon - accountantEpsilon([COST])) < 1e-12);
});

test('check writes nothing; spend over the cap refuses with ERR_BUDGET_EXCEEDED and the exact message, writing nothing', async (t) => {
  const file = join(await tempDir(t), 'budget.json');
  const ledger = await BudgetLedger.open(file);
  const e1 = accountantEpsilon([COST]);
  const e2 = accountantEpsilon([COST, COST]);
  const cap = { epsilon: Number(((e1 + e2) / 2).toFixed(3)), delta: DELTA };
  t.true(cap.epsilon > e1 && cap.epsilon < e2);
  const c0 = ledger.check('pneumonia', COST, cap);
  t.like(c0, { ok: true, epsilonNow: 0, recorded: false });
  t.true(Math.abs(c0.epsilonAfter - e1) < 1e-12);
  await t.throwsAsync(stat(file), { code: 'ENOENT' }, 'check wrote nothing');
  await ledger.spend('pneumonia', COST, { session: SESSION_A, round: 6 }, cap);
  const before = await readFile(file, 'utf8');
  const c1 = ledger.check('pneumonia', COST, cap);
  t.false(c1.ok);
  const err = await t.throwsAsync(ledger.spend('pneumonia', COST, { session: SESSION_A, round: 7 }, cap), { instanceOf: NodeError });
  t.is(err!.code, NodeErrorCodes.BUDGET_EXCEEDED);
  t.is(err!.code, 'ERR_BUDGET_EXCEEDED');
  t.is(err!.message, `dataset 'pneumonia': taking part in round 7 would raise ε from ${e1.toFixed(2)} to ${e2.toFixed(2)}, above the cap ε = ${cap.epsilon} at δ = 1e-5; not taking part`);
  t.is(await readFile(file, 'utf8'), before, 'a refused spend writes nothing');
  t.is((await BudgetLedger.open(file)).spends('pneumonia').length, 1);
});

test('the refusal message and the running-total line read as documented', (t) => {
  t.is(budgetExceededMessage('pneumonia', 7, { epsilonNow: 7.8112, epsilonAfter: 8.3207 }, { epsilon: 8, delta: 1e-5 }),
    "dataset 'pneumonia': taking part in round 7 would raise ε from 7.81 to 8.32, above the cap ε = 8 at δ = 1e-5; not taking part");
  // Just above the cap: enough digits to see that it is above.
  t.regex(budgetExceededMessage('x', 1, { epsilonNow: 7.9, epsilonAfter: 8.0004 }, { epsilon: 8, delta: 1e-6 }), /to 8\.0004, above the cap ε = 8 at δ = 1e-6;/);
  t.is(budgetLine({ dataset: 'pneumonia', epsilon: 3.2071 }, { epsilon: 8, delta: 1e-5 }), "privacy: ε = 3.21 of 8 spent on 'pneumonia' (δ = 1e-5, improved RDP conversion)");
});

test('spend is idempotent for the same (session, round); another session\'s round 0 is a new spend', async (t) => {
  const file = join(await tempDir(t), 'budget.json');
  const ledger = await BudgetLedger.open(file);
  const a = await ledger.spend('d', COST, { session: SESSION_A, round: 0 }, BIG);
  const b = await ledger.spend('d', COST, { session: SESSION_A, round: 0 }, BIG);
  t.false(a.recorded);
  t.true(b.recorded);
  t.is(b.total.epsilon, a.total.epsilon);
  t.is((await BudgetLedger.open(file)).spends('d').length, 1);
  t.true(ledger.check('d', COST, BIG, { session: SESSION_A, round: 0 }).recorded);
  await ledger.spend('d', COST, { session: SESSION_B, round: 0 }, BIG);
  t.is((await BudgetLedger.open(file)).spends('d').length, 2);
});

test('the ledger file has mode 0600 (also after replacing a 0644 file), and concurrent spends in one process all land', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'budget.json');
  const a = await BudgetLedger.open(file);
  await a.spend('d', COST, { session: SESSION_A, round: 0 }, BIG);
  t.is((await stat(file)).mode & 0o777, 0o600);
  await chmod(file, 0o644);
  const b = await BudgetLedger.open(file);
  // Two ledger objects on one file, 20 spends at once: serialized, each re-reads before writing.
  await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).spend('d', COST, { session: SESSION_A, round: i + 1 }, BIG)));
  t.is((await stat(file)).mode & 0o777, 0o600);
  const reopened = await BudgetLedger.open(file);
  t.deepEqual(reopened.spends('d').map((s) => s.round).sort((x, y) => x - y), Array.from({ length: 21 }, (_, i) => i));
  t.true(Math.abs(reopened.total('d', DELTA).epsilon - accountantEpsilon(Array(21).fill(COST))) < 1e-9);
  t.deepEqual((await readdir(dir)).sort(), ['budget.json'], 'no temporary file is left behind');
});

test('a crash between writing the temporary file and the rename leaves the previous ledger valid', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'budget.json');
  const ledger = await BudgetLedger.open(file);
  await ledger.spend('d', COST, { session: SESSION_A, round: 0 }, BIG);
  const before = await readFile(file, 'utf8');
  // What a crash after the temporary file was (partly) written, before the rename, leaves on disk.
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  await writeFile(tmp, before.slice(0, before.length >> 1) + '{"half a ledger', { mode: 0o600 });
  const after = await BudgetLedger.open(file);
  t.is(await readFile(file, 'utf8'), before);
  t.is(after.total('d', DELTA).epsilon, ledger.total('d', DELTA).epsilon);
  // The next spend replaces the stale temporary file and renames it into place.
  await after.spend('d', COST, { session: SESSION_A, round: 1 }, BIG);
  t.deepEqual((await readdir(dir)).sort(), ['budget.json']);
  t.is((await BudgetLedger.open(file)).spends('d').length, 2);
});

test('a corrupt or invalid ledger is refused naming the file and the field, and never reset', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'budget.json');
  const good = { version: 1, kind: 'tessera-budget', datasets: { pneumonia: { unit: 'site', spends: [{ session: SESSION_A, round: 0, at: '2026-11-26T07:00:00.000Z', cost: COST }] } } };
  const cases: [unknown, string, string][] = [
    [{ ...good, kind: 'tessera-roster' }, 'kind', 'ERR_FILE_INVALID'],
    [{ ...good, version: 2 }, 'version', 'ERR_FILE_INVALID'],
    [{ ...good, extra: 1 }, 'extra', 'ERR_FILE_INVALID'],
    [{ ...good, datasets: { pneumonia: { unit: 'hospital', spends: [] } } }, 'datasets.pneumonia.unit', 'ERR_FILE_INVALID'],
    [{ ...good, datasets: { pneumonia: { unit: 'site', spends: [{ ...good.datasets.pneumonia.spends[0], round: -1 }] } } }, 'datasets.pneumonia.spends[0].round', 'ERR_FILE_INVALID'],
    [{ ...good, datasets: { pneumonia: { unit: 'site', spends: [{ ...good.datasets.pneumonia.spends[0], session: 'abc' }] } } }, 'datasets.pneumonia.spends[0].session', 'ERR_FILE_INVALID'],
    [{ ...good, datasets: { pneumonia: { unit: 'site', spends: [{ ...good.datasets.pneumonia.spends[0], at: 'yesterday' }] } } }, 'datasets.pneumonia.spends[0].at', 'ERR_FILE_INVALID'],
    [{ ...good, datasets: { pneumonia: { unit: 'site', spends: [{ ...good.datasets.pneumonia.spends[0], cost: { ...COST, localStddev: -1 } }] } } }, 'datasets.pneumonia.spends[0].cost', 'ERR_FILE_INVALID'],
    [{ ...good, datasets: { pneumonia: { unit: 'site', spends: [good.datasets.pneumonia.spends[0], good.datasets.pneumonia.spends[0]] } } }, 'datasets.pneumonia.spends[1]', 'ERR_FILE_INVALID'],
  ];
  for (const [value, field, code] of cases) {
    const text = JSON.stringify(value);
    await writeFile(file, text);
    const e = await t.throwsAsync(BudgetLedger.open(file), { instanceOf: FileError }, field);
    t.is(e!.code, code as typeof e.code, field);
    t.is(e!.file, file);
    t.is(e!.field, field);
    t.true(e!.message.startsWith(`${file}: ${field} `), e!.message);
    t.is(await readFile(file, 'utf8'), text, 'the file is left as it was');
  }
  await writeFile(file, '{"version": 1, "kind": "tessera-budget", "datasets": {');
  const syntax = await t.throwsAsync(BudgetLedger.open(file), { instanceOf: FileError });
  t.is(syntax!.code, NodeErrorCodes.FILE_SYNTAX);
  t.regex(syntax!.message, /budget\.json: not valid JSON at line 1/);
  // A ledger corrupted under a running node: its next spend refuses instead of starting afresh.
  await writeFile(file, JSON.stringify(good));
  const ledger = await BudgetLedger.open(file);
  await writeFile(file, 'garbage');
  await t.throwsAsync(ledger.spend('pneumonia', COST, { session: SESSION_A, round: 1 }, BIG), { instanceOf: FileError, message: /not valid JSON/ });
  t.is(await readFile(file, 'utf8'), 'garbage');
});

test('a dataset cannot mix units, and bad arguments are refused by kind', async (t) => {
  const ledger = await BudgetLedger.open(join(await tempDir(t), 'b.json'));
  await ledger.spend('d', COST, { session: SESSION_A, round: 0, unit: 'site' }, BIG);
  await t.throwsAsync(ledger.spend('d', COST, { session: SESSION_A, round: 1, unit: 'patient' }, BIG), { instanceOf: FileError, message: /datasets\.d\.unit is 'site'/ });
  t.throws(() => ledger.check('d', COST, { epsilon: 0, delta: DELTA }), { instanceOf: RangeError, message: /cap\.epsilon/ });
  t.throws(() => ledger.check('d', COST, { epsilon: 1, delta: 1 }), { instanceOf: RangeError, message: /cap\.delta/ });
  t.throws(() => ledger.check('', COST, BIG), { instanceOf: RangeError, message: /dataset/ });
  t.throws(() => ledger.check('d', { ...COST, mechanism: 'laplace' } as never, BIG), { instanceOf: RangeError, message: /mechanism/ });
  await t.throwsAsync(ledger.spend('d', COST, { session: 'xyz', round: 2 }, BIG), { instanceOf: RangeError, message: /tag\.session/ });
  // A name that is also an Object.prototype key is just a dataset.
  t.is(ledger.total('constructor', DELTA).epsilon, 0);
  t.deepEqual(ledger.spends('toString'), []);
});

const PRIVACY: SessionPrivacy = { mechanism: 'ddgauss', localStddev: 40, l2Clip: 100, delta: 1e-5, unit: 'site' };
const KEY = (i: number): string => toHex(sha256(Uint8Array.of(100 + i)));
const SESSION = { bits: 16, vectorLength: 4, rounds: 3, graph: 'complete', dropoutRate: 0.1, threat: 'malicious', threshold: 2 } as const;

test('roster session.privacy: validated field by field, enters the digest, absent rosters unchanged', (t) => {
  let plain = createRoster({ name: 'trial', coordinator: { name: 'coord', publicKey: KEY(0) }, session: SESSION, rng: seededRandom('p') });
  for (let i = 1; i <= 3; i++) plain = addMember(plain, { name: `s${i}`, publicKey: KEY(i) });
  const withDp = parseRoster({ ...plain, session: { ...plain.session, privacy: PRIVACY } }, 'roster.json');
  t.deepEqual(withDp.session.privacy, PRIVACY);
  const a = sessionFromRoster(plain, 'roster.json');
  const b = sessionFromRoster(withDp, 'roster.json');
  t.is(a.privacy, undefined);
  t.deepEqual(b.privacy, PRIVACY);
  t.notDeepEqual(a.session.digest, b.session.digest, 'the privacy settings are part of the session digest');
  const c = sessionFromRoster(parseRoster({ ...plain, session: { ...plain.session, privacy: { ...PRIVACY, localStddev: 41 } } }, 'r'), 'r');
  t.notDeepEqual(b.session.digest, c.session.digest);
  t.deepEqual(privacyCost(PRIVACY, b.session), { mechanism: 'ddgauss', granularity: 1, localStddev: 40, clients: 2, l2Clip: 100, beta: 0, dim: 4, rounding: false });
  const bad: [Record<string, unknown>, string][] = [
    [{ ...PRIVACY, mechanism: 'skellam' }, 'session.privacy.mechanism must be "ddgauss"'],
    [{ ...PRIVACY, localStddev: 0.4 }, 'session.privacy.localStddev must be a number in [0.5, 2^24]'],
    [{ ...PRIVACY, l2Clip: 0 }, 'session.privacy.l2Clip must be a number in (0, 2^40]'],
    [{ ...PRIVACY, delta: 1 }, 'session.privacy.delta must be a number in (0, 1)'],
    [{ ...PRIVACY, unit: 'patient' }, 'session.privacy.unit must be "site"'],
    [{ mechanism: 'ddgauss', localStddev: 40, l2Clip: 100, delta: 1e-5 }, 'session.privacy.unit is missing'],
    [{ ...PRIVACY, epsilon: 3 }, 'session.privacy.epsilon is not a known field'],
  ];
  for (const [privacy, message] of bad)
    t.throws(() => parseRoster({ ...plain, session: { ...plain.session, privacy } }, 'roster.json'), { instanceOf: FileError, message: new RegExp(`^roster\\.json: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) });
});

test('node config budget: parsed, required when the roster spends privacy, δ must match the roster\'s', async (t) => {
  const dir = await tempDir(t);
  const base = { roster: 'roster.json', identity: 'identity.json', coordinator: 'wss://c.example:8443', input: 'in-{round}.json' };
  const file = join(dir, 'node.json');
  const none = parseNodeConfig(base, file);
  t.is(none.budget, undefined);
  t.is(await openNodeBudget(none, undefined, 'roster.json'), undefined, 'no privacy, no budget: fine');
  await t.throwsAsync(openNodeBudget(none, PRIVACY, 'roster.json'), {
    instanceOf: FileError,
    message: `${file}: budget is missing: this session spends privacy (roster.json declares session.privacy); configure budget.ledger, budget.dataset and budget.epsilonCap`,
  });
  const cfg = parseNodeConfig({ ...base, budget: { ledger: 'ledger/budget.json', dataset: 'pneumonia', epsilonCap: 8 } }, file);
  t.deepEqual(cfg.budget, { ledger: join(dir, 'ledger/budget.json'), dataset: 'pneumonia', epsilonCap: 8 });
  const b = await openNodeBudget(cfg, PRIVACY, 'roster.json');
  t.deepEqual(b!.cap, { epsilon: 8, delta: 1e-5 });
  t.is(b!.dataset, 'pneumonia');
  const other = parseNodeConfig({ ...base, budget: { ledger: 'b.json', dataset: 'pneumonia', epsilonCap: 8, delta: 1e-6 } }, file);
  await t.throwsAsync(openNodeBudget(other, PRIVACY, 'roster.json'), { instanceOf: FileError, message: /node\.json: budget\.delta is 0\.000001, but roster\.json declares session\.privacy\.delta = 0\.00001/ });
  t.throws(() => parseNodeConfig({ ...base, budget: { ledger: 'b.json', dataset: 'p', epsilonCap: 0 } }, file), { message: /budget\.epsilonCap must be a number in \(0, ∞\)/ });
  t.throws(() => parseNodeConfig({ ...base, budget: { ledger: 'b.json', epsilonCap: 1 } }, file), { message: /budget\.dataset is missing/ });
  t.throws(() => parseNodeConfig({ ...base, budget: { ledger: 'b.json', dataset: 'p', epsilonCap: 1, cap: 2 } }, file), { message: /budget\.cap is not a known field/ });
});

test('signed L2 norm: words at or above 2^(b-1) are negative, decided exactly at the clip', (t) => {
  const bits = 8;
  // [3, -4] → norm 5.
  t.deepEqual(signedNormWithin(Uint32Array.of(3, 256 - 4), bits, 5), { within: true, norm: 5 });
  t.false(signedNormWithin(Uint32Array.of(3, 256 - 4), bits, 4.999999).within);
  t.false(signedNormWithin(Uint32Array.of(128), bits, 127.9).within, '128 reads as -128');
  t.true(signedNormWithin(Uint32Array.of(128), bits, 128).within);
  // Exact with 32-bit words: √(3·(2^31 − 1)²) = 3719550785.0273078…; doubles alone cannot tell these apart.
  t.true(signedNormWithin(Uint32Array.of(2 ** 31), 32, 2 ** 31).within, '2^31 reads as -2^31');
  t.false(signedNormWithin(Uint32Array.of(2 ** 31), 32, 2 ** 31 - 0.001).within);
  const pos = Uint32Array.of(2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1);
  t.true(signedNormWithin(pos, 32, 3719550785.0274).within);
  t.false(signedNormWithin(pos, 32, 3719550785.0273).within);
});

test('NoisyUpdateProvider: refuses an over-clip file naming it, adds N_Z(0, S²) noise mod 2^b, reports its cost', async (t) => {
  const dir = await tempDir(t);
  const d = 20_000;
  const bits = 24;
  const values = Array.from({ length: d }, (_, i) => (i % 7 === 0 ? 2 ** bits - 1 : i % 7 === 1 ? 1 : 0)); // ±1 entries
  await writeFile(join(dir, 'in-0.json'), JSON.stringify(values));
  await writeFile(join(dir, 'in-1.json'), JSON.stringify(values.map((v, i) => (i === 5 ? 1000 : v))));
  const norm = Math.sqrt(values.filter((v) => v !== 0).length);
  const privacy: SessionPrivacy = { ...PRIVACY, localStddev: 2.5, l2Clip: Math.ceil(norm) };
  const session = { bits, vectorLength: d, threshold: 3 };
  const base = new FileUpdateProvider({ pattern: join(dir, 'in-{round}.json'), bits, vectorLength: d });
  const p = new NoisyUpdateProvider({ base, privacy, session, rng: seededRandom('noise') });
  t.deepEqual(p.variance, { num: 25n, den: 4n }, 'S² is exact: 2.5² = 25/4');
  t.deepEqual(p.privacyCost(0), { mechanism: 'ddgauss', granularity: 1, localStddev: 2.5, clients: 3, l2Clip: Math.ceil(norm), beta: 0, dim: d, rounding: false });
  const y = await p.input(0);
  const mod = 2 ** bits;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < d; i++) {
    let e = (y[i]! - values[i]!) % mod;
    if (e >= mod / 2) e -= mod;
    if (e < -mod / 2) e += mod;
    t.true(Number.isInteger(e));
    sum += e;
    sumSq += e * e;
  }
  const variance = sumSq / d - (sum / d) ** 2;
  // Var of the sample variance ≈ 2σ⁴/d: σ² = 6.25 ± 0.06; allow 5 standard errors.
  t.true(Math.abs(variance - 6.25) < 0.32, `noise variance ${variance}`);
  t.true(Math.abs(sum / d) < 0.1, `noise mean ${sum / d}`);
  const again = await p.input(0);
  t.notDeepEqual(again, y, 'fresh noise every call');
  const e = await t.throwsAsync(p.input(1), { instanceOf: FileError });
  t.is(e!.code, NodeErrorCodes.INPUT_NORM);
  t.is(e!.file, join(dir, 'in-1.json'));
  t.regex(e!.message, /in-1\.json: has L2 norm 1\d{3}\.\d+ \(words read as signed 24-bit integers\), above the session's privacy clip l2Clip = \d+; not taking part in round 1/);
});

test('property: a run of spends against a cap accepts exactly the rounds the accountant allows; refusals change nothing', async (t) => {
  const dir = await tempDir(t);
  let run = 0;
  const cost = fc.record({
    mechanism: fc.constant('ddgauss' as const), granularity: fc.constant(1), localStddev: fc.integer({ min: 1, max: 60 }), clients: fc.integer({ min: 1, max: 8 }),
    l2Clip: fc.integer({ min: 1, max: 50 }), beta: fc.constant(0), dim: fc.integer({ min: 1, max: 5000 }), rounding: fc.constant(false),
  });
  await fc.assert(fc.asyncProperty(fc.array(cost, { minLength: 1, maxLength: 5 }), fc.double({ min: 0.5, max: 30, noNaN: true }), async (costs, capEpsilon) => {
    const file = join(dir, `ledger-${run++}.json`);
    const ledger = await BudgetLedger.open(file);
    const cap = { epsilon: capEpsilon, delta: DELTA };
    const accepted: DdgaussRound[] = [];
    for (let r = 0; r < costs.length; r++) {
      const allowed = accountantEpsilon([...accepted, costs[r]!]) <= capEpsilon;
      const before = await readFile(file, 'utf8').catch(() => '');
      try {
        await ledger.spend('d', costs[r]!, { session: SESSION_A, round: r }, cap);
        if (!allowed) return false;
        accepted.push(costs[r]!);
      } catch (e) {
        if (!(e instanceof NodeError) || e.code !== 'ERR_BUDGET_EXCEEDED' || allowed) return false;
        if ((await readFile(file, 'utf8').catch(() => '')) !== before) return false;
      }
    }
    const total = (await BudgetLedger.open(file)).total('d', DELTA).epsilon;
    const expected = accepted.length === 0 ? 0 : accountantEpsilon(accepted);
    return total <= capEpsilon && Math.abs(total - expected) <= 1e-12 * Math.max(1, total);
  }), { numRuns: 25 });
  t.pass();
});
