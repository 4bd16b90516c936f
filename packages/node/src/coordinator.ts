/**
 * The coordinator runtime: accepts the roster's members over a transport and drives one
 * `SecAggServer` per round for a whole session, relaying what it cannot read and writing each
 * round's sum to `<out>/round-<r>.json`.
 *
 * Per round r: wait for a quorum of connected members (or skip the round after startTimeoutMs);
 * send each connected member a signed round-start; then for each SecAgg stage wait until no live
 * participant is still awaited or the stage's deadline passes, close the stage and send what it
 * returns. A member that disconnects simply drops out. A member that breaks the protocol (garbage,
 * a bad signature, a message signed as someone else, a replay of an earlier round, a control frame)
 * is cut off with CloseCodes.PROTOCOL_VIOLATION and the round goes on without it; refusals that an
 * honest but confused member could cause (a duplicate, a message for a stage not yet open) count as
 * strikes, and too many strikes in a round cut it off too. A round that aborts is recorded, and the
 * session goes on with the next round. Nothing secret and no vector is ever put into an event.
 *
 * The learning seam: `publish(r)` supplies the state round r starts from (for training, the global
 * model); it is sent, signed, to every participant right before round r's round-start. `onResult(r, result)`
 * receives each round's sum (after round-<r>.json is written, before round-end goes out) — the place to
 * update the model. Either callback failing stops the session (fail closed).
 * @module
 */
import { EventEmitter } from 'node:events';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { equalBytes, toHex, type Identity } from '@tessera/crypto';
import {
  ErrorCodes, STAGES, SecAggError, SecAggServer, maxMessageBytes, openMessage, type RoundResult, type Session, type Stage,
} from '@tessera/secagg';
import { CloseCodes, type Connection, type Limits, type Listener, type Transport } from '@tessera/transport';
import { DEFAULT_DEADLINES, DEFAULT_GATHER_MS, DEFAULT_MAX_STRIKES, DEFAULT_START_TIMEOUT_MS, type Deadlines } from './config.js';
import { FrameTag, checkMaxPublicationBytes, frame, maxControlFrameBytes, sealControl, unframe, type ControlMessage } from './control.js';
import { FileError, NodeError, NodeErrorCodes } from './errors.js';
import { memberId } from './identity.js';
import { writeFileDurable } from './files.js';
import { memberIndexOf } from './roster.js';
import { resolvePayloadLimits } from './limits.js';
import { TranscriptQueue, realText, sumDigest, type RoundAnnotations, type TranscriptSink } from './transcript.js';

export interface CoordinatorOptions {
  readonly transport: Transport;
  readonly session: Session;
  /** The coordinator's identity: its public key must be the session's server key. */
  readonly identity: Identity;
  /** Rounds in the session (0 … rounds − 1). */
  readonly rounds: number;
  /** Transport-specific listen options (for WebSockets: host, port, tls or insecure). */
  readonly listen?: Readonly<Record<string, unknown>>;
  /** Connection limits; maxPayload is raised to what the session's largest message needs. */
  readonly limits?: Partial<Limits>;
  readonly deadlines?: Partial<Deadlines>;
  /** Fewest connected members to start a round; default the threshold t. */
  readonly minQuorum?: number;
  /** Default 600,000 ms. */
  readonly startTimeoutMs?: number;
  /** Default 10,000 ms. */
  readonly gatherMs?: number;
  /** Default 8. */
  readonly maxStrikes?: number;
  /** Folder for round-<r>.json; no files are written without it. */
  readonly out?: string;
  /**
   * The state round `round` starts from (for training, the global model), or undefined to publish
   * nothing. Called after the quorum and the write-ahead state save; the bytes are sent in a signed
   * 'publish' control message to every participant right before the round-start. At most
   * maxPublicationBytes; more (or any bytes when maxPublicationBytes is 0) stops the session with a
   * RangeError, as does a throw.
   */
  readonly publish?: (round: number) => Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Largest publication, in bytes: an integer in [0, 2^30]; default 0 (publications are refused). */
  readonly maxPublicationBytes?: number;
  /**
   * Called (and awaited) once per round that produced a sum, after round-<r>.json is written and before
   * round-end is sent. A throw stops the session: run() rejects with it.
   */
  readonly onResult?: (round: number, result: RoundResult) => void | RoundAnnotations | Promise<void | RoundAnnotations>;
  /**
   * Records every frame sent and received (after it was opened and accepted) and a note per round
   * (round-result with the sum's SHA-256 and the ε onResult reports, or round-aborted): see
   * docs/transcript.md, "Tessera's recording profile". A failed append stops the session.
   */
  readonly transcript?: TranscriptSink;
}

