/**
 * `tessera audit verify` through the built program: a real coordinator transcript (4 DP-SGD rounds with
 * a dropout, an aborted round and a dropout in Unmasking) and the roster file the nodes would load pass;
 * a flipped byte fails naming the entry and the check; --json prints the full report; a missing folder
 * or a bad roster is one line, no stack trace.
 */
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateIdentity, seededRandom } from '@tessera/crypto';
import { addMember, createRoster, sessionFromRoster, writeRoster } from '@tessera/node';
import { scanTranscript, type Entry, type NoteEntry } from '@tessera/audit';
import type { Identity } from '@tessera/crypto';
import { json, noStackTrace, root, tessera, workspace } from './tessera.js';

// The audit package's test helpers (real rounds recorded as the recording profile says), as built.
type Helpers = typeof import('../packages/audit/dist/test/checks-helpers.js');
const { STANDARD_ROUNDS, recordTraining, testPlan, rechain } = (await import(join(root, 'packages/audit/dist/test/checks-helpers.js'))) as Helpers;

/** A roster file and a coordinator transcript of its session, in `dir`. */
async function setup(dir: string): Promise<{ transcript: string; roster: string; serverIdentity: Identity }> {
  const rng = seededRandom('cli-audit');
  const serverIdentity = generateIdentity(rng);
  const memberIdentities = Array.from({ length: 4 }, () => generateIdentity(rng));
  const plan = testPlan(4, 2);
  let roster = createRoster({
    name: 'audit-test', coordinator: { name: 'coordinator', publicKey: serverIdentity.publicKey }, sessionId: rng(16),
    session: { bits: plan.encoding.bits, vectorLength: plan.vectorLength, rounds: STANDARD_ROUNDS.length, graph: 'complete', dropoutRate: 0, threat: 'semi-honest', threshold: 2 },
  });
  memberIdentities.forEach((m, i) => (roster = addMember(roster, { name: `site-${i + 1}`, publicKey: m.publicKey })));
  const file = join(dir, 'roster.json');
  await writeRoster(file, roster);
  const { session } = sessionFromRoster(roster, file);
  const transcript = join(dir, 'coordinator');
  await recordTraining(transcript, { seed: 'cli', rounds: STANDARD_ROUNDS, plan, parties: { session, serverIdentity, memberIdentities } });
  return { transcript, roster: file, serverIdentity };
}

test('audit verify: a good transcript and its roster pass (exit 0, a verdict line); --json prints the full report', async (t) => {
  const { dir } = await workspace(t, 'audit');
  const { transcript, roster } = await setup(dir);
  const run = await tessera(['audit', 'verify', transcript, '--roster', roster]);
  t.is(run.code, 0, run.stdout + run.stderr);
  t.regex(run.stdout, /^verdict: PASS/m);
  for (const id of ['integrity', 'stage-order', 'both-shares', 'survivor-set', 'sum', 'update', 'privacy']) t.regex(run.stdout, new RegExp(`^  ${id} +pass`, 'm'));
  t.is(run.stderr, '');

  const j = json(await tessera(['audit', 'verify', transcript, '--roster', roster, '--json']));
  t.is(j.command, 'audit verify');
  t.is(j.ok, true);
  t.is(j.recorder, 0);
  t.is(j.integrity.ok, true);
  t.true(j.integrity.closed);
  t.regex(j.integrity.head, /^[0-9a-f]{64}$/);
  t.deepEqual(j.checks.map((c: any) => [c.id, c.status]), [['stage-order', 'pass'], ['both-shares', 'pass'], ['survivor-set', 'pass'], ['sum', 'pass'], ['update', 'pass'], ['privacy', 'pass']]);
  for (const c of j.checks) {
    t.is(typeof c.summary, 'string');
    t.is(typeof c.checked, 'number');
    t.deepEqual(c.failures, []);
    t.deepEqual(c.notCheckable, []);
  }
  t.like(j.counts, { rounds: 5, completedRounds: 3, abortedRounds: 1, pass: 6, fail: 0, notCheckable: 0 });
  t.deepEqual(j.failures, []);
  t.is(j.first, null);
  t.like(j.privacy, { delta: 1e-5, epsilonTarget: 8, rounds: 3, plannedRounds: 4, withinTarget: true });
  t.true(j.privacy.epsilon > 0 && j.privacy.epsilon <= j.privacy.epsilonWorstCase);
});

