/**
 * The node-level wire format on top of a transport connection: tagged frames, and the coordinator's
 * signed control messages.
 *
 * Frame = one tag byte + payload:
 * - 0x01 + a SecAgg envelope (either direction; see @tessera/secagg messages).
 * - 0x02 + a control envelope (coordinator → peer only; a peer sending one is a protocol violation).
 *
 * A control envelope is the canonical CBOR map { m, s } where m is the canonical CBOR of the message
 * and s is the coordinator's Ed25519 signature of "tessera/v1/control\0" || m — a label distinct
 * from SecAgg's, so neither kind of signature can be passed off as the other. Messages:
 * - { v: 1, type: 'round-start', session, round, participants: [member indices, ascending] }
 * - { v: 1, type: 'round-end', session, round, survivors: [indices], ok: bool, code?: string }
 * - { v: 1, type: 'session-end', session, round: number of rounds in the session }
 * - { v: 1, type: 'publish', session, round, data: bytes } — the state round `round` starts from (for
 *   training, the global model), sent right before that round's round-start. Opaque to the protocol; a
 *   receiver accepts at most the maxPublicationBytes it was configured with (0, the default: none).
 * `session` is the 32-byte SecAgg session digest. No sum is sent to peers: it is the coordinator's output.
 * @module
 */
import { SIGNATURE_BYTES, concat, decodeCanonical, encodeCanonical, utf8, verifySignature, EncodingError, type Canonical, type Identity } from '@tessera/crypto';
import { PROTOCOL_VERSION, sameBytes, type Session } from '@tessera/secagg';
import { NodeError, NodeErrorCodes } from './errors.js';

/** Frame tags. */
export const FrameTag = { SECAGG: 0x01, CONTROL: 0x02 } as const;
export type FrameTag = (typeof FrameTag)[keyof typeof FrameTag];

/** The signature label of control messages. */
export const CONTROL_LABEL = utf8('tessera/v1/control\0');
/** Largest control envelope accepted. */
export const MAX_CONTROL_BYTES = 64 * 1024 + 16 * 10_000;
/** Longest error code carried in a round-end. */
const MAX_CODE_LENGTH = 64;

export interface RoundStart {
  readonly v: number;
  readonly type: 'round-start';
  readonly session: Uint8Array;
  readonly round: number;
  readonly participants: readonly number[];
}
export interface RoundEnd {
  readonly v: number;
  readonly type: 'round-end';
  readonly session: Uint8Array;
  readonly round: number;
  readonly survivors: readonly number[];
  readonly ok: boolean;
  readonly code?: string;
}
export interface SessionEnd {
  readonly v: number;
  readonly type: 'session-end';
  readonly session: Uint8Array;
  readonly round: number;
}
export interface Publish {
  readonly v: number;
  readonly type: 'publish';
  readonly session: Uint8Array;
  readonly round: number;
  /** The state the round starts from (for training, the global model); opaque bytes. */
  readonly data: Uint8Array;
}
export type ControlMessage = RoundStart | RoundEnd | SessionEnd | Publish;

/** Largest maxPublicationBytes a coordinator or peer accepts (1 GiB; frames must stay below 2^31 bytes). */
export const MAX_PUBLICATION_BYTES = 2 ** 30;

/**
 * The largest control frame (tag byte included) a side must be able to carry when publications of up to
 * `maxPublicationBytes` are allowed: MAX_CONTROL_BYTES of headroom plus the data.
 */
export function maxControlFrameBytes(maxPublicationBytes: number): number {
  return 1 + MAX_CONTROL_BYTES + checkMaxPublicationBytes(maxPublicationBytes);
}

