/**
 * `tessera audit cross-check` and `tessera audit report` through the built executable, on transcripts of
 * real SecAgg rounds recorded by the coordinator and every member (packages/audit/test/xc-helpers.ts):
 * an honest session passes (exit 0); a coordinator that told member 1 another survivor set than the
 * others is caught (exit 1, the evidence line with both envelopes' hashes); the report of a member whose
 * round it aborted because the coordinator asked for both shares of a neighbour shows that round.
 */
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toHex } from '@tessera/crypto';
import type { Session } from '@tessera/secagg';
import { json, noStackTrace, root, tessera, workspace } from './tessera.js';

interface XcSession {
  readonly coordinatorDir: string;
  readonly peerDirs: readonly string[];
  readonly fixture: { readonly session: Session };
}
type Tamper = (...args: never[]) => Uint8Array | undefined;
interface XcHelpers {
  writeSession(root: string, plan: {
    seed: string; n: number; privacy?: boolean;
    rounds: readonly { dropouts?: ReadonlyMap<number, string>; tamper?: Tamper; coordinatorRecords?: 'honest' | 'forged'; epsilon?: string }[];
  }): Promise<XcSession>;
  forgeSurvivors(victim: number, from: number, replacement: number): Tamper;
  forgeDropped(victim: number, dropped: readonly number[]): Tamper;
}

/** The transcript writer of the audit package's tests (built to packages/audit/dist/test). */
const helpers = (): Promise<XcHelpers> => import(pathToFileURL(join(root, 'packages/audit/dist/test/xc-helpers.js')).href) as Promise<XcHelpers>;

/** A roster file that describes the fixture's session (explicit threshold, complete graph). */
async function rosterFile(dir: string, session: Session): Promise<string> {
  const file = join(dir, 'roster.json');
  await writeFile(file, JSON.stringify({
    version: 1, kind: 'tessera-roster', name: 'xc', sessionId: toHex(session.sessionId),
    coordinator: { name: 'coordinator', publicKey: toHex(session.serverKey) },
    members: session.memberKeys.map((k, i) => ({ name: `site-${i + 1}`, publicKey: toHex(k) })),
    session: { bits: session.bits, vectorLength: session.vectorLength, rounds: 2, graph: 'complete', dropoutRate: 0, threat: 'semi-honest', threshold: session.threshold },
  }, null, 2));
  return file;
}

test('cross-check: an honest session exits 0; with --roster and --json too', async (t) => {
  const { dir } = await workspace(t, 'xc-honest');
  const { writeSession } = await helpers();
  const s = await writeSession(join(dir, 'run'), { seed: 'cli-honest', n: 4, rounds: [{ dropouts: new Map([[4, 'masked']]) }, {}] });
  const roster = await rosterFile(dir, s.fixture.session);
  const run = await tessera(['audit', 'cross-check', s.coordinatorDir, ...s.peerDirs, '--roster', roster]);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stdout, /^coordinator +\S+coordinator: intact \(\d+ entries, \d+ messages\)$/m);
  t.regex(run.stdout, /^member 4 +\S+member-4: intact/m);
  t.regex(run.stdout, /verdict: PASS — no equivocation among 4 member transcripts and the coordinator's\n$/);
  t.is(run.stderr, '');
  const j = json(await tessera(['audit', 'cross-check', s.coordinatorDir, s.peerDirs[0]!, '--json']));
  t.is(j.command, 'audit cross-check');
  t.true(j.ok);
  t.deepEqual(j.findings, []);
  t.is(j.peers[0].recorder, 1);
});

