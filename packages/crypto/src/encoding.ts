/**
 * Canonical binary encoding of protocol messages: deterministically encoded CBOR (RFC 8949 §4.2.1:
 * shortest-form integers and lengths, definite lengths, map keys sorted bytewise) through cborg, a
 * well-kept encoder built for content addressing. Decoding is strict and then re-encodes the result
 * and compares bytes, so that exactly one encoding of every message is accepted: what was signed is
 * what an auditor re-hashes.
 * @module
 */
import { decode, encode, rfc8949EncodeOptions } from 'cborg';
import { abytes, aint, equalBytes } from './bytes.js';

/** Thrown when bytes are not well-formed, canonical CBOR of the kinds Tessera uses. */
export class EncodingError extends Error {
  readonly code: 'ERR_MALFORMED' | 'ERR_NON_CANONICAL' | 'ERR_OVERSIZE';
  constructor(code: EncodingError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EncodingError';
    this.code = code;
  }
}

/** Values the encoding carries: no floats, no undefined, no tags. */
export type Canonical = number | bigint | string | boolean | null | Uint8Array | Canonical[] | { [key: string]: Canonical };

const DECODE_OPTIONS = {
  strict: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: true,
  useMaps: false,
  tags: [] as never[],
};

/**
 * Returns a description of the first part of `value` outside {@link Canonical} (a float, an unsafe
 * integer number, undefined, a Map, a class instance…), or undefined if it is all canonical.
 */
function firstNonCanonical(value: unknown, path: string, depth = 0): string | undefined {
  if (depth > 64) return `${path} nests deeper than 64 levels`;
  switch (typeof value) {
    case 'number':
      return Number.isSafeInteger(value) ? undefined : `${path} is a number that is not a safe integer`;
    case 'bigint':
    case 'string':
    case 'boolean':
      return undefined;
    case 'object': {
      if (value === null || value instanceof Uint8Array) return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const bad = firstNonCanonical(value[i], `${path}[${i}]`, depth + 1);
          if (bad) return bad;
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return `${path} is a ${proto?.constructor?.name ?? 'non-plain'} object`;
      for (const [k, v] of Object.entries(value)) {
        const bad = firstNonCanonical(v, `${path}.${k}`, depth + 1);
        if (bad) return bad;
      }
      return undefined;
    }
    default:
      return `${path} is ${typeof value}`;
  }
}

/** Encodes `value` canonically. Throws a TypeError for values outside {@link Canonical}. */
export function encodeCanonical(value: Canonical): Uint8Array {
  const bad = firstNonCanonical(value, 'value');
  if (bad) throw new TypeError(`value cannot be encoded canonically: ${bad}`);
  try {
    return encode(value, rfc8949EncodeOptions);
  } catch (cause) {
    throw new TypeError(`value cannot be encoded canonically: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Decodes canonical CBOR. Rejects, with an {@link EncodingError} naming what is wrong: more than
 * `maxBytes` bytes, malformed or trailing bytes, duplicate keys, indefinite lengths, tags, undefined,
 * floats, and any encoding that is not the canonical one.
 */
export function decodeCanonical(bytes: Uint8Array, maxBytes = 64 * 1024 * 1024): Canonical {
  abytes(bytes, 'bytes');
  aint(maxBytes, 'maxBytes', 1, 2 ** 32);
  if (bytes.length > maxBytes) throw new EncodingError('ERR_OVERSIZE', `message is ${bytes.length} bytes, limit ${maxBytes}`);
  let value: Canonical;
  try {
    value = decode(bytes, DECODE_OPTIONS) as Canonical;
  } catch (cause) {
    throw new EncodingError('ERR_MALFORMED', `malformed CBOR: ${(cause as Error).message}`, { cause });
  }
  const bad = firstNonCanonical(value, 'value');
  if (bad) throw new EncodingError('ERR_MALFORMED', `CBOR holds a value Tessera does not use: ${bad}`);
  let again: Uint8Array;
  try {
    again = encodeCanonical(value);
  } catch (cause) {
    throw new EncodingError('ERR_MALFORMED', `CBOR holds a value Tessera does not use`, { cause });
  }
  if (!equalBytes(again, bytes)) throw new EncodingError('ERR_NON_CANONICAL', 'CBOR is well-formed but not in canonical (deterministic) form');
  return value;
}
