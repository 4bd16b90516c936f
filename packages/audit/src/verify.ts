/**
 * The integrity layer of `audit verify`: is this transcript exactly what its recorder wrote, complete,
 * and made of messages really signed by parties on the roster? It checks the magic, framing, canonical
 * encoding and shape of every record, seq order, the hash chain, the session entry (recorder signature,
 * digest of its params, the pinned roster), every message's envelope (inline or blob) against the
 * entry that records it and against its sender's roster key, every recorder signature, and that the
 * transcript ends with the recorder's close note. It does not check the protocol's invariants (who may
 * send what when, survivor sets, the sum): that is the next layer's job, on entries that passed this one.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { concat, decodeCanonical, encodeCanonical, equalBytes, sha256, verifySignature } from '@tessera/crypto';
import type { Session } from '@tessera/secagg';
import { CLOSE_EVENT, entryToMap, parseEntry, type Entry, type MessageEntry } from './entry.js';
import { inspectEnvelope, type InspectedEnvelope } from './envelope.js';
import { AuditError, AuditErrorCodes, type AuditErrorCode } from './errors.js';
import { BLOB_DIR, ENTRY_LABEL, MAX_ENVELOPE_BYTES, MAX_RECORD_BYTES, SESSION_LABEL, blobName, genesisHash } from './format.js';
import { decodeParams, rosterKey, type DecodedParams } from './params.js';
import { iterateRecords, readTranscriptFile, skipRecords, type TranscriptRecord, type TruncatedTail } from './reader.js';
import { checkHeader, checkRouting } from './rules.js';

/**
 * The roster an auditor pins: a Session (its digest must be the transcript's), or just the keys.
 *
 * @example
 * const pin: RosterPin = { serverKey, memberKeys };
 */
export type RosterPin = Session | { readonly serverKey: Uint8Array; readonly memberKeys: readonly Uint8Array[] };

/**
 * How strict to be.
 *
 * @example
 * await verifyIntegrity(dir, { roster: session, requireBlobs: true });
 */
export interface VerifyOptions {
  /** The roster the auditor trusts. Without it the transcript's own roster is used (self-consistency only). */
  readonly roster?: RosterPin;
  /** Accept a transcript that has no close note or ends in a torn record (a crashed or running recorder). Default false. */
  readonly allowPartial?: boolean;
  /** Fail (ERR_UNVERIFIABLE) on digest-only entries instead of listing them as unverifiable. Default false. */
  readonly requireBlobs?: boolean;
  /** Keep checking after the first failure where possible and report every failure. Default false. */
  readonly collectAll?: boolean;
  /**
   * Resume from a checkpoint: entries 0…entries − 1 were verified earlier and `head` is the SHA-256 of
   * entry entries − 1. Entry 0 is verified again (it holds the roster); entries 1…entries − 2 are only
   * framed, and entry entries − 1 must hash to `head` (else ERR_CHAIN there); checking goes on in full
   * from entry `entries`. For incremental audits of a growing transcript.
   */
  readonly resumeFrom?: { readonly entries: number; readonly head: Uint8Array };
}

/**
 * One failure: where, its stable code, and what is wrong.
 *
 * @example
 * `${f.code} at entry ${f.seq} (offset ${f.offset}): ${f.message}`
 */
export interface Failure {
  /** The entry's position (seq it should have); null when the failure is about the file as a whole. */
  readonly seq: number | null;
  /** Byte offset of the record in transcript.tlog; null when not about one record. */
  readonly offset: number | null;
  readonly code: AuditErrorCode;
  readonly message: string;
}

/**
 * An entry that could not be verified (a digest-only envelope): not a pass.
 *
 * @example
 * for (const u of report.unverifiable) console.log(`entry ${u.seq}: ${u.reason}`);
 */
export interface Unverifiable {
  readonly seq: number;
  readonly offset: number;
  readonly reason: string;
}

/**
 * The verdict.
 *
 * @example
 * const r = await verifyIntegrity(dir);
 * if (!r.ok) console.error(`entry ${r.first!.seq}: ${r.first!.code} ${r.first!.message}`);
 */
export interface IntegrityReport {
  /** No failures. Digest-only entries may still be listed in `unverifiable`. */
  readonly ok: boolean;
  /** Records read. */
  readonly entries: number;
  /** Entries that passed every check (digest-only entries are not counted). */
  readonly verified: number;
  /** Failures in file order; the first one is the one to report. */
  readonly failures: readonly Failure[];
  /** failures[0]. */
  readonly first?: Failure;
  readonly unverifiable: readonly Unverifiable[];
  readonly truncatedTail?: TruncatedTail;
  /** The transcript ends with the recorder's close note. */
  readonly closed: boolean;
  /** SHA-256 of the last well-formed record (of the magic when there is none). */
  readonly head: Uint8Array;
  /** The session entry's parameters and the recorder, when entry 0 was read. */
  readonly session?: DecodedParams & { readonly recorder: number };
}

