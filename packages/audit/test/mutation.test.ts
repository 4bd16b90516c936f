/**
 * Mutation tests over a small real transcript (the log's bytes: mutation-log-*.test.ts): every bit-flipped byte of every blob,
 * every deleted entry, every swapped adjacent pair, every entry re-signed with a key not on the roster.
 * Each mutant must fail, at or before the mutated record, with a plausible code.
 */
import test from 'ava';
import {
  concat, encodeCanonical, generateIdentity, seededRandom, sha256, toHex, u32be, type Identity,
} from '@tessera/crypto';
import {
  AuditErrorCodes, CONTROL_LABEL, ENTRY_LABEL, MAGIC, SECAGG_LABEL, SESSION_LABEL, entryToMap, inspectEnvelope, verifyTranscriptBytes, type Entry,
} from '../src/index.js';
import { getSmall, loader, verify } from './small.js';

test('the small transcript verifies and has inline entries, blobs, control messages and notes', async (t) => {
  const s = await getSmall();
  const r = await verify(s, s.tlog);
  t.true(r.ok, JSON.stringify(r.first));
  t.true(s.blobs.size >= 1);
  t.true(s.records.some((x) => x.entry.kind === 'message' && x.entry.tag === 2));
  t.true(s.records.some((x) => x.entry.kind === 'note'));
  t.log(`${s.tlog.length} bytes, ${s.records.length} entries, ${s.blobs.size} blobs`);
});

test('flipping one bit of every byte of every blob fails with ERR_BLOB_DIGEST at the entry naming it', async (t) => {
  const s = await getSmall();
  for (const [name, blob] of s.blobs) {
    const owner = s.records.find((r) => r.entry.kind === 'message' && r.entry.blob && toHex(r.entry.blob) === name)!;
    for (let i = 0; i < blob.length; i++) {
      const m = blob.slice();
      m[i]! ^= 1 << (i % 8);
      // Verified from a checkpoint at the owner: the log before it is the original's (see mutation-log-a).
      const r = await verifyTranscriptBytes(s.tlog, loader(new Map([...s.blobs, [name, m]])), { roster: s.fixture.session, resumeFrom: { entries: owner.index, head: s.records[owner.index - 1]!.hash } });
      if (r.first?.code !== AuditErrorCodes.BLOB_DIGEST || r.first.seq !== owner.index) t.fail(`blob ${name} byte ${i}: ${JSON.stringify(r.first)}`);
    }
  }
  const [name] = [...s.blobs.keys()];
  const gone = new Map(s.blobs);
  gone.delete(name!);
  t.is((await verify(s, s.tlog, gone)).first?.code, AuditErrorCodes.BLOB_MISSING);
  t.pass();
});

function join(records: readonly Uint8Array[]): Uint8Array {
  return concat(MAGIC, ...records.flatMap((b) => [u32be(b.length), b]));
}

test('deleting any entry fails (ERR_SEQ, or ERR_NOT_CLOSED for the final close note)', async (t) => {
  const s = await getSmall();
  for (const r of s.records) {
    const rest = s.records.filter((x) => x !== r).map((x) => x.bytes);
    const rep = await verify(s, join(rest));
    const last = r.index === s.records.length - 1;
    t.is(rep.first?.code, last ? AuditErrorCodes.NOT_CLOSED : AuditErrorCodes.SEQ, `deleting entry ${r.index}`);
    if (!last) t.is(rep.first?.seq, r.index);
  }
});

test('swapping any adjacent pair of entries fails with ERR_SEQ at the first of them', async (t) => {
  const s = await getSmall();
  for (let k = 0; k + 1 < s.records.length; k++) {
    const b = s.records.map((x) => x.bytes);
    [b[k], b[k + 1]] = [b[k + 1]!, b[k]!];
    const rep = await verify(s, join(b));
    t.is(rep.first?.code, AuditErrorCodes.SEQ, `swapping ${k} and ${k + 1}`);
    t.is(rep.first?.seq, k);
  }
});