/** What happened to one round. */
export interface RoundRecord {
  readonly round: number;
  readonly ok: boolean;
  readonly participants: readonly number[];
  /** U3: whose inputs are in the sum (empty when the round aborted). */
  readonly survivors: readonly number[];
  /** Stable error code when the round aborted (a SecAgg code, ERR_NO_QUORUM or ERR_STOPPED). */
  readonly code?: string;
  readonly reason?: string;
  /** The round-<r>.json written, if any. */
  readonly file?: string;
  readonly ms: number;
}

export interface SessionSummary {
  readonly rounds: readonly RoundRecord[];
  readonly completed: number;
  readonly aborted: number;
  readonly stopped: boolean;
}

/** Progress events (also emitted under their own type name). No event carries a secret or a vector. */
export type CoordinatorEvent =
  | { readonly type: 'listening'; readonly address: string }
  | { readonly type: 'resume'; readonly round: number; readonly rounds: number }
  | { readonly type: 'connected'; readonly member: number; readonly memberId: string; readonly label: string; readonly connected: number }
  | { readonly type: 'disconnected'; readonly member: number; readonly closeCode: number; readonly reason: string; readonly connected: number }
  | { readonly type: 'refused'; readonly member: number; readonly round?: number; readonly code: string; readonly reason: string; readonly closeCode?: number }
  | { readonly type: 'waiting'; readonly round: number; readonly connected: number; readonly minQuorum: number }
  | { readonly type: 'publish'; readonly round: number; readonly bytes: number }
  | { readonly type: 'round-start'; readonly round: number; readonly participants: readonly number[] }
  | { readonly type: 'stage'; readonly round: number; readonly stage: Stage; readonly closedBy: 'complete' | 'deadline'; readonly received: number; readonly expected: number; readonly ms: number }
  | { readonly type: 'dropout'; readonly round: number; readonly stage: Stage; readonly members: readonly number[] }
  | ({ readonly type: 'round-end' } & RoundRecord)
  | ({ readonly type: 'session-end' } & Omit<SessionSummary, 'rounds'>);

export type CoordinatorEventMap = { [E in CoordinatorEvent as E['type']]: [E] } & { event: [CoordinatorEvent] };

/** One member's live connection. */
interface Member {
  readonly index: number;
  readonly connection: Connection;
  /** The last round whose round-start went out on this connection (−1: none). */
  lastStarted: number;
  /** The first round whose round-start went out on this connection (−1: none): earlier rounds were never started on it. */
  firstStarted: number;
  /** The highest round stamped on a frame received on this connection (−1: none). */
  highest: number;
  strikes: number;
  frames: number;
}

interface Current {
  readonly round: number;
  readonly server: SecAggServer;
  readonly participants: ReadonlySet<number>;
}

const STAGE_OF_TYPE: Readonly<Record<string, number>> = { advertise: 0, share: 1, masked: 2, consistency: 3, unmask: 4 };
const SERVER_STAGE_INDEX: Readonly<Record<string, number>> = { advertise: 0, share: 1, masked: 2, consistency: 3, unmask: 4, done: 5, aborted: 5 };
/** The coordinator's state file in its out folder (see #resumePoint). */
export const STATE_FILE = 'coordinator-state.json';
/** How long members get to read session-end and hang up before the listener closes. */
const SESSION_END_GRACE_MS = 2000;
/** SecAgg refusals that an honest member never causes on its own connection. */
const VIOLATIONS: ReadonlySet<string> = new Set([ErrorCodes.MALFORMED, ErrorCodes.OVERSIZE, ErrorCodes.BAD_SIGNATURE, ErrorCodes.NOT_MEMBER, ErrorCodes.WRONG_VERSION, ErrorCodes.WRONG_SESSION, ErrorCodes.WRONG_ROUND]);

/**
 * Runs a session as its coordinator.
 *
 * @example
 * const coordinator = new Coordinator({ transport, session, identity, rounds: 5, out: 'results', listen: { host: '0.0.0.0', port: 8443, tls } });
 * coordinator.on('event', (e) => console.log(JSON.stringify(e)));
 * const address = await coordinator.start();
 * const summary = await coordinator.run();
 */
