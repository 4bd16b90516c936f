/** Property tests: every cut of a valid transcript is a valid prefix; notes round-trip; random appends verify. */
import test from 'ava';
import fc from 'fast-check';
import { encodeCanonical, toHex, type Canonical } from '@tessera/crypto';
import { sealMessage, type Advertise } from '@tessera/secagg';
import { MAGIC, TranscriptWriter, readTranscript, scanTranscript, verifyIntegrity, verifyTranscriptBytes, type CanonicalMap } from '../src/index.js';
import { cleanup, fixture, loadAll, tempDir } from './helpers.js';
import { getSmall, loader } from './small.js';

test('every cut of a valid transcript reads as the records before it, plus a torn tail unless at a boundary', async (t) => {
  const s = await getSmall();
  const ends = new Set(s.records.map((r) => r.offset + 4 + r.bytes.length));
  const cuts = [...Array(s.tlog.length + 1).keys()];
  for (const cut of cuts) {
    const scan = scanTranscript(s.tlog.subarray(0, cut));
    if (cut < MAGIC.length) {
      if (scan.error?.code !== 'ERR_TRANSCRIPT_MAGIC') t.fail(`cut ${cut}`);
      continue;
    }
    const whole = s.records.filter((r) => r.offset + 4 + r.bytes.length <= cut);
    if (scan.error || scan.records.length !== whole.length) t.fail(`cut ${cut}: ${scan.error?.message} ${scan.records.length}/${whole.length}`);
    const atBoundary = cut === MAGIC.length || ends.has(cut);
    if (atBoundary !== (scan.truncatedTail === undefined)) t.fail(`cut ${cut}: torn tail ${JSON.stringify(scan.truncatedTail)}`);
  }
  // And a verifier accepting partial transcripts accepts every cut after the session entry.
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: s.records[1]!.offset, max: s.tlog.length }), async (cut) => {
      const r = await verifyTranscriptBytes(s.tlog.subarray(0, cut), loader(s.blobs), { roster: s.fixture.session, allowPartial: true });
      return r.ok && r.entries === s.records.filter((x) => x.offset + 4 + x.bytes.length <= cut).length;
    }),
    { numRuns: 150 },
  );
  t.pass();
});

const canonicalMap: fc.Arbitrary<CanonicalMap> = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.oneof(
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    fc.string({ maxLength: 20 }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(fc.nat(1000), { maxLength: 5 }),
  ) as fc.Arbitrary<Canonical>,
  { maxKeys: 6 },
).filter((m) => !Object.keys(m).includes('__proto__'));

test('random sequences of notes and messages round-trip through writer and reader and verify', async (t) => {
  const fx = fixture('property', 3);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(
        fc.record({ kind: fc.constant('note' as const), round: fc.nat(2 ** 32 - 1), event: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/).filter((e) => e !== 'close'), data: canonicalMap }),
        fc.record({ kind: fc.constant('message' as const), from: fc.integer({ min: 1, max: 3 }), round: fc.nat(1000), key: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
      ), { maxLength: 12 }),
      fc.integer({ min: 0, max: 300 }),
      async (ops, inlineLimit) => {
        const dir = await tempDir();
        try {
          const w = await TranscriptWriter.open(dir, { recorder: 0, identity: fx.serverIdentity, inlineLimit, syncEvery: 0 });
          await w.appendSession({ session: fx.session });
          const envs: string[] = [];
          for (const op of ops) {
            if (op.kind === 'note') await w.appendNote(op);
            else {
              const env = sealMessage({ v: 1, type: 'advertise', session: fx.session.digest, round: op.round, from: op.from, cPk: op.key, sPk: op.key } as Advertise, fx.memberIdentities[op.from - 1]!);
              envs.push(toHex(env));
              await w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: env, tag: 1 });
            }
          }
          await w.close();
          const tr = await readTranscript(dir);
          const { blobs } = await loadAll(dir);
          const got = tr.entries.slice(1, -1);
          if (got.length !== ops.length) return false;
          let m = 0;
          for (const [i, e] of got.entries()) {
            const op = ops[i]!;
            if (e.kind !== op.kind) return false;
            if (e.kind === 'note' && op.kind === 'note' && (e.event !== op.event || e.round !== op.round || toHex(encodeCanonical(e.data)) !== toHex(encodeCanonical(op.data)))) return false;
            if (e.kind === 'message') {
              const stored = e.env ?? blobs.get(toHex(e.blob!));
              if (!stored || toHex(stored) !== envs[m++]) return false;
              if ((e.env === undefined) !== (stored.length > inlineLimit)) return false;
            }
          }
          return (await verifyIntegrity(dir, { roster: fx.session, requireBlobs: true })).ok;
        } finally {
          await cleanup(dir);
        }
      },
    ),
    { numRuns: 40 },
  );
  t.pass();
});
