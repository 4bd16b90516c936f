/**
 * Semantic mutations of a real coordinator transcript. Each forged message is re-signed with its
 * sender's own key and the entries are re-chained and re-signed with the recorder's key, so the
 * integrity layer passes: only the protocol checks can catch them, each with the right check, code and
 * entry.
 */
import test, { type ExecutionContext } from 'ava';
import { decodeCanonical, encodeCanonical, toHex, type Canonical } from '@tessera/crypto';
import { survivorsDigest } from '@tessera/secagg';
import { auditTranscriptBytes, formatFailure, type AuditFailure, type AuditReport, type Entry, type MessageEntry, type NoteEntry } from '../src/index.js';
import { controlOf, getRecording, memoryLoader, rechain, reseal, resealControl, secaggOf, withEnvelope, type Loaded } from './checks-helpers.js';

const audit = (l: Loaded, tlog: Uint8Array): Promise<AuditReport> =>
  auditTranscriptBytes(tlog, memoryLoader(l.blobs), { roster: l.recording.parties.session });

const entries = (l: Loaded): Entry[] => l.records.map((r) => r.entry);
const isMsg = (e: Entry, type: string, round: number, o: { from?: number; to?: number } = {}): e is MessageEntry =>
  e.kind === 'message' && e.type === type && e.round === round && (o.from === undefined || e.from === o.from) && (o.to === undefined || e.to === o.to);
const isNote = (e: Entry, event: string, round: number): e is NoteEntry => e.kind === 'note' && e.event === event && e.round === round;

function index(l: Loaded, pred: (e: Entry) => boolean): number {
  const i = entries(l).findIndex(pred);
  if (i < 0) throw new Error('no such entry');
  return i;
}

function replaced(l: Loaded, i: number, e: Entry): Uint8Array {
  const list = entries(l);
  list[i] = e;
  return rechain(list, l.recording.parties.serverIdentity);
}

function expectFirst(t: ExecutionContext, r: AuditReport, o: { check: AuditFailure['check']; code: string; seq: number; party?: number }): void {
  t.false(r.ok);
  t.true(r.integrity.ok, `integrity must pass: ${JSON.stringify(r.integrity.failures[0])}`);
  const f = r.first!;
  t.truthy(f, 'a failure is reported');
  t.is(f.check, o.check, formatFailure(f));
  t.is(f.code, o.code, formatFailure(f));
  t.is(f.seq, o.seq, formatFailure(f));
  if (o.party !== undefined) t.is(f.party, o.party, formatFailure(f));
  t.is(r.checks.find((c) => c.id === o.check)!.status, 'fail');
  t.log(formatFailure(f));
}

test('control: re-chaining the entries unchanged gives the same bytes, and the audit passes', async (t) => {
  const l = await getRecording();
  const out = rechain(entries(l), l.recording.parties.serverIdentity);
  t.is(toHex(out), toHex(l.tlog));
  t.true((await audit(l, out)).ok);
});

test('a member\'s unmask revealing both shares of one member fails both-shares at that entry (the member\'s fault)', async (t) => {
  const l = await getRecording();
  // Round 1: member 4 dropped after ShareKeys, so member 1 reveals its mask-key share; add its self-mask share too.
  const i = index(l, (e) => isMsg(e, 'unmask', 1, { from: 1 }));
  const e = entries(l)[i] as MessageEntry;
  const m = secaggOf(l, e) as unknown as { selfMaskShares: [number, Uint8Array][]; maskKeyShares: [number, Uint8Array][] };
  t.deepEqual(m.maskKeyShares.map(([v]) => v), [4]);
  m.selfMaskShares = [...m.selfMaskShares, [4, m.maskKeyShares[0]![1]] as [number, Uint8Array]].sort((a, b) => a[0] - b[0]);
  const forged = reseal(m as unknown as Record<string, unknown>, l.recording.parties.memberIdentities[0]!);
  expectFirst(t, await audit(l, replaced(l, i, withEnvelope(e, forged))), { check: 'both-shares', code: 'ERR_BOTH_SHARES_REVEALED', seq: i, party: 1 });
});

test('an unmask-request listing a survivor as dropped fails both-shares at that entry (the coordinator\'s fault)', async (t) => {
  const l = await getRecording();
  const i = index(l, (e) => isMsg(e, 'unmask-request', 1));
  const e = entries(l)[i] as MessageEntry;
  const m = secaggOf(l, e) as unknown as { survivors: number[]; dropped: number[] };
  m.dropped = [...new Set([...m.dropped, m.survivors[1]!])].sort((a, b) => a - b);
  const forged = reseal(m as unknown as Record<string, unknown>, l.recording.parties.serverIdentity);
  expectFirst(t, await audit(l, replaced(l, i, withEnvelope(e, forged))), { check: 'both-shares', code: 'ERR_BOTH_SHARES_REQUESTED', seq: i, party: 0 });
});

test('a consistency signature over a different survivor set fails survivor-set at that entry', async (t) => {
  const l = await getRecording();
  const { session, memberIdentities } = l.recording.parties;
  const i = index(l, (e) => isMsg(e, 'consistency', 0, { from: 2 }));
  const e = entries(l)[i] as MessageEntry;
  const m = secaggOf(l, e) as unknown as { survivors: Uint8Array };
  m.survivors = survivorsDigest(session, 0, [1, 2, 3]);
  const forged = reseal(m as unknown as Record<string, unknown>, memberIdentities[1]!);
  expectFirst(t, await audit(l, replaced(l, i, withEnvelope(e, forged))), { check: 'survivor-set', code: 'ERR_SURVIVOR_SET_MISMATCH', seq: i, party: 2 });
});