test('audit verify: a flipped byte exits 1 naming the entry and the check; --json lists the failure', async (t) => {
  const { dir } = await workspace(t, 'audit');
  const { transcript, roster } = await setup(dir);
  const file = join(transcript, 'transcript.tlog');
  const bytes = await readFile(file);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
  await writeFile(file, bytes);
  const run = await tessera(['audit', 'verify', transcript, '--roster', roster]);
  t.is(run.code, 1, run.stdout + run.stderr);
  const lines = run.stderr.trim().split('\n');
  t.is(lines.length, 1, run.stderr);
  t.regex(lines[0]!, /^tessera audit verify: entry \d+ \(offset \d+\): integrity ERR_[A-Z_]+: /);
  t.regex(run.stdout, /^verdict: FAIL — entry \d+/m);
  t.regex(run.stdout, /stage-order +NOT CHECKABLE/);
  t.true(noStackTrace(run.stdout + run.stderr));

  const j = json(await tessera(['audit', 'verify', transcript, '--roster', roster, '--json']));
  t.is(j.ok, false);
  t.is(j.first.check, 'integrity');
  t.is(typeof j.first.seq, 'number');
  t.is(typeof j.first.offset, 'number');
  t.regex(j.first.code, /^ERR_/);
  t.true(j.checks.every((c: any) => c.status === 'not-checkable'));
});

test('audit verify: a semantic failure (a wrong ε in a re-signed round-result) exits 1 naming the entry and the check', async (t) => {
  const { dir } = await workspace(t, 'audit');
  const { transcript, roster, serverIdentity } = await setup(dir);
  const file = join(transcript, 'transcript.tlog');
  const entries: Entry[] = scanTranscript(new Uint8Array(await readFile(file))).records.map((r) => r.entry);
  const i = entries.findIndex((e) => e.kind === 'note' && e.event === 'round-result' && e.round === 1);
  const note = entries[i] as NoteEntry;
  entries[i] = { ...note, data: { ...note.data, epsilon: String(Number(note.data.epsilon) / 2) } };
  await writeFile(file, rechain(entries, serverIdentity));
  const run = await tessera(['audit', 'verify', transcript, '--roster', roster]);
  t.is(run.code, 1, run.stdout + run.stderr);
  t.regex(run.stderr, new RegExp(`^tessera audit verify: entry ${i} \\(offset \\d+\\): privacy ERR_EPSILON_MISMATCH: round 1: `));
  t.regex(run.stdout, /privacy +FAIL/);
  t.regex(run.stdout, /integrity +pass/);
  const j = json(await tessera(['audit', 'verify', transcript, '--roster', roster, '--json']));
  t.like(j.first, { seq: i, check: 'privacy', code: 'ERR_EPSILON_MISMATCH', round: 1 });
  t.is(j.checks.find((c: any) => c.id === 'privacy').status, 'fail');
  t.is(j.counts.fail, 1);
});

test('audit verify: a missing folder, a bad roster, a roster of another session, a missing --roster', async (t) => {
  const { dir } = await workspace(t, 'audit');
  const { transcript, roster } = await setup(dir);
  const missing = await tessera(['audit', 'verify', join(dir, 'nope'), '--roster', roster]);
  t.is(missing.code, 1);
  t.is(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  t.regex(missing.stderr, /ERR_IO/);
  t.regex(missing.stderr, /nope/);
  t.true(noStackTrace(missing.stdout + missing.stderr));

  const bad = join(dir, 'bad.json');
  await writeFile(bad, '{ "version": 1, ');
  const badRun = await tessera(['audit', 'verify', transcript, '--roster', bad]);
  t.is(badRun.code, 1);
  t.is(badRun.stderr.trim().split('\n').length, 1, badRun.stderr);
  t.regex(badRun.stderr, /bad\.json/);
  t.is(badRun.stdout, '');
  t.true(noStackTrace(badRun.stderr));

  // Another roster (other keys): the transcript is not of that session.
  const rng = seededRandom('cli-audit-other');
  let otherRoster = createRoster({
    name: 'other', coordinator: { name: 'coordinator', publicKey: generateIdentity(rng).publicKey }, sessionId: rng(16),
    session: { bits: 32, vectorLength: 32, rounds: 4, graph: 'complete', dropoutRate: 0, threat: 'semi-honest', threshold: 2 },
  });
  for (let i = 0; i < 4; i++) otherRoster = addMember(otherRoster, { name: `site-${i + 1}`, publicKey: generateIdentity(rng).publicKey });
  const otherFile = join(dir, 'other.json');
  await writeRoster(otherFile, otherRoster);
  const wrong = await tessera(['audit', 'verify', transcript, '--roster', otherFile]);
  t.is(wrong.code, 1);
  t.regex(wrong.stderr, /entry 0 .*integrity ERR_(UNKNOWN_SIGNER|WRONG_SESSION)/);

  const usage = await tessera(['audit', 'verify', transcript]);
  t.is(usage.code, 2);
  t.regex(usage.stderr, /--roster/);
  t.true(noStackTrace(usage.stderr));
  const noDir = await tessera(['audit', 'verify', '--roster', roster]);
  t.is(noDir.code, 2);
});
