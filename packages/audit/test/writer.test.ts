import test from 'ava';
import { readFile, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { concat, encodeCanonical, generateIdentity, seededRandom, toHex } from '@tessera/crypto';
import { sealMessage, type Advertise } from '@tessera/secagg';
import {
  AuditError, AuditErrorCodes, MAGIC, TranscriptWriter, readTranscript, verifyIntegrity,
} from '../src/index.js';
import { cleanup, controlFrame, fixture, tempDir } from './helpers.js';

const fx = fixture('writer', 3);
const advert = (from: number, round = 0): Uint8Array =>
  sealMessage({ v: 1, type: 'advertise', session: fx.session.digest, round, from, cPk: new Uint8Array(32).fill(from), sPk: new Uint8Array(32).fill(from + 9) } as Advertise, fx.memberIdentities[from - 1]!);

async function withWriter(f: (w: TranscriptWriter, dir: string) => Promise<void>, recorder = 0): Promise<void> {
  const dir = await tempDir();
  const identity = recorder === 0 ? fx.serverIdentity : fx.memberIdentities[recorder - 1]!;
  const w = await TranscriptWriter.open(dir, { recorder, identity });
  try {
    await f(w, dir);
  } finally {
    await w.close().catch(() => undefined);
    await cleanup(dir);
  }
}

test('refuses a message or a note before the session entry (ERR_WRITER_STATE)', async (t) => {
  await withWriter(async (w) => {
    const e = await t.throwsAsync(w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: advert(1), tag: 1 }), { instanceOf: AuditError });
    t.is(e?.code, AuditErrorCodes.WRITER_STATE);
    await t.throwsAsync(w.appendNote({ round: 0, event: 'dropout' }), { instanceOf: AuditError });
  });
});

test('refuses a second session entry (ERR_WRITER_STATE), also after re-opening', async (t) => {
  const dir = await tempDir();
  try {
    const w = await TranscriptWriter.open(dir, { recorder: 0, identity: fx.serverIdentity });
    await w.appendSession({ session: fx.session });
    const e = await t.throwsAsync(w.appendSession({ session: fx.session }), { instanceOf: AuditError });
    t.is(e?.code, AuditErrorCodes.WRITER_STATE);
    await w.close();
    const w2 = await TranscriptWriter.open(dir, { recorder: 0, identity: fx.serverIdentity });
    t.is(w2.nextSeq, 2);
    await t.throwsAsync(w2.appendSession({ session: fx.session }), { instanceOf: AuditError });
    await w2.close();
  } finally {
    await cleanup(dir);
  }
});

test('refuses envelopes that do not parse, naming frameOrEnvelope', async (t) => {
  await withWriter(async (w) => {
    await w.appendSession({ session: fx.session });
    await t.throwsAsync(w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: Uint8Array.of(0xa2, 1, 2, 3), tag: 1 }), { instanceOf: RangeError, message: /frameOrEnvelope/ });
    await t.throwsAsync(w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: Uint8Array.of(1) }), { instanceOf: RangeError, message: /frameOrEnvelope/ });
    await t.throwsAsync(w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: 'x' as unknown as Uint8Array }), { instanceOf: TypeError, message: /frameOrEnvelope/ });
    await t.throwsAsync(w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: advert(1) }), { instanceOf: TypeError, message: /message\.tag/ });
    await t.throwsAsync(w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: concat(Uint8Array.of(2), advert(1)) }), { instanceOf: RangeError, message: /frameOrEnvelope does not parse/ });
    const m = encodeCanonical({ v: 1, type: 'advertise', session: fx.session.digest, round: 0, from: 1, cPk: new Uint8Array(32), sPk: new Uint8Array(32) });
    const forged = encodeCanonical({ m, s: generateIdentity(seededRandom('x')).sign(m) });
    await t.throwsAsync(w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: forged, tag: 1 }), { instanceOf: RangeError, message: /signature of party 1/ });
    await t.throwsAsync(w.appendMessage({ dir: 'sent', to: 0, frameOrEnvelope: advert(1), tag: 1 }), { instanceOf: RangeError, message: /cannot have sent/ });
    await t.throwsAsync(w.appendMessage({ dir: 'received', to: 2, frameOrEnvelope: advert(1), tag: 1 }), { instanceOf: RangeError, message: /coordinator only|cannot send/ });
    await t.throwsAsync(w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: advert(1), tag: 1, from: 2 }), { instanceOf: RangeError, message: /message\.from/ });
    await t.throwsAsync(w.appendMessage({ dir: 'maybe' as 'sent', to: 0, frameOrEnvelope: advert(1), tag: 1 }), { instanceOf: TypeError, message: /message\.dir/ });
    await t.throwsAsync(w.appendNote({ round: 0, event: 'close' }), { instanceOf: RangeError, message: /reserved/ });
    await t.throwsAsync(w.appendNote({ round: 0, event: 'x', data: { f: 1.5 } }), { instanceOf: TypeError });
    await t.throwsAsync(w.appendNote({ round: -1, event: 'x' }), { instanceOf: RangeError, message: /note\.round/ });
    // None of the refusals wrote anything; a valid message still goes in.
    t.is(w.nextSeq, 1);
    const ok = await w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: advert(1), tag: 1 });
    t.is(ok.seq, 1);
  });
});

