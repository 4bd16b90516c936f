/**
 * Vectors in Z_2^b on the wire: d words packed at exactly b bits each, least significant bit first,
 * into ⌈d·b/8⌉ bytes; unused high bits of the last byte are zero (so the packing is canonical).
 * @module
 */
import { aint, assertLittleEndian } from '@tessera/crypto';

assertLittleEndian();
import { SecAggError, ErrorCodes } from './errors.js';

/** Bytes needed for `length` words of `bits` bits. */
export const packedLength = (length: number, bits: number): number => Math.ceil((length * bits) / 8);

/**
 * Whether the unused high bits of the last byte of a packed vector are zero. `bytes` must already be
 * packedLength(length, bits) long.
 */
export function paddingIsZero(bytes: Uint8Array, bits: number, length: number): boolean {
  const used = (length * bits) % 8;
  return used === 0 || bytes.length === 0 || bytes[bytes.length - 1]! >>> used === 0;
}

/** Throws a RangeError naming the first word that is not in [0, 2^bits). */
export function checkRingVector(words: Uint32Array, bits: number, name = 'vector'): void {
  if (!(words instanceof Uint32Array)) throw new TypeError(`${name} must be a Uint32Array`);
  aint(bits, 'bits', 1, 32);
  if (bits === 32) return;
  for (let i = 0; i < words.length; i++)
    if (words[i]! >>> bits !== 0) throw new RangeError(`${name}[${i}] = ${words[i]} is not in [0, 2^${bits})`);
}

/** Packs words (each < 2^bits) at `bits` bits. */
export function packWords(words: Uint32Array, bits: number): Uint8Array {
  checkRingVector(words, bits, 'words');
  // Whole-byte widths: the little-endian layout is the platform's (checked at load by @tessera/crypto).
  if (bits === 32) return new Uint8Array(words.buffer, words.byteOffset, words.byteLength).slice();
  if (bits === 16) return new Uint8Array(Uint16Array.from(words).buffer);
  if (bits === 8) return Uint8Array.from(words);
  const out = new Uint8Array(packedLength(words.length, bits));
  let o = 0, acc = 0, filled = 0;
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!, rem = bits;
    while (rem > 0) {
      const take = Math.min(8 - filled, rem);
      acc |= (w & ((1 << take) - 1)) << filled;
      w >>>= take;
      rem -= take;
      filled += take;
      if (filled === 8) {
        out[o++] = acc;
        acc = 0;
        filled = 0;
      }
    }
  }
  if (filled > 0) out[o] = acc;
  return out;
}

/** Unpacks `length` words of `bits` bits; the byte length and zero padding are checked. */
export function unpackWords(bytes: Uint8Array, bits: number, length: number): Uint32Array {
  aint(bits, 'bits', 1, 32);
  const expected = packedLength(length, bits);
  if (bytes.length !== expected)
    throw new SecAggError(ErrorCodes.MALFORMED, `packed vector is ${bytes.length} bytes, expected ${expected} for ${length} words of ${bits} bits`);
  if (!paddingIsZero(bytes, bits, length)) throw new SecAggError(ErrorCodes.MALFORMED, 'packed vector has non-zero padding bits');
  const out = new Uint32Array(length);
  if (bits === 32) return new Uint32Array(bytes.slice().buffer);
  if (bits === 16) return Uint32Array.from(new Uint16Array(bytes.slice().buffer));
  if (bits === 8) return Uint32Array.from(bytes);
  let o = 0, byte = 0, avail = 0;
  for (let i = 0; i < length; i++) {
    let w = 0, got = 0;
    while (got < bits) {
      if (avail === 0) {
        byte = bytes[o++]!;
        avail = 8;
      }
      const take = Math.min(avail, bits - got);
      w |= (byte & ((1 << take) - 1)) << got;
      byte >>>= take;
      avail -= take;
      got += take;
    }
    out[i] = w >>> 0;
  }
  return out;
}
