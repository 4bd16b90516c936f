import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { auditSummary, crossCheck, readTranscript, renderAuditHtml, renderAuditMarkdown, type AuditSummary } from '../src/index.js';
import { cleanup, tempDir } from './helpers.js';
import { forgeDropped, writeSession, type XcSession } from './xc-helpers.js';

/**
 * Three rounds with DP among 5 members: round 0 completes without member 3 (dropped before its masked input);
 * in round 1 member 5 drops and the coordinator asks member 1 for both shares of member 4 (an unmask-request whose
 * dropped set overlaps the survivors, re-signed with the coordinator's key), so member 1 aborts its round;
 * round 2 aborts (members 2–5 drop before sharing: below the threshold).
 */
async function session(root: string): Promise<XcSession> {
  return writeSession(root, {
    seed: 'report', n: 5, privacy: true,
    rounds: [
      { dropouts: new Map([[3, 'masked']]), epsilon: '0.5', epsilonWorstCase: '0.6' },
      { dropouts: new Map([[5, 'masked']]), tamper: forgeDropped(1, [4]), epsilon: '0.9', epsilonWorstCase: '1.1' },
      { dropouts: new Map([[2, 'share'], [3, 'share'], [4, 'share'], [5, 'share']]) },
    ],
  });
}

const AT = '2026-11-26T11:00:00.000Z';

test('the both-shares attack really aborts member 1, and its transcript says so', async (t) => {
  const root = await tempDir('tessera-report-');
  try {
    const s = await session(root);
    t.is(s.outcomes[1]!.clientErrors.get(1)?.code, 'ERR_BOTH_SHARES_REQUESTED');
    t.deepEqual(s.outcomes[1]!.result?.survivors, [1, 2, 3, 4], 'the round itself completed without member 1’s unmask');
    t.is(s.outcomes[2]!.error?.code, 'ERR_BELOW_THRESHOLD');
    const m1 = await readTranscript(s.peerDirs[0]!);
    const note = m1.entries.find((e) => e.kind === 'note' && e.event === 'round-aborted');
    t.truthy(note);
    t.is(note!.kind === 'note' ? note!.data.code : undefined, 'ERR_BOTH_SHARES_REQUESTED');
    // Cross-checking catches the same attack: member 1 was told another dropped set than the others.
    const x = await crossCheck(s.coordinatorDir, s.peerDirs);
    t.false(x.ok);
    const f = x.findings.find((y) => y.kind === 'equivocation')!;
    t.is(f.evidence?.field, 'dropped');
    t.is(f.round, 1);
    t.deepEqual(f.evidence?.values?.map((v) => [v.value, v.peers]), [['[4]', [1]], ['[5]', [2, 3, 4]]]);
  } finally {
    await cleanup(root);
  }
});

test("the coordinator's transcript: rounds, survivors, dropouts by stage, outcomes, ε per round and in total", async (t) => {
  const root = await tempDir('tessera-report-');
  try {
    const s = await session(root);
    const sum = await auditSummary(s.coordinatorDir, { roster: s.fixture.session, generatedAt: AT });
    t.is(sum.format, 'tessera-audit-summary/1');
    t.is(sum.generatedAt, AT);
    t.is(sum.recorder, 0);
    t.true(sum.integrity.ok);
    t.true(sum.integrity.closed);
    t.is(sum.session?.members.length, 5);
    t.is(sum.session?.members[0]!.id, sum.session!.members[0]!.publicKey.slice(0, 16));
    t.is(sum.session?.threshold, 2);
    t.is(sum.session?.graph, 'complete');
    t.is(sum.session?.bits, 16);
    t.deepEqual(sum.session?.targets, { mechanism: 'ddgauss', delta: 1e-5, epsilonTarget: 8, rounds: 3 });
    t.deepEqual(sum.rounds.map((r) => r.round), [0, 1, 2]);
    t.deepEqual(sum.rounds.map((r) => r.participants), [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]);
    t.deepEqual(sum.rounds.map((r) => r.survivors), [[1, 2, 4, 5], [1, 2, 3, 4], null]);
    t.deepEqual(sum.rounds.map((r) => r.dropouts), [
      [{ member: 3, stage: 'masked' }],
      [{ member: 1, stage: 'unmask' }, { member: 5, stage: 'masked' }],
      [{ member: 2, stage: 'share' }, { member: 3, stage: 'share' }, { member: 4, stage: 'share' }, { member: 5, stage: 'share' }],
    ]);
    t.deepEqual(sum.rounds.map((r) => [r.outcome, r.code]), [['completed', null], ['completed', null], ['aborted', 'ERR_BELOW_THRESHOLD']]);
    t.deepEqual(sum.rounds.map((r) => r.epsilon), [0.5, 0.9, null]);
    t.is(sum.rounds[0]!.epsilonRound, 0.5);
    t.true(Math.abs(sum.rounds[1]!.epsilonRound! - 0.4) < 1e-12);
    t.is(sum.totals.epsilon, 0.9);
    t.is(sum.totals.epsilonWorstCase, 1.1);
    t.deepEqual({ ...sum.totals, epsilon: 0, epsilonWorstCase: 0 }, { rounds: 3, completed: 2, aborted: 1, selfAborted: 0, dropouts: 7, epsilon: 0, epsilonWorstCase: 0, delta: 1e-5 });
    t.true(sum.rounds.every((r) => r.published));
    t.deepEqual(sum.anomalies.map((a) => [a.kind, a.round, a.code]), [['round-aborted', 2, 'ERR_BELOW_THRESHOLD']]);
    JSON.parse(JSON.stringify(sum)); // plain JSON
  } finally {
    await cleanup(root);
  }
});