/** Re-chains entries (fresh prev links and recorder signatures), as an attacker holding the recorder's key could. */
function rechain(entries: readonly Entry[], recorder: Identity): Uint8Array[] {
  let prev = sha256(MAGIC);
  return entries.map((e) => {
    const unsigned = { ...e, prev };
    const rsig = recorder.sign(concat(ENTRY_LABEL, encodeCanonical(entryToMap(unsigned as Entry, false))));
    const bytes = encodeCanonical(entryToMap({ ...unsigned, rsig } as Entry, true));
    prev = sha256(bytes);
    return bytes;
  });
}

test('re-chaining with the recorder key alone changes nothing (the control for the re-signing tests)', async (t) => {
  const s = await getSmall();
  const out = join(rechain(s.records.map((r) => r.entry), s.fixture.serverIdentity));
  t.is(toHex(out), toHex(s.tlog));
});

test('re-signing any envelope with a key not on the roster fails with ERR_BAD_SIGNATURE at that entry', async (t) => {
  const s = await getSmall();
  const rogue = generateIdentity(seededRandom('rogue'));
  const entries = s.records.map((r) => r.entry);
  let n = 0;
  for (const [k, e] of entries.entries()) {
    if (e.kind !== 'message') continue;
    const blobs = new Map(s.blobs);
    const old = e.env ?? blobs.get(toHex(e.blob!))!;
    const ins = inspectEnvelope(e.tag as 1 | 2, old);
    const s2 = rogue.sign(concat(e.tag === 1 ? SECAGG_LABEL : CONTROL_LABEL, ins.m));
    const env = encodeCanonical({ m: ins.m, s: s2 });
    let changed: Entry;
    if (e.env) changed = { ...e, env, sig: s2 };
    else {
      const digest = sha256(env);
      blobs.set(toHex(digest), env);
      changed = { ...e, blob: digest, size: env.length, sig: s2 };
    }
    const mutated = entries.map((x, i) => (i === k ? changed : x));
    const rep = await verify(s, join(rechain(mutated, s.fixture.serverIdentity)), blobs);
    t.is(rep.first?.code, AuditErrorCodes.BAD_SIGNATURE, `entry ${k}`);
    t.is(rep.first?.seq, k);
    t.regex(rep.first!.message, /roster key/);
    n++;
  }
  t.true(n > 20);
});

test('re-signing the session entry with a key not on the roster fails with ERR_UNKNOWN_SIGNER', async (t) => {
  const s = await getSmall();
  const rogue = generateIdentity(seededRandom('rogue-session'));
  const entries = s.records.map((r) => r.entry);
  const e0 = entries[0]!;
  if (e0.kind !== 'session') return t.fail();
  const forged: Entry = { ...e0, signer: rogue.publicKey, sig: rogue.sign(concat(SESSION_LABEL, e0.params)) };
  const rep = await verify(s, join(rechain([forged, ...entries.slice(1)], rogue)));
  t.is(rep.first?.code, AuditErrorCodes.UNKNOWN_SIGNER);
  t.is(rep.first?.seq, 0);
});

test('re-signing any entry (its recorder signature) with a key not on the roster fails with ERR_BAD_SIGNATURE there', async (t) => {
  const s = await getSmall();
  const rogue = generateIdentity(seededRandom('rogue-recorder'));
  for (const r of s.records) {
    const e = r.entry;
    const rsig = rogue.sign(concat(ENTRY_LABEL, encodeCanonical(entryToMap(e, false))));
    const b = s.records.map((x) => x.bytes);
    b[r.index] = encodeCanonical(entryToMap({ ...e, rsig } as Entry, true));
    const rep = await verify(s, join(b));
    t.is(rep.first?.code, AuditErrorCodes.BAD_SIGNATURE, `entry ${r.index}`);
    t.is(rep.first?.seq, r.index);
  }
});

test('an attacker who re-chains without the recorder key is caught at the first changed entry', async (t) => {
  const s = await getSmall();
  const rogue = generateIdentity(seededRandom('rogue-chain'));
  const entries = s.records.map((r) => r.entry);
  const k = entries.findIndex((e) => e.kind === 'note');
  const dropped = entries.filter((_, i) => i !== k).map((e, i) => ({ ...e, seq: i }) as Entry);
  const rep = await verify(s, join(rechain(dropped, rogue)));
  t.is(rep.first?.code, AuditErrorCodes.BAD_SIGNATURE);
  t.is(rep.first?.seq, 0);
});
