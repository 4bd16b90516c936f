/**
 * The peer runtime: a member that dials the coordinator (reconnecting with backoff), takes part in
 * each round the coordinator starts, and exits when the session ends.
 *
 * On a verified round-start that lists it, the peer reads its update from the UpdateProvider, creates
 * a `SecAggClient`, sends its Advertise, then answers each relayed SecAgg frame. Control messages must
 * verify under the roster's coordinator key and belong to this session; round numbers only go up
 * (a round is never run twice by one process). When the client aborts a round (a fatal SecAggError:
 * the coordinator misbehaved), the peer drops the round, reports the code and reveals nothing more.
 * Refusals at the door that cannot heal by retrying (not on the roster, another session, another
 * coordinator key) end the run with NodeError(ERR_REFUSED).
 *
 * Publications: a verified 'publish' for a round not yet started (at most maxPublicationBytes, default 0:
 * none accepted) is kept — only the latest, only on the connection it came on — and handed to the provider
 * as `InputContext.publication` when that round starts; a publish for a round already started is a
 * protocol violation.
 *
 * Privacy budget (when the provider has `privacyCost` and a `budget` is given): at each round-start,
 * before anything else, the round's cost is checked against the cap; a round that would pass it (or is
 * already in the ledger) is not taken part in — the coordinator sees a dropout — and the peer stays
 * connected, checking every later round the same way. A round taken part in is recorded in the ledger
 * right before the masked input (the first message computed from the data) is sent: write-ahead, so a
 * crash can over-count a round but never under-count one.
 * @module
 */
import { EventEmitter } from 'node:events';
import { toHex, type Identity, type RandomSource } from '@tessera/crypto';
import type { PrivacyUnit, Round } from '@tessera/dp';
import { STAGES, SecAggClient, SecAggError, maxMessageBytes, type Session, type Stage } from '@tessera/secagg';
import { CloseCodes, TransportError, type CloseInfo, type Connection, type Limits, type Transport } from '@tessera/transport';
import { DEFAULT_RECONNECT } from './config.js';
import { FrameTag, checkMaxPublicationBytes, frame, maxControlFrameBytes, openControl, unframe, type ControlMessage } from './control.js';
import { BudgetLedger, budgetExceededMessage, checkCap, checkDatasetName, type BudgetCap } from './budget.js';
import { NodeError, NodeErrorCodes } from './errors.js';
import type { InputContext, UpdateProvider } from './inputs.js';
import { resolvePayloadLimits } from './limits.js';
import { memberIndexOf } from './roster.js';
import { TranscriptQueue, type TranscriptSink } from './transcript.js';

/** Fault injection for tests and simulations. Never set in production. */
export interface PeerFaults {
  /** After sending its message(s) of `stage` in `round`, the process kills itself with a real SIGKILL (or calls `kill`). */
  readonly killAfter?: { readonly round: number; readonly stage: Stage };
  /** Replaces the SIGKILL (in-process tests). */
  readonly kill?: () => void;
  /**
   * Instead of sending its message(s) of `stage` in `round`, the peer drops the round: it closes its
   * connection (CloseCodes.GOING_AWAY, reason 'fault: dropout at <stage>'), sends nothing of that stage,
   * and — as after any disconnect — redials with its reconnect backoff and takes part in later rounds.
   */
  readonly dropAt?: readonly { readonly round: number; readonly stage: Stage }[];
}

/**
 * A site's privacy budget for the data it contributes: the ledger, the dataset the updates come from,
 * and the cap it must stay under.
 */
export interface PeerBudget {
  readonly ledger: BudgetLedger;
  readonly dataset: string;
  readonly cap: BudgetCap;
  /** Unit of privacy of the spends (default 'site'). */
  readonly unit?: PrivacyUnit;
}