/**
 * Reads blob `name` (64 hex digits); undefined when it does not exist.
 *
 * @example
 * const load: BlobLoader = async (name) => blobs.get(name);
 */
export type BlobLoader = (name: string) => Promise<Uint8Array | undefined>;

/**
 * The integrity report of a transcript that could not be read at all (a missing folder or log file).
 *
 * @example
 * catch (e) { if (e instanceof AuditError) return unreadableReport(e); }
 */
export function unreadableReport(e: AuditError): IntegrityReport {
  const f: Failure = { seq: null, offset: null, code: e.code, message: e.message };
  return { ok: false, entries: 0, verified: 0, failures: [f], first: f, unverifiable: [], closed: false, head: genesisHash() };
}

/**
 * Verifies the transcript in `dir` (transcript.tlog and blobs/). Never throws for a bad transcript: the
 * report says what is wrong (a missing folder is an ERR_IO failure).
 *
 * @example
 * const report = await verifyIntegrity('runs/s1/coordinator', { roster: session });
 * if (!report.ok) process.exitCode = 1;
 */
export async function verifyIntegrity(dir: string, options: VerifyOptions = {}): Promise<IntegrityReport> {
  const bytes = await readTranscriptOrFailure(dir);
  return bytes instanceof Uint8Array ? verifyTranscriptBytes(bytes, fileBlobLoader(dir), options) : bytes;
}

/**
 * The bytes of the transcript in `dir`, or, when they cannot be read, the integrity report that says why
 * ({@link unreadableReport}): verifyIntegrity and auditTranscript read the file once, through this.
 */
export async function readTranscriptOrFailure(dir: string): Promise<Uint8Array | IntegrityReport> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('dir must be a non-empty path string');
  try {
    return await readTranscriptFile(dir);
  } catch (e) {
    if (!(e instanceof AuditError)) throw e;
    return unreadableReport(e);
  }
}

/**
 * A BlobLoader reading `dir`/blobs/<name>; a file larger than any envelope (MAX_ENVELOPE_BYTES) is
 * refused with ERR_BLOB_DIGEST without being read.
 *
 * @example
 * await verifyTranscriptBytes(bytes, fileBlobLoader(dir));
 */
