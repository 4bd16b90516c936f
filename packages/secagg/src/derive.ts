/**
 * Every key and label the protocol derives, in one place (docs/protocol.md, "Key derivation", lists
 * them byte for byte). HKDF-SHA256 salts are always the session digest; infos start with a
 * "tessera/v1/…" label and bind round and parties as 32-bit big-endian integers.
 * @module
 */
import { AEAD_KEY_BYTES, PRG_KEY_BYTES, concat, hkdf, sha256, u32be, utf8, type X25519Secret } from '@tessera/crypto';
import type { Session } from './config.js';

const L_SHARE_KEY = utf8('tessera/v1/share-key');
const L_SHARE_AAD = utf8('tessera/v1/share-aad');
const L_PAIRWISE = utf8('tessera/v1/pairwise-mask');
const L_SELF = utf8('tessera/v1/self-mask');
const L_COMMIT = utf8('tessera/v1/self-mask-commitment');
const L_SIG = utf8('tessera/v1/signed-message\0');
const L_SURVIVORS = utf8('tessera/v1/survivors');

/** AEAD key for shares sent from `from` to `to`: HKDF(X25519(c_sk_from, c_pk_to)). */
export function shareKey(session: Session, round: number, from: number, to: number, cSecret: X25519Secret, cPublicPeer: Uint8Array): Uint8Array {
  const ikm = cSecret.agree(cPublicPeer);
  return hkdf(ikm, session.digest, concat(L_SHARE_KEY, u32be(round), u32be(from), u32be(to)), AEAD_KEY_BYTES);
}

/** Associated data of the share ciphertext from `from` to `to`. */
export function shareAad(session: Session, round: number, from: number, to: number): Uint8Array {
  return concat(L_SHARE_AAD, session.digest, u32be(round), u32be(from), u32be(to));
}

/** PRG key of the pairwise mask between u and v (symmetric): HKDF(X25519(s_sk_u, s_pk_v)). */
export function pairwiseMaskKey(session: Session, round: number, u: number, v: number, sSecret: X25519Secret, sPublicPeer: Uint8Array): Uint8Array {
  const ikm = sSecret.agree(sPublicPeer);
  return hkdf(ikm, session.digest, concat(L_PAIRWISE, u32be(round), u32be(Math.min(u, v)), u32be(Math.max(u, v))), PRG_KEY_BYTES);
}

/** PRG key of u's self mask from its seed b_u. */
export function selfMaskKey(session: Session, round: number, u: number, seed: Uint8Array): Uint8Array {
  return hkdf(seed, session.digest, concat(L_SELF, u32be(round), u32be(u)), PRG_KEY_BYTES);
}

/** Commitment to the self-mask seed, published with the shares so a bad reconstruction is caught. */
export function selfMaskCommitment(session: Session, round: number, u: number, seed: Uint8Array): Uint8Array {
  return sha256(concat(L_COMMIT, session.digest, u32be(round), u32be(u), seed));
}

/** The bytes a party signs: a fixed label and the canonical message. */
export function signatureInput(message: Uint8Array): Uint8Array {
  return concat(L_SIG, message);
}

/** Digest of a survivor set (ascending member indices), as signed in ConsistencyCheck. */
export function survivorsDigest(session: Session, round: number, survivors: readonly number[]): Uint8Array {
  return sha256(concat(L_SURVIVORS, session.digest, u32be(round), u32be(survivors.length), ...survivors.map(u32be)));
}
