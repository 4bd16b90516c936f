/**
 * Shared fixtures for the secagg tests: deterministic sessions, identities, inputs and per-member
 * randomness, all derived from one seed string so that any failure replays from its title.
 * @module
 */
import { generateIdentity, randomBelow, seededRandom, type Identity, type RandomSource } from '@tessera/crypto';
import {
  createSession, decodeEnvelope, maxMessageBytes, parseMessage, SecAggError, type ErrorCode, type GraphSpec, type Message, type Session,
} from '../src/index.js';

export interface Fixture {
  readonly seed: string;
  readonly session: Session;
  readonly serverIdentity: Identity;
  readonly memberIdentities: readonly Identity[];
  readonly inputs: readonly Uint32Array[];
  /** Fresh deterministic randomness for member u (a new generator on every call). */
  rngFor(u: number): RandomSource;
}

export interface FixtureOptions {
  readonly n: number;
  readonly threshold: number;
  readonly graph?: GraphSpec;
  readonly bits?: number;
  readonly vectorLength?: number;
  /** Default: 16 bytes derived from the seed. */
  readonly sessionId?: Uint8Array;
  /** Reuse these identities (to build a second session with the same keys). */
  readonly identities?: { readonly server: Identity; readonly members: readonly Identity[] };
}

/** Builds a session and everything a round needs from `seed`. */
export function fixture(seed: string, o: FixtureOptions): Fixture {
  const rng = seededRandom(`secagg-test/${seed}`);
  const bits = o.bits ?? 16;
  const d = o.vectorLength ?? 8;
  const serverIdentity = o.identities?.server ?? generateIdentity(rng);
  const memberIdentities = o.identities?.members ?? Array.from({ length: o.n }, () => generateIdentity(rng));
  const sessionId = o.sessionId ?? rng(16);
  const session = createSession({
    sessionId,
    serverKey: serverIdentity.publicKey,
    memberKeys: memberIdentities.map((m) => m.publicKey),
    threshold: o.threshold,
    graph: o.graph ?? { kind: 'complete' },
    bits,
    vectorLength: d,
  });
  const inputs = memberIdentities.map(() => randomWords(rng, d, bits));
  return {
    seed, session, serverIdentity, memberIdentities, inputs,
    rngFor: (u) => seededRandom(`secagg-test/${seed}/member/${u}`),
  };
}

/** d uniform words in [0, 2^bits). */
export function randomWords(rng: RandomSource, d: number, bits: number): Uint32Array {
  const out = new Uint32Array(d);
  const bytes = rng(4 * d);
  for (let i = 0; i < d; i++) {
    const w = (bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24)) >>> 0;
    out[i] = bits === 32 ? w : w % 2 ** bits;
  }
  return out;
}

/** Plaintext Σ inputs[u − 1] over `members`, mod 2^bits, computed with bigints (independent of the ring code). */
export function plainSum(inputs: readonly Uint32Array[], members: readonly number[], bits: number, d: number): Uint32Array {
  const out = new Uint32Array(d);
  const modulus = 1n << BigInt(bits);
  for (let i = 0; i < d; i++) {
    let s = 0n;
    for (const u of members) s += BigInt(inputs[u - 1]![i]!);
    out[i] = Number(s % modulus);
  }
  return out;
}

/** The message inside an envelope, parsed (signature not verified). */
export function messageOf(bytes: Uint8Array, session: Session): Message {
  return parseMessage(decodeEnvelope(bytes, maxMessageBytes(session)).m, session);
}

/** Runs `f` and returns the SecAggError it throws (fails with a descriptive Error otherwise). */
export function catchSecAgg(f: () => unknown): SecAggError {
  try {
    f();
  } catch (e) {
    if (e instanceof SecAggError) return e;
    throw new Error(`expected a SecAggError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a SecAggError, nothing was thrown');
}

/** Asserts-style helper: the error has `code`, else throws describing the mismatch. */
export function expectCode(e: SecAggError, code: ErrorCode): void {
  if (e.code !== code) throw new Error(`expected ${code}, got ${e.code}: ${e.message}`);
}

/** Uniform integer in [lo, hi]. */
export const between = (rng: RandomSource, lo: number, hi: number): number => lo + randomBelow(rng, hi - lo + 1);

/** Ascending 1..n. */
export const allMembers = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** Returns a copy of `bytes` with byte `i` XORed with `mask`. */
export function flip(bytes: Uint8Array, i: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[i]! ^= mask;
  return out;
}