test('cross-check: a coordinator that told member 1 another U3 exits 1 with the evidence line', async (t) => {
  const { dir } = await workspace(t, 'xc-equivocate');
  const { writeSession, forgeSurvivors } = await helpers();
  const s = await writeSession(join(dir, 'run'), { seed: 'cli-equivocate', n: 4, rounds: [{ dropouts: new Map([[4, 'masked']]), tamper: forgeSurvivors(1, 3, 4), coordinatorRecords: 'forged' }] });
  const run = await tessera(['audit', 'cross-check', s.coordinatorDir, ...s.peerDirs]);
  t.is(run.code, 1, run.stdout + run.stderr);
  const line = /^EQUIVOCATION round 0 U3 \(survivors\): .*$/m.exec(run.stdout)?.[0];
  t.truthy(line, run.stdout);
  t.regex(line!, /member 1 was sent consistency-request survivors=\[1,2,4\] \(envelope sha256 [0-9a-f]{64}, in member 1's transcript\)/);
  t.regex(line!, /member [23] was sent consistency-request survivors=\[1,2,3\] \(envelope sha256 [0-9a-f]{64}, in member [23]'s transcript\); both are signed by the coordinator/);
  t.regex(run.stdout, /verdict: FAIL — 1 equivocation finding, 0 integrity failures/);
  t.regex(run.stderr, /^tessera audit cross-check: EQUIVOCATION round 0 U3/);
  t.true(noStackTrace(run.stderr));
  const j = json(await tessera(['audit', 'cross-check', s.coordinatorDir, ...s.peerDirs, '--json']));
  t.false(j.ok);
  const ev = j.findings[0].evidence;
  t.is(ev.reason, 'different-values');
  t.deepEqual(ev.values.map((v: { value: string }) => v.value).sort(), ['[1,2,3]', '[1,2,4]']);

  // Variant A: the coordinator's own transcript shows the honest request to member 1.
  const a = await writeSession(join(dir, 'run-a'), { seed: 'cli-equivocate-a', n: 4, rounds: [{ dropouts: new Map([[4, 'masked']]), tamper: forgeSurvivors(1, 3, 4), coordinatorRecords: 'honest' }] });
  const runA = await tessera(['audit', 'cross-check', a.coordinatorDir, a.peerDirs[0]!]);
  t.is(runA.code, 1);
  t.regex(runA.stdout, /^EQUIVOCATION round 0 consistency-request to member 1: member 1 received envelope sha256 [0-9a-f]{64} \(survivors=\[1,2,4\]\), the coordinator's transcript records sending sha256 [0-9a-f]{64} \(survivors=\[1,2,3\]\); both are signed by the coordinator$/m);
});

test('cross-check: usage and file errors are one line', async (t) => {
  const { dir } = await workspace(t, 'xc-errors');
  const missing = await tessera(['audit', 'cross-check', join(dir, 'nope')]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /^tessera audit cross-check: missing required argument 'peer-dir'/);
  const badRoster = await tessera(['audit', 'cross-check', join(dir, 'a'), join(dir, 'b'), '--roster', join(dir, 'none.json')]);
  t.is(badRoster.code, 1);
  t.regex(badRoster.stderr, /^tessera audit cross-check: --roster .*none\.json/);
  t.is(badRoster.stderr.trim().split('\n').length, 1);
  const noDirs = await tessera(['audit', 'cross-check', join(dir, 'a'), join(dir, 'b')]);
  t.is(noDirs.code, 1);
  t.regex(noDirs.stdout, /INTEGRITY .*a: ERR_IO/);
  t.true(noStackTrace(noDirs.stderr));
});

test("report: Markdown shows the rounds and the round member 1 aborted because the coordinator asked for both shares; --html and --json", async (t) => {
  const { dir } = await workspace(t, 'xc-report');
  const { writeSession, forgeDropped } = await helpers();
  const s = await writeSession(join(dir, 'run'), {
    seed: 'cli-report', n: 5, privacy: true,
    rounds: [
      { dropouts: new Map([[3, 'masked']]), epsilon: '0.5' },
      { dropouts: new Map([[5, 'masked']]), tamper: forgeDropped(1, [4]), epsilon: '0.9' },
      { dropouts: new Map([[2, 'share'], [3, 'share'], [4, 'share'], [5, 'share']]) },
    ],
  });
  const member = await tessera(['audit', 'report', s.peerDirs[0]!]);
  t.is(member.code, 0, member.stderr);
  t.regex(member.stdout, /^# Transcript audit: session [0-9a-f]{16}…/);
  t.regex(member.stdout, /^\| 0 \| 1, 2, 3, 4, 5 \| 1, 2, 4, 5 \| 3 \(masked\) \| completed \|/m);
  t.regex(member.stdout, /^\| 1 \| 1, 2, 3, 4, 5 \| 1, 2, 3, 4 \| .* \| completed; ABORTED BY MEMBER 1: ERR_BOTH_SHARES_REQUESTED \(the coordinator asked for both shares of one neighbour\) \|/m);
  t.regex(member.stdout, /^\| 2 \| 1, 2, 3, 4, 5 \| — \| — \| ABORTED ERR_BELOW_THRESHOLD \|/m);
  t.regex(member.stdout, /^\| peer-aborted \| 1 \| ERR_BOTH_SHARES_REQUESTED \| member 1 aborted round 1 itself: the coordinator asked for both shares of one neighbour/m);

  const coord = await tessera(['audit', 'report', s.coordinatorDir, '--markdown']);
  t.is(coord.code, 0);
  t.regex(coord.stdout, /\| ε spent \| 0\.90 at δ = 1e-5 \(target 8\.00\) \|/);
  t.regex(coord.stdout, /^\| 1 \| 1, 2, 3, 4, 5 \| 1, 2, 3, 4 \| 1 \(unmask\), 5 \(masked\) \| completed \| 0\.40 \| 0\.90 \|$/m);

  const page = join(dir, 'member-1.html');
  const html = await tessera(['audit', 'report', s.peerDirs[0]!, '--html', page]);
  t.is(html.code, 0);
  t.is(html.stdout, `${page}\n`);
  const text = await readFile(page, 'utf8');
  t.true(text.startsWith('<!doctype html>'));
  t.true(text.includes('ERR_BOTH_SHARES_REQUESTED'));
  t.true(text.includes('data-plot="audit-survivors"'));

  const j = json(await tessera(['audit', 'report', s.coordinatorDir, '--json']));
  t.is(j.command, 'audit report');
  t.is(j.summary.totals.epsilon, 0.9);
  t.deepEqual(j.summary.rounds.map((r: { outcome: string }) => r.outcome), ['completed', 'completed', 'aborted']);

  const both = await tessera(['audit', 'report', s.coordinatorDir, '--json', '--markdown']);
  t.is(both.code, 2);
  t.regex(both.stderr, /--json and --markdown/);
  const none = await tessera(['audit', 'report', join(dir, 'nope')]);
  t.is(none.code, 1);
  t.regex(none.stderr, /^tessera audit report: .*nope: integrity ERR_IO/);
});
