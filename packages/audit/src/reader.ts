/**
 * Reading transcript.tlog: the magic, the length-prefixed records, each record's canonical CBOR and
 * entry shape. An incomplete final record — what a crash mid-write leaves — is reported as
 * `truncatedTail`, not as an error: everything before it is a valid prefix.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EncodingError, decodeCanonical, sha256 } from '@tessera/crypto';
import { parseEntry, type Entry } from './entry.js';
import { AuditError, AuditErrorCodes } from './errors.js';
import { MAGIC, MAX_RECORD_BYTES, TRANSCRIPT_FILE } from './format.js';

/**
 * One record of transcript.tlog.
 *
 * @example
 * for (const r of records) console.log(r.offset, r.entry.kind, toHex(r.hash));
 */
export interface TranscriptRecord {
  /** Position in the file (0 for the first record); a well-formed transcript has entry.seq === index. */
  readonly index: number;
  /** Byte offset of the record (its length prefix) in transcript.tlog. */
  readonly offset: number;
  /** The entry's canonical CBOR (the L bytes after the length prefix). */
  readonly bytes: Uint8Array;
  /** SHA-256 of `bytes`: the next entry's `prev`. */
  readonly hash: Uint8Array;
  readonly entry: Entry;
}

/**
 * An incomplete final record: `bytes` bytes starting at `offset` (a crash mid-append).
 *
 * @example
 * if (t.truncatedTail) console.log(`${t.truncatedTail.bytes} bytes of a torn record at ${t.truncatedTail.offset}`);
 */
export interface TruncatedTail {
  readonly offset: number;
  readonly bytes: number;
}

/**
 * What a scan found: the well-formed records up to the first problem, a torn tail, or the error that
 * stopped it.
 *
 * @example
 * const scan = scanTranscript(bytes);
 * if (scan.error) console.log(scan.error.code, scan.error.offset);
 */
export interface TranscriptScan {
  readonly records: readonly TranscriptRecord[];
  readonly truncatedTail?: TruncatedTail;
  /** The first malformed thing (magic, framing, encoding, entry shape); records before it are intact. */
  readonly error?: AuditError;
  /** Total file length. */
  readonly length: number;
}

/**
 * One step of a scan: a record, or how the scan ended (a torn tail, or an error).
 *
 * @example
 * for (const step of iterateRecords(bytes)) if ('record' in step) console.log(step.record.index);
 */
export type ScanStep = { readonly record: TranscriptRecord } | { readonly truncatedTail: TruncatedTail } | { readonly error: AuditError };

/**
 * Reads records one at a time, so that a verifier can stop at the first failure without parsing the
 * rest. Ends after the last record, or with one `truncatedTail` or `error` step. `start` resumes at a
 * known record boundary (offset and index of a record found earlier).
 *
 * @example
 * for (const step of iterateRecords(bytes)) { if ('error' in step) throw step.error; }
 */
export function* iterateRecords(bytes: Uint8Array, start?: { readonly offset: number; readonly index: number }): Generator<ScanStep, void, undefined> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  const length = bytes.length;
  if (length < MAGIC.length || !MAGIC.every((b, i) => bytes[i] === b)) {
    yield { error: new AuditError(AuditErrorCodes.MAGIC, `transcript does not start with "TESSERA-TRANSCRIPT\\n"`, { offset: 0 }) };
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = start?.offset ?? MAGIC.length;
  let index = start?.index ?? 0;
  while (pos < length) {
    const where = { seq: index, offset: pos };
    const remaining = length - pos;
    let zero = true;
    for (let i = pos; i < length && zero; i++) zero = bytes[i] === 0;
    if (zero || remaining < 4) {
      yield { truncatedTail: { offset: pos, bytes: remaining } };
      return;
    }
    const L = view.getUint32(pos);
    if (L < 1 || L > MAX_RECORD_BYTES) {
      yield { error: new AuditError(AuditErrorCodes.FRAMING, `record ${index} at offset ${pos} announces ${L} bytes, outside [1, ${MAX_RECORD_BYTES}]`, where) };
      return;
    }
    if (L > remaining - 4) {
      yield { truncatedTail: { offset: pos, bytes: remaining } };
      return;
    }
    const body = bytes.subarray(pos + 4, pos + 4 + L);
    let entry: Entry;
    try {
      entry = parseEntry(decodeCanonical(body, MAX_RECORD_BYTES), where);
    } catch (e) {
      if (e instanceof AuditError) yield { error: e };
      else if (e instanceof EncodingError) yield { error: new AuditError(AuditErrorCodes.NONCANONICAL, `record ${index} at offset ${pos} is not canonical CBOR: ${e.message}`, { ...where, cause: e }) };
      else throw e;
      return;
    }
    yield { record: { index, offset: pos, bytes: body, hash: sha256(body), entry } };
    index++;
    pos += 4 + L;
  }
}

