/**
 * Every limit with its safe default, and the validation of listen and dial options at the boundary:
 * a bad option is a TypeError or RangeError naming it, before any socket is opened.
 * @module
 */
import { abytes, aint, KEY_BYTES, type Identity } from '@tessera/crypto';
import type { DialOptions, Limits, ListenerLimits, ListenOptions } from './types.js';

/** Largest session id, in bytes. */
export const MAX_SESSION_ID_BYTES = 64;

/**
 * The defaults of every limit. Sized for a coordinator of up to a thousand sites exchanging SecAgg
 * messages of a few MiB: a 16 MiB frame, twice that queued per connection, a 10 s handshake and a
 * 15 s heartbeat (a dead peer is dropped after about 30 s).
 */
export const DEFAULT_LIMITS: Readonly<Limits & ListenerLimits> = Object.freeze({
  maxPayload: 16 * 1024 * 1024,
  maxBufferedBytes: 32 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  heartbeatMs: 15_000,
  maxPendingHandshakes: 64,
  maxConnections: 1024,
});

const MAX_MS = 24 * 3600 * 1000;

/**
 * The connection limits in `options`, defaults filled in; RangeError/TypeError for a bad one.
 *
 * @example
 * resolveLimits({ maxPayload: 1 << 20 }); // { maxPayload: 1048576, maxBufferedBytes: 33554432, … }
 */
export function resolveLimits(options: Partial<Limits>): Limits {
  const pick = <K extends keyof Limits>(k: K): number => (options[k] === undefined ? DEFAULT_LIMITS[k] : options[k]!);
  const maxPayload = aint(pick('maxPayload'), 'maxPayload', 1, 2 ** 31 - 1);
  const maxBufferedBytes = aint(pick('maxBufferedBytes'), 'maxBufferedBytes', 1, 2 ** 40);
  if (maxBufferedBytes < maxPayload)
    throw new RangeError(`maxBufferedBytes (${maxBufferedBytes}) must be at least maxPayload (${maxPayload}): a largest frame must fit`);
  return {
    maxPayload,
    maxBufferedBytes,
    handshakeTimeoutMs: aint(pick('handshakeTimeoutMs'), 'handshakeTimeoutMs', 1, MAX_MS),
    heartbeatMs: aint(pick('heartbeatMs'), 'heartbeatMs', 0, MAX_MS),
  };
}

/** The connection and listener limits in `options`, defaults filled in. */
export function resolveListenerLimits(options: Partial<Limits & ListenerLimits>): Limits & ListenerLimits {
  const pick = <K extends keyof ListenerLimits>(k: K): number => (options[k] === undefined ? DEFAULT_LIMITS[k] : options[k]!);
  return {
    ...resolveLimits(options),
    maxPendingHandshakes: aint(pick('maxPendingHandshakes'), 'maxPendingHandshakes', 1, 1 << 20),
    maxConnections: aint(pick('maxConnections'), 'maxConnections', 1, 1 << 24),
  };
}

function aidentity(value: unknown, name: string): Identity {
  const id = value as Identity | undefined;
  if (typeof id !== 'object' || id === null || typeof id.sign !== 'function')
    throw new TypeError(`${name} must be an Identity (see @tessera/crypto identityFromSeed)`);
  abytes(id.publicKey, `${name}.publicKey`, KEY_BYTES);
  return id;
}

function asession(value: unknown): Uint8Array {
  const s = abytes(value, 'sessionId');
  if (s.length < 1 || s.length > MAX_SESSION_ID_BYTES)
    throw new RangeError(`sessionId must be 1 to ${MAX_SESSION_ID_BYTES} bytes, got ${s.length}`);
  return s;
}

/** Listen options, validated and with defaults: what the coordinator's handshake and listener need. */
export interface ResolvedListen {
  readonly identity: Identity;
  readonly sessionId: Uint8Array;
  readonly isAllowed: (peerKey: Uint8Array) => boolean;
  readonly limits: Limits & ListenerLimits;
}

/** Validates `options` of listen(); throws a TypeError or RangeError naming the first bad field. */
export function resolveListen(options: ListenOptions): ResolvedListen {
  if (typeof options !== 'object' || options === null) throw new TypeError('listen options must be an object');
  if (typeof options.isAllowed !== 'function') throw new TypeError('isAllowed must be a function (peerKey) => boolean');
  return {
    identity: aidentity(options.identity, 'identity'),
    sessionId: asession(options.sessionId).slice(),
    isAllowed: options.isAllowed,
    limits: resolveListenerLimits(options),
  };
}

/** Dial options, validated and with defaults. */
export interface ResolvedDial {
  readonly identity: Identity;
  readonly sessionId: Uint8Array;
  readonly coordinatorKey: Uint8Array;
  readonly limits: Limits;
}

/** Validates `options` of dial(); throws a TypeError or RangeError naming the first bad field. */
export function resolveDial(options: DialOptions): ResolvedDial {
  if (typeof options !== 'object' || options === null) throw new TypeError('dial options must be an object');
  return {
    identity: aidentity(options.identity, 'identity'),
    sessionId: asession(options.sessionId).slice(),
    coordinatorKey: abytes(options.coordinatorKey, 'coordinatorKey', KEY_BYTES).slice(),
    limits: resolveLimits(options),
  };
}
