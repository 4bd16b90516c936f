/**
 * SHA-256 and HKDF-SHA256 (RFC 5869) from @noble/hashes, plus Tessera's domain-separated labels.
 * @module
 */
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { abytes, aint } from './bytes.js';

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(abytes(data, 'data'));
}

/**
 * HKDF-SHA256 (RFC 5869): extract with `salt`, expand with `info` to `length` bytes (at most 8160).
 *
 * @example
 * const okm = hkdf(sharedSecret, salt, utf8('tessera/v1/pairwise-mask'), 16);
 */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  abytes(ikm, 'ikm');
  abytes(salt, 'salt');
  abytes(info, 'info');
  aint(length, 'length', 1, 255 * 32);
  return nobleHkdf(nobleSha256, ikm, salt, info, length);
}
