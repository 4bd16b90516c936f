/**
 * The protocol checks on real transcripts: a coordinator's transcript of real DP-SGD rounds (with a
 * dropout, an aborted round, a dropout in Unmasking) passes every check; the same transcript as a
 * member would see it, or with digest-only envelopes, is "not checkable" where the checks cannot run.
 */
import test from 'ava';
import { CHECK_IDS, TranscriptWriter, auditTranscript, auditTranscriptBytes, decodeParams, formatFailure } from '../src/index.js';
import { cleanup, tempDir } from './helpers.js';
import { STANDARD_ROUNDS, envelopeOf, getRecording, memoryLoader, recordTraining } from './checks-helpers.js';

test('a real coordinator transcript (4 rounds: full, dropout, aborted, dropout in Unmasking) passes every check', async (t) => {
  const l = await getRecording();
  const r = await auditTranscriptBytes(l.tlog, memoryLoader(l.blobs), { roster: l.recording.parties.session });
  t.true(r.ok, r.first ? formatFailure(r.first) : JSON.stringify(r.checks.filter((c) => c.status !== 'pass'), null, 1));
  t.deepEqual(r.checks.map((c) => c.id), [...CHECK_IDS]);
  for (const c of r.checks) t.is(c.status, 'pass', `${c.id}: ${c.summary}`);
  t.is(r.counts.completedRounds, 3);
  t.is(r.counts.abortedRounds, 1);
  t.is(r.checks.find((c) => c.id === 'sum')!.checked, 3);
  t.true(r.checks.find((c) => c.id === 'update')!.checked >= 3 * 4, 'every publish with an update was compared');
  t.is(r.recorder, 0);
  t.true(l.blobs.size > 0, 'some envelopes are blobs');
  const last = l.recording.rounds.filter((x) => x.epsilon !== undefined).at(-1)!;
  t.true(Math.abs(r.privacy!.epsilon! - last.epsilon!) <= 1e-9 * last.epsilon!);
  t.is(r.privacy!.rounds, 3);
  t.is(r.privacy!.epsilonTarget, 8);
  t.is(r.first, null);
  t.is(JSON.parse(JSON.stringify(r)).ok, true, 'the report is JSON data');
  t.log(r.checks.map((c) => `${c.id}: ${c.summary}`).join('\n'));
});

test('auditTranscript reads a folder; a missing folder is an integrity failure, not a throw', async (t) => {
  const dir = await tempDir('tessera-audit-checks-');
  try {
    const rec = await recordTraining(dir, { seed: 'folder', rounds: STANDARD_ROUNDS.slice(0, 2) });
    const r = await auditTranscript(dir, { roster: rec.parties.session });
    t.true(r.ok, r.first ? formatFailure(r.first) : '');
    const gone = await auditTranscript(`${dir}/nope`, { roster: rec.parties.session });
    t.false(gone.ok);
    t.is(gone.first?.check, 'integrity');
    t.is(gone.first?.code, 'ERR_IO');
    t.true(gone.checks.every((c) => c.status === 'not-checkable'));
  } finally {
    await cleanup(dir);
  }
});

test('digest-only envelopes make the sum (and the updates) not checkable, never a pass', async (t) => {
  const l = await getRecording('digests', { digestsOnly: true });
  const r = await auditTranscriptBytes(l.tlog, memoryLoader(l.blobs), { roster: l.recording.parties.session });
  t.false(r.ok);
  t.is(r.first, null, 'nothing failed');
  const status = Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
  t.is(status['sum'], 'not-checkable');
  t.is(status['stage-order'], 'pass');
  t.is(status['privacy'], 'pass');
});

test('a member\'s transcript: the sum is not checkable', async (t) => {
  // Re-record round traffic as member 1 would: only its own exchange with the coordinator.
  const l = await getRecording();
  const { session, memberIdentities } = l.recording.parties;
  const dir = await tempDir('tessera-audit-checks-');
  try {
    const w = await TranscriptWriter.open(dir, { recorder: 1, identity: memberIdentities[0]! });
    const session0 = l.records[0]!.entry;
    if (session0.kind !== 'session') throw new Error('no session entry');
    const p = decodeParams(session0.params);
    await w.appendSession({ session, privacy: p.privacy, extra: p.extra });
    for (const rec of l.records) {
      const e = rec.entry;
      if (e.kind === 'note' && e.event === 'round-result') await w.appendNote({ round: e.round, event: 'round-result', data: e.data });
      if (e.kind !== 'message' || (e.from !== 1 && e.to !== 1)) continue;
      await w.appendMessage({ dir: e.from === 1 ? 'sent' : 'received', to: e.to, frameOrEnvelope: envelopeOf(l, e), tag: e.tag as 1 | 2 });
    }
    await w.close();
    const r = await auditTranscript(dir, { roster: session });
    const status = Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
    t.is(r.recorder, 1);
    t.is(status['sum'], 'not-checkable', JSON.stringify(r.checks.find((c) => c.id === 'sum')));
    t.is(status['update'], 'not-checkable');
    t.is(status['stage-order'], 'pass', r.first ? formatFailure(r.first) : '');
    t.is(status['survivor-set'], 'pass');
    t.false(r.ok);
  } finally {
    await cleanup(dir);
  }
});