export interface PeerOptions {
  readonly transport: Transport;
  /** Where the coordinator listens (wss://… or a memory address). */
  readonly address: string;
  readonly session: Session;
  /** This member's identity; its key must be on the roster. */
  readonly identity: Identity;
  readonly provider: UpdateProvider;
  /**
   * Required when the provider spends privacy (has `privacyCost`): each round is checked against the cap
   * at round-start and recorded in the ledger right before the masked input is sent.
   */
  readonly budget?: PeerBudget;
  /** Transport-specific dial options (for WebSockets: ca). */
  readonly dial?: Readonly<Record<string, unknown>>;
  readonly limits?: Partial<Limits>;
  readonly reconnect?: { readonly initialMs: number; readonly maxMs: number };
  readonly faults?: PeerFaults;
  /**
   * Records every frame this peer sends and every validly signed frame it receives, and a note when it
   * aborts a round (round-aborted, with the protocol error code) or sits one out (round-skipped): see
   * docs/transcript.md, "Tessera's recording profile". A failed append stops the peer.
   */
  readonly transcript?: TranscriptSink;
  /**
   * Largest publication (the coordinator's per-round state, e.g. the global model) accepted, in bytes:
   * an integer in [0, 2^30]; default 0 (a publish is a protocol violation).
   */
  readonly maxPublicationBytes?: number;
  /** Randomness for the SecAgg client (tests); the system CSPRNG otherwise. */
  readonly rng?: RandomSource;
}

export interface PeerSummary {
  /** Rounds this peer took part in, and whether its input was in the sum. */
  readonly rounds: readonly { readonly round: number; readonly ok: boolean; readonly included: boolean; readonly code?: string }[];
}

/** Progress events (also emitted under their own type name; 'error' only when someone listens). */
export type PeerEvent =
  | { readonly type: 'connected'; readonly member: number; readonly address: string }
  | { readonly type: 'disconnected'; readonly closeCode: number; readonly reason: string }
  | { readonly type: 'retry'; readonly inMs: number; readonly code: string; readonly reason: string }
  | { readonly type: 'publication'; readonly round: number; readonly bytes: number }
  | { readonly type: 'round-start'; readonly round: number; readonly participating: boolean; readonly participants: number }
  | { readonly type: 'stage'; readonly round: number; readonly stage: Stage; readonly sent: number }
  | { readonly type: 'round-end'; readonly round: number; readonly ok: boolean; readonly included: boolean; readonly survivors: number; readonly code?: string }
  | { readonly type: 'error'; readonly round?: number; readonly code: string; readonly message: string; readonly fatal: boolean }
  | {
    readonly type: 'budget-refused'; readonly round: number; readonly code: 'ERR_BUDGET_EXCEEDED' | 'ERR_BUDGET_REPLAY'; readonly dataset: string;
    readonly epsilonNow: number; readonly epsilonAfter: number; readonly cap: number; readonly delta: number; readonly message: string;
  }
  | {
    readonly type: 'budget'; readonly round: number; readonly dataset: string; readonly epsilon: number; readonly cap: number; readonly delta: number;
    readonly rounds: number; readonly unit: PrivacyUnit; readonly conversion: 'improved';
  }
  | { readonly type: 'session-end'; readonly rounds: number };

export type PeerEventMap = { [E in PeerEvent as E['type']]: [E] } & { event: [PeerEvent] };

/** Close codes after which retrying cannot help: the coordinator will refuse this peer again. */
const PERMANENT: ReadonlySet<number> = new Set([
  CloseCodes.UNKNOWN_KEY, CloseCodes.WRONG_SESSION, CloseCodes.COORDINATOR_KEY_MISMATCH, CloseCodes.WRONG_VERSION, CloseCodes.BAD_SIGNATURE, CloseCodes.PROTOCOL_VIOLATION, CloseCodes.REPLACED,
]);
/** Frames the coordinator may have queued for this peer before it falls behind: more is a flood. */
const MAX_QUEUED_FRAMES = 4096;
/** The stage whose messages a client has just sent, by the client's stage after sending them. */
const SENT_STAGE: Readonly<Record<string, Stage>> = { shared: 'share', masked: 'masked', signed: 'consistency', done: 'unmask' };

/**
 * Runs one member of a session.
 *
 * @example
 * const peer = new Peer({ transport, address: 'wss://coord.example:8443', session, identity, provider });
 * peer.on('event', (e) => console.log(JSON.stringify(e)));
 * await peer.run(); // resolves when the coordinator ends the session
 */