/** Validates a maxPublicationBytes setting: an integer in [0, MAX_PUBLICATION_BYTES]. */
export function checkMaxPublicationBytes(value: unknown, name = 'maxPublicationBytes'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer, got ${typeof value}`);
  if (value < 0 || value > MAX_PUBLICATION_BYTES) throw new RangeError(`${name} must be in [0, ${MAX_PUBLICATION_BYTES}], got ${value}`);
  return value;
}

/** Prefixes `payload` with its tag. */
export function frame(tag: FrameTag, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(tag), payload);
}

/** Splits a frame into its tag and payload; unknown tags and empty frames are protocol violations. */
export function unframe(bytes: Uint8Array): { tag: FrameTag; payload: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  if (bytes.length < 2) throw new NodeError(NodeErrorCodes.PROTOCOL_VIOLATION, `frame of ${bytes.length} bytes is too short`);
  const tag = bytes[0]!;
  if (tag !== FrameTag.SECAGG && tag !== FrameTag.CONTROL) throw new NodeError(NodeErrorCodes.PROTOCOL_VIOLATION, `unknown frame tag 0x${tag.toString(16).padStart(2, '0')}`);
  return { tag: tag as FrameTag, payload: bytes.subarray(1) };
}

/** Signs a control message and wraps it in a control frame. */
export function sealControl(message: ControlMessage, identity: Identity): Uint8Array {
  const m = encodeCanonical(message as unknown as Canonical);
  return frame(FrameTag.CONTROL, encodeCanonical({ m, s: identity.sign(concat(CONTROL_LABEL, m)) }));
}

const violation = (what: string): NodeError => new NodeError(NodeErrorCodes.PROTOCOL_VIOLATION, `control message: ${what}`);

function decode(bytes: Uint8Array, what: string, maxBytes: number): Canonical {
  try {
    return decodeCanonical(bytes, maxBytes);
  } catch (e) {
    if (e instanceof EncodingError) throw violation(`${what}: ${e.message}`);
    throw e;
  }
}
const isMap = (v: Canonical): v is { [k: string]: Canonical } => typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v);
function keys(o: { [k: string]: Canonical }, required: readonly string[], optional: readonly string[] = []): void {
  for (const k of required) if (!(k in o)) throw violation(`lacks field '${k}'`);
  for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) throw violation(`has unknown field '${k}'`);
}
const uint = (v: Canonical | undefined, f: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 0xffffffff) throw violation(`field '${f}' must be an integer in [0, 2^32)`);
  return v;
};
function indices(v: Canonical | undefined, f: string, n: number): number[] {
  if (!Array.isArray(v) || v.length > n) throw violation(`field '${f}' must be an array of at most ${n} member indices`);
  const out = v.map((x) => uint(x, f));
  out.forEach((x, i) => {
    if (x < 1 || x > n) throw violation(`field '${f}' holds ${x}, not a member index`);
    if (i > 0 && x <= out[i - 1]!) throw violation(`field '${f}' must be strictly ascending`);
  });
  return out;
}

/**
 * Opens a control envelope (the payload of a 0x02 frame): canonical encoding, the coordinator's
 * signature under the pinned session key, this protocol version and session, known type and fields.
 * Envelopes of up to MAX_CONTROL_BYTES + maxPublicationBytes are decoded; a 'publish' whose data is
 * longer than maxPublicationBytes (any publish, when it is 0) is refused.
 * Throws NodeError(PROTOCOL_VIOLATION) naming what is wrong.
 *
 * @example
 * const msg = openControl(unframe(bytes).payload, session, 1 << 20);
 * if (msg.type === 'round-start') …
 */
export function openControl(payload: Uint8Array, session: Session, maxPublicationBytes = 0): ControlMessage {
  checkMaxPublicationBytes(maxPublicationBytes);
  const limit = MAX_CONTROL_BYTES + maxPublicationBytes;
  const env = decode(payload, 'envelope', limit);
  if (!isMap(env)) throw violation('envelope is not a map');
  keys(env, ['m', 's']);
  if (!(env.m instanceof Uint8Array) || !(env.s instanceof Uint8Array) || env.s.length !== SIGNATURE_BYTES) throw violation(`envelope fields must be a message and a ${SIGNATURE_BYTES}-byte signature`);
  if (!verifySignature(session.serverKey, concat(CONTROL_LABEL, env.m), env.s)) throw violation(`signature does not verify under the roster's coordinator key`);
  const m = decode(env.m, 'message', limit);
  if (!isMap(m)) throw violation('message is not a map');
  if (m.v !== PROTOCOL_VERSION) throw violation(`version ${String(m.v)} is not ${PROTOCOL_VERSION}`);
  if (!(m.session instanceof Uint8Array) || !sameBytes(m.session, session.digest)) throw violation('belongs to another session');
  const header = { v: PROTOCOL_VERSION, session: m.session, round: uint(m.round, 'round') };
  switch (m.type) {
    case 'round-start':
      keys(m, ['v', 'type', 'session', 'round', 'participants']);
      return { ...header, type: 'round-start', participants: indices(m.participants, 'participants', session.n) };
    case 'round-end': {
      keys(m, ['v', 'type', 'session', 'round', 'survivors', 'ok'], ['code']);
      if (typeof m.ok !== 'boolean') throw violation(`field 'ok' must be a boolean`);
      if (m.code !== undefined && (typeof m.code !== 'string' || m.code.length > MAX_CODE_LENGTH || !/^[A-Z0-9_]+$/.test(m.code))) throw violation(`field 'code' must be an error code`);
      return { ...header, type: 'round-end', survivors: indices(m.survivors, 'survivors', session.n), ok: m.ok, ...(m.code !== undefined ? { code: m.code as string } : {}) };
    }
    case 'session-end':
      keys(m, ['v', 'type', 'session', 'round']);
      return { ...header, type: 'session-end' };
    case 'publish': {
      keys(m, ['v', 'type', 'session', 'round', 'data']);
      if (!(m.data instanceof Uint8Array)) throw violation(`field 'data' must be a byte string`);
      if (maxPublicationBytes === 0) throw violation(`a publication of ${m.data.length} bytes, but this side accepts none (maxPublicationBytes is 0)`);
      if (m.data.length > maxPublicationBytes) throw violation(`a publication of ${m.data.length} bytes exceeds maxPublicationBytes = ${maxPublicationBytes}`);
      return { ...header, type: 'publish', data: m.data };
    }
    default:
      throw violation(`unknown type ${typeof m.type === 'string' ? `'${m.type.slice(0, 40)}'` : typeof m.type}`);
  }
}
