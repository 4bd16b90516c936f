/**
 * Reading a recorded envelope without a protocol state machine: the { m, s } shape, the message header,
 * which stage a message type belongs to, and which label its signature uses. Full per-type field
 * validation is the protocol's (@tessera/secagg parseMessage, @tessera/node openControl); the transcript
 * needs the header only.
 * @module
 */
import { SIGNATURE_BYTES, concat, decodeCanonical, type Canonical } from '@tessera/crypto';
import { CLIENT_TYPES, SERVER_TYPES } from '@tessera/secagg';
import type { EntryStage } from './entry.js';
import { isMap } from './entry.js';
import { AuditError, AuditErrorCodes } from './errors.js';
import { CONTROL_LABEL, MAX_ENVELOPE_BYTES, SECAGG_LABEL, Tag } from './format.js';

/**
 * Control message types (coordinator → member, tag 2).
 *
 * @example
 * CONTROL_TYPES.includes('publish'); // true
 */
export const CONTROL_TYPES: readonly string[] = ['round-start', 'round-end', 'session-end', 'publish'];

/**
 * The stage of each message type. A member's message belongs to the stage in which it is sent; a
 * coordinator's message to the stage it closes (as @tessera/secagg's driver labels deliveries):
 * advertise-relay closes 'advertise', share-relay 'share', consistency-request 'masked',
 * unmask-request 'consistency'. Control messages are 'control'.
 *
 * @example
 * STAGE_OF_TYPE['consistency-request']; // 'masked'
 */
export const STAGE_OF_TYPE: Readonly<Record<string, EntryStage>> = Object.freeze({
  advertise: 'advertise',
  'advertise-relay': 'advertise',
  share: 'share',
  'share-relay': 'share',
  masked: 'masked',
  'consistency-request': 'masked',
  consistency: 'consistency',
  'unmask-request': 'consistency',
  unmask: 'unmask',
  'round-start': 'control',
  'round-end': 'control',
  'session-end': 'control',
  publish: 'control',
});

/**
 * The header fields every recorded message carries.
 *
 * @example
 * const { type, round, from } = inspectEnvelope(Tag.SECAGG, env).header;
 */
export interface MessageHeader {
  readonly v: number;
  readonly type: string;
  /** The 32-byte session digest. */
  readonly session: Uint8Array;
  readonly round: number;
  /** The sender: the `from` field of a SecAgg message; 0 for control messages. */
  readonly from: number;
  /** The `to` field, for the coordinator's SecAgg messages (and a member's 'share', naming its final recipient). */
  readonly to?: number;
}

/**
 * A decoded envelope: the signed message bytes, the signature, the header, and the signature input.
 *
 * @example
 * const { header, signed, s } = inspectEnvelope(Tag.SECAGG, bytes);
 * verifySignature(key, signed, s);
 */
export interface InspectedEnvelope {
  readonly tag: Tag;
  readonly m: Uint8Array;
  readonly s: Uint8Array;
  readonly header: MessageHeader;
  /** label ‖ m: the bytes the sender signed. */
  readonly signed: Uint8Array;
}

/**
 * Decodes an envelope of the given tag (strict canonical CBOR { m, s }, then m's header). Throws
 * AuditError(ERR_ENVELOPE) naming what is wrong; it checks no signature.
 *
 * @example
 * const e = inspectEnvelope(Tag.CONTROL, payload);
 * e.header.type; // 'round-start'
 */
export function inspectEnvelope(tag: Tag, bytes: Uint8Array): InspectedEnvelope {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  if (tag !== Tag.SECAGG && tag !== Tag.CONTROL) throw new RangeError(`tag must be 1 or 2, got ${String(tag)}`);
  const bad = (what: string, cause?: unknown): AuditError =>
    new AuditError(AuditErrorCodes.ENVELOPE, `${tag === Tag.SECAGG ? 'SecAgg' : 'control'} envelope: ${what}`, cause === undefined ? {} : { cause });
  const decode = (b: Uint8Array, what: string): Canonical => {
    try {
      return decodeCanonical(b, MAX_ENVELOPE_BYTES);
    } catch (e) {
      throw bad(`${what} is not canonical CBOR (${(e as Error).message})`, e);
    }
  };
  const env = decode(bytes, 'envelope');
  if (!isMap(env)) throw bad('is not a map');
  const keys = Object.keys(env);
  if (keys.length !== 2 || !(env.m instanceof Uint8Array) || !(env.s instanceof Uint8Array)) throw bad(`must be exactly { m: bytes, s: bytes }`);
  if (env.s.length !== SIGNATURE_BYTES) throw bad(`field 's' must be ${SIGNATURE_BYTES} bytes, got ${env.s.length}`);
  const m = decode(env.m, 'message');
  if (!isMap(m)) throw bad('message is not a map');
  const uint = (f: string): number => {
    const x = m[f];
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0 || x > 0xffffffff) throw bad(`message field '${f}' must be an integer in [0, 2^32)`);
    return x;
  };
  const type = m.type;
  const known = tag === Tag.SECAGG ? [...CLIENT_TYPES, ...SERVER_TYPES] as readonly string[] : CONTROL_TYPES;
  if (typeof type !== 'string' || !known.includes(type)) throw bad(`message type ${typeof type === 'string' ? `'${type.slice(0, 40)}'` : typeof type} is not one tag ${tag} carries`);
  if (!(m.session instanceof Uint8Array) || m.session.length !== 32) throw bad(`message field 'session' must be 32 bytes`);
  const v = uint('v');
  const round = uint('round');
  let from = 0;
  let to: number | undefined;
  if (tag === Tag.SECAGG) {
    from = uint('from');
    if ('to' in m) to = uint('to');
  } else if ('from' in m || 'to' in m) {
    throw bad(`control messages have no 'from' or 'to' field`);
  }
  const header: MessageHeader = to === undefined ? { v, type, session: m.session, round, from } : { v, type, session: m.session, round, from, to };
  return { tag, m: env.m, s: env.s, header, signed: concat(tag === Tag.SECAGG ? SECAGG_LABEL : CONTROL_LABEL, env.m) };
}