/**
 * Scans transcript bytes without throwing: records are read until the end, a torn tail, or the first
 * error. A tail is torn when its length prefix is incomplete, when it announces more bytes than remain,
 * or when every remaining byte is zero (a file extended but never written, after a power cut).
 *
 * @example
 * const scan = scanTranscript(await readFile(join(dir, 'transcript.tlog')));
 */
export function scanTranscript(bytes: Uint8Array): TranscriptScan {
  const records: TranscriptRecord[] = [];
  for (const step of iterateRecords(bytes)) {
    if ('record' in step) records.push(step.record);
    else if ('error' in step) return { records, length: bytes.length, error: step.error };
    else return { records, length: bytes.length, truncatedTail: step.truncatedTail };
  }
  return { records, length: bytes.length };
}

/**
 * A transcript as read: its records and any torn tail.
 *
 * @example
 * const { records, truncatedTail } = await readTranscript(dir);
 */
export interface Transcript {
  readonly records: readonly TranscriptRecord[];
  readonly entries: readonly Entry[];
  readonly truncatedTail?: TruncatedTail;
}

/**
 * Reads `dir`/transcript.tlog. A torn final record is reported as `truncatedTail`; anything else
 * malformed throws an AuditError with its code, the record's position (`seq`) and `offset`. Reading
 * checks the format only: use verifyIntegrity for chain links, signatures and blobs.
 *
 * @example
 * const t = await readTranscript('runs/2026-11-26/coordinator');
 * for (const e of t.entries) if (e.kind === 'message') console.log(e.round, e.type, e.from, '→', e.to);
 */
export async function readTranscript(dir: string): Promise<Transcript> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('dir must be a non-empty path string');
  const bytes = await readTranscriptFile(dir);
  const scan = scanTranscript(bytes);
  if (scan.error) throw scan.error;
  const out = { records: scan.records, entries: scan.records.map((r) => r.entry) };
  return scan.truncatedTail ? { ...out, truncatedTail: scan.truncatedTail } : out;
}

/**
 * Reads `dir`/transcript.tlog, mapping failures to AuditError(ERR_IO).
 *
 * @example
 * const bytes = await readTranscriptFile(dir);
 */
export async function readTranscriptFile(dir: string): Promise<Uint8Array> {
  const file = join(dir, TRANSCRIPT_FILE);
  try {
    const b = await readFile(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new AuditError(AuditErrorCodes.IO, `${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

/**
 * Walks the length prefixes of records `from`…`to − 1` starting at `offset` without decoding them
 * (for resuming a verification at a checkpoint). Returns the offset after them and the bytes of the
 * last one, or how the walk ended early.
 *
 * @example
 * const w = skipRecords(bytes, offsetOfRecord1, 1, 10);
 */
export function skipRecords(bytes: Uint8Array, offset: number, from: number, to: number):
  { readonly offset: number; readonly last?: Uint8Array } | { readonly error: AuditError } | { readonly truncatedTail: TruncatedTail } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = offset;
  let last: Uint8Array | undefined;
  for (let i = from; i < to; i++) {
    const remaining = bytes.length - pos;
    if (remaining < 4) return { truncatedTail: { offset: pos, bytes: remaining } };
    const L = view.getUint32(pos);
    if (L < 1 || L > MAX_RECORD_BYTES) return { error: new AuditError(AuditErrorCodes.FRAMING, `record ${i} at offset ${pos} announces ${L} bytes, outside [1, ${MAX_RECORD_BYTES}]`, { seq: i, offset: pos }) };
    if (L > remaining - 4) return { truncatedTail: { offset: pos, bytes: remaining } };
    last = bytes.subarray(pos + 4, pos + 4 + L);
    pos += 4 + L;
  }
  return last ? { offset: pos, last } : { offset: pos };
}
