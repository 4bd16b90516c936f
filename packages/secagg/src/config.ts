/**
 * Session configuration: who takes part, with which keys, and the parameters every party must agree
 * on. Its canonical encoding is hashed into the session digest that every message carries, so two
 * parties with different configurations can never complete a round together.
 * @module
 */
import { abytes, aint, encodeCanonical, KEY_BYTES, sha256, type Canonical } from '@tessera/crypto';

/** The wire protocol version. */
export const PROTOCOL_VERSION = 1;
/** Member index reserved for the server (coordinator). Members are 1..n. */
export const SERVER_INDEX = 0;
/** Largest supported session. */
export const MAX_MEMBERS = 10_000;
/** Largest supported vector length (words). */
export const MAX_VECTOR_LENGTH = 1 << 26;

/** Neighbour graph: complete (SecAgg) or a random k-regular graph per round (SecAgg+). */
export type GraphSpec = { readonly kind: 'complete' } | { readonly kind: 'sparse'; readonly degree: number };

export interface SessionConfig {
  /** 16 random bytes naming the session. */
  readonly sessionId: Uint8Array;
  /** The server's Ed25519 identity key (pinned by every member). */
  readonly serverKey: Uint8Array;
  /** Members' Ed25519 identity keys; member i (1-based) is memberKeys[i − 1]. */
  readonly memberKeys: readonly Uint8Array[];
  /** Shamir threshold t: shares of a client's secrets needed to reconstruct them. */
  readonly threshold: number;
  readonly graph: GraphSpec;
  /** Values live in Z_2^bits, 1 ≤ bits ≤ 32. */
  readonly bits: number;
  /** Number of words d in every input vector. */
  readonly vectorLength: number;
}

/** A validated configuration with its derived constants. */
export interface Session extends SessionConfig {
  readonly n: number;
  /** SHA-256 of the canonical encoding of the configuration: the `session` field of every message. */
  readonly digest: Uint8Array;
}

/** The canonical form of a configuration (what is hashed into the digest). */
export function configToCanonical(c: SessionConfig): Canonical {
  return {
    protocol: 'tessera-secagg',
    version: PROTOCOL_VERSION,
    sessionId: c.sessionId,
    serverKey: c.serverKey,
    memberKeys: [...c.memberKeys],
    threshold: c.threshold,
    graph: c.graph.kind === 'complete' ? { kind: 'complete' } : { kind: 'sparse', degree: c.graph.degree },
    bits: c.bits,
    vectorLength: c.vectorLength,
  };
}

/**
 * Validates a configuration, naming the first bad field, and derives its digest.
 *
 * @example
 * const session = createSession({ sessionId, serverKey, memberKeys, threshold: 6, graph: { kind: 'complete' }, bits: 32, vectorLength: 1000 });
 */
export function createSession(config: SessionConfig): Session {
  if (typeof config !== 'object' || config === null) throw new TypeError('config must be an object');
  abytes(config.sessionId, 'config.sessionId', 16);
  abytes(config.serverKey, 'config.serverKey', KEY_BYTES);
  if (!Array.isArray(config.memberKeys)) throw new TypeError('config.memberKeys must be an array');
  const n = config.memberKeys.length;
  aint(n, 'config.memberKeys.length', 2, MAX_MEMBERS);
  const seen = new Set<string>([Buffer.from(config.serverKey).toString('hex')]);
  config.memberKeys.forEach((k, i) => {
    abytes(k, `config.memberKeys[${i}]`, KEY_BYTES);
    const hex = Buffer.from(k).toString('hex');
    if (seen.has(hex)) throw new RangeError(`config.memberKeys[${i}] repeats another member's or the server's key`);
    seen.add(hex);
  });
  if (typeof config.graph !== 'object' || config.graph === null) throw new TypeError('config.graph must be an object');
  let maxDegree = n - 1;
  if (config.graph.kind === 'sparse') {
    aint(config.graph.degree, 'config.graph.degree', 2, n - 1);
    if (config.graph.degree % 2 !== 0) throw new RangeError(`config.graph.degree must be even, got ${config.graph.degree}`);
    maxDegree = config.graph.degree;
  } else if (config.graph.kind !== 'complete') throw new RangeError(`config.graph.kind must be 'complete' or 'sparse'`);
  aint(config.threshold, 'config.threshold', 1, maxDegree);
  aint(config.bits, 'config.bits', 1, 32);
  aint(config.vectorLength, 'config.vectorLength', 1, MAX_VECTOR_LENGTH);
  const frozen: SessionConfig = {
    sessionId: config.sessionId.slice(),
    serverKey: config.serverKey.slice(),
    memberKeys: config.memberKeys.map((k) => k.slice()),
    threshold: config.threshold,
    graph: config.graph.kind === 'complete' ? { kind: 'complete' } : { kind: 'sparse', degree: config.graph.degree },
    bits: config.bits,
    vectorLength: config.vectorLength,
  };
  return Object.freeze({ ...frozen, n, digest: sha256(encodeCanonical(configToCanonical(frozen))) });
}