test('refuses an identity that is not the roster key of the recorder, and bad options', async (t) => {
  const dir = await tempDir();
  try {
    const w = await TranscriptWriter.open(dir, { recorder: 2, identity: fx.serverIdentity });
    await t.throwsAsync(w.appendSession({ session: fx.session }), { instanceOf: RangeError, message: /roster key of recorder 2/ });
    await w.close();
    await t.throwsAsync(TranscriptWriter.open(dir, { recorder: -1, identity: fx.serverIdentity }), { instanceOf: RangeError, message: /options\.recorder/ });
    await t.throwsAsync(TranscriptWriter.open(dir, { recorder: 0, identity: fx.serverIdentity, inlineLimit: 1 << 30 }), { instanceOf: RangeError, message: /options\.inlineLimit/ });
    await t.throwsAsync(TranscriptWriter.open(dir, { recorder: 0, identity: {} as never }), { instanceOf: TypeError, message: /options\.identity/ });
  } finally {
    await cleanup(dir);
  }
});

test('a member records what it sent and received; control frames verify', async (t) => {
  await withWriter(async (w, dir) => {
    await w.appendSession({ session: fx.session, privacy: null });
    await w.appendMessage({ dir: 'received', to: 2, frameOrEnvelope: controlFrame({ v: 1, type: 'round-start', session: fx.session.digest, round: 0, participants: [1, 2, 3] }, fx.serverIdentity) });
    await w.appendMessage({ dir: 'sent', to: 0, frameOrEnvelope: concat(Uint8Array.of(1), advert(2)) });
    await t.throwsAsync(w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: advert(1), tag: 1 }), { instanceOf: RangeError, message: /cannot have received/ });
    await w.close();
    const r = await verifyIntegrity(dir, { roster: fx.session });
    t.true(r.ok, JSON.stringify(r.first));
    t.is(r.session?.recorder, 2);
    t.is(r.entries, 4);
  }, 2);
});

test('re-opening continues the chain; an unclosed transcript is partial; appends need not be awaited one by one', async (t) => {
  const dir = await tempDir();
  try {
    const w = await TranscriptWriter.open(dir, { recorder: 0, identity: fx.serverIdentity, syncEvery: 0 });
    const p = [w.appendSession({ session: fx.session }), w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: advert(1), tag: 1 }), w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: advert(2), tag: 1 })];
    t.deepEqual((await Promise.all(p)).map((a) => a.seq), [0, 1, 2]);
    await w.flush();
    const head = w.head;
    // Simulate a crash: no close().
    const open = await verifyIntegrity(dir);
    t.is(open.first?.code, AuditErrorCodes.NOT_CLOSED);
    t.true((await verifyIntegrity(dir, { allowPartial: true })).ok);
    const w2 = await TranscriptWriter.open(dir, { recorder: 0, identity: fx.serverIdentity });
    t.is(toHex(w2.head), toHex(head));
    t.deepEqual(w2.recovered, { records: 3 });
    await w2.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: advert(3), tag: 1 });
    await w2.close();
    const r = await verifyIntegrity(dir, { roster: fx.session });
    t.true(r.ok, JSON.stringify(r.first));
    t.is(r.entries, 5);
    await t.throwsAsync(TranscriptWriter.open(dir, { recorder: 1, identity: fx.memberIdentities[0]! }), { instanceOf: AuditError });
  } finally {
    await cleanup(dir);
  }
});

test('re-opening truncates a torn tail and reports it; refuses a damaged transcript', async (t) => {
  const dir = await tempDir();
  try {
    const w = await TranscriptWriter.open(dir, { recorder: 0, identity: fx.serverIdentity });
    await w.appendSession({ session: fx.session });
    await w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: advert(1), tag: 1 });
    await w.close();
    const file = join(dir, 'transcript.tlog');
    const good = await readFile(file);
    await appendFile(file, Uint8Array.of(0, 0, 1, 0, 0xa9, 1, 2));
    const torn = await readTranscript(dir);
    t.deepEqual(torn.truncatedTail, { offset: good.length, bytes: 7 });
    t.is((await verifyIntegrity(dir)).first?.code, AuditErrorCodes.TRUNCATED);
    const w2 = await TranscriptWriter.open(dir, { recorder: 0, identity: fx.serverIdentity });
    t.deepEqual(w2.recovered, { records: 3, truncatedTail: { offset: good.length, bytes: 7 } });
    await w2.close();
    t.true((await verifyIntegrity(dir)).ok);
    // Damage inside a record: the writer refuses to append to it.
    const bytes = new Uint8Array(await readFile(file));
    bytes[MAGIC.length + 30]! ^= 0x10;
    await writeFile(file, bytes);
    await t.throwsAsync(TranscriptWriter.open(dir, { recorder: 0, identity: fx.serverIdentity }), { instanceOf: AuditError });
    // A torn magic (a crash while creating the file) starts afresh.
    await writeFile(file, MAGIC.subarray(0, 7));
    const w3 = await TranscriptWriter.open(dir, { recorder: 0, identity: fx.serverIdentity });
    t.deepEqual(w3.recovered, { records: 0, restarted: true });
    await w3.close();
  } finally {
    await cleanup(dir);
  }
});

test('an empty transcript has no session entry; with allowPartial it is a valid (empty) prefix', async (t) => {
  const dir = await tempDir();
  try {
    const w = await TranscriptWriter.open(dir, { recorder: 0, identity: fx.serverIdentity });
    await w.close();
    t.is((await verifyIntegrity(dir)).first?.code, AuditErrorCodes.SESSION_ENTRY);
    const partial = await verifyIntegrity(dir, { allowPartial: true });
    t.true(partial.ok);
    t.is(partial.entries, 0);
  } finally {
    await cleanup(dir);
  }
});
