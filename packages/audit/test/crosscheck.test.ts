import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256, toHex, verifySignature, concat, decodeCanonical } from '@tessera/crypto';
import { SECAGG_LABEL, crossCheck, readTranscript, type MessageEntry } from '../src/index.js';
import { cleanup, tempDir } from './helpers.js';
import { forgeSurvivors, messageOf, writeSession } from './xc-helpers.js';

/** 4 members, member 4 drops before sending its masked input: U3 = [1, 2, 3], dropped = [4]. */
const dropout = new Map([[4, 'masked' as const]]);

test('an honest session: every transcript verifies and the cross-check passes without findings', async (t) => {
  const root = await tempDir('tessera-xc-');
  try {
    const s = await writeSession(root, { seed: 'honest', n: 4, rounds: [{ dropouts: dropout }, {}] });
    t.deepEqual(s.outcomes.map((o) => o.result?.survivors), [[1, 2, 3], [1, 2, 3, 4]]);
    const r = await crossCheck(s.coordinatorDir, s.peerDirs, { roster: s.fixture.session });
    t.true(r.ok, JSON.stringify(r.findings, null, 1));
    t.deepEqual(r.findings, []);
    t.true(r.coordinator.ok);
    t.is(r.coordinator.recorder, 0);
    t.deepEqual(r.peers.map((p) => [p.recorder, p.ok]), [[1, true], [2, true], [3, true], [4, true]]);
    t.true(r.peers.every((p) => p.messages > 0));
  } finally {
    await cleanup(root);
  }
});

test('variant A: member 1 got a forged U3, the coordinator recorded the honest one — flagged with both envelopes', async (t) => {
  const root = await tempDir('tessera-xc-');
  try {
    const s = await writeSession(root, {
      seed: 'equivocate-a', n: 4,
      rounds: [{ dropouts: dropout, tamper: forgeSurvivors(1, 3, 4), coordinatorRecords: 'honest' }],
    });
    // Member 1 really acted on the forged request: it signed another survivor set, which the server refused.
    t.is(s.outcomes[0]!.refused.length, 1);
    t.is(s.outcomes[0]!.refused[0]!.from, 1);
    const r = await crossCheck(s.coordinatorDir, s.peerDirs, { roster: s.fixture.session });
    t.false(r.ok);
    t.is(r.counts.integrity, 0, 'every transcript is intact: the lie is only visible across transcripts');
    const eq = r.findings.filter((f) => f.kind === 'equivocation');
    const differently = eq.find((f) => f.evidence?.reason === 'recorded-differently');
    t.truthy(differently, JSON.stringify(r.findings.map((f) => f.message), null, 1));
    const ev = differently!.evidence!;
    t.is(ev.round, 0);
    t.is(differently!.type, 'consistency-request');
    t.deepEqual(differently!.peers, [1]);
    t.deepEqual(ev.fields, ['survivors']);
    t.is(ev.a.recordedBy, 1);
    t.is(ev.a.value, 'survivors=[1,2,4]');
    t.is(ev.b!.recordedBy, 0);
    t.is(ev.b!.value, 'survivors=[1,2,3]');
    t.not(ev.a.envelopeSha256, ev.b!.envelopeSha256);
    t.regex(differently!.message, new RegExp(`member 1 received envelope sha256 ${ev.a.envelopeSha256}.*records sending sha256 ${ev.b!.envelopeSha256}`));

    // The member's envelope is transferable evidence: it hashes to the cited digest and carries the coordinator's signature.
    const m1 = await readTranscript(s.peerDirs[0]!);
    const forged = m1.entries.find((e): e is MessageEntry => e.kind === 'message' && e.type === 'consistency-request')!;
    t.is(toHex(sha256(forged.env!)), ev.a.envelopeSha256);
    const env = decodeCanonical(forged.env!) as { m: Uint8Array; s: Uint8Array };
    t.true(verifySignature(s.fixture.session.serverKey, concat(SECAGG_LABEL, env.m), env.s));
    t.is(ev.a.signature, toHex(env.s));

    // Two members got different U3: also reported, naming both members.
    const diff = eq.find((f) => f.evidence?.reason === 'different-values' && f.evidence.field === 'survivors');
    t.truthy(diff);
    t.is(diff!.evidence!.a.value === '[1,2,4]' ? diff!.evidence!.a.peer : diff!.evidence!.b!.peer, 1);
    t.deepEqual(diff!.evidence!.values!.map((v) => v.value).sort(), ['[1,2,3]', '[1,2,4]']);
    t.deepEqual(diff!.peers, [1, 2, 3]);
    // Member 1's consistency (over the forged set) was recorded by the coordinator as received: no not-received warning for it.
    t.false(r.findings.some((f) => f.kind === 'not-received'));
  } finally {
    await cleanup(root);
  }
});

