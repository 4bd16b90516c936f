/**
 * Protocol messages: their fields, their canonical encoding, and signed envelopes.
 *
 * An envelope is the canonical CBOR map { m: <canonical CBOR of the message>, s: <Ed25519 signature> }
 * where s signs "tessera/v1/signed-message\0" || m with the sender's identity key (member i's roster
 * key; index 0 is the server). Every message starts with the header fields v, type, session, round,
 * from. Decoding checks the envelope, the encoding, the header and the type's own fields, and the
 * signature, naming the first thing that is wrong.
 * @module
 */
import {
  EncodingError, SHAMIR_SHARE_BYTES, SIGNATURE_BYTES, KEY_BYTES, AEAD_NONCE_BYTES, decodeCanonical, encodeCanonical,
  verifySignature, type Canonical, type Identity,
} from '@tessera/crypto';
import { PROTOCOL_VERSION, SERVER_INDEX, type Session } from './config.js';
import { signatureInput } from './derive.js';
import { ErrorCodes, SecAggError } from './errors.js';
import { packedLength, paddingIsZero } from './ring.js';

interface Header<T extends string> {
  readonly v: number;
  readonly type: T;
  readonly session: Uint8Array;
  readonly round: number;
  readonly from: number;
}
/** Stage 1, client → server: the round's public keys. */
export interface Advertise extends Header<'advertise'> { readonly cPk: Uint8Array; readonly sPk: Uint8Array }
/** Stage 1, server → client: the neighbours' signed Advertise envelopes. */
export interface AdvertiseRelay extends Header<'advertise-relay'> { readonly to: number; readonly items: readonly Uint8Array[] }
/** Stage 2, client → server → client `to`: encrypted Shamir shares of b_from and s_sk_from. */
export interface Share extends Header<'share'> {
  readonly to: number;
  readonly nonce: Uint8Array;
  readonly ct: Uint8Array;
  readonly commit: Uint8Array;
}
/** Stage 2, server → client: the Share envelopes addressed to `to`. */
export interface ShareRelay extends Header<'share-relay'> { readonly to: number; readonly items: readonly Uint8Array[] }
/** Stage 3, client → server: the masked input, packed at b bits. */
export interface Masked extends Header<'masked'> { readonly data: Uint8Array }
/** Stage 4, server → client: the survivor set U3. */
export interface ConsistencyRequest extends Header<'consistency-request'> { readonly to: number; readonly survivors: readonly number[] }
/** Stage 4, client → server: the client's signature of U3 (through its digest). */
export interface Consistency extends Header<'consistency'> { readonly survivors: Uint8Array }
/** Stage 5, server → client: U3, the dropped set, and the neighbours' Consistency envelopes. */
export interface UnmaskRequest extends Header<'unmask-request'> {
  readonly to: number;
  readonly survivors: readonly number[];
  readonly dropped: readonly number[];
  readonly signatures: readonly Uint8Array[];
}
/** Stage 5, client → server: shares of b_v for survivors v, of s_sk_v for dropped v. */
export interface Unmask extends Header<'unmask'> {
  readonly selfMaskShares: readonly (readonly [number, Uint8Array])[];
  readonly maskKeyShares: readonly (readonly [number, Uint8Array])[];
}

export type Message = Advertise | AdvertiseRelay | Share | ShareRelay | Masked | ConsistencyRequest | Consistency | UnmaskRequest | Unmask;
export type MessageType = Message['type'];
/** Message types each side sends. */
export const CLIENT_TYPES: readonly MessageType[] = ['advertise', 'share', 'masked', 'consistency', 'unmask'];
export const SERVER_TYPES: readonly MessageType[] = ['advertise-relay', 'share-relay', 'consistency-request', 'unmask-request'];

/** Upper bound on an envelope's size in a session (what a transport's maxPayload should allow). */
export function maxMessageBytes(session: Session): number {
  return packedLength(session.vectorLength, session.bits) + (session.n + 1) * 1024 + 4096;
}

/** Encodes and signs a message. */
export function sealMessage(message: Message, identity: Identity): Uint8Array {
  const m = encodeCanonical(message as unknown as Canonical);
  return encodeCanonical({ m, s: identity.sign(signatureInput(m)) });
}

/** A decoded envelope: the signed message bytes and the signature. */
export interface Envelope {
  readonly m: Uint8Array;
  readonly s: Uint8Array;
}

const malformed = (what: string): SecAggError => new SecAggError(ErrorCodes.MALFORMED, what);

function decode(bytes: Uint8Array, maxBytes: number, what: string): Canonical {
  try {
    return decodeCanonical(bytes, maxBytes);
  } catch (e) {
    if (e instanceof EncodingError) throw new SecAggError(e.code === 'ERR_OVERSIZE' ? ErrorCodes.OVERSIZE : ErrorCodes.MALFORMED, `${what}: ${e.message}`, { cause: e });
    throw e;
  }
}

