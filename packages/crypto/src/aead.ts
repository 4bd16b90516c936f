/**
 * ChaCha20-Poly1305 (RFC 8439) authenticated encryption from node:crypto (OpenSSL; constant-time and
 * much faster than a JavaScript implementation). Used to carry Shamir shares between clients through
 * the untrusted server.
 * @module
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { abytes } from './bytes.js';

export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;

/** Thrown when a ciphertext, its nonce or its associated data was altered, or the key is wrong. */
export class DecryptionError extends Error {
  readonly code = 'ERR_DECRYPT';
  constructor(message = 'AEAD authentication failed: ciphertext, nonce, associated data or key is wrong') {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** Encrypts `plaintext`; returns ciphertext || 16-byte tag. */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  abytes(key, 'key', AEAD_KEY_BYTES);
  abytes(nonce, 'nonce', AEAD_NONCE_BYTES);
  abytes(plaintext, 'plaintext');
  abytes(aad, 'aad');
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const body = c.update(plaintext);
  c.final();
  const out = new Uint8Array(body.length + AEAD_TAG_BYTES);
  out.set(body, 0);
  out.set(c.getAuthTag(), body.length);
  return out;
}

/** Decrypts ciphertext || tag; throws {@link DecryptionError} if anything was tampered with. */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  abytes(key, 'key', AEAD_KEY_BYTES);
  abytes(nonce, 'nonce', AEAD_NONCE_BYTES);
  abytes(sealed, 'sealed');
  abytes(aad, 'aad');
  if (sealed.length < AEAD_TAG_BYTES) throw new DecryptionError('AEAD ciphertext shorter than its tag');
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES });
  d.setAAD(aad, { plaintextLength: sealed.length - AEAD_TAG_BYTES });
  d.setAuthTag(sealed.subarray(sealed.length - AEAD_TAG_BYTES));
  const body = d.update(sealed.subarray(0, sealed.length - AEAD_TAG_BYTES));
  try {
    d.final();
  } catch {
    body.fill(0);
    throw new DecryptionError();
  }
  return new Uint8Array(body);
}
