/**
 * The server (coordinator) side of one aggregation round, as a transport-free state machine. The
 * server relays what it cannot read and, at the end, learns only Σ_{u∈U3} x_u (mod 2^b) and U3.
 *
 *   const server = new SecAggServer({ session, round, identity });
 *   server.receive(bytes)        // each envelope from a member; throws SecAggError, changing nothing, if invalid
 *   server.awaiting()            // members the current stage still waits for
 *   server.closeStage()          // at the deadline, or when nobody is awaited: the envelopes to send
 *   server.result                // after the Unmasking stage closes
 *
 * Stages: advertise → share → masked → consistency → unmask → done (or aborted). Members that send
 * nothing valid before a stage closes have dropped out; the round survives as long as every needed
 * secret keeps t holders.
 * @module
 */
import { X25519Secret, equalBytes, prepareMaskPool, type Identity } from '@tessera/crypto';
import { SERVER_INDEX, type Session } from './config.js';
import { survivorsDigest } from './derive.js';
import { ErrorCodes, SecAggError, type ErrorCode } from './errors.js';
import { roundGraph, type NeighbourGraph } from './graph.js';
import { maxMessageBytes, openMessage, sameBytes, sealMessage, type Advertise, type Masked, type Message, type Opened, type Unmask } from './messages.js';
import { unmaskSum } from './unmask.js';

export { unmaskSum, type UnmaskInputs } from './unmask.js';

export type ServerStage = 'advertise' | 'share' | 'masked' | 'consistency' | 'unmask' | 'done' | 'aborted';

export interface ServerOptions {
  readonly session: Session;
  readonly round: number;
  /** The server's identity (its public key must be session.serverKey). */
  readonly identity: Identity;
}

/** An envelope for one member. */
export interface Outgoing {
  readonly to: number;
  readonly bytes: Uint8Array;
}

/** The output of a completed round: the sum over U3, and U3. */
export interface RoundResult {
  readonly round: number;
  readonly survivors: readonly number[];
  readonly bits: number;
  readonly sum: Uint32Array;
}

const STAGE_OF: Record<string, ServerStage> = { advertise: 'advertise', share: 'share', masked: 'masked', consistency: 'consistency', unmask: 'unmask' };
// A fixed scalar used only to test advertised public keys for small order (the result is discarded).
let probe: X25519Secret | undefined;

export class SecAggServer {
  readonly session: Session;
  readonly round: number;
  readonly graph: NeighbourGraph;
  /** Milliseconds spent reconstructing secrets and removing masks when Unmasking closed. */
  unmaskMs = 0;
  #stage: ServerStage = 'advertise';
  #abortReason: SecAggError | undefined;
  #result: RoundResult | undefined;
  readonly #identity: Identity;
  readonly #maxBytes: number;
  readonly #adverts = new Map<number, Opened>();
  #advert = (u: number): Advertise => this.#adverts.get(u)!.message as Advertise;
  readonly #shares = new Map<number, Map<number, Opened>>();
  readonly #commits = new Map<number, Uint8Array>();
  readonly #masked = new Map<number, Masked>();
  readonly #consistency = new Map<number, Opened>();
  readonly #unmask = new Map<number, Unmask>();
  #u1: number[] = [];
  #u2: number[] = [];
  #u3: number[] = [];
  #u4: number[] = [];
  #u2set = new Set<number>();
  #u3set = new Set<number>();
  #dropped = new Set<number>();
  #digest: Uint8Array | undefined;

  constructor(options: ServerOptions) {
    const { session, round, identity } = options;
    if (typeof session !== 'object' || session === null || !(session.digest instanceof Uint8Array)) throw new TypeError('session must come from createSession()');
    if (!Number.isSafeInteger(round) || round < 0 || round > 0xffffffff) throw new RangeError(`round must be an integer in [0, 2^32), got ${round}`);
    if (!equalBytes(identity.publicKey, session.serverKey)) throw new RangeError('identity is not the session\'s server key');
    this.session = session;
    this.round = round;
    this.#identity = identity;
    this.graph = roundGraph(session, round);
    this.#maxBytes = maxMessageBytes(session);
  }

  get stage(): ServerStage {
    return this.#stage;
  }
  get abortReason(): SecAggError | undefined {
    return this.#abortReason;
  }
  /** The result, once the Unmasking stage has closed. */
  get result(): RoundResult | undefined {
    return this.#result;
  }
  /** The survivor sets so far: U1 (advertised), U2 (shared), U3 (masked), U4 (signed). */
  get sets(): { readonly u1: readonly number[]; readonly u2: readonly number[]; readonly u3: readonly number[]; readonly u4: readonly number[] } {
    return { u1: this.#u1, u2: this.#u2, u3: this.#u3, u4: this.#u4 };
  }

  /** Members the current stage is still waiting for. */
  awaiting(): number[] {
    const all = Array.from({ length: this.session.n }, (_, i) => i + 1);
    switch (this.#stage) {
      case 'advertise': return all.filter((u) => !this.#adverts.has(u));
      case 'share': return this.#u1.filter((u) => !this.#shareComplete(u));
      case 'masked': return this.#u2.filter((u) => !this.#masked.has(u));
      case 'consistency': return this.#u3.filter((u) => !this.#consistency.has(u));
      case 'unmask': return this.#u4.filter((u) => !this.#unmask.has(u));
      default: return [];
    }
  }

  #fail(code: ErrorCode, message: string): never {
    throw new SecAggError(code, message);
  }
  #abort(code: ErrorCode, message: string): never {
    const error = new SecAggError(code, message, { fatal: true });
    this.#stage = 'aborted';
    this.#abortReason = error;
    throw error;
  }

