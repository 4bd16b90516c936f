/**
 * The mutual-authentication handshake as two pure state machines: no I/O, no clock, randomness
 * injected. A transport feeds them frames and sends what they return.
 *
 *   coordinator → peer   hello   { v, type: "hello", session, key: coordinatorKey, nonce: nonceC }
 *   peer → coordinator   auth    { v, type: "auth", key: peerKey, nonce: nonceP, sig: Sign_peer(PEER_CONTEXT || T) }
 *   coordinator → peer   welcome { v, type: "welcome", sig: Sign_coordinator(COORDINATOR_CONTEXT || T) }
 *
 * where T = canonical CBOR [session, coordinatorKey, peerKey, nonceC, nonceP]. The peer refuses a
 * hello naming a key other than its pinned one and sends nothing but `auth` until the welcome's
 * signature verifies under that pinned key over its own fresh nonce; the coordinator sends `welcome`
 * only after the peer's signature verifies and its key is on the roster. The README gives the bytes.
 * @module
 */
import {
  EncodingError, KEY_BYTES, SIGNATURE_BYTES, concat, decodeCanonical, encodeCanonical, equalBytes, systemRandom, utf8,
  verifySignature, type Canonical, type Identity, type RandomSource,
} from '@tessera/crypto';
import { CloseCodes, refusal, TransportError } from './errors.js';
import { MAX_SESSION_ID_BYTES } from './options.js';

/** The handshake protocol version this module speaks. */
export const HANDSHAKE_VERSION = 1;
/** Length of each side's fresh nonce. */
export const NONCE_BYTES = 32;
/** Largest handshake frame accepted; larger ones are refused (CloseCodes.OVERSIZE) before decoding. */
export const MAX_HANDSHAKE_FRAME = 1024;
/** Domain separator of the peer's signature. */
export const PEER_CONTEXT = utf8('tessera/v1/handshake/peer\0');
/** Domain separator of the coordinator's signature. */
export const COORDINATOR_CONTEXT = utf8('tessera/v1/handshake/coordinator\0');

/** coordinator → peer: who the coordinator claims to be, for which session, and its fresh nonce. */
export interface Hello {
  readonly v: number;
  readonly type: 'hello';
  readonly session: Uint8Array;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
}
/** peer → coordinator: the peer's key, its fresh nonce, and its signature of the transcript. */
export interface Auth {
  readonly v: number;
  readonly type: 'auth';
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
  readonly sig: Uint8Array;
}
/** coordinator → peer: the coordinator's signature of the transcript. */
export interface Welcome {
  readonly v: number;
  readonly type: 'welcome';
  readonly sig: Uint8Array;
}
export type HandshakeMessage = Hello | Auth | Welcome;

const FIELDS = { hello: ['v', 'type', 'session', 'key', 'nonce'], auth: ['v', 'type', 'key', 'nonce', 'sig'], welcome: ['v', 'type', 'sig'] } as const;

/**
 * Canonical CBOR of a handshake message (no validation of the values: tests build bad ones with it).
 *
 * @example
 * const welcome = encodeHandshake({ v: HANDSHAKE_VERSION, type: 'welcome', sig });
 */
export function encodeHandshake(message: HandshakeMessage): Uint8Array {
  return encodeCanonical(message as unknown as Canonical);
}

/**
 * The transcript both signatures cover: canonical CBOR of the array
 * [session, coordinatorKey, peerKey, nonceC, nonceP] (all byte strings).
 *
 * @example
 * const sigP = peer.sign(concat(PEER_CONTEXT, transcript(session, coordinatorKey, peer.publicKey, nonceC, nonceP)));
 */
export function transcript(session: Uint8Array, coordinatorKey: Uint8Array, peerKey: Uint8Array, nonceC: Uint8Array, nonceP: Uint8Array): Uint8Array {
  return encodeCanonical([session, coordinatorKey, peerKey, nonceC, nonceP]);
}

const malformed = (what: string): TransportError => refusal(CloseCodes.MALFORMED, what);

function bytesField(obj: Record<string, Canonical>, f: string, type: string, min: number, max = min): Uint8Array {
  const v = obj[f];
  if (!(v instanceof Uint8Array)) throw malformed(`${type}: field '${f}' must be a byte string`);
  if (v.length < min || v.length > max)
    throw malformed(`${type}: field '${f}' must be ${min === max ? `${min}` : `${min} to ${max}`} bytes, got ${v.length}`);
  return v;
}

