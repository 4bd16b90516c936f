/**
 * Flips one bit of every byte of the small transcript's log: each mutant must fail at or before the
 * mutated record with a plausible code. One test per record. mutation-log-a.test.ts registers the records
 * of even index, mutation-log-b.test.ts the odd ones, so that the two files run on two cores.
 *
 * Mutants of record k are verified from a checkpoint at entry k (resumeFrom): their bytes before record
 * k are the original's, which verify, so this is the same verdict as a full verification at a fraction
 * of the cost; the 'full' tests check that equivalence on whole records.
 */
import test from 'ava';
import { AuditErrorCodes, MAGIC, verifyTranscriptBytes, type AuditErrorCode, type IntegrityReport } from '../src/index.js';
import { getSmall, loader, verify, type Small } from './small.js';

const RECORD_CODES: readonly AuditErrorCode[] = [
  AuditErrorCodes.FRAMING, AuditErrorCodes.NONCANONICAL, AuditErrorCodes.ENTRY, AuditErrorCodes.TRUNCATED, AuditErrorCodes.SEQ,
  AuditErrorCodes.CHAIN, AuditErrorCodes.SESSION_ENTRY, AuditErrorCodes.BAD_SIGNATURE, AuditErrorCodes.UNKNOWN_SIGNER,
  AuditErrorCodes.FIELD_MISMATCH, AuditErrorCodes.WRONG_SESSION, AuditErrorCodes.ENVELOPE, AuditErrorCodes.BLOB_MISSING,
];
const LENGTH_CODES: readonly AuditErrorCode[] = [AuditErrorCodes.FRAMING, AuditErrorCodes.NONCANONICAL, AuditErrorCodes.TRUNCATED];

function verifyFrom(s: Small, k: number, m: Uint8Array): Promise<IntegrityReport> {
  if (k === 0) return verify(s, m);
  return verifyTranscriptBytes(m, loader(s.blobs), { roster: s.fixture.session, resumeFrom: { entries: k, head: s.records[k - 1]!.hash } });
}

function flip(s: Small, i: number): Uint8Array {
  const m = s.tlog.slice();
  m[i]! ^= 1 << (i % 8);
  return m;
}

/** Registers the tests of the records whose index % 2 is `PARITY`. */
export function registerLogMutations(PARITY: 0 | 1): void {
  if (PARITY === 0) {
    test('every bit-flipped byte of the magic fails with ERR_TRANSCRIPT_MAGIC', async (t) => {
      const s = await getSmall();
      for (let i = 0; i < MAGIC.length; i++) t.is((await verify(s, flip(s, i))).first?.code, AuditErrorCodes.MAGIC, `byte ${i}`);
    });
  }
  test(`full and checkpointed verification agree on every mutant of record ${PARITY === 0 ? 'the last' : 1}`, async (t) => {
    const s = await getSmall();
    const r = PARITY === 0 ? s.records[s.records.length - 1]! : s.records[1]!;
    for (let i = r.offset; i < r.offset + 4 + r.bytes.length; i++) {
      const m = flip(s, i);
      const full = await verify(s, m);
      const resumed = await verifyFrom(s, r.index, m);
      if (full.first?.code !== resumed.first?.code || full.first?.seq !== resumed.first?.seq) t.fail(`byte ${i}: ${JSON.stringify(full.first)} vs ${JSON.stringify(resumed.first)}`);
    }
    t.pass();
  });

  // The small transcript has fewer than 64 records; tests for indices beyond its end pass trivially.
  for (let k = PARITY; k < 64; k += 2) {
    test(`every bit-flipped byte of record ${k} fails at or before it`, async (t) => {
      const s = await getSmall();
      const r = s.records[k];
      if (!r) return t.pass();
      const codes = new Map<string, number>();
      const end = r.offset + 4 + r.bytes.length;
      for (let i = r.offset; i < end; i++) {
        const rep = await verifyFrom(s, k, flip(s, i));
        const f = rep.first;
        if (rep.ok || !f) {
          t.fail(`flipping byte ${i} of record ${k} went undetected`);
          continue;
        }
        codes.set(f.code, (codes.get(f.code) ?? 0) + 1);
        if (f.seq === null || f.seq > k) t.fail(`byte ${i} of record ${k} first failed at entry ${f.seq}: ${f.message}`);
        if (!RECORD_CODES.includes(f.code)) t.fail(`byte ${i} of record ${k}: implausible ${f.code}`);
        if (i < r.offset + 4 && !LENGTH_CODES.includes(f.code)) t.fail(`length byte ${i} of record ${k}: ${f.code}`);
      }
      t.log(`${r.entry.kind === 'message' ? r.entry.type : r.entry.kind}, ${end - r.offset} bytes:`, Object.fromEntries(codes));
      t.pass();
    });
  }
}