test('a survivor set below the threshold fails survivor-set at the coordinator\'s announcement', async (t) => {
  const l = await getRecording();
  const i = index(l, (e) => isMsg(e, 'consistency-request', 0));
  const e = entries(l)[i] as MessageEntry;
  const m = secaggOf(l, e) as unknown as { to: number; survivors: number[] };
  m.survivors = [m.to];
  const forged = reseal(m as unknown as Record<string, unknown>, l.recording.parties.serverIdentity);
  expectFirst(t, await audit(l, replaced(l, i, withEnvelope(e, forged))), { check: 'survivor-set', code: 'ERR_BELOW_THRESHOLD', seq: i, party: 0 });
});

test('a wrong sumSha256 in a round-result fails sum at that note', async (t) => {
  const l = await getRecording();
  const i = index(l, (e) => isNote(e, 'round-result', 0));
  const e = entries(l)[i] as NoteEntry;
  const digest = (e.data.sumSha256 as Uint8Array).slice();
  digest[0]! ^= 1;
  expectFirst(t, await audit(l, replaced(l, i, { ...e, data: { ...e.data, sumSha256: digest } })), { check: 'sum', code: 'ERR_SUM_MISMATCH', seq: i, party: 0 });
});

test('a publish whose update is perturbed fails update at that entry', async (t) => {
  const l = await getRecording();
  const i = index(l, (e) => isMsg(e, 'publish', 1, { to: 2 }));
  const e = entries(l)[i] as MessageEntry;
  const control = controlOf(l, e);
  const publication = decodeCanonical(control.data as Uint8Array) as { [k: string]: Canonical };
  const update = (publication.update as Uint8Array).slice();
  t.is(publication.updateRound, 0);
  update[8 * 3]! ^= 1; // the last mantissa bit of the fourth coordinate
  const data = encodeCanonical({ ...publication, update });
  const forged = resealControl({ ...control, data }, l.recording.parties.serverIdentity);
  expectFirst(t, await audit(l, replaced(l, i, withEnvelope(e, forged))), { check: 'update', code: 'ERR_UPDATE_MISMATCH', seq: i, party: 0 });
});

test('a round-result with a wrong ε fails privacy at that note', async (t) => {
  const l = await getRecording();
  const i = index(l, (e) => isNote(e, 'round-result', 1));
  const e = entries(l)[i] as NoteEntry;
  const epsilon = String(Number(e.data.epsilon) * (1 + 1e-6));
  expectFirst(t, await audit(l, replaced(l, i, { ...e, data: { ...e.data, epsilon } })), { check: 'privacy', code: 'ERR_EPSILON_MISMATCH', seq: i });
  // Within the tolerance (1e-9 relative) is not a failure.
  const close = String(Number(e.data.epsilon) * (1 + 1e-12));
  t.true((await audit(l, replaced(l, i, { ...e, data: { ...e.data, epsilon: close } }))).ok);
});

test('a worst-case ε that is wrong fails privacy too', async (t) => {
  const l = await getRecording();
  const i = index(l, (e) => isNote(e, 'round-result', 3));
  const e = entries(l)[i] as NoteEntry;
  const r = await audit(l, replaced(l, i, { ...e, data: { ...e.data, epsilonWorstCase: '0.5' } }));
  expectFirst(t, r, { check: 'privacy', code: 'ERR_EPSILON_MISMATCH', seq: i });
  t.regex(r.first!.message, /epsilonWorstCase/);
});

test('a masked message moved before the round\'s advertise fails stage-order at the masked message', async (t) => {
  const l = await getRecording();
  const list = entries(l);
  const from = list.findIndex((e) => isMsg(e, 'masked', 0, { from: 2 }));
  const to = list.findIndex((e) => isMsg(e, 'advertise', 0));
  const [moved] = list.splice(from, 1);
  list.splice(to, 0, moved!);
  const r = await audit(l, rechain(list, l.recording.parties.serverIdentity));
  expectFirst(t, r, { check: 'stage-order', code: 'ERR_STAGE_ORDER', seq: to, party: 2 });
});

test('a message of an earlier round after a later round began fails stage-order (rounds only go up)', async (t) => {
  const l = await getRecording();
  const list = entries(l);
  const from = list.findIndex((e) => isMsg(e, 'round-end', 0, { to: 1 }));
  const to = list.findIndex((e) => isMsg(e, 'round-start', 1, { to: 1 })) + 1;
  const [moved] = list.splice(from, 1);
  list.splice(to - 1, 0, moved!);
  const r = await audit(l, rechain(list, l.recording.parties.serverIdentity));
  expectFirst(t, r, { check: 'stage-order', code: 'ERR_ROUND_ORDER', seq: to - 1 });
});

test('a flipped byte fails integrity, and the protocol checks are then not checkable', async (t) => {
  const l = await getRecording();
  const k = l.records[20]!;
  const tlog = l.tlog.slice();
  tlog[k.offset + 4 + 10]! ^= 0x40;
  const r = await audit(l, tlog);
  t.false(r.ok);
  t.is(r.first!.check, 'integrity');
  t.true(r.first!.seq !== null && r.first!.seq <= 20);
  t.true(r.checks.every((c) => c.status === 'not-checkable'));
});