export class Coordinator extends EventEmitter<CoordinatorEventMap> {
  readonly session: Session;
  readonly rounds: number;
  readonly deadlines: Deadlines;
  readonly minQuorum: number;
  readonly startTimeoutMs: number;
  readonly gatherMs: number;
  readonly maxStrikes: number;
  readonly out: string | undefined;
  readonly maxPublicationBytes: number;
  readonly #publish: CoordinatorOptions['publish'];
  readonly #onResult: CoordinatorOptions['onResult'];
  readonly #tx: TranscriptQueue | undefined;
  readonly #transport: Transport;
  readonly #identity: Identity;
  readonly #listenExtra: Readonly<Record<string, unknown>>;
  readonly #limits: Partial<Limits>;
  readonly #maxBytes: number;
  readonly #members = new Map<number, Member>();
  #listener: Listener | undefined;
  #current: Current | undefined;
  #stopped = false;
  #running = false;
  /** Wakes whoever waits for a change (a frame, a connection, a close, stop()). */
  #wake: (() => void) | undefined;
  #checkScheduled = false;

  constructor(options: CoordinatorOptions) {
    super();
    const { session, identity } = options;
    if (typeof session !== 'object' || session === null || !(session.digest instanceof Uint8Array)) throw new TypeError('session must come from createSession()');
    if (typeof options.transport !== 'object' || options.transport === null || typeof options.transport.listen !== 'function') throw new TypeError('transport must be a Transport');
    if (typeof identity !== 'object' || identity === null || !equalBytes(identity.publicKey, session.serverKey)) throw new RangeError(`identity is not the roster's coordinator key`);
    this.session = session;
    this.rounds = positive(options.rounds, 'rounds', 1, 1_000_000);
    const d = { ...DEFAULT_DEADLINES, ...options.deadlines };
    for (const k of Object.keys(DEFAULT_DEADLINES) as (keyof Deadlines)[]) positive(d[k], `deadlines.${k}`, 1, 86_400_000);
    this.deadlines = Object.freeze(d);
    this.minQuorum = positive(options.minQuorum ?? session.threshold, 'minQuorum', 1, session.n);
    if (this.minQuorum < session.threshold) throw new RangeError(`minQuorum must be at least the threshold t=${session.threshold} (fewer members can never complete a round), got ${this.minQuorum}`);
    this.startTimeoutMs = positive(options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS, 'startTimeoutMs', 1, 86_400_000);
    this.gatherMs = positive(options.gatherMs ?? DEFAULT_GATHER_MS, 'gatherMs', 0, 86_400_000);
    this.maxStrikes = positive(options.maxStrikes ?? DEFAULT_MAX_STRIKES, 'maxStrikes', 1, 1000);
    if (options.out !== undefined && (typeof options.out !== 'string' || options.out.length === 0)) throw new TypeError('out must be a non-empty string');
    this.out = options.out;
    if (options.publish !== undefined && typeof options.publish !== 'function') throw new TypeError('publish must be a function');
    if (options.onResult !== undefined && typeof options.onResult !== 'function') throw new TypeError('onResult must be a function');
    this.maxPublicationBytes = checkMaxPublicationBytes(options.maxPublicationBytes ?? 0);
    this.#publish = options.publish;
    this.#onResult = options.onResult;
    this.#tx = options.transcript === undefined ? undefined : new TranscriptQueue(options.transcript);
    this.#transport = options.transport;
    this.#identity = identity;
    this.#listenExtra = options.listen ?? {};
    this.#maxBytes = maxMessageBytes(session);
    const publication = this.maxPublicationBytes > 0 ? maxControlFrameBytes(this.maxPublicationBytes) : 0;
    this.#limits = resolvePayloadLimits(options.limits ?? {}, Math.max(this.#maxBytes + 1, publication));
  }

  /** Where peers dial, once started. */
  get address(): string | undefined {
    return this.#listener?.address;
  }
  /** Member indices connected now, ascending. */
  get connected(): number[] {
    return [...this.#members.values()].filter((m) => !m.connection.closed).map((m) => m.index).sort((a, b) => a - b);
  }

  #emit(event: CoordinatorEvent): void {
    (this.emit as (name: string, e: CoordinatorEvent) => boolean)(event.type, event);
    this.emit('event', event);
  }