test("member 1's transcript: the round it aborted because the coordinator asked for both shares shows up as such", async (t) => {
  const root = await tempDir('tessera-report-');
  try {
    const s = await session(root);
    const sum = await auditSummary(s.peerDirs[0]!, { generatedAt: AT });
    t.is(sum.recorder, 1);
    t.true(sum.integrity.ok);
    const r1 = sum.rounds.find((r) => r.round === 1)!;
    t.deepEqual(r1.selfAborted, {
      member: 1, code: 'ERR_BOTH_SHARES_REQUESTED', explanation: 'the coordinator asked for both shares of one neighbour',
      message: r1.selfAborted!.message,
    });
    t.regex(r1.selfAborted!.message, /^member 4 is listed both as a survivor and as dropped/);
    t.is(r1.outcome, 'completed', 'the coordinator announced a completed round (round-end ok)');
    t.is(sum.totals.selfAborted, 1);
    t.deepEqual(sum.rounds[0]!.dropouts, [{ member: 3, stage: 'masked' }], 'member 1 sees member 3 in the dropped set of its unmask request');
    t.deepEqual(sum.rounds[0]!.survivors, [1, 2, 4, 5]);
    t.deepEqual(sum.rounds.map((r) => r.epsilon), [null, null, null], 'ε is reported in the coordinator’s transcript only');
    const anomaly = sum.anomalies.find((a) => a.kind === 'peer-aborted')!;
    t.is(anomaly.round, 1);
    t.is(anomaly.code, 'ERR_BOTH_SHARES_REQUESTED');
    t.regex(anomaly.message, /^member 1 aborted round 1 itself: the coordinator asked for both shares of one neighbour/);
    t.deepEqual(sum.anomalies.map((a) => a.kind), ['peer-aborted', 'round-aborted']);

    const md = renderAuditMarkdown(sum);
    t.regex(md, /^# Transcript audit: session [0-9a-f]{16}…/);
    t.regex(md, /\| 1 \| 1, 2, 3, 4, 5 \| 1, 2, 3, 4 \| 5 \(before masked\) \| completed; ABORTED BY MEMBER 1: ERR_BOTH_SHARES_REQUESTED \(the coordinator asked for both shares of one neighbour\) \|/);
    t.regex(md, /\| 2 \| 1, 2, 3, 4, 5 \| — \| .* \| ABORTED ERR_BELOW_THRESHOLD \|/);
    t.regex(md, /\| peer-aborted \| 1 \| ERR_BOTH_SHARES_REQUESTED \| member 1 aborted round 1 itself/);

    const page = renderAuditHtml(sum);
    t.true(page.startsWith('<!doctype html>'));
    t.true(page.includes('data-plot="audit-survivors"'));
    t.true(page.includes('data-plot="audit-epsilon"'));
    t.true(page.includes('ERR_BOTH_SHARES_REQUESTED'));
    t.false(/<script[^>]+src=|<link /.test(page), 'self-contained');
    const island = /<script type="application\/json" id="tessera-data">(.*?)<\/script>/s.exec(page)![1]!;
    const data = JSON.parse(island) as { kind: string; summary: AuditSummary; plots: { id: string }[] };
    t.is(data.kind, 'audit');
    t.deepEqual(data.summary, JSON.parse(JSON.stringify(sum)));
    t.deepEqual(data.plots.map((p) => p.id), ['audit-survivors'], 'a member’s transcript has no ε to plot: a text figure');
  } finally {
    await cleanup(root);
  }
});

test('the HTML page of the coordinator: both charts; hostile text is escaped; bad input is refused', async (t) => {
  const root = await tempDir('tessera-report-');
  try {
    const s = await session(root);
    const sum = await auditSummary(s.coordinatorDir, { generatedAt: AT });
    const page = renderAuditHtml(sum);
    const data = JSON.parse(/<script type="application\/json" id="tessera-data">(.*?)<\/script>/s.exec(page)![1]!) as { plots: { id: string; datasets: { data: unknown[] }[] }[] };
    t.deepEqual(data.plots.map((p) => p.id), ['audit-survivors', 'audit-epsilon']);
    t.deepEqual(data.plots[1]!.datasets[1]!.data, [0.5, 0.9, null]);
    const md = renderAuditMarkdown(sum);
    t.regex(md, /\| ε spent \| 0\.90 at δ = 1e-5 \(target 8\.00\) \|/);
    t.regex(md, /\| 0 \| 1, 2, 3, 4, 5 \| 1, 2, 4, 5 \| 3 \(masked\) \| completed \| 0\.50 \| 0\.50 \|/);
    const hostile = { ...sum, dir: '<script>alert(1)</script>', anomalies: [{ kind: 'integrity' as const, round: null, code: 'ERR_X', message: '</td><img src=x>' }] };
    const evil = renderAuditHtml(hostile);
    t.false(evil.includes('<script>alert(1)'));
    t.false(evil.includes('<img src=x>'));
    t.true(evil.includes('&lt;img src=x&gt;'));
    t.throws(() => renderAuditHtml({ ...sum, format: 'nope' } as unknown as AuditSummary), { instanceOf: TypeError, message: /summary\.format/ });
    t.throws(() => renderAuditMarkdown({ ...sum, rounds: 'x' } as unknown as AuditSummary), { instanceOf: TypeError, message: /summary\.rounds/ });
  } finally {
    await cleanup(root);
  }
});

test('integrity failures and unreadable transcripts are anomalies, not exceptions', async (t) => {
  const root = await tempDir('tessera-report-');
  try {
    const s = await writeSession(root, { seed: 'report-bad', n: 3, rounds: [{}] });
    const file = join(s.coordinatorDir, 'transcript.tlog');
    const bytes = new Uint8Array(await readFile(file));
    bytes[bytes.length - 5] ^= 0x10;
    await writeFile(file, bytes);
    const sum = await auditSummary(s.coordinatorDir, { generatedAt: AT });
    t.false(sum.integrity.ok);
    t.true(sum.anomalies.some((a) => a.kind === 'integrity'));
    t.is(sum.rounds.length, 1, 'what the transcript claims is still summarised, flagged');
    t.regex(renderAuditMarkdown(sum), /integrity \| FAILED: ERR_/);
    const none = await auditSummary(join(root, 'missing'), { generatedAt: AT });
    t.false(none.integrity.ok);
    t.is(none.integrity.failures[0]!.code, 'ERR_IO');
    t.is(none.session, null);
    t.deepEqual(none.rounds, []);
    t.regex(renderAuditMarkdown(none), /The session entry could not be read/);
    t.true(renderAuditHtml(none).includes('could not be read'));
    // A round whose transcript ends early: incomplete.
    const honest = await auditSummary(s.peerDirs[0]!, { generatedAt: AT });
    t.deepEqual(honest.anomalies, []);
    t.regex(renderAuditMarkdown(honest), /None: the transcript verified and every round completed\./);
  } finally {
    await cleanup(root);
  }
});
