import test from 'ava';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256, toHex } from '@tessera/crypto';
import { AuditErrorCodes, readTranscript, verifyIntegrity, type MessageEntry } from '../src/index.js';
import { cleanup, recordRound, tempDir } from './helpers.js';

test('a real 4-member round with a dropout, recorded by the coordinator, verifies', async (t) => {
  const dir = await tempDir();
  try {
    const { outcome, deliveries, fixture } = await recordRound(dir, { seed: 'real-4', n: 4, dropouts: new Map([[3, 'masked']]) });
    t.truthy(outcome.result, 'the round completed');
    t.deepEqual(outcome.result!.survivors, [1, 2, 4]);
    const tr = await readTranscript(dir);
    t.is(tr.truncatedTail, undefined);
    const messages = tr.entries.filter((e): e is MessageEntry => e.kind === 'message');
    const secagg = messages.filter((m) => m.tag === 1);
    t.is(secagg.length, deliveries.length, 'every envelope the server moved is recorded');
    for (const [i, d] of deliveries.entries()) {
      t.is(secagg[i]!.from, d.from);
      t.is(secagg[i]!.to, d.to);
      t.is(secagg[i]!.stage, d.stage, 'the stage the driver labelled is the one recorded');
      t.is(toHex(secagg[i]!.env!), toHex(d.bytes), 'the envelope is stored unaltered');
      t.is(secagg[i]!.dir, d.from === 0 ? 'sent' : 'received');
    }
    t.false(secagg.some((m) => m.from === 3 && m.type === 'masked'), 'the dropped member sent no masked input');
    const report = await verifyIntegrity(dir, { roster: fixture.session });
    t.true(report.ok, JSON.stringify(report.first));
    t.true(report.closed);
    t.is(report.verified, tr.entries.length);
    t.deepEqual(report.unverifiable, []);
    t.deepEqual(report.session?.session.digest, fixture.session.digest);
    t.is(report.session?.privacy?.mechanism, 'ddgauss');
    t.deepEqual(report.head, tr.records[tr.records.length - 1]!.hash);
  } finally {
    await cleanup(dir);
  }
});

test('a small inline limit stores masked vectors as blobs, which verify', async (t) => {
  const dir = await tempDir();
  try {
    const { fixture } = await recordRound(dir, { seed: 'blobs', n: 4, dropouts: new Map([[2, 'consistency']]), vectorLength: 1000, bits: 32, writer: { inlineLimit: 2048 } });
    const tr = await readTranscript(dir);
    const blobbed = tr.entries.filter((e): e is MessageEntry => e.kind === 'message' && e.blob !== undefined);
    t.true(blobbed.length >= 4);
    t.true(blobbed.every((e) => e.type === 'masked' && e.digestOnly === undefined));
    const files = (await readdir(join(dir, 'blobs'))).sort();
    t.deepEqual(files, blobbed.map((e) => toHex(e.blob!)).sort(), 'one blob file per blob entry, named by its SHA-256');
    for (const e of blobbed) t.true(e.size! > 4000 && e.env === undefined);
    const report = await verifyIntegrity(dir, { roster: fixture.session, requireBlobs: true });
    t.true(report.ok, JSON.stringify(report.first));
    t.is(report.verified, tr.entries.length);
  } finally {
    await cleanup(dir);
  }
});

test('digestsOnly keeps no blob files and reports the masked entries as unverifiable', async (t) => {
  const dir = await tempDir();
  try {
    const { fixture } = await recordRound(dir, { seed: 'digests', n: 4, dropouts: new Map([[4, 'masked']]), vectorLength: 1000, bits: 32, writer: { inlineLimit: 2048, digestsOnly: true } });
    t.deepEqual(await readdir(join(dir, 'blobs')), []);
    const tr = await readTranscript(dir);
    const masked = tr.records.filter((r) => r.entry.kind === 'message' && r.entry.type === 'masked');
    t.is(masked.length, 3);
    t.true(masked.every((r) => r.entry.kind === 'message' && r.entry.digestOnly === true && r.entry.blob!.length === 32));
    const report = await verifyIntegrity(dir, { roster: fixture.session });
    t.true(report.ok, 'digest-only entries are not failures…');
    t.deepEqual(report.unverifiable.map((u) => u.seq), masked.map((r) => r.index), '…but each is listed as unverifiable');
    t.is(report.verified, tr.entries.length - 3, '…and not counted as verified');
    const strict = await verifyIntegrity(dir, { roster: fixture.session, requireBlobs: true });
    t.false(strict.ok);
    t.is(strict.first?.code, AuditErrorCodes.UNVERIFIABLE);
    t.is(strict.first?.seq, masked[0]!.index);
  } finally {
    await cleanup(dir);
  }
});

test('pinning another roster fails with ERR_UNKNOWN_SIGNER; the same keys in another session with ERR_WRONG_SESSION', async (t) => {
  const dir = await tempDir();
  try {
    const { fixture } = await recordRound(dir, { seed: 'pin', n: 3 });
    const other = await import('./helpers.js').then((h) => h.fixture('pin-other', 3));
    const r1 = await verifyIntegrity(dir, { roster: other.session });
    t.is(r1.first?.code, AuditErrorCodes.UNKNOWN_SIGNER);
    t.is(r1.first?.seq, 0);
    const r2 = await verifyIntegrity(dir, { roster: { serverKey: fixture.session.serverKey, memberKeys: fixture.session.memberKeys } });
    t.true(r2.ok);
    const sameKeysOtherSession = { ...fixture.session, digest: sha256(fixture.session.digest) };
    const r3 = await verifyIntegrity(dir, { roster: sameKeysOtherSession });
    t.is(r3.first?.code, AuditErrorCodes.WRONG_SESSION);
  } finally {
    await cleanup(dir);
  }
});

test('a missing transcript is an ERR_IO failure, not a throw', async (t) => {
  const r = await verifyIntegrity('/nonexistent/tessera-audit');
  t.false(r.ok);
  t.is(r.first?.code, AuditErrorCodes.IO);
});

test('collectAll reports every independent failure, in file order', async (t) => {
  const dir = await tempDir();
  try {
    const { fixture } = await recordRound(dir, { seed: 'collect', n: 3 });
    const { readFile, writeFile } = await import('node:fs/promises');
    const file = join(dir, 'transcript.tlog');
    const bytes = new Uint8Array(await readFile(file));
    const tr = await readTranscript(dir);
    const [a, b] = [tr.records[5]!, tr.records[20]!];
    // Flip a bit inside each entry's recorder signature.
    for (const r of [a, b]) {
      const at = r.offset + 4 + Buffer.from(r.bytes).indexOf(Buffer.from(r.entry.rsig));
      bytes[at]! ^= 1;
    }
    await writeFile(file, bytes);
    const first = await verifyIntegrity(dir, { roster: fixture.session });
    t.is(first.failures.length, 1);
    t.is(first.first?.seq, 5);
    const all = await verifyIntegrity(dir, { roster: fixture.session, collectAll: true });
    // A changed entry also breaks its successor's prev link: both are reported.
    t.deepEqual(all.failures.map((f) => [f.seq, f.code]), [
      [5, AuditErrorCodes.BAD_SIGNATURE], [6, AuditErrorCodes.CHAIN], [20, AuditErrorCodes.BAD_SIGNATURE], [21, AuditErrorCodes.CHAIN],
    ]);
  } finally {
    await cleanup(dir);
  }
});
