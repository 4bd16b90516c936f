/**
 * The fixed bytes of the transcript format: the magic header, the record limits, the signature
 * labels, file names. docs/transcript.md specifies each byte for byte.
 * @module
 */
import { sha256, toHex, utf8 } from '@tessera/crypto';

/**
 * The 19 bytes transcript.tlog starts with: "TESSERA-TRANSCRIPT\n".
 *
 * @example
 * Buffer.from(MAGIC).toString(); // 'TESSERA-TRANSCRIPT\n'
 */
export const MAGIC: Uint8Array = utf8('TESSERA-TRANSCRIPT\n');

/**
 * Format version: the `v` field of every entry.
 *
 * @example
 * entry.v === TRANSCRIPT_VERSION;
 */
export const TRANSCRIPT_VERSION = 1;

/**
 * Largest entry (the L of a record), 16 MiB.
 *
 * @example
 * if (length > MAX_RECORD_BYTES) throw new RangeError('record too long');
 */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/**
 * Envelopes up to this size are stored inline by default (64 KiB); larger ones become blobs.
 *
 * @example
 * await TranscriptWriter.open(dir, { recorder: 0, identity, inlineLimit: DEFAULT_INLINE_LIMIT });
 */
export const DEFAULT_INLINE_LIMIT = 64 * 1024;

/**
 * Largest inline limit a writer accepts (8 MiB), so that an entry always fits in a record.
 *
 * @example
 * aint(inlineLimit, 'inlineLimit', 0, MAX_INLINE_LIMIT);
 */
export const MAX_INLINE_LIMIT = 8 * 1024 * 1024;

/**
 * Largest envelope (inline or blob) a reader decodes: 1 GiB of publication plus 16 MiB of headroom.
 *
 * @example
 * decodeCanonical(envelope, MAX_ENVELOPE_BYTES);
 */
export const MAX_ENVELOPE_BYTES = 2 ** 30 + 16 * 1024 * 1024;

/**
 * Label of the recorder's signature over the session parameters: "tessera/v1/transcript-session\0".
 *
 * @example
 * identity.sign(concat(SESSION_LABEL, params));
 */
export const SESSION_LABEL: Uint8Array = utf8('tessera/v1/transcript-session\0');

/**
 * Label of the recorder's signature over every entry: "tessera/v1/transcript-entry\0".
 *
 * @example
 * identity.sign(concat(ENTRY_LABEL, encodeCanonical(entryWithoutRsig)));
 */
export const ENTRY_LABEL: Uint8Array = utf8('tessera/v1/transcript-entry\0');

/**
 * Label of SecAgg envelope signatures (docs/protocol.md): "tessera/v1/signed-message\0".
 *
 * @example
 * verifySignature(key, concat(SECAGG_LABEL, env.m), env.s);
 */
export const SECAGG_LABEL: Uint8Array = utf8('tessera/v1/signed-message\0');

/**
 * Label of control envelope signatures (packages/node control.ts): "tessera/v1/control\0".
 *
 * @example
 * verifySignature(serverKey, concat(CONTROL_LABEL, env.m), env.s);
 */
export const CONTROL_LABEL: Uint8Array = utf8('tessera/v1/control\0');

/**
 * Frame tags of the node wire format: 1 = SecAgg envelope, 2 = control envelope.
 *
 * @example
 * if (frame[0] === Tag.CONTROL) …
 */
export const Tag = { SECAGG: 1, CONTROL: 2 } as const;
/**
 * A frame tag: 1 or 2.
 *
 * @example
 * const tag: Tag = Tag.SECAGG;
 */
export type Tag = (typeof Tag)[keyof typeof Tag];

/**
 * File name of the log inside a transcript folder.
 *
 * @example
 * join(dir, TRANSCRIPT_FILE);
 */
export const TRANSCRIPT_FILE = 'transcript.tlog';
/**
 * Sub-folder holding content-addressed blobs.
 *
 * @example
 * join(dir, BLOB_DIR, blobName(digest));
 */
export const BLOB_DIR = 'blobs';

/**
 * The `prev` of entry 0: SHA-256 of the magic header.
 *
 * @example
 * equalBytes(entries[0].prev, genesisHash());
 */
export function genesisHash(): Uint8Array {
  return sha256(MAGIC);
}

/**
 * A blob's file name: the 64 lowercase hex digits of its SHA-256.
 *
 * @example
 * blobName(sha256(envelope)); // 'e3b0c442…'
 */
export function blobName(digest: Uint8Array): string {
  if (!(digest instanceof Uint8Array) || digest.length !== 32) throw new TypeError('digest must be a 32-byte Uint8Array');
  return toHex(digest);
}