/**
 * Decodes and validates one handshake frame of the `expected` type. Throws a TransportError whose
 * closeCode says what is wrong: OVERSIZE (over 1 KiB, checked before decoding), MALFORMED (not
 * canonical CBOR, not a map, other type, missing or extra fields, wrong sizes), WRONG_VERSION.
 *
 * @example
 * const { key, nonce, sig } = decodeHandshake(frame, 'auth');
 */
export function decodeHandshake<T extends HandshakeMessage['type']>(frame: Uint8Array, expected: T): Extract<HandshakeMessage, { type: T }> {
  if (frame.length > MAX_HANDSHAKE_FRAME) throw refusal(CloseCodes.OVERSIZE, `handshake frame is ${frame.length} bytes, limit ${MAX_HANDSHAKE_FRAME}`);
  let raw: Canonical;
  try {
    raw = decodeCanonical(frame, MAX_HANDSHAKE_FRAME);
  } catch (e) {
    if (e instanceof EncodingError) throw malformed(`handshake frame is not canonical CBOR (${e.code})`);
    throw e;
  }
  if (typeof raw !== 'object' || raw === null || raw instanceof Uint8Array || Array.isArray(raw)) throw malformed('handshake frame is not a CBOR map');
  if (typeof raw.v !== 'number' && typeof raw.v !== 'bigint') throw malformed(`handshake frame lacks the integer field 'v'`);
  if (raw.v !== HANDSHAKE_VERSION) throw refusal(CloseCodes.WRONG_VERSION, `handshake version ${raw.v}, this party speaks ${HANDSHAKE_VERSION}`);
  if (raw.type !== expected) throw malformed(`expected a '${expected}' handshake message`);
  const fields: readonly string[] = FIELDS[expected];
  for (const k of Object.keys(raw)) if (!fields.includes(k)) throw malformed(`'${expected}' has unknown field '${k.slice(0, 16)}'`);
  for (const k of fields) if (!(k in raw)) throw malformed(`'${expected}' lacks field '${k}'`);
  const v = HANDSHAKE_VERSION;
  const msg: HandshakeMessage =
    expected === 'hello'
      ? { v, type: 'hello', session: bytesField(raw, 'session', expected, 1, MAX_SESSION_ID_BYTES), key: bytesField(raw, 'key', expected, KEY_BYTES), nonce: bytesField(raw, 'nonce', expected, NONCE_BYTES) }
      : expected === 'auth'
        ? { v, type: 'auth', key: bytesField(raw, 'key', expected, KEY_BYTES), nonce: bytesField(raw, 'nonce', expected, NONCE_BYTES), sig: bytesField(raw, 'sig', expected, SIGNATURE_BYTES) }
        : { v, type: 'welcome', sig: bytesField(raw, 'sig', expected, SIGNATURE_BYTES) };
  return msg as Extract<HandshakeMessage, { type: T }>;
}

/** What one handshake step produced: a frame to send, and once authenticated, the other party's key. */
export interface HandshakeStep {
  readonly reply?: Uint8Array;
  readonly remoteKey?: Uint8Array;
}

/** Either side of the handshake, as a transport drives it. */
export interface HandshakeParty {
  /** The first frame this side sends, if it speaks first (the coordinator's hello). */
  start(): Uint8Array | undefined;
  /** Consumes the other side's next frame. Throws a TransportError (with its closeCode) to refuse. */
  receive(frame: Uint8Array): HandshakeStep;
}

type State = 'new' | 'await-auth' | 'await-hello' | 'await-welcome' | 'done' | 'failed';