  /** Starts listening; resolves with the address peers dial. */
  async start(): Promise<string> {
    if (this.#listener) return this.#listener.address;
    if (this.out !== undefined) await mkdir(this.out, { recursive: true });
    const listener = await this.#transport.listen({
      ...this.#listenExtra,
      ...this.#limits,
      // Only roster keys are admitted, one connection each (a newer one replaces the older).
      maxConnections: this.session.n,
      identity: this.#identity,
      sessionId: this.session.digest,
      isAllowed: (key) => memberIndexOf(this.session, key) !== undefined,
    });
    this.#listener = listener;
    listener.onConnection((c) => this.#onConnection(c));
    this.#emit({ type: 'listening', address: listener.address });
    return listener.address;
  }

  /**
   * Runs every round of the session (starting to listen first if needed), then sends session-end to
   * the connected members and closes the listener. Resolves with what happened to each round.
   */
  async run(): Promise<SessionSummary> {
    if (this.#running) throw new Error('run() was already called');
    this.#running = true;
    const records: RoundRecord[] = [];
    try {
      await this.start();
      const first = await this.#resumePoint();
      if (first > 0) this.#emit({ type: 'resume', round: first, rounds: this.rounds });
      for (let r = first; r < this.rounds && !this.#stopped; r++) {
        const record = await this.#round(r);
        records.push(record);
        this.#emit({ type: 'round-end', ...record });
      }
      if (!this.#stopped) {
        const end = sealControl({ v: 1, type: 'session-end', session: this.session.digest, round: this.rounds }, this.#identity);
        await this.#sendAll([...this.#members.values()].filter((m) => !m.connection.closed), end);
        await this.#tx?.idle();
        // Peers close on session-end; give them a moment before the listener closes what is left.
        await this.#waitUntil(() => this.connected.length === 0, SESSION_END_GRACE_MS);
      }
    } finally {
      await this.close();
    }
    const completed = records.filter((r) => r.ok).length;
    const summary: SessionSummary = { rounds: records, completed, aborted: records.length - completed, stopped: this.#stopped };
    this.#emit({ type: 'session-end', completed, aborted: summary.aborted, stopped: summary.stopped });
    return summary;
  }

  /** `<out>/coordinator-state.json`: the session digest and the next round that was never started. */
  get #stateFile(): string | undefined {
    return this.out === undefined ? undefined : join(this.out, STATE_FILE);
  }

  /**
   * The first round to run: 0 for a fresh out folder, else the round after the last one a previous run
   * of this session started. An out folder of another session is refused.
   */
  async #resumePoint(): Promise<number> {
    const file = this.#stateFile;
    if (file === undefined) return 0;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw new FileError(file, undefined, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, NodeErrorCodes.FILE_READ, { cause: e });
    }
    let state: unknown;
    try {
      state = JSON.parse(text);
    } catch {
      throw new FileError(file, undefined, 'is not valid JSON (a damaged coordinator state file: move it away only if no round of this session ran)', NodeErrorCodes.FILE_SYNTAX);
    }
    const s = state as { version?: unknown; kind?: unknown; session?: unknown; nextRound?: unknown };
    if (s === null || typeof s !== 'object' || s.version !== 1 || s.kind !== 'tessera-coordinator-state')
      throw new FileError(file, 'kind', "must be 'tessera-coordinator-state' with version 1", NodeErrorCodes.FILE_INVALID);
    if (typeof s.session !== 'string' || !/^[0-9a-f]{64}$/.test(s.session)) throw new FileError(file, 'session', 'must be 64 hex characters', NodeErrorCodes.FILE_INVALID);
    if (!Number.isSafeInteger(s.nextRound) || (s.nextRound as number) < 0) throw new FileError(file, 'nextRound', 'must be an integer ≥ 0', NodeErrorCodes.FILE_INVALID);
    if (s.session !== toHex(this.session.digest))
      throw new FileError(file, 'session', `belongs to another session (digest ${s.session.slice(0, 16)}…, this roster's is ${toHex(this.session.digest).slice(0, 16)}…): give this session its own out folder`, NodeErrorCodes.OUT_IN_USE);
    return s.nextRound as number;
  }