export class Peer extends EventEmitter<PeerEventMap> {
  readonly session: Session;
  readonly index: number;
  readonly address: string;
  readonly maxPublicationBytes: number;
  readonly #options: PeerOptions;
  readonly #limits: Partial<Limits>;
  readonly #reconnect: { initialMs: number; maxMs: number };
  readonly #rounds: { round: number; ok: boolean; included: boolean; code?: string }[] = [];
  #lastStarted = -1;
  /** The latest publication received on the current connection, for a round not yet started. */
  #publication: { round: number; data: Uint8Array } | undefined;
  #client: SecAggClient | undefined;
  #connection: Connection | undefined;
  #stopped = false;
  #sleepCancel: (() => void) | undefined;
  /**
   * The round in progress as admitted against the budget, and its privacy cost (undefined when it spends
   * none), spent right before the masked input is sent.
   */
  #admitted: { round: number; cost: Round | undefined } | undefined;
  readonly #sessionHex: string;
  readonly #tx: TranscriptQueue | undefined;

  constructor(options: PeerOptions) {
    super();
    const { session, identity } = options;
    if (typeof session !== 'object' || session === null || !(session.digest instanceof Uint8Array)) throw new TypeError('session must come from createSession()');
    if (typeof options.transport !== 'object' || options.transport === null || typeof options.transport.dial !== 'function') throw new TypeError('transport must be a Transport');
    if (typeof options.address !== 'string' || options.address.length === 0) throw new TypeError('address must be a non-empty string');
    if (typeof options.provider !== 'object' || options.provider === null || typeof options.provider.input !== 'function') throw new TypeError('provider must be an UpdateProvider');
    if (options.budget !== undefined) {
      const b = options.budget;
      if (typeof b !== 'object' || b === null || !(b.ledger instanceof BudgetLedger)) throw new TypeError('budget.ledger must be a BudgetLedger');
      checkDatasetName(b.dataset, 'budget.dataset');
      checkCap(b.cap, 'budget.cap');
      if (b.unit !== undefined && b.unit !== 'site' && b.unit !== 'patient') throw new RangeError("budget.unit must be 'patient' or 'site'");
    } else if (typeof options.provider.privacyCost === 'function')
      throw new TypeError('provider spends privacy (it has privacyCost): give budget { ledger, dataset, cap }');
    const index = memberIndexOf(session, identity.publicKey);
    if (index === undefined) throw new NodeError(NodeErrorCodes.NOT_ON_ROSTER, `this identity's key is not on the roster; ask the coordinator's operator to add it (tessera roster add)`);
    const reconnect = options.reconnect ?? DEFAULT_RECONNECT;
    if (!Number.isSafeInteger(reconnect.initialMs) || reconnect.initialMs < 1 || !Number.isSafeInteger(reconnect.maxMs) || reconnect.maxMs < reconnect.initialMs)
      throw new RangeError('reconnect must have integers 1 ≤ initialMs ≤ maxMs');
    const kill = options.faults?.killAfter;
    if (kill !== undefined && (!Number.isSafeInteger(kill.round) || kill.round < 0 || !['advertise', 'share', 'masked', 'consistency', 'unmask'].includes(kill.stage)))
      throw new RangeError('faults.killAfter must be { round: integer ≥ 0, stage: a SecAgg stage }');
    const dropAt: unknown = options.faults?.dropAt;
    if (dropAt !== undefined && (!Array.isArray(dropAt) || !dropAt.every((d: unknown) => isRoundStage(d))))
      throw new RangeError('faults.dropAt must be an array of { round: integer ≥ 0, stage: a SecAgg stage }');
    this.maxPublicationBytes = checkMaxPublicationBytes(options.maxPublicationBytes ?? 0);
    this.session = session;
    this.#sessionHex = toHex(session.digest);
    this.index = index;
    this.address = options.address;
    this.#options = options;
    this.#tx = options.transcript === undefined ? undefined : new TranscriptQueue(options.transcript);
    this.#reconnect = { initialMs: reconnect.initialMs, maxMs: reconnect.maxMs };
    const publication = this.maxPublicationBytes > 0 ? maxControlFrameBytes(this.maxPublicationBytes) : 0;
    this.#limits = resolvePayloadLimits(options.limits ?? {}, Math.max(maxMessageBytes(session) + 1, publication));
  }

