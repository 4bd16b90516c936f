/**
 * The client (member) side of one aggregation round, as a transport-free state machine.
 *
 *   const client = new SecAggClient({ session, round, index, identity, input });
 *   send(client.start());                         // Advertise
 *   for each message from the server: send(client.receive(bytes));
 *
 * `receive` returns the envelopes to send to the server (possibly none). A message that is not validly
 * signed by the server is refused (SecAggError, `fatal: false`) and changes nothing: anyone can put
 * bytes on a wire. A message the server did sign but that breaks the protocol (a survivor set that
 * changes, a request for both shares of a neighbour, a forged relay) aborts the round (`fatal: true`):
 * the server is misbehaving, and the client reveals nothing more.
 * @module
 */
import {
  AEAD_NONCE_BYTES, SHAMIR_SHARE_BYTES, aeadOpen, aeadSeal, concat, equalBytes, splitSecret, systemRandom, withRingAccumulator,
  wipe, x25519KeyPair, X25519Secret, type Identity, type MaskStream, type RandomSource, type X25519KeyPair,
} from '@tessera/crypto';
import { SERVER_INDEX, type Session } from './config.js';
import { pairwiseMaskKey, selfMaskCommitment, selfMaskKey, shareAad, shareKey, survivorsDigest } from './derive.js';
import { ErrorCodes, SecAggError, type ErrorCode } from './errors.js';
import { roundGraph, type NeighbourGraph } from './graph.js';
import {
  SHARE_PLAINTEXT_BYTES, maxMessageBytes, openMessage, parseMessage, sameBytes, sealMessage, decodeEnvelope, partyKey,
  type Advertise, type AdvertiseRelay, type ConsistencyRequest, type Message, type Opened, type Share, type ShareRelay, type UnmaskRequest,
} from './messages.js';
import { signatureInput } from './derive.js';
import { verifySignature } from '@tessera/crypto';
import { checkRingVector, packWords } from './ring.js';

export type ClientStage = 'init' | 'advertised' | 'shared' | 'masked' | 'signed' | 'done' | 'aborted';

export interface ClientOptions {
  readonly session: Session;
  readonly round: number;
  /** This member's index (1-based). */
  readonly index: number;
  /** This member's long-term identity (its public key must be memberKeys[index − 1]). */
  readonly identity: Identity;
  /** The vector to aggregate: `vectorLength` words, each in [0, 2^bits). */
  readonly input: Uint32Array;
  /** Randomness; the system CSPRNG unless a test or seeded simulation injects one. */
  readonly rng?: RandomSource;
}

/** What the client revealed in Unmasking, for audit logs and tests. */
export interface Revealed {
  readonly selfMaskOf: readonly number[];
  readonly maskKeyOf: readonly number[];
}

export class SecAggClient {
  readonly session: Session;
  readonly round: number;
  readonly index: number;
  readonly graph: NeighbourGraph;
  /** Milliseconds spent computing the masked vector from its keys (PRG expansion and ring arithmetic). */
  maskMs = 0;
  #stage: ClientStage = 'init';
  #abortReason: SecAggError | undefined;
  readonly #identity: Identity;
  readonly #rng: RandomSource;
  #input: Uint32Array | undefined;
  #c: X25519KeyPair | undefined;
  #s: X25519KeyPair | undefined;
  #cSecret: X25519Secret | undefined;
  #sSecret: X25519Secret | undefined;
  #seed: Uint8Array | undefined;
  /** Neighbours whose Advertise we accepted, with their keys: our share holders. */
  readonly #adverts = new Map<number, Advertise>();
  /** Neighbours whose shares we hold (they reached ShareKeys): our pairwise-mask partners. */
  readonly #held = new Map<number, { selfMask: Uint8Array; maskKey: Uint8Array }>();
  #survivors: readonly number[] | undefined;
  #digest: Uint8Array | undefined;
  #revealed: Revealed | undefined;
  readonly #maxBytes: number;

