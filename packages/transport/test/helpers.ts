/** Test helpers: identities, a queue of async events, raw (handshake-less) parties. */
import { identityFromSeed, seededRandom, type Identity } from '@tessera/crypto';
import type { CloseInfo, Connection, Listener } from '../src/index.js';

/** A deterministic identity per label. */
export function identity(label: string): Identity {
  return identityFromSeed(seededRandom(`transport test identity ${label}`)(32));
}

/** Rejects after `ms` with `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Values pushed by callbacks, taken in order by awaiting `next()`. */
export class Queue<T> {
  readonly #items: T[] = [];
  readonly #waiters: ((v: T) => void)[] = [];
  push = (v: T): void => {
    const w = this.#waiters.shift();
    if (w) w(v);
    else this.#items.push(v);
  };
  next(ms = 5000, what = 'queue item'): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    return within(new Promise<T>((r) => this.#waiters.push(r)), ms, what);
  }
  get size(): number {
    return this.#items.length;
  }
}

/** The connections a listener hands out, in order. */
export function connections(listener: Listener): Queue<Connection> {
  const q = new Queue<Connection>();
  listener.onConnection(q.push);
  return q;
}

/** The frames a connection receives, in order. */
export function frames(conn: Connection): Queue<Uint8Array> {
  const q = new Queue<Uint8Array>();
  conn.onMessage(q.push);
  return q;
}

/** Resolves with the connection's CloseInfo. */
export function closeOf(conn: Connection): Promise<CloseInfo> {
  return new Promise((r) => conn.onClose(r));
}

export interface RawClose {
  readonly code: number;
  readonly reason: string;
}

/**
 * A party below the transport: raw frames without handshake or limits, to play a misbehaving peer or
 * coordinator. Each harness adapts its socket to this.
 */
export class RawParty {
  readonly received = new Queue<Uint8Array>();
  /** Every frame received, for checks that nothing arrived. */
  readonly log: Uint8Array[] = [];
  readonly closed: Promise<RawClose>;
  #closed!: (c: RawClose) => void;
  constructor(
    readonly send: (frame: Uint8Array) => void,
    readonly pause: () => void,
    readonly terminate: () => void,
  ) {
    this.closed = new Promise((r) => (this.#closed = r));
  }
  /** For the adapter. */
  frame = (f: Uint8Array): void => {
    this.log.push(f);
    this.received.push(f);
  };
  /** For the adapter. */
  close = (code: number, reason: string): void => this.#closed({ code, reason });
  next(ms = 5000): Promise<Uint8Array> {
    return this.received.next(ms, 'raw frame');
  }
}

/** A raw coordinator: accepts raw parties at `address`. */
export interface RawListener {
  readonly address: string;
  readonly accepted: Queue<RawParty>;
  close(): Promise<void>;
}

export const bytes = (n: number, seed = n): Uint8Array => seededRandom(`frame ${seed}`)(n);