  #header<T extends Message['type']>(type: T) {
    return { v: 1, type, session: this.session.digest, round: this.round, from: SERVER_INDEX } as const;
  }

  #neighboursIn(u: number, set: ReadonlySet<number> | readonly number[]): number[] {
    const has = set instanceof Set ? (v: number) => set.has(v) : (v: number) => (set as readonly number[]).includes(v);
    return this.graph.neighbours(u).filter(has);
  }

  #shareComplete(u: number): boolean {
    const got = this.#shares.get(u);
    if (!got) return false;
    const u1 = new Set(this.#u1);
    return this.#neighboursIn(u, u1).every((v) => got.has(v));
  }

  /**
   * Accepts one envelope from a member. Invalid input (bad encoding, signature, session, round, stage,
   * sender, duplicate, out-of-graph recipient) throws a SecAggError and leaves the state unchanged.
   */
  receive(bytes: Uint8Array): { from: number; type: Message['type'] } {
    if (this.#stage === 'done' || this.#stage === 'aborted') this.#fail(ErrorCodes.STAGE_ORDER, `round ${this.round} is ${this.#stage}`);
    const opened = openMessage(bytes, this.session, 'client', this.#maxBytes);
    const m = opened.message;
    if (m.round !== this.round) this.#fail(ErrorCodes.WRONG_ROUND, `member ${m.from} sent a '${m.type}' of round ${m.round} in round ${this.round}`);
    if (STAGE_OF[m.type] !== this.#stage) this.#fail(ErrorCodes.STAGE_ORDER, `member ${m.from}'s '${m.type}' arrived in stage '${this.#stage}'`);
    const u = m.from;
    switch (m.type) {
      case 'advertise': {
        if (this.#adverts.has(u)) this.#fail(ErrorCodes.DUPLICATE, `member ${u} already advertised keys`);
        for (const [name, key] of [['cPk', m.cPk], ['sPk', m.sPk]] as const) {
          try {
            (probe ??= new X25519Secret(new Uint8Array(32).fill(0x5a))).agree(key);
          } catch {
            this.#fail(ErrorCodes.MALFORMED, `member ${u}'s ${name} is not a usable X25519 public key`);
          }
        }
        this.#adverts.set(u, opened);
        break;
      }
      case 'share': {
        if (!this.#u1.includes(u)) this.#fail(ErrorCodes.STAGE_ORDER, `member ${u} sent shares without having advertised keys`);
        if (!this.graph.isNeighbour(u, m.to) || !this.#adverts.has(m.to)) this.#fail(ErrorCodes.NOT_NEIGHBOUR, `member ${u} sent shares to member ${m.to}, not an advertised neighbour`);
        const got = this.#shares.get(u);
        if (got?.has(m.to)) this.#fail(ErrorCodes.DUPLICATE, `member ${u} already sent shares to member ${m.to}`);
        const commit = this.#commits.get(u);
        if (commit && !sameBytes(commit, m.commit)) this.#fail(ErrorCodes.MALFORMED, `member ${u} sent shares with two different self-mask commitments`);
        this.#commits.set(u, m.commit);
        if (got) got.set(m.to, opened);
        else this.#shares.set(u, new Map([[m.to, opened]]));
        break;
      }
      case 'masked':
        if (!this.#u2set.has(u)) this.#fail(ErrorCodes.STAGE_ORDER, `member ${u} sent a masked input without completing ShareKeys`);
        if (this.#masked.has(u)) this.#fail(ErrorCodes.DUPLICATE, `member ${u} already sent its masked input`);
        this.#masked.set(u, m);
        break;
      case 'consistency':
        if (!this.#u3set.has(u)) this.#fail(ErrorCodes.STAGE_ORDER, `member ${u} is not in the survivor set`);
        if (this.#consistency.has(u)) this.#fail(ErrorCodes.DUPLICATE, `member ${u} already signed the survivor set`);
        if (!sameBytes(m.survivors, this.#digest!)) this.#fail(ErrorCodes.SURVIVOR_SET_MISMATCH, `member ${u} signed a different survivor set`);
        this.#consistency.set(u, opened);
        break;
      case 'unmask': {
        if (!this.#u4.includes(u)) this.#fail(ErrorCodes.STAGE_ORDER, `member ${u} was not asked to unmask`);
        if (this.#unmask.has(u)) this.#fail(ErrorCodes.DUPLICATE, `member ${u} already unmasked`);
        for (const [v] of m.selfMaskShares)
          if (!this.#u3set.has(v) || !this.graph.isNeighbour(u, v)) this.#fail(ErrorCodes.MALFORMED, `member ${u} revealed a self-mask share of member ${v}, not a surviving neighbour`);
        for (const [v] of m.maskKeyShares)
          if (!this.#dropped.has(v) || !this.graph.isNeighbour(u, v)) this.#fail(ErrorCodes.MALFORMED, `member ${u} revealed a mask-key share of member ${v}, not a dropped neighbour`);
        this.#unmask.set(u, m);
        break;
      }
      default:
        this.#fail(ErrorCodes.MALFORMED, `unexpected '${m.type}'`);
    }
    return { from: u, type: m.type };
  }

  /** Closes the current stage: fixes its survivor set and returns what to send to whom. */
  closeStage(): Outgoing[] {
    const t = this.session.threshold;
    switch (this.#stage) {
      case 'advertise': {
        this.#u1 = [...this.#adverts.keys()].sort((a, b) => a - b);
        if (this.#u1.length < t) this.#abort(ErrorCodes.BELOW_THRESHOLD, `${this.#u1.length} members advertised keys, fewer than the threshold ${t}`);
        this.#stage = 'share';
        return this.#u1.map((u) => ({
          to: u,
          bytes: sealMessage({ ...this.#header('advertise-relay'), to: u, items: this.#neighboursIn(u, this.#u1).map((v) => this.#adverts.get(v)!.bytes) }, this.#identity),
        }));
      }
      case 'share': {
        this.#u2 = this.#u1.filter((u) => this.#shareComplete(u));
        this.#u2set = new Set(this.#u2);
        if (this.#u2.length < t) this.#abort(ErrorCodes.BELOW_THRESHOLD, `${this.#u2.length} members completed ShareKeys, fewer than the threshold ${t}`);
        this.#stage = 'masked';
        // Unmasking a large vector expands its masks on worker threads: let them boot meanwhile.
        prepareMaskPool(this.session.vectorLength);
        return this.#u2.map((v) => ({
          to: v,
          bytes: sealMessage({
            ...this.#header('share-relay'), to: v,
            items: this.#neighboursIn(v, this.#u2set).map((u) => this.#shares.get(u)!.get(v)!.bytes),
          }, this.#identity),
        }));
      }
      case 'masked': {
        this.#u3 = this.#u2.filter((u) => this.#masked.has(u));
        this.#u3set = new Set(this.#u3);
        if (this.#u3.length < t) this.#abort(ErrorCodes.BELOW_THRESHOLD, `${this.#u3.length} masked inputs arrived, fewer than the threshold ${t}`);
        this.#dropped = new Set(this.#u2.filter((u) => !this.#u3set.has(u)));
        this.#digest = survivorsDigest(this.session, this.round, this.#u3);
        this.#stage = 'consistency';
        return this.#u3.map((u) => ({ to: u, bytes: sealMessage({ ...this.#header('consistency-request'), to: u, survivors: this.#u3 }, this.#identity) }));
      }
      case 'consistency': {
        this.#u4 = this.#u3.filter((u) => this.#consistency.has(u));
        if (this.#u4.length < t) this.#abort(ErrorCodes.BELOW_THRESHOLD, `${this.#u4.length} members signed the survivor set, fewer than the threshold ${t}`);
        const dropped = [...this.#dropped].sort((a, b) => a - b);
        this.#stage = 'unmask';
        return this.#u4.map((u) => ({
          to: u,
          bytes: sealMessage({
            ...this.#header('unmask-request'), to: u, survivors: this.#u3, dropped,
            signatures: this.#neighboursIn(u, this.#u4).map((v) => this.#consistency.get(v)!.bytes),
          }, this.#identity),
        }));
      }
      case 'unmask': {
        const started = performance.now();
        this.#result = this.#unmaskSum();
        this.unmaskMs = performance.now() - started;
        this.#stage = 'done';
        return [];
      }
      default:
        this.#fail(ErrorCodes.STAGE_ORDER, `no stage to close: round is ${this.#stage}`);
    }
  }

  /** The sum over U3 (see unmask.ts, which an auditor also runs); a failure aborts the round. */
  #unmaskSum(): RoundResult {
    try {
      return unmaskSum({
        session: this.session, round: this.round, graph: this.graph, survivors: this.#u3, dropped: this.#dropped,
        masked: new Map(this.#u3.map((u) => [u, this.#masked.get(u)!.data])),
        commitments: this.#commits,
        maskPublicKeys: new Map([...this.#adverts.keys()].map((u) => [u, this.#advert(u).sPk])),
        unmask: this.#unmask,
      });
    } catch (e) {
      if (e instanceof SecAggError) {
        this.#stage = 'aborted';
        this.#abortReason = e;
      }
      throw e;
    }
  }
}