function isRecord(v: Canonical): v is { [key: string]: Canonical } {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v);
}

function exactKeys(obj: { [key: string]: Canonical }, keys: readonly string[], what: string): void {
  const have = Object.keys(obj);
  for (const k of keys) if (!(k in obj)) throw malformed(`${what} lacks field '${k}'`);
  for (const k of have) if (!keys.includes(k)) throw malformed(`${what} has unknown field '${k}'`);
}

/** Decodes an envelope (without verifying it). */
export function decodeEnvelope(bytes: Uint8Array, maxBytes: number): Envelope {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  const e = decode(bytes, maxBytes, 'envelope');
  if (!isRecord(e)) throw malformed('envelope is not a map');
  exactKeys(e, ['m', 's'], 'envelope');
  if (!(e.m instanceof Uint8Array)) throw malformed(`envelope field 'm' is not a byte string`);
  if (!(e.s instanceof Uint8Array) || e.s.length !== SIGNATURE_BYTES) throw malformed(`envelope field 's' is not a ${SIGNATURE_BYTES}-byte signature`);
  return { m: e.m, s: e.s };
}

// Field validators: each names the message type and the field.
const uint = (v: Canonical, f: string, max = 0xffffffff): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw malformed(`field '${f}' must be an integer in [0, ${max}]`);
  return v;
};
const bytes = (v: Canonical, f: string, len?: number): Uint8Array => {
  if (!(v instanceof Uint8Array)) throw malformed(`field '${f}' must be a byte string`);
  if (len !== undefined && v.length !== len) throw malformed(`field '${f}' must be ${len} bytes, got ${v.length}`);
  return v;
};
const list = (v: Canonical, f: string, max: number): Canonical[] => {
  if (!Array.isArray(v)) throw malformed(`field '${f}' must be an array`);
  if (v.length > max) throw malformed(`field '${f}' has ${v.length} entries, at most ${max} allowed`);
  return v;
};
/** Strictly ascending member indices in [1, n]. */
const members = (v: Canonical, f: string, n: number): number[] => {
  const out = list(v, f, n).map((x, i) => uint(x, `${f}[${i}]`, n));
  for (let i = 0; i < out.length; i++) {
    if (out[i]! < 1) throw malformed(`field '${f}[${i}]' is not a member index`);
    if (i > 0 && out[i]! <= out[i - 1]!) throw malformed(`field '${f}' must be strictly ascending`);
  }
  return out;
};
const sharePairs = (v: Canonical, f: string, n: number): [number, Uint8Array][] => {
  const out = list(v, f, n).map((p, i): [number, Uint8Array] => {
    if (!Array.isArray(p) || p.length !== 2) throw malformed(`field '${f}[${i}]' must be a [member, share] pair`);
    const of = uint(p[0]!, `${f}[${i}][0]`, n);
    if (of < 1) throw malformed(`field '${f}[${i}][0]' is not a member index`);
    return [of, bytes(p[1]!, `${f}[${i}][1]`, SHAMIR_SHARE_BYTES)];
  });
  for (let i = 1; i < out.length; i++) if (out[i]![0] <= out[i - 1]![0]) throw malformed(`field '${f}' must be ascending by member`);
  return out;
};

/** A packed ring vector of the session's length whose padding bits are zero (see ring.ts). */
const packedVector = (v: Canonical, f: string, session: Session): Uint8Array => {
  const data = bytes(v, f, packedLength(session.vectorLength, session.bits));
  if (!paddingIsZero(data, session.bits, session.vectorLength)) throw malformed(`field '${f}' has non-zero padding bits`);
  return data;
};

const FIELDS: Record<MessageType, readonly string[]> = {
  advertise: ['cPk', 'sPk'],
  'advertise-relay': ['to', 'items'],
  share: ['to', 'nonce', 'ct', 'commit'],
  'share-relay': ['to', 'items'],
  masked: ['data'],
  'consistency-request': ['to', 'survivors'],
  consistency: ['survivors'],
  'unmask-request': ['to', 'survivors', 'dropped', 'signatures'],
  unmask: ['selfMaskShares', 'maskKeyShares'],
};
const HEADER = ['v', 'type', 'session', 'round', 'from'];
/** Plaintext of a Share ciphertext: two 33-byte shares, b_u then s_sk_u. */
export const SHARE_PLAINTEXT_BYTES = 2 * SHAMIR_SHARE_BYTES;

/**
 * Parses and validates a message's fields against the session (sizes, ranges, membership). Does not
 * check signatures, rounds or stages: the state machines do.
 */