  constructor(options: ClientOptions) {
    const { session, round, index, identity, input } = options;
    if (typeof session !== 'object' || session === null || !(session.digest instanceof Uint8Array)) throw new TypeError('session must come from createSession()');
    if (!Number.isSafeInteger(round) || round < 0 || round > 0xffffffff) throw new RangeError(`round must be an integer in [0, 2^32), got ${round}`);
    if (!Number.isSafeInteger(index) || index < 1 || index > session.n) throw new RangeError(`index must be in [1, ${session.n}], got ${index}`);
    if (!equalBytes(identity.publicKey, session.memberKeys[index - 1]!)) throw new RangeError(`identity is not member ${index}'s roster key`);
    checkRingVector(input, session.bits, 'input');
    if (input.length !== session.vectorLength) throw new RangeError(`input must have ${session.vectorLength} words, got ${input.length}`);
    this.session = session;
    this.round = round;
    this.index = index;
    this.#identity = identity;
    this.#input = input;
    this.#rng = options.rng ?? systemRandom;
    this.graph = roundGraph(session, round);
    this.#maxBytes = maxMessageBytes(session);
  }

  get stage(): ClientStage {
    return this.#stage;
  }
  /** Why the round was aborted, if it was. */
  get abortReason(): SecAggError | undefined {
    return this.#abortReason;
  }
  /** What this client revealed in Unmasking (undefined before). */
  get revealed(): Revealed | undefined {
    return this.#revealed;
  }