test('variant B: each transcript consistent with itself, but members 1 and 2 got different U3', async (t) => {
  const root = await tempDir('tessera-xc-');
  try {
    const s = await writeSession(root, { seed: 'equivocate-b', n: 4, rounds: [{ dropouts: dropout, tamper: forgeSurvivors(1, 3, 4), coordinatorRecords: 'forged' }] });
    const r = await crossCheck(s.coordinatorDir, s.peerDirs, { roster: s.fixture.session });
    t.false(r.ok);
    t.false(r.findings.some((f) => f.evidence?.reason === 'recorded-differently' || f.evidence?.reason === 'unrecorded'), 'the coordinator recorded what it sent');
    const eq = r.findings.filter((f) => f.kind === 'equivocation');
    t.is(eq.length, 1, JSON.stringify(eq, null, 1));
    const f = eq[0]!;
    const ev = f.evidence!;
    t.is(ev.reason, 'different-values');
    t.is(ev.round, 0);
    t.is(ev.field, 'survivors');
    t.is(f.type, 'consistency-request');
    const sides = [ev.a, ev.b!].sort((x, y) => x.peer - y.peer);
    t.is(sides[0]!.peer, 1);
    t.is(sides[0]!.value, '[1,2,4]');
    t.is(sides[1]!.value, '[1,2,3]');
    t.not(sides[1]!.peer, 1);
    t.is(sides[0]!.type, 'consistency-request');
    // Both cited envelopes are in the transcripts that recorded them, with those hashes.
    for (const side of sides) {
      const tr = await readTranscript(side.recordedBy === 0 ? s.coordinatorDir : s.peerDirs[side.recordedBy - 1]!);
      const e = tr.entries[side.seq] as MessageEntry;
      t.is(toHex(sha256(e.env!)), side.envelopeSha256);
      t.deepEqual(messageOf(e.env!).to, side.peer);
    }
    t.regex(f.message, /^EQUIVOCATION round 0 U3 \(survivors\): member \d was sent consistency-request survivors=\[1,2,[34]\] \(envelope sha256 [0-9a-f]{64}/);
    // Only the coordinator's transcript plus member 1's and member 2's suffice to show it.
    const pair = await crossCheck(s.coordinatorDir, [s.peerDirs[1]!, s.peerDirs[0]!]);
    t.is(pair.counts.equivocations, 1);
    // And without member transcripts the coordinator's own transcript already shows two U3 (it is self-incriminating).
    const alone = await crossCheck(s.coordinatorDir, []);
    t.is(alone.counts.equivocations, 1);
  } finally {
    await cleanup(root);
  }
});

test('a message the coordinator never received is a warning, not equivocation; integrity failures fail the check', async (t) => {
  const root = await tempDir('tessera-xc-');
  try {
    const s = await writeSession(root, { seed: 'lost', n: 4, rounds: [{ lost: (d) => d.from === 2 && d.stage === 'unmask' }] });
    const r = await crossCheck(s.coordinatorDir, s.peerDirs);
    t.true(r.ok, JSON.stringify(r.findings, null, 1));
    t.deepEqual(r.findings.map((f) => [f.kind, f.severity, f.round, f.type, f.peers]), [['not-received', 'warning', 0, 'unmask', [2]]]);
    t.is(r.counts.warnings, 1);

    // Flip one byte in member 3's log: its integrity fails, and the check fails with it.
    const file = join(s.peerDirs[2]!, 'transcript.tlog');
    const bytes = new Uint8Array(await readFile(file));
    bytes[bytes.length - 3] ^= 1;
    await writeFile(file, bytes);
    const bad = await crossCheck(s.coordinatorDir, s.peerDirs);
    t.false(bad.ok);
    t.is(bad.counts.integrity, 1);
    const f = bad.findings.find((x) => x.kind === 'integrity')!;
    t.is(f.dir, s.peerDirs[2]);
    t.truthy(f.failure?.code);
    t.regex(f.message, /^INTEGRITY .*member-3 \(member 3\): ERR_/);
    t.false(bad.peers[2]!.ok);

    // A missing folder, a peer folder given as the coordinator, and a transcript of another session.
    const missing = await crossCheck(join(root, 'nope'), [s.peerDirs[0]!]);
    t.false(missing.ok);
    t.is(missing.coordinator.first?.code, 'ERR_IO');
    const swapped = await crossCheck(s.peerDirs[0]!, [s.coordinatorDir]);
    t.is(swapped.counts.integrity, 2);
    const other = await writeSession(join(root, 'other'), { seed: 'other-session', n: 4, rounds: [{}] });
    const mixed = await crossCheck(s.coordinatorDir, [other.peerDirs[0]!, s.peerDirs[0]!, s.peerDirs[0]!]);
    t.deepEqual(mixed.findings.filter((x) => x.severity === 'error').map((x) => x.kind), ['session-mismatch', 'duplicate-recorder']);
    // Pinning a roster the transcripts do not carry fails every transcript's integrity.
    const pinned = await crossCheck(s.coordinatorDir, [s.peerDirs[0]!], { roster: other.fixture.session });
    t.is(pinned.counts.integrity, 2);
  } finally {
    await cleanup(root);
  }
});

test('crossCheck refuses bad arguments with a TypeError', async (t) => {
  await t.throwsAsync(() => crossCheck('', []), { instanceOf: TypeError });
  await t.throwsAsync(() => crossCheck('x', 'y' as unknown as string[]), { instanceOf: TypeError });
});
