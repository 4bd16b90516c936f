/**
 * Audit errors. Every finding about a transcript carries a stable `code` (documented in
 * docs/transcript.md, "Failure codes") and, where it has one, the entry's `seq` and the byte `offset`
 * of its record in transcript.tlog. API misuse by the caller raises TypeError / RangeError instead.
 * @module
 */

/**
 * Stable failure codes. Never renumber or rename: reports and scripts match on them.
 *
 * @example
 * if (result.failures[0]?.code === AuditErrorCodes.CHAIN) console.log('an entry was changed, removed or reordered');
 */
export const AuditErrorCodes = {
  /** The transcript file is missing, unreadable, or a blob cannot be read for another reason than absence. */
  IO: 'ERR_IO',
  /** transcript.tlog does not start with the magic header. */
  MAGIC: 'ERR_TRANSCRIPT_MAGIC',
  /** A record's length prefix is outside [1, 16 MiB]. */
  FRAMING: 'ERR_FRAMING',
  /** A record's bytes are not well-formed canonical CBOR (re-encoding does not give the same bytes). */
  NONCANONICAL: 'ERR_NONCANONICAL',
  /** An entry map lacks a field, has an unknown one, or a field has the wrong type or range. */
  ENTRY: 'ERR_ENTRY',
  /** The final record is incomplete (a crash mid-write) and the caller did not allow partial transcripts. */
  TRUNCATED: 'ERR_TRUNCATED',
  /** The transcript does not end with the recorder's 'close' note and the caller did not allow partial transcripts. */
  NOT_CLOSED: 'ERR_NOT_CLOSED',
  /** An entry's seq is not its position (an entry was removed, inserted or reordered). */
  SEQ: 'ERR_SEQ',
  /** An entry's prev is not the SHA-256 of the previous record (or of the magic, for seq 0). */
  CHAIN: 'ERR_CHAIN',
  /** The session entry is missing, repeated, malformed, or its digest does not match its params. */
  SESSION_ENTRY: 'ERR_SESSION_ENTRY',
  /** A signature (the recorder's, or a message sender's) does not verify under the roster key it must verify under. */
  BAD_SIGNATURE: 'ERR_BAD_SIGNATURE',
  /** A signing key or party index is not on the roster (or not on the roster the auditor pinned). */
  UNKNOWN_SIGNER: 'ERR_UNKNOWN_SIGNER',
  /** A message entry's blob file does not exist. */
  BLOB_MISSING: 'ERR_BLOB_MISSING',
  /** A blob's SHA-256 is not its name / the entry's `blob` field. */
  BLOB_DIGEST: 'ERR_BLOB_DIGEST',
  /** A field copied into an entry disagrees with the envelope, the recorder, or another field. */
  FIELD_MISMATCH: 'ERR_FIELD_MISMATCH',
  /** A message's session digest is not the transcript's, or the transcript's session is not the pinned one. */
  WRONG_SESSION: 'ERR_WRONG_SESSION',
  /** A recorded envelope is not a well-formed signed envelope with a valid message header. */
  ENVELOPE: 'ERR_ENVELOPE',
  /** A digest-only entry cannot be verified and the caller required every entry to be verified. */
  UNVERIFIABLE: 'ERR_UNVERIFIABLE',
  /** The writer was used out of order (a second session entry, a message before the session, after close or a failure). */
  WRITER_STATE: 'ERR_WRITER_STATE',
} as const;

/**
 * One of {@link AuditErrorCodes}.
 *
 * @example
 * const code: AuditErrorCode = 'ERR_CHAIN';
 */
export type AuditErrorCode = (typeof AuditErrorCodes)[keyof typeof AuditErrorCodes];

/**
 * A finding about a transcript, or a refusal of the writer.
 *
 * @example
 * try { await readTranscript(dir); } catch (e) { if (e instanceof AuditError) console.log(e.code, e.seq, e.offset); }
 */
export class AuditError extends Error {
  readonly code: AuditErrorCode;
  /** The entry's position in the transcript, when the finding concerns one. */
  readonly seq: number | undefined;
  /** Byte offset of the entry's record in transcript.tlog, when known. */
  readonly offset: number | undefined;
  constructor(code: AuditErrorCode, message: string, where: { seq?: number; offset?: number; cause?: unknown } = {}) {
    super(`${code}: ${message}`, where.cause === undefined ? undefined : { cause: where.cause });
    this.name = 'AuditError';
    this.code = code;
    this.seq = where.seq;
    this.offset = where.offset;
  }
}