  #header<T extends Message['type']>(type: T) {
    return { v: 1, type, session: this.session.digest, round: this.round, from: this.index } as const;
  }

  #abort(code: ErrorCode, message: string): never {
    const error = new SecAggError(code, message, { fatal: true });
    this.#stage = 'aborted';
    this.#abortReason = error;
    if (this.#c) wipe(this.#c.secretKey);
    if (this.#s) wipe(this.#s.secretKey);
    if (this.#seed) wipe(this.#seed);
    this.#cSecret = this.#sSecret = undefined;
    this.#held.clear();
    this.#input = undefined;
    throw error;
  }

  /** Stage 1 (AdvertiseKeys): fresh c and s key pairs, signed. */
  start(): Uint8Array[] {
    if (this.#stage !== 'init') throw new SecAggError(ErrorCodes.STAGE_ORDER, `start() called in stage '${this.#stage}'`);
    this.#c = x25519KeyPair(this.#rng);
    this.#s = x25519KeyPair(this.#rng);
    this.#cSecret = new X25519Secret(this.#c.secretKey);
    this.#sSecret = new X25519Secret(this.#s.secretKey);
    this.#stage = 'advertised';
    return [sealMessage({ ...this.#header('advertise'), cPk: this.#c.publicKey, sPk: this.#s.publicKey }, this.#identity)];
  }

  /** Handles one envelope from the server; returns the envelopes to send back. */
  receive(bytes: Uint8Array): Uint8Array[] {
    if (this.#stage === 'aborted') throw new SecAggError(ErrorCodes.ABORTED, `round ${this.round} was aborted: ${this.#abortReason?.message}`);
    const opened = openMessage(bytes, this.session, 'server', this.#maxBytes); // not signed by the server: refused, no state change
    const m = opened.message;
    if (m.round !== this.round) throw new SecAggError(ErrorCodes.WRONG_ROUND, `message of round ${m.round} in round ${this.round}`);
    if ('to' in m && m.to !== this.index) throw new SecAggError(ErrorCodes.WRONG_RECIPIENT, `message addressed to member ${m.to}`);
    const expected: Record<string, ClientStage> = { 'advertise-relay': 'advertised', 'share-relay': 'shared', 'consistency-request': 'masked', 'unmask-request': 'signed' };
    if (expected[m.type] !== this.#stage) throw new SecAggError(ErrorCodes.STAGE_ORDER, `'${m.type}' is not expected in stage '${this.#stage}'`);
    switch (m.type) {
      case 'advertise-relay':
        return this.#onAdvertiseRelay(m);
      case 'share-relay':
        return this.#onShareRelay(m);
      case 'consistency-request':
        return this.#onConsistencyRequest(m);
      case 'unmask-request':
        return this.#onUnmaskRequest(m);
      default:
        throw new SecAggError(ErrorCodes.MALFORMED, `unexpected '${m.type}' from the server`);
    }
  }

  /** Opens an item the server relayed: it must be a valid, signed message of a neighbour of this round. */
  #openRelayed(item: Uint8Array, type: 'advertise' | 'share' | 'consistency'): Opened {
    let opened: Opened;
    try {
      opened = openMessage(item, this.session, 'client', this.#maxBytes);
    } catch (e) {
      if (e instanceof SecAggError) this.#abort(e.code, `the server relayed an invalid '${type}' item: ${e.message}`);
      throw e;
    }
    const m = opened.message;
    if (m.type !== type) this.#abort(ErrorCodes.MALFORMED, `the server relayed a '${m.type}' where a '${type}' belongs`);
    if (m.round !== this.round) this.#abort(ErrorCodes.WRONG_ROUND, `the server relayed member ${m.from}'s '${type}' of round ${m.round}`);
    return opened;
  }

  #onAdvertiseRelay(m: AdvertiseRelay): Uint8Array[] {
    const adverts = new Map<number, Advertise>();
    for (const item of m.items) {
      const a = this.#openRelayed(item, 'advertise').message as Advertise;
      if (!this.graph.isNeighbour(this.index, a.from)) this.#abort(ErrorCodes.NOT_NEIGHBOUR, `the server relayed keys of member ${a.from}, not a neighbour`);
      if (adverts.has(a.from)) this.#abort(ErrorCodes.DUPLICATE, `the server relayed member ${a.from}'s keys twice`);
      adverts.set(a.from, a);
    }
    const t = this.session.threshold;
    if (adverts.size < t) this.#abort(ErrorCodes.BELOW_THRESHOLD, `${adverts.size} neighbours advertised keys, fewer than the threshold ${t}`);
    // Stage 2 (ShareKeys): b_u and s_sk_u, t-out-of-|holders| Shamir, encrypted per holder.
    const holders = [...adverts.keys()].sort((a, b) => a - b);
    this.#seed = this.#rng(32);
    const commit = selfMaskCommitment(this.session, this.round, this.index, this.#seed);
    const bShares = splitSecret(this.#seed, t, holders, this.#rng);
    const sShares = splitSecret(this.#s!.secretKey, t, holders, this.#rng);
    const out: Uint8Array[] = [];
    holders.forEach((v, i) => {
      const a = adverts.get(v)!;
      let key: Uint8Array;
      try {
        key = shareKey(this.session, this.round, this.index, v, this.#cSecret!, a.cPk);
      } catch (e) {
        this.#abort(ErrorCodes.MALFORMED, `member ${v}'s encryption key is unusable: ${(e as Error).message}`);
      }
      const nonce = this.#rng(AEAD_NONCE_BYTES);
      const plaintext = concat(bShares[i]!, sShares[i]!);
      const ct = aeadSeal(key, nonce, plaintext, shareAad(this.session, this.round, this.index, v));
      wipe(key, plaintext, bShares[i]!, sShares[i]!);
      out.push(sealMessage({ ...this.#header('share'), to: v, nonce, ct, commit }, this.#identity));
    });
    for (const [v, a] of adverts) this.#adverts.set(v, a);
    this.#stage = 'shared';
    return out;
  }

  #onShareRelay(m: ShareRelay): Uint8Array[] {
    const held = new Map<number, { selfMask: Uint8Array; maskKey: Uint8Array }>();
    for (const item of m.items) {
      const s = this.#openRelayed(item, 'share').message as Share;
      if (s.to !== this.index) this.#abort(ErrorCodes.WRONG_RECIPIENT, `the server relayed member ${s.from}'s share for member ${s.to}`);
      const a = this.#adverts.get(s.from);
      if (!a) this.#abort(ErrorCodes.NOT_NEIGHBOUR, `the server relayed shares of member ${s.from}, whose keys it never relayed`);
      if (held.has(s.from)) this.#abort(ErrorCodes.DUPLICATE, `the server relayed member ${s.from}'s shares twice`);
      let plain: Uint8Array;
      try {
        const key = shareKey(this.session, this.round, s.from, this.index, this.#cSecret!, a.cPk);
        plain = aeadOpen(key, s.nonce, s.ct, shareAad(this.session, this.round, s.from, this.index));
      } catch (e) {
        this.#abort(ErrorCodes.DECRYPT, `shares from member ${s.from} fail authentication: ${(e as Error).message}`);
      }
      if (plain.length !== SHARE_PLAINTEXT_BYTES) this.#abort(ErrorCodes.MALFORMED, `shares from member ${s.from} have the wrong length`);
      held.set(s.from, { selfMask: plain.slice(0, SHAMIR_SHARE_BYTES), maskKey: plain.slice(SHAMIR_SHARE_BYTES) });
    }
    const t = this.session.threshold;
    // Our own holders that reached ShareKeys are exactly the neighbours whose shares we now hold.
    if (held.size < t) this.#abort(ErrorCodes.BELOW_THRESHOLD, `${held.size} neighbours remain after ShareKeys, fewer than the threshold ${t}`);
    for (const [v, h] of held) this.#held.set(v, h);
    // Stage 3 (MaskedInput): y = x + PRG(b_u) + Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv)  (mod 2^b).
    const streams: MaskStream[] = [{ key: selfMaskKey(this.session, this.round, this.index, this.#seed!), sign: 1 }];
    for (const v of [...held.keys()].sort((a, b) => a - b)) {
      const key = pairwiseMaskKey(this.session, this.round, this.index, v, this.#sSecret!, this.#adverts.get(v)!.sPk);
      streams.push({ key, sign: v > this.index ? 1 : -1 });
    }
    const data = withRingAccumulator(this.session.vectorLength, (acc) => {
      const started = performance.now(); // maskMs: PRG expansion and ring arithmetic only (key agreement is above)
      const y = acc.addVector(this.#input!).addMasks(streams).reducedView(this.session.bits);
      this.maskMs = performance.now() - started;
      return packWords(y, this.session.bits);
    });
    for (const s of streams) wipe(s.key);
    this.#input = undefined;
    this.#stage = 'masked';
    return [sealMessage({ ...this.#header('masked'), data }, this.#identity)];
  }

  #checkSurvivors(survivors: readonly number[]): void {
    const t = this.session.threshold;
    if (!survivors.includes(this.index)) this.#abort(ErrorCodes.SURVIVOR_SET_MISMATCH, `the survivor set omits this member, which sent its masked input`);
    if (survivors.length < t) this.#abort(ErrorCodes.BELOW_THRESHOLD, `the survivor set has ${survivors.length} members, fewer than the threshold ${t}`);
    for (const v of survivors)
      if (v !== this.index && this.graph.isNeighbour(this.index, v) && !this.#held.has(v))
        this.#abort(ErrorCodes.SURVIVOR_SET_MISMATCH, `the survivor set lists neighbour ${v}, which never completed ShareKeys with this member`);
  }

  #onConsistencyRequest(m: ConsistencyRequest): Uint8Array[] {
    this.#checkSurvivors(m.survivors);
    this.#survivors = [...m.survivors];
    this.#digest = survivorsDigest(this.session, this.round, this.#survivors);
    this.#stage = 'signed';
    return [sealMessage({ ...this.#header('consistency'), survivors: this.#digest }, this.#identity)];
  }

  #onUnmaskRequest(m: UnmaskRequest): Uint8Array[] {
    const survivors = new Set(m.survivors);
    for (const v of m.dropped)
      if (survivors.has(v)) this.#abort(ErrorCodes.BOTH_SHARES_REQUESTED, `member ${v} is listed both as a survivor and as dropped: revealing both its shares would unmask its input`);
    if (m.survivors.length !== this.#survivors!.length || m.survivors.some((v, i) => v !== this.#survivors![i]))
      this.#abort(ErrorCodes.SURVIVOR_SET_MISMATCH, `the unmask request's survivor set differs from the one this member signed`);
    if (m.dropped.includes(this.index)) this.#abort(ErrorCodes.SURVIVOR_SET_MISMATCH, `the unmask request lists this member as dropped`);
    // Every neighbour signature must be valid and on the same survivor set; at least t, counting ours.
    const signers = new Set<number>([this.index]);
    for (const item of m.signatures) {
      let env;
      try {
        env = decodeEnvelope(item, this.#maxBytes);
      } catch (e) {
        this.#abort(ErrorCodes.MALFORMED, `the server relayed a malformed consistency signature: ${(e as Error).message}`);
      }
      let c: Message;
      try {
        c = parseMessage(env.m, this.session, this.#maxBytes);
      } catch (e) {
        this.#abort(ErrorCodes.MALFORMED, `the server relayed a malformed consistency signature: ${(e as Error).message}`);
      }
      if (c.type !== 'consistency' || c.round !== this.round || !sameBytes(c.session, this.session.digest))
        this.#abort(ErrorCodes.MALFORMED, `the server relayed a '${c.type}' of round ${c.round} as a consistency signature`);
      if (c.from === SERVER_INDEX || !verifySignature(partyKey(this.session, c.from), signatureInput(env.m), env.s))
        this.#abort(ErrorCodes.BAD_SIGNATURE, `member ${c.from}'s consistency signature does not verify`);
      if (!survivors.has(c.from) || !this.graph.isNeighbour(this.index, c.from))
        this.#abort(ErrorCodes.SURVIVOR_SET_MISMATCH, `a consistency signature comes from member ${c.from}, not a surviving neighbour`);
      if (signers.has(c.from)) this.#abort(ErrorCodes.DUPLICATE, `member ${c.from}'s consistency signature appears twice`);
      if (!sameBytes(c.survivors, this.#digest!)) this.#abort(ErrorCodes.SURVIVOR_SET_MISMATCH, `member ${c.from} signed a different survivor set`);
      signers.add(c.from);
    }
    const t = this.session.threshold;
    if (signers.size < t) this.#abort(ErrorCodes.BELOW_THRESHOLD, `${signers.size} consistency signatures (counting this member's), fewer than the threshold ${t}`);
    // Stage 5 (Unmasking): for each neighbour whose shares we hold, exactly one kind.
    const dropped = new Set(m.dropped);
    const selfMaskShares: [number, Uint8Array][] = [];
    const maskKeyShares: [number, Uint8Array][] = [];
    for (const v of [...this.#held.keys()].sort((a, b) => a - b)) {
      const h = this.#held.get(v)!;
      if (survivors.has(v)) selfMaskShares.push([v, h.selfMask]);
      else if (dropped.has(v)) maskKeyShares.push([v, h.maskKey]);
    }
    this.#revealed = { selfMaskOf: selfMaskShares.map(([v]) => v), maskKeyOf: maskKeyShares.map(([v]) => v) };
    const out = sealMessage({ ...this.#header('unmask'), selfMaskShares, maskKeyShares }, this.#identity);
    this.#held.clear();
    wipe(this.#c!.secretKey, this.#s!.secretKey, this.#seed!);
    this.#cSecret = this.#sSecret = undefined;
    this.#stage = 'done';
    return [out];
  }
}

export type { Opened };