  async #saveState(nextRound: number): Promise<void> {
    const file = this.#stateFile;
    if (file === undefined) return;
    await writeFileDurable(file, JSON.stringify({ version: 1, kind: 'tessera-coordinator-state', session: toHex(this.session.digest), nextRound }) + '\n', 0o644);
  }

  /** Asks a running session to stop: the round in progress aborts (ERR_STOPPED) and run() resolves. */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    const l = this.#listener;
    if (l) await l.close();
  }

  #onConnection(connection: Connection): void {
    const index = memberIndexOf(this.session, connection.remoteKey);
    if (index === undefined) {
      connection.close(CloseCodes.UNKNOWN_KEY, 'not on the roster');
      return;
    }
    const old = this.#members.get(index);
    if (old && old.connection !== connection && !old.connection.closed) old.connection.close(CloseCodes.REPLACED, 'a newer connection with the same key');
    const member: Member = { index, connection, lastStarted: -1, firstStarted: -1, highest: -1, strikes: 0, frames: 0 };
    this.#members.set(index, member);
    connection.onMessage((bytes) => this.#onFrame(member, bytes));
    connection.onClose((info) => {
      if (this.#members.get(index) === member) this.#members.delete(index);
      this.#emit({ type: 'disconnected', member: index, closeCode: info.code, reason: info.reason, connected: this.connected.length });
      this.#poke();
    });
    this.#emit({ type: 'connected', member: index, memberId: memberId(connection.remoteKey), label: connection.label, connected: this.connected.length });
    this.#poke();
  }

  /** Closes `member`'s connection for breaking the protocol; the round goes on without it. */
  #cut(member: Member, code: string, reason: string, round?: number): void {
    this.#emit({ type: 'refused', member: member.index, ...(round === undefined ? {} : { round }), code, reason, closeCode: CloseCodes.PROTOCOL_VIOLATION });
    if (!member.connection.closed) member.connection.close(CloseCodes.PROTOCOL_VIOLATION, reason.startsWith(`${code}: `) ? reason : `${code}: ${reason}`);
  }

  #onFrame(member: Member, bytes: Uint8Array): void {
    if (member.connection.closed || this.#members.get(member.index) !== member) return;
    const cur = this.#current;
    // A member sends at most n + 3 frames in a round (advertise, ≤ n − 1 shares, masked, consistency, unmask).
    if (++member.frames > this.session.n + 3 + this.maxStrikes) {
      this.#cut(member, NodeErrorCodes.PROTOCOL_VIOLATION, 'more frames than a round needs', cur?.round);
      return;
    }
    let payload: Uint8Array;
    let round: number;
    let type: string;
    try {
      const f = unframe(bytes);
      if (f.tag === FrameTag.CONTROL) throw new NodeError(NodeErrorCodes.PROTOCOL_VIOLATION, 'a control frame from a member (only the coordinator sends them)');
      payload = f.payload;
      const m = openMessage(payload, this.session, 'client', this.#maxBytes).message;
      if (m.from !== member.index) throw new NodeError(NodeErrorCodes.PROTOCOL_VIOLATION, `member ${member.index} sent a message of member ${m.from}`);
      round = m.round;
      type = m.type;
    } catch (e) {
      if (e instanceof NodeError || e instanceof SecAggError) this.#cut(member, e.code, e.message, cur?.round);
      else this.#cut(member, NodeErrorCodes.PROTOCOL_VIOLATION, 'unreadable frame', cur?.round);
      return;
    }
    if (round > member.lastStarted || round < member.firstStarted)
      return this.#cut(member, ErrorCodes.WRONG_ROUND, `a message of round ${round}, which was never started on this connection${round < member.firstStarted ? ' (a replay)' : ''}`, cur?.round);
    if (round < member.highest) return this.#cut(member, ErrorCodes.WRONG_ROUND, `a message of round ${round} after one of round ${member.highest} (a replay)`, cur?.round);
    member.highest = round;
    if (!cur || cur.round !== round || !cur.participants.has(member.index)) return; // late: the member's last round is over
    if (STAGE_OF_TYPE[type]! < SERVER_STAGE_INDEX[cur.server.stage]!) return; // late: that stage has closed
    try {
      cur.server.receive(payload);
      this.#tx?.message('received', member.index, bytes, 0);
    } catch (e) {
      if (!(e instanceof SecAggError)) throw e;
      if (VIOLATIONS.has(e.code)) return this.#cut(member, e.code, e.message, round);
      this.#emit({ type: 'refused', member: member.index, round, code: e.code, reason: e.message });
      if (++member.strikes > this.maxStrikes) this.#cut(member, e.code, `more than ${this.maxStrikes} refused messages in round ${round}`, round);
      return;
    }
    this.#poke();
  }

  /** Schedules one re-check of whatever is waiting (coalesced: many frames, one check). */
  #poke(): void {
    if (this.#checkScheduled) return;
    this.#checkScheduled = true;
    setImmediate(() => {
      this.#checkScheduled = false;
      this.#wake?.();
    });
  }

  /** Resolves when `done()` holds (re-checked after every change) or after `ms`; returns whether it held. */
  #waitUntil(done: () => boolean, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve(ok);
      };
      const check = (): void => {
        if (this.#stopped || done()) finish(!this.#stopped);
      };
      timer = setTimeout(() => finish(false), ms);
      this.#wake = check;
      check();
    });
  }

  /** Waits for every member, or for minQuorum plus gatherMs; false after startTimeoutMs. */
  async #quorum(round: number): Promise<boolean> {
    const n = this.session.n;
    const deadline = Date.now() + this.startTimeoutMs;
    let announced = false;
    for (;;) {
      if (this.#stopped) return false;
      if (!announced && this.connected.length < n) {
        this.#emit({ type: 'waiting', round, connected: this.connected.length, minQuorum: this.minQuorum });
        announced = true;
      }
      const all = await this.#waitUntil(() => this.connected.length >= this.minQuorum, deadline - Date.now());
      if (!all) return false;
      if (this.connected.length === n || this.gatherMs === 0) return true;
      await this.#waitUntil(() => this.connected.length === n || this.connected.length < this.minQuorum, this.gatherMs);
      if (this.#stopped) return false;
      if (this.connected.length >= this.minQuorum) return true;
      if (Date.now() >= deadline) return false;
    }
  }

  /**
   * What `publish` gives for round `r`: undefined, or bytes within maxPublicationBytes. Anything else
   * stops the session (fail closed): a TypeError for a non-byte value, a RangeError naming both sizes.
   */
  async #publication(r: number): Promise<Uint8Array | undefined> {
    if (!this.#publish) return undefined;
    const data: unknown = await this.#publish(r);
    if (data === undefined) return undefined;
    if (!(data instanceof Uint8Array)) throw new TypeError(`publish(${r}) must return a Uint8Array or undefined, got ${data === null ? 'null' : typeof data}`);
    if (data.length > this.maxPublicationBytes || this.maxPublicationBytes === 0)
      throw new RangeError(`publish(${r}) returned ${data.length} bytes, but maxPublicationBytes is ${this.maxPublicationBytes}${this.maxPublicationBytes === 0 ? ' (no publications)' : ''}; stopping the session`);
    return data;
  }

  /** Records `bytes` as sent to each of `to` (write-ahead: before the send), then sends it to each. */
  #sendAll(to: readonly Member[], bytes: Uint8Array): Promise<unknown> {
    for (const m of to) this.#tx?.message('sent', m.index, bytes, 0);
    return Promise.allSettled(to.map((m) => m.connection.send(bytes)));
  }

  async #round(r: number): Promise<RoundRecord> {
    const started = performance.now();
    const record = (fields: Omit<RoundRecord, 'round' | 'ms'>): RoundRecord => ({ round: r, ...fields, ms: Math.round(performance.now() - started) });
    if (!(await this.#quorum(r))) {
      return this.#stopped
        ? record({ ok: false, participants: [], survivors: [], code: NodeErrorCodes.STOPPED, reason: 'stopped before the round started' })
        : record({ ok: false, participants: [], survivors: [], code: NodeErrorCodes.NO_QUORUM, reason: `fewer than ${this.minQuorum} members connected within ${this.startTimeoutMs} ms` });
    }
    // Write-ahead: round r is on disk as started before any member hears of it, so a restarted
    // coordinator never runs a round number twice (nor overwrites its result).
    await this.#saveState(r + 1);
    const published = await this.#publication(r);
    const server = new SecAggServer({ session: this.session, round: r, identity: this.#identity });
    const live = [...this.#members.values()].filter((m) => !m.connection.closed).sort((a, b) => a.index - b.index);
    const participants = live.map((m) => m.index);
    const cur: Current = { round: r, server, participants: new Set(participants) };
    this.#current = cur;
    const startFrame = sealControl({ v: 1, type: 'round-start', session: this.session.digest, round: r, participants }, this.#identity);
    for (const m of live) {
      m.lastStarted = r;
      if (m.firstStarted < 0) m.firstStarted = r;
      m.strikes = 0;
      m.frames = 0;
    }
    if (published !== undefined) {
      const publishFrame = sealControl({ v: 1, type: 'publish', session: this.session.digest, round: r, data: published }, this.#identity);
      this.#emit({ type: 'publish', round: r, bytes: published.length });
      await this.#sendAll(live, publishFrame);
    }
    this.#emit({ type: 'round-start', round: r, participants });
    await this.#sendAll(live, startFrame);
    // Who the stage still waits for, among participants whose round-start connection is still open.
    const isLive = (u: number): boolean => {
      const m = this.#members.get(u);
      return m !== undefined && m.lastStarted === r && !m.connection.closed;
    };
    const pending = (): number[] => server.awaiting().filter((u) => cur.participants.has(u) && isLive(u));
    let result: RoundResult | undefined;
    let failure: { code: string; reason: string } | undefined;
    try {
      for (const stage of STAGES) {
        const stageStarted = performance.now();
        const expected = server.awaiting().filter((u) => cur.participants.has(u));
        const complete = await this.#waitUntil(() => pending().length === 0, this.deadlines[`${stage}Ms`]);
        if (this.#stopped) throw new NodeError(NodeErrorCodes.STOPPED, `stopped in stage ${stage}`);
        const missing = server.awaiting().filter((u) => cur.participants.has(u));
        const outgoing = server.closeStage();
        this.#emit({ type: 'stage', round: r, stage, closedBy: complete ? 'complete' : 'deadline', received: expected.length - missing.length, expected: expected.length, ms: Math.round(performance.now() - stageStarted) });
        if (missing.length > 0) this.#emit({ type: 'dropout', round: r, stage, members: missing });
        await Promise.allSettled(outgoing.map(({ to, bytes }) => (isLive(to) ? this.#sendAll([this.#members.get(to)!], frame(FrameTag.SECAGG, bytes)) : undefined)));
      }
      result = server.result;
      if (!result) failure = { code: ErrorCodes.ABORTED, reason: 'the round ended without a result' };
    } catch (e) {
      if (e instanceof SecAggError || e instanceof NodeError) failure = { code: e.code, reason: e.message };
      else throw e;
    } finally {
      this.#current = undefined;
    }
    let file: string | undefined;
    if (result && this.out !== undefined) {
      file = join(this.out, `round-${r}.json`);
      try {
        await writeFileDurable(file, JSON.stringify({ round: r, survivors: result.survivors, bits: result.bits, sum: Array.from(result.sum) }) + '\n', 0o644);
      } catch (e) {
        const why = (e as { cause?: NodeJS.ErrnoException }).cause?.code ?? (e as Error).message;
        throw new FileError(file, undefined, `cannot be written (${why}); stopping the session`, NodeErrorCodes.FILE_WRITE, { cause: e });
      }
    }
    // The learning seam: a throw stops the session (run() rejects) before round-end goes out.
    const annotations = result && this.#onResult ? await this.#onResult(r, result) : undefined;
    if (result)
      this.#tx?.note(r, 'round-result', {
        survivors: [...result.survivors], sumSha256: sumDigest(result.sum),
        epsilon: realText(annotations?.epsilon), epsilonWorstCase: realText(annotations?.epsilonWorstCase),
      });
    else if (failure) this.#tx?.note(r, 'round-aborted', { code: failure.code, reason: failure.reason });
    const end: ControlMessage = failure
      ? { v: 1, type: 'round-end', session: this.session.digest, round: r, survivors: [], ok: false, code: failure.code }
      : { v: 1, type: 'round-end', session: this.session.digest, round: r, survivors: [...result!.survivors], ok: true };
    const endFrame = sealControl(end, this.#identity);
    await this.#sendAll(participants.filter(isLive).map((u) => this.#members.get(u)!), endFrame);
    // Fail closed: a session whose record could not be written does not go on.
    await this.#tx?.idle();
    return failure
      ? record({ ok: false, participants, survivors: [], code: failure.code, reason: failure.reason })
      : record({ ok: true, participants, survivors: [...result!.survivors], ...(file ? { file } : {}) });
  }
}

function positive(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer, got ${typeof value}`);
  if (value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`);
  return value;
}