abstract class Party implements HandshakeParty {
  protected state: State;
  constructor(initial: State) {
    this.state = initial;
  }
  abstract start(): Uint8Array | undefined;
  protected abstract step(frame: Uint8Array): HandshakeStep;
  receive(frame: Uint8Array): HandshakeStep {
    if (!(frame instanceof Uint8Array)) throw new TypeError('frame must be a Uint8Array');
    if (this.state === 'done' || this.state === 'failed' || this.state === 'new') throw new Error(`handshake cannot receive in state '${this.state}'`);
    try {
      return this.step(frame);
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
  }
}

/** The coordinator's side of the handshake. */
export interface CoordinatorHandshakeOptions {
  readonly identity: Identity;
  readonly sessionId: Uint8Array;
  readonly isAllowed: (peerKey: Uint8Array) => boolean;
  readonly random?: RandomSource;
}

/**
 * The coordinator's handshake: sends hello, verifies auth, answers welcome.
 *
 * @example
 * const c = new CoordinatorHandshake({ identity, sessionId, isAllowed });
 * send(c.start());                              // hello
 * const { reply, remoteKey } = c.receive(auth); // throws TransportError to refuse
 * send(reply!);                                 // welcome; remoteKey is the authenticated peer
 */
export class CoordinatorHandshake extends Party {
  readonly #o: CoordinatorHandshakeOptions;
  #nonce: Uint8Array | undefined;
  constructor(options: CoordinatorHandshakeOptions) {
    super('new');
    this.#o = options;
  }
  start(): Uint8Array {
    if (this.state !== 'new') throw new Error('handshake already started');
    this.#nonce = (this.#o.random ?? systemRandom)(NONCE_BYTES);
    this.state = 'await-auth';
    return encodeHandshake({ v: HANDSHAKE_VERSION, type: 'hello', session: this.#o.sessionId, key: this.#o.identity.publicKey, nonce: this.#nonce });
  }
  protected step(frame: Uint8Array): HandshakeStep {
    const auth = decodeHandshake(frame, 'auth');
    const t = transcript(this.#o.sessionId, this.#o.identity.publicKey, auth.key, this.#nonce!, auth.nonce);
    // The signature first: a party that does not hold a key learns nothing about the roster.
    if (!verifySignature(auth.key, concat(PEER_CONTEXT, t), auth.sig)) throw refusal(CloseCodes.BAD_SIGNATURE, 'peer signature does not verify');
    let allowed = false;
    try {
      allowed = this.#o.isAllowed(auth.key.slice()) === true;
    } catch {
      allowed = false; // fail closed
    }
    if (!allowed) throw refusal(CloseCodes.UNKNOWN_KEY, 'peer key is not on the roster');
    this.state = 'done';
    const welcome = encodeHandshake({ v: HANDSHAKE_VERSION, type: 'welcome', sig: this.#o.identity.sign(concat(COORDINATOR_CONTEXT, t)) });
    return { reply: welcome, remoteKey: auth.key.slice() };
  }
}

/** The peer's side of the handshake. */
export interface PeerHandshakeOptions {
  readonly identity: Identity;
  readonly sessionId: Uint8Array;
  /** The coordinator's key, pinned from the roster. */
  readonly coordinatorKey: Uint8Array;
  readonly random?: RandomSource;
}

/**
 * The peer's handshake: checks hello against the pinned key and session, sends auth, and verifies
 * the coordinator's welcome signature over its own fresh nonce.
 *
 * @example
 * const p = new PeerHandshake({ identity, sessionId, coordinatorKey });
 * send(p.receive(hello).reply!);             // auth
 * const { remoteKey } = p.receive(welcome);  // the coordinator, authenticated
 */
export class PeerHandshake extends Party {
  readonly #o: PeerHandshakeOptions;
  #transcript: Uint8Array | undefined;
  constructor(options: PeerHandshakeOptions) {
    super('await-hello');
    this.#o = options;
  }
  start(): undefined {
    return undefined;
  }
  protected step(frame: Uint8Array): HandshakeStep {
    if (this.state === 'await-hello') {
      const hello = decodeHandshake(frame, 'hello');
      if (!equalBytes(hello.key, this.#o.coordinatorKey))
        throw refusal(CloseCodes.COORDINATOR_KEY_MISMATCH, 'coordinator key is not the pinned one');
      if (!equalBytes(hello.session, this.#o.sessionId)) throw refusal(CloseCodes.WRONG_SESSION, 'coordinator names another session');
      const nonce = (this.#o.random ?? systemRandom)(NONCE_BYTES);
      const peerKey = this.#o.identity.publicKey;
      this.#transcript = transcript(this.#o.sessionId, this.#o.coordinatorKey, peerKey, hello.nonce, nonce);
      this.state = 'await-welcome';
      const sig = this.#o.identity.sign(concat(PEER_CONTEXT, this.#transcript));
      return { reply: encodeHandshake({ v: HANDSHAKE_VERSION, type: 'auth', key: peerKey, nonce, sig }) };
    }
    const welcome = decodeHandshake(frame, 'welcome');
    if (!verifySignature(this.#o.coordinatorKey, concat(COORDINATOR_CONTEXT, this.#transcript!), welcome.sig))
      throw refusal(CloseCodes.BAD_SIGNATURE, 'coordinator signature does not verify under the pinned key');
    this.state = 'done';
    return { remoteKey: this.#o.coordinatorKey.slice() };
  }
}