export function fileBlobLoader(dir: string): BlobLoader {
  return async (name) => {
    try {
      const file = join(dir, BLOB_DIR, name);
      const { size } = await stat(file);
      if (size > MAX_ENVELOPE_BYTES) throw new AuditError(AuditErrorCodes.BLOB_DIGEST, `blob ${name} is ${size} bytes, larger than any envelope (${MAX_ENVELOPE_BYTES})`);
      const b = await readFile(file);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      if (e instanceof AuditError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AuditError(AuditErrorCodes.IO, `blob ${name} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
  };
}

function validatePin(pin: unknown): RosterPin | undefined {
  if (pin === undefined) return undefined;
  if (typeof pin !== 'object' || pin === null) throw new TypeError('options.roster must be a Session or { serverKey, memberKeys }');
  const p = pin as { serverKey?: unknown; memberKeys?: unknown; digest?: unknown };
  if (!(p.serverKey instanceof Uint8Array)) throw new TypeError('options.roster.serverKey must be a Uint8Array');
  if (!Array.isArray(p.memberKeys) || !p.memberKeys.every((k) => k instanceof Uint8Array)) throw new TypeError('options.roster.memberKeys must be an array of Uint8Array');
  if (p.digest !== undefined && !(p.digest instanceof Uint8Array)) throw new TypeError('options.roster.digest must be a Uint8Array');
  return pin as RosterPin;
}

function sameKeys(a: RosterPin, b: Session): boolean {
  return equalBytes(a.serverKey, b.serverKey) && a.memberKeys.length === b.memberKeys.length && a.memberKeys.every((k, i) => equalBytes(k, b.memberKeys[i]!));
}

/**
 * Verifies transcript bytes, loading blobs through `loadBlob` (the seam for in-memory checks and other
 * storage). See {@link verifyIntegrity}.
 *
 * @example
 * const report = await verifyTranscriptBytes(tlogBytes, async (name) => blobMap.get(name));
 */
export async function verifyTranscriptBytes(bytes: Uint8Array, loadBlob: BlobLoader, options: VerifyOptions = {}): Promise<IntegrityReport> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  if (typeof loadBlob !== 'function') throw new TypeError('loadBlob must be a function');
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const pin = validatePin(options.roster);
  const resume = options.resumeFrom;
  if (resume !== undefined) {
    if (typeof resume !== 'object' || resume === null) throw new TypeError('options.resumeFrom must be { entries, head }');
    if (!Number.isSafeInteger(resume.entries) || resume.entries < 1) throw new RangeError(`options.resumeFrom.entries must be an integer ≥ 1`);
    if (!(resume.head instanceof Uint8Array) || resume.head.length !== 32) throw new TypeError('options.resumeFrom.head must be a 32-byte Uint8Array');
  }
  const records: TranscriptRecord[] = [];
  let scanError: AuditError | undefined;
  let truncatedTail: TruncatedTail | undefined;
  const failures: Failure[] = [];
  const unverifiable: Unverifiable[] = [];
  let verified = 0;
  let prev = genesisHash();
  let params: DecodedParams | undefined;
  let recorder = 0;
  let recorderKey: Uint8Array | undefined;
  let stop = false;
  let skipped = 0;
  const fail = (r: TranscriptRecord, code: AuditErrorCode, message: string): void => {
    failures.push({ seq: r.index, offset: r.offset, code, message: `entry ${r.index}: ${message}` });
    if (!options.collectAll) stop = true;
  };

  let lastEntry: Entry | undefined;
  let lastHash: Uint8Array | undefined;
  let iter = iterateRecords(bytes);
  for (let next = iter.next(); !next.done; next = iter.next()) {
    const step = next.value;
    if ('error' in step) {
      scanError = step.error;
      break;
    }
    if ('truncatedTail' in step) {
      truncatedTail = step.truncatedTail;
      break;
    }
    const r = step.record;
    records.push(r);
    lastEntry = r.entry;
    lastHash = r.hash;
    const e = r.entry;
    const problem = await checkRecord();
    if (problem) fail(r, problem.code, problem.message);
    else if (!(e.kind === 'message' && e.digestOnly)) verified++;
    prev = r.hash;
    if (!params) stop = true; // without a session entry nothing else can be checked
    if (stop) break;
    if (resume && r.index === 0 && resume.entries > 1) {
      const walk = skipRecords(bytes, r.offset + 4 + r.bytes.length, 1, resume.entries);
      if ('error' in walk) {
        scanError = walk.error;
        break;
      }
      if ('truncatedTail' in walk) {
        truncatedTail = walk.truncatedTail;
        break;
      }
      if (!equalBytes(sha256(walk.last!), resume.head)) {
        failures.push({ seq: resume.entries - 1, offset: null, code: AuditErrorCodes.CHAIN, message: `entry ${resume.entries - 1} is not the one the checkpoint was taken at` });
        stop = true;
        break;
      }
      prev = resume.head;
      verified += resume.entries - 1;
      lastHash = resume.head;
      try {
        lastEntry = parseEntry(decodeCanonical(walk.last!, MAX_RECORD_BYTES));
      } catch {
        lastEntry = undefined; // unreachable for a checkpointed entry: it hashed to head
      }
      skipped = resume.entries - 1;
      iter = iterateRecords(bytes, { offset: walk.offset, index: resume.entries });
    }

    async function checkRecord(): Promise<{ code: AuditErrorCode; message: string } | undefined> {
      if (e.seq !== r.index) return { code: AuditErrorCodes.SEQ, message: `has seq ${e.seq} at position ${r.index} (an entry was removed, inserted or moved)` };
      if (!equalBytes(e.prev, prev)) return { code: AuditErrorCodes.CHAIN, message: `prev is not the SHA-256 of ${r.index === 0 ? 'the magic header' : `entry ${r.index - 1}`}` };
      if (r.index === 0) {
        if (e.kind !== 'session') return { code: AuditErrorCodes.SESSION_ENTRY, message: `the first entry is a '${e.kind}', not the session entry` };
        let decoded: DecodedParams;
        try {
          decoded = decodeParams(e.params, { seq: 0, offset: r.offset });
        } catch (err) {
          if (err instanceof AuditError) return { code: err.code, message: err.message };
          throw err;
        }
        if (!equalBytes(decoded.session.digest, e.digest)) return { code: AuditErrorCodes.SESSION_ENTRY, message: `digest is not the session digest of its params` };
        if (pin) {
          if (!sameKeys(pin, decoded.session)) return { code: AuditErrorCodes.UNKNOWN_SIGNER, message: `the transcript's roster keys are not the pinned roster's` };
          if ('digest' in pin && pin.digest instanceof Uint8Array && !equalBytes(pin.digest, decoded.session.digest))
            return { code: AuditErrorCodes.WRONG_SESSION, message: `the transcript records another session than the pinned one` };
        }
        const key = rosterKey(decoded.session, e.recorder);
        if (key === undefined) return { code: AuditErrorCodes.UNKNOWN_SIGNER, message: `recorder ${e.recorder} is not a party of the session (n = ${decoded.session.n})` };
        if (!equalBytes(key, e.signer)) return { code: AuditErrorCodes.UNKNOWN_SIGNER, message: `signer is not the roster key of recorder ${e.recorder}` };
        if (!verifySignature(key, concat(SESSION_LABEL, e.params), e.sig)) return { code: AuditErrorCodes.BAD_SIGNATURE, message: `the recorder's signature of the params does not verify` };
        params = decoded;
        recorder = e.recorder;
        recorderKey = key;
      } else {
        if (e.kind === 'session') return { code: AuditErrorCodes.SESSION_ENTRY, message: `a second session entry` };
        if (e.recorder !== recorder) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `recorder is ${e.recorder}, the session entry's is ${recorder}` };
        if (e.kind === 'message') {
          const p = await checkMessage(e);
          if (p) return p;
        }
      }
      if (!verifySignature(recorderKey!, concat(ENTRY_LABEL, encodeCanonical(entryToMap(e, false))), e.rsig))
        return { code: AuditErrorCodes.BAD_SIGNATURE, message: `the recorder's entry signature does not verify` };
      return undefined;
    }

    async function checkMessage(m: MessageEntry): Promise<{ code: AuditErrorCode; message: string } | undefined> {
      const session = params!.session;
      const routing = checkRouting(session, recorder, m);
      if (routing) return routing;
      let env: Uint8Array;
      if (m.env) env = m.env;
      else {
        const name = blobName(m.blob!);
        if (m.digestOnly) {
          if (options.requireBlobs) return { code: AuditErrorCodes.UNVERIFIABLE, message: `a digest-only '${m.type}' (blob ${name}) cannot be verified` };
          unverifiable.push({ seq: r.index, offset: r.offset, reason: `digest-only '${m.type}' from ${m.from} (${m.size} bytes, SHA-256 ${name}): envelope and sender signature not checked` });
          return undefined;
        }
        let blob: Uint8Array | undefined;
        try {
          blob = await loadBlob(name);
        } catch (err) {
          if (err instanceof AuditError) return { code: err.code, message: err.message };
          throw err;
        }
        if (blob === undefined) return { code: AuditErrorCodes.BLOB_MISSING, message: `blob ${name} of a '${m.type}' is missing` };
        if (!equalBytes(sha256(blob), m.blob!)) return { code: AuditErrorCodes.BLOB_DIGEST, message: `blob ${name} does not hash to its name` };
        if (blob.length !== m.size) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `blob ${name} is ${blob.length} bytes, the entry says ${m.size}` };
        env = blob;
      }
      let inspected: InspectedEnvelope;
      try {
        inspected = inspectEnvelope(m.tag as 1 | 2, env);
      } catch (err) {
        if (err instanceof AuditError) return { code: err.code, message: err.message };
        throw err;
      }
      const header = checkHeader(session, m, inspected.header);
      if (header) return header;
      if (!equalBytes(inspected.s, m.sig)) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `sig is not the envelope's signature` };
      if (!verifySignature(rosterKey(session, m.from)!, inspected.signed, inspected.s))
        return { code: AuditErrorCodes.BAD_SIGNATURE, message: `the signature of ${m.from === 0 ? 'the coordinator' : `member ${m.from}`} on its '${m.type}' does not verify under its roster key` };
      return undefined;
    }
  }

  const last = records[records.length - 1];
  const closed = lastEntry !== undefined && lastEntry.kind === 'note' && lastEntry.event === CLOSE_EVENT;
  if (!stop || options.collectAll) {
    if (scanError) {
      const e = scanError;
      failures.push({ seq: e.seq ?? null, offset: e.offset ?? null, code: e.code, message: e.message });
    } else if (truncatedTail && !options.allowPartial) {
      const t = truncatedTail;
      failures.push({ seq: records.length + skipped, offset: t.offset, code: AuditErrorCodes.TRUNCATED, message: `entry ${records.length + skipped}: an incomplete record of ${t.bytes} bytes at offset ${t.offset} ends the file` });
    } else if (records.length === 0 && !options.allowPartial) {
      failures.push({ seq: 0, offset: null, code: AuditErrorCodes.SESSION_ENTRY, message: 'the transcript has no session entry' });
    } else if (!closed && !options.allowPartial) {
      const lastIndex = records.length + skipped - 1;
      failures.push({ seq: lastIndex >= 0 ? lastIndex : null, offset: last && last.index === lastIndex ? last.offset : null, code: AuditErrorCodes.NOT_CLOSED, message: `the transcript does not end with the recorder's close note (truncated, or the recorder did not finish)` });
    }
  }
  const report = {
    ok: failures.length === 0, entries: records.length + skipped, verified, failures, unverifiable, closed, head: lastHash ?? genesisHash(),
    ...(failures[0] ? { first: failures[0] } : {}),
    ...(truncatedTail ? { truncatedTail: truncatedTail } : {}),
    ...(params ? { session: { ...params, recorder } } : {}),
  };
  return report;
}