  #emit(event: PeerEvent): void {
    if (event.type !== 'error' || this.listenerCount('error') > 0) (this.emit as (name: string, e: PeerEvent) => boolean)(event.type, event);
    this.emit('event', event);
  }

  /** Stops: closes the connection and makes run() resolve (or stop retrying). */
  stop(): void {
    this.#stopped = true;
    this.#sleepCancel?.();
    this.#connection?.close(CloseCodes.NORMAL, 'peer stopping');
  }

  /**
   * Dials, serves rounds, and redials after losing the connection (exponential backoff with jitter,
   * from reconnect.initialMs up to reconnect.maxMs). Resolves at session-end or after stop(); rejects
   * with NodeError(ERR_REFUSED) when the coordinator refuses this peer for good.
   */
  async run(): Promise<PeerSummary> {
    let backoff = this.#reconnect.initialMs;
    while (!this.#stopped) {
      let connection: Connection;
      try {
        connection = await this.#options.transport.dial(this.address, {
          ...this.#options.dial,
          ...this.#limits,
          identity: this.#options.identity,
          sessionId: this.session.digest,
          coordinatorKey: this.session.serverKey,
        });
      } catch (e) {
        if (e instanceof TransportError && PERMANENT.has(e.closeCode)) throw refused(e.closeCode, e.reason, e);
        if (!(e instanceof TransportError)) throw e;
        const wait = jitter(backoff);
        this.#emit({ type: 'retry', inMs: wait, code: e.code, reason: e.reason });
        await this.#sleep(wait);
        backoff = Math.min(this.#reconnect.maxMs, backoff * 2);
        continue;
      }
      if (this.#stopped) {
        // stop() came while this dial was in flight: there was no connection for it to close yet.
        connection.close(CloseCodes.NORMAL, 'peer stopping');
        break;
      }
      backoff = this.#reconnect.initialMs;
      const outcome = await this.#serve(connection);
      if (outcome.kind === 'session-end') {
        this.#emit({ type: 'session-end', rounds: outcome.rounds });
        return { rounds: [...this.#rounds] };
      }
      if (this.#stopped) break;
      const info = outcome.info;
      if (!info.local && PERMANENT.has(info.code)) throw refused(info.code, info.reason);
      const wait = jitter(backoff);
      this.#emit({ type: 'retry', inMs: wait, code: `close ${info.code}`, reason: info.reason });
      await this.#sleep(wait);
      backoff = Math.min(this.#reconnect.maxMs, backoff * 2);
    }
    return { rounds: [...this.#rounds] };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#sleepCancel = done;
    });
  }

  /** Serves one connection until it closes or the session ends. */
  #serve(connection: Connection): Promise<{ kind: 'closed'; info: CloseInfo } | { kind: 'session-end'; rounds: number }> {
    this.#connection = connection;
    this.#publication = undefined; // a publication counts only on the connection its round starts on
    this.#emit({ type: 'connected', member: this.index, address: this.address });
    return new Promise((resolve) => {
      let queue: Promise<void> = Promise.resolve();
      let queued = 0;
      let ended: number | undefined;
      connection.onMessage((bytes) => {
        if (++queued > MAX_QUEUED_FRAMES) {
          this.#violation(connection, 'the coordinator floods this peer with frames');
          return;
        }
        queue = queue.then(async () => {
          queued--;
          // Frames that arrived before a close are still read: the last ones are round-end and session-end.
          if (ended !== undefined) return;
          try {
            const end = await this.#onFrame(connection, bytes);
            if (end !== undefined) {
              ended = end;
              connection.close(CloseCodes.NORMAL, 'session over');
            }
          } catch (e) {
            if (connection.closed && !(e instanceof NodeError)) return; // a reply could not be sent: the connection is gone
            if (e instanceof NodeError && e.code === NodeErrorCodes.PROTOCOL_VIOLATION) this.#violation(connection, e.message);
            else this.#violation(connection, `internal error: ${(e as Error).message}`, 'ERR_INTERNAL', CloseCodes.INTERNAL_ERROR);
          }
        });
      });
      connection.onClose((info) => {
        queue.then(() => {
          this.#connection = undefined;
          if (this.#client) this.#dropRound('ERR_DISCONNECTED');
          if (ended !== undefined) return resolve({ kind: 'session-end', rounds: ended });
          this.#emit({ type: 'disconnected', closeCode: info.code, reason: info.reason });
          resolve({ kind: 'closed', info });
        }, () => undefined);
      });
    });
  }

  #violation(connection: Connection, message: string, code: string = NodeErrorCodes.PROTOCOL_VIOLATION, closeCode: number = CloseCodes.PROTOCOL_VIOLATION): void {
    this.#emit({ type: 'error', ...(this.#client ? { round: this.#client.round } : {}), code, message, fatal: true });
    if (this.#client) this.#dropRound(code);
    connection.close(closeCode, message);
  }

  /** Waits for the transcript's appends; a failed one stops this peer (fail closed). */
  async #transcriptIdle(): Promise<void> {
    try {
      await this.#tx?.idle();
    } catch (e) {
      this.#emit({ type: 'error', code: 'ERR_TRANSCRIPT', message: `transcript: ${(e as Error).message}; stopping`, fatal: true });
      this.stop();
    }
  }

  /** Forgets the round in progress: nothing more of it is revealed. */
  #dropRound(code: string): void {
    const c = this.#client;
    if (!c) return;
    this.#client = undefined;
    this.#admitted = undefined;
    this.#rounds.push({ round: c.round, ok: false, included: false, code });
  }

  /** Handles one frame; returns the session's round count when the session ended. */
  async #onFrame(connection: Connection, bytes: Uint8Array): Promise<number | undefined> {
    const { tag, payload } = unframe(bytes);
    if (tag === FrameTag.CONTROL) {
      const m = openControl(payload, this.session, this.maxPublicationBytes);
      this.#tx?.message('received', 0, bytes, this.index);
      return this.#onControl(connection, m);
    }
    const client = this.#client;
    if (!client) return undefined; // not in a round (skipped, or dropped after an abort): nothing to answer
    // Recorded before the client judges it: a validly signed request the client refuses (both shares of
    // one neighbour asked for, another survivor set) is the evidence against the coordinator.
    this.#tx?.messageIfValid('received', 0, bytes, this.index);
    let replies: Uint8Array[];
    try {
      replies = client.receive(payload);
    } catch (e) {
      if (!(e instanceof SecAggError)) throw e;
      this.#emit({ type: 'error', round: client.round, code: e.code, message: e.message, fatal: e.fatal });
      if (e.fatal) {
        this.#tx?.note(client.round, 'round-aborted', { code: e.code, message: e.message });
        this.#dropRound(e.code);
      }
      return undefined;
    }
    if (replies.length === 0) return undefined;
    const stage = SENT_STAGE[client.stage]!;
    if (this.#dropFault(connection, client.round, stage)) return undefined;
    // Write-ahead: the round is recorded in the privacy ledger before the masked input leaves.
    if (stage === 'masked' && !(await this.#spend(client.round))) return undefined;
    await this.#send(connection, client.round, stage, replies);
    return undefined;
  }

  /**
   * Records the privacy cost of `round` in the ledger (durably; idempotent). Returns false, after
   * dropping the round, when the cap would be passed, the ledger cannot be written, or the round was
   * never admitted: nothing computed from the data is sent then.
   */
  async #spend(round: number): Promise<boolean> {
    const budget = this.#options.budget;
    if (!budget) return true; // no budget: the provider spends no privacy (checked in the constructor)
    const admitted = this.#admitted;
    if (!admitted || admitted.round !== round) {
      this.#emit({ type: 'error', round, code: 'ERR_BUDGET', message: `privacy ledger: round ${round} was not admitted against the budget; not sending its masked input`, fatal: false });
      this.#dropRound('ERR_BUDGET');
      return false;
    }
    const cost = admitted.cost;
    if (cost === undefined) return true;
    try {
      const r = await budget.ledger.spend(budget.dataset, cost, { session: this.#sessionHex, round, unit: budget.unit ?? 'site' }, budget.cap);
      this.#emit({
        type: 'budget', round, dataset: budget.dataset, epsilon: r.total.epsilon, cap: budget.cap.epsilon, delta: budget.cap.delta, rounds: r.total.rounds,
        unit: r.total.unit, conversion: 'improved',
      });
      return true;
    } catch (e) {
      if (e instanceof NodeError && e.code === NodeErrorCodes.BUDGET_EXCEEDED) {
        const c = budget.ledger.check(budget.dataset, cost, budget.cap);
        this.#emit({ type: 'budget-refused', round, code: NodeErrorCodes.BUDGET_EXCEEDED, dataset: budget.dataset, epsilonNow: c.epsilonNow, epsilonAfter: c.epsilonAfter, cap: budget.cap.epsilon, delta: budget.cap.delta, message: e.message });
        this.#dropRound(NodeErrorCodes.BUDGET_EXCEEDED);
        return false;
      }
      if (!(e instanceof NodeError || e instanceof TypeError || e instanceof RangeError)) throw e;
      const code = e instanceof NodeError ? e.code : 'ERR_BUDGET';
      this.#emit({ type: 'error', round, code, message: `privacy ledger: ${e.message}; not sending this round's masked input`, fatal: false });
      this.#dropRound(code);
      return false;
    }
  }

  /**
   * The admission check at round-start, before anything else of the round: `{ cost }` when the round
   * may go ahead (cost undefined when it spends no privacy), or `{ refused: code }` after emitting why.
   */
  #admit(round: number): { cost?: Round } | { refused: string } {
    const provider = this.#options.provider;
    const budget = this.#options.budget;
    const cost = typeof provider.privacyCost === 'function' ? provider.privacyCost(round) : undefined;
    if (cost === undefined || !budget) return {};
    let check;
    try {
      check = budget.ledger.check(budget.dataset, cost, budget.cap, { session: this.#sessionHex, round });
    } catch (e) {
      if (!(e instanceof NodeError || e instanceof TypeError || e instanceof RangeError)) throw e;
      const code = e instanceof NodeError ? e.code : 'ERR_BUDGET';
      this.#emit({ type: 'error', round, code, message: `privacy ledger: ${e.message}; not taking part`, fatal: false });
      return { refused: code };
    }
    const base = { type: 'budget-refused', round, dataset: budget.dataset, epsilonNow: check.epsilonNow, epsilonAfter: check.epsilonAfter, cap: budget.cap.epsilon, delta: budget.cap.delta } as const;
    if (check.recorded) {
      this.#emit({
        ...base, code: NodeErrorCodes.BUDGET_REPLAY,
        message: `dataset '${budget.dataset}': round ${round} of this session is already in the privacy ledger ${budget.ledger.file} (the coordinator restarted?); its data was spent once and is not sent again; not taking part`,
      });
      return { refused: NodeErrorCodes.BUDGET_REPLAY };
    }
    if (!check.ok) {
      this.#emit({ ...base, code: NodeErrorCodes.BUDGET_EXCEEDED, message: budgetExceededMessage(budget.dataset, round, check, budget.cap) });
      return { refused: NodeErrorCodes.BUDGET_EXCEEDED };
    }
    return { cost };
  }

  /**
   * Fault injection (faults.dropAt): when `stage` of `round` is scheduled to drop, drops the round and
   * closes the connection instead of sending; returns whether it did. run() then redials as after any
   * disconnect.
   */
  #dropFault(connection: Connection, round: number, stage: Stage): boolean {
    const dropAt = this.#options.faults?.dropAt;
    if (!dropAt?.some((d) => d.round === round && d.stage === stage)) return false;
    this.#tx?.note(round, 'round-skipped', { code: 'ERR_FAULT_DROPOUT' });
    this.#dropRound('ERR_FAULT_DROPOUT');
    connection.close(CloseCodes.GOING_AWAY, `fault: dropout at ${stage}`);
    return true;
  }

  async #send(connection: Connection, round: number, stage: Stage, replies: readonly Uint8Array[]): Promise<void> {
    const frames = replies.map((r) => frame(FrameTag.SECAGG, r));
    for (const f of frames) this.#tx?.message('sent', 0, f, this.index);
    await Promise.all(frames.map((f) => connection.send(f)));
    this.#emit({ type: 'stage', round, stage, sent: replies.length });
    const k = this.#options.faults?.killAfter;
    if (k && k.round === round && k.stage === stage) {
      const kill = this.#options.faults?.kill;
      if (kill) kill();
      else process.kill(process.pid, 'SIGKILL');
    }
  }

  async #onControl(connection: Connection, m: ControlMessage): Promise<number | undefined> {
    switch (m.type) {
      case 'round-start': {
        if (m.round <= this.#lastStarted) throw new NodeError(NodeErrorCodes.PROTOCOL_VIOLATION, `round-start of round ${m.round} after round ${this.#lastStarted} (rounds only go up)`);
        this.#lastStarted = m.round;
        const published = this.#publication?.round === m.round ? this.#publication.data : undefined;
        this.#publication = undefined;
        if (this.#client) this.#dropRound('ERR_ABANDONED');
        const participating = m.participants.includes(this.index);
        this.#emit({ type: 'round-start', round: m.round, participating, participants: m.participants.length });
        if (!participating) return undefined;
        this.#admitted = undefined;
        const admitted = this.#admit(m.round);
        if ('refused' in admitted) {
          this.#tx?.note(m.round, 'round-skipped', { code: admitted.refused });
          this.#rounds.push({ round: m.round, ok: false, included: false, code: admitted.refused });
          return undefined;
        }
        let input: Uint32Array;
        try {
          const context: InputContext = published === undefined ? {} : { publication: published };
          input = await this.#options.provider.input(m.round, context);
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          this.#emit({ type: 'error', round: m.round, code: typeof code === 'string' ? code : 'ERR_INPUT', message: (e as Error).message, fatal: false });
          this.#tx?.note(m.round, 'round-skipped', { code: typeof code === 'string' ? code : 'ERR_INPUT' });
          this.#rounds.push({ round: m.round, ok: false, included: false, code: typeof code === 'string' ? code : 'ERR_INPUT' });
          return undefined;
        }
        let client: SecAggClient;
        try {
          client = new SecAggClient({ session: this.session, round: m.round, index: this.index, identity: this.#options.identity, input, ...(this.#options.rng ? { rng: this.#options.rng } : {}) });
        } catch (e) {
          this.#emit({ type: 'error', round: m.round, code: 'ERR_INPUT', message: (e as Error).message, fatal: false });
          this.#rounds.push({ round: m.round, ok: false, included: false, code: 'ERR_INPUT' });
          return undefined;
        }
        this.#client = client;
        this.#admitted = { round: m.round, cost: admitted.cost };
        if (this.#dropFault(connection, m.round, 'advertise')) return undefined;
        await this.#send(connection, m.round, 'advertise', client.start());
        return undefined;
      }
      case 'publish': {
        if (m.round <= this.#lastStarted) throw new NodeError(NodeErrorCodes.PROTOCOL_VIOLATION, `publication for round ${m.round}, which has already started`);
        this.#publication = { round: m.round, data: m.data };
        this.#emit({ type: 'publication', round: m.round, bytes: m.data.length });
        return undefined;
      }
      case 'round-end': {
        const c = this.#client;
        if (!c || c.round !== m.round) return undefined; // a round this peer was not (or no longer) in
        this.#client = undefined;
        const included = m.ok && m.survivors.includes(this.index);
        this.#rounds.push({ round: m.round, ok: m.ok, included, ...(m.code ? { code: m.code } : {}) });
        this.#emit({ type: 'round-end', round: m.round, ok: m.ok, included, survivors: m.survivors.length, ...(m.code ? { code: m.code } : {}) });
        await this.#transcriptIdle();
        return undefined;
      }
      case 'session-end':
        await this.#transcriptIdle();
        return m.round;
    }
  }
}

function isRoundStage(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const { round, stage } = v as { round?: unknown; stage?: unknown };
  return Number.isSafeInteger(round) && (round as number) >= 0 && (STAGES as readonly unknown[]).includes(stage);
}

function jitter(ms: number): number {
  return Math.round(ms * (0.75 + Math.random() * 0.5));
}

const REFUSAL_HINTS: Readonly<Record<number, string>> = {
  [CloseCodes.UNKNOWN_KEY]: "this peer's key is not on the coordinator's roster",
  [CloseCodes.WRONG_SESSION]: "this peer's roster differs from the coordinator's (another session id or other parameters)",
  [CloseCodes.COORDINATOR_KEY_MISMATCH]: "the coordinator's key is not the one this peer's roster pins",
  [CloseCodes.WRONG_VERSION]: 'the coordinator speaks another protocol version',
  [CloseCodes.BAD_SIGNATURE]: 'a handshake signature did not verify',
  [CloseCodes.PROTOCOL_VIOLATION]: 'the coordinator cut this peer off for breaking the protocol',
  [CloseCodes.REPLACED]: 'another process connected with this same key (run one node per identity)',
};

function refused(closeCode: number, reason: string, cause?: unknown): NodeError {
  return new NodeError(NodeErrorCodes.REFUSED, `refused (close code ${closeCode}): ${REFUSAL_HINTS[closeCode] ?? 'refused'}${reason ? ` — ${reason}` : ''}`, cause === undefined ? undefined : { cause });
}