export function parseMessage(m: Uint8Array, session: Session, maxBytes = maxMessageBytes(session)): Message {
  const raw = decode(m, maxBytes, 'message');
  if (!isRecord(raw)) throw malformed('message is not a map');
  const type = raw.type;
  if (typeof type !== 'string' || !Object.hasOwn(FIELDS, type)) throw malformed(`unknown message type ${typeof type === 'string' ? `'${type.slice(0, 40)}'` : typeof type}`);
  const t = type as MessageType;
  exactKeys(raw, [...HEADER, ...FIELDS[t]], `'${t}' message`);
  const v = uint(raw.v!, 'v');
  if (v !== PROTOCOL_VERSION) throw new SecAggError(ErrorCodes.WRONG_VERSION, `message is protocol version ${v}, this party speaks ${PROTOCOL_VERSION}`);
  const n = session.n;
  const header = { v, type: t, session: bytes(raw.session!, 'session', 32), round: uint(raw.round!, 'round'), from: uint(raw.from!, 'from', n) };
  const to = (): number => {
    const x = uint(raw.to!, 'to', n);
    if (x < 1) throw malformed(`field 'to' is not a member index`);
    return x;
  };
  const envelopes = (f: string): Uint8Array[] => list(raw[f]!, f, n).map((x, i) => bytes(x, `${f}[${i}]`));
  switch (t) {
    case 'advertise':
      return { ...header, type: t, cPk: bytes(raw.cPk!, 'cPk', KEY_BYTES), sPk: bytes(raw.sPk!, 'sPk', KEY_BYTES) };
    case 'advertise-relay':
      return { ...header, type: t, to: to(), items: envelopes('items') };
    case 'share':
      return {
        ...header, type: t, to: to(), nonce: bytes(raw.nonce!, 'nonce', AEAD_NONCE_BYTES),
        ct: bytes(raw.ct!, 'ct', SHARE_PLAINTEXT_BYTES + 16), commit: bytes(raw.commit!, 'commit', 32),
      };
    case 'share-relay':
      return { ...header, type: t, to: to(), items: envelopes('items') };
    case 'masked':
      return { ...header, type: t, data: packedVector(raw.data!, 'data', session) };
    case 'consistency-request':
      return { ...header, type: t, to: to(), survivors: members(raw.survivors!, 'survivors', n) };
    case 'consistency':
      return { ...header, type: t, survivors: bytes(raw.survivors!, 'survivors', 32) };
    case 'unmask-request':
      return {
        ...header, type: t, to: to(), survivors: members(raw.survivors!, 'survivors', n),
        dropped: members(raw.dropped!, 'dropped', n), signatures: envelopes('signatures'),
      };
    case 'unmask':
      return { ...header, type: t, selfMaskShares: sharePairs(raw.selfMaskShares!, 'selfMaskShares', n), maskKeyShares: sharePairs(raw.maskKeyShares!, 'maskKeyShares', n) };
  }
}

/** The identity key of party `index` (0 = server). */
export function partyKey(session: Session, index: number): Uint8Array {
  return index === SERVER_INDEX ? session.serverKey : session.memberKeys[index - 1]!;
}

/** An opened, verified message together with the exact bytes that were signed. */
export interface Opened<M extends Message = Message> {
  readonly message: M;
  readonly envelope: Envelope;
  readonly bytes: Uint8Array;
}

/**
 * Decodes, validates and verifies an envelope: canonical encoding, known type and fields, this
 * protocol version and session, a sender of the expected kind, and its signature. The round and the
 * stage are checked by the caller.
 */
export function openMessage(bytes: Uint8Array, session: Session, expect: 'client' | 'server', maxBytes = maxMessageBytes(session)): Opened {
  const envelope = decodeEnvelope(bytes, maxBytes);
  const message = parseMessage(envelope.m, session, maxBytes);
  if (!sameBytes(message.session, session.digest)) throw new SecAggError(ErrorCodes.WRONG_SESSION, `message belongs to another session`);
  const fromServer = message.from === SERVER_INDEX;
  if (expect === 'server' && !fromServer) throw new SecAggError(ErrorCodes.NOT_MEMBER, `expected a message from the server, got one from member ${message.from}`);
  if (expect === 'client' && fromServer) throw new SecAggError(ErrorCodes.NOT_MEMBER, `expected a message from a member, got one claiming to be from the server`);
  const allowed = fromServer ? SERVER_TYPES : CLIENT_TYPES;
  if (!allowed.includes(message.type)) throw malformed(`'${message.type}' is not a message ${fromServer ? 'the server' : 'a member'} sends`);
  if (!verifySignature(partyKey(session, message.from), signatureInput(envelope.m), envelope.s))
    throw new SecAggError(ErrorCodes.BAD_SIGNATURE, `signature of ${fromServer ? 'the server' : `member ${message.from}`} on a '${message.type}' message does not verify`);
  return { message, envelope, bytes };
}

/** Byte equality for public values (digests, ids). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
