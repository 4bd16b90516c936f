/**
 * The in-memory transport, for tests and single-process simulations. A {@link MemoryNetwork} is a hub
 * of named addresses joined by frame pipes ({@link MemoryEnd}) that behave like a WebSocket: frames are
 * copied (no buffer is shared between parties) and delivered asynchronously, in order; a close is
 * delivered after the frames sent before it and answered by the other side; a ping is answered by a
 * pong unless the reader is paused. {@link MemoryTransport} runs the same handshake, limits and
 * bookkeeping as the WebSocket transport on top of these pipes.
 * @module
 */
import type { RandomSource } from '@tessera/crypto';
import { dialChannel, type Channel, type FrameSocket } from './channel.js';
import { CloseCodes, TransportError } from './errors.js';
import { resolveDial, resolveListen } from './options.js';
import { Registry } from './registry.js';
import type { Connection, DialOptions, Listener, ListenOptions, Transport } from './types.js';

type Item = { kind: 'frame'; frame: Uint8Array } | { kind: 'close'; code: number; reason: string } | { kind: 'ping' } | { kind: 'pong' };

/**
 * One end of an in-memory pipe: the raw frame layer, without handshake or limits (a test can use it
 * directly to act as a misbehaving party).
 */
export class MemoryEnd {
  readonly label: string;
  /** Called with each frame (a fresh copy). */
  onFrame: ((frame: Uint8Array) => void) | undefined;
  /** Called when a pong answers this end's ping. */
  onPong: (() => void) | undefined;
  /** Called once when the pipe is closed: the code the other side sent, or ABNORMAL (1006). */
  onClose: ((code: number, reason: string) => void) | undefined;
  #peer!: MemoryEnd;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #inbox: Item[] = [];
  #inboxBytes = 0;
  #paused = false;
  #scheduled = false;

  private constructor(label: string) {
    this.label = label;
  }

  /** Two joined ends. */
  static pair(labelA: string, labelB: string): [MemoryEnd, MemoryEnd] {
    const a = new MemoryEnd(labelA);
    const b = new MemoryEnd(labelB);
    a.#peer = b;
    b.#peer = a;
    return [a, b];
  }

  /** Bytes sent by this end that the other end has not yet read. */
  get bufferedAmount(): number {
    return this.#peer.#inboxBytes;
  }
  /** Whether the pipe is still open for sending from this end. */
  get open(): boolean {
    return this.#state === 'open';
  }

  /** Queues a copy of `frame` for the other end. Throws an Error once this end is closing or closed. */
  send(frame: Uint8Array): void {
    if (!(frame instanceof Uint8Array)) throw new TypeError('frame must be a Uint8Array');
    if (this.#state !== 'open') throw new Error(`memory pipe ${this.label} is ${this.#state}`);
    this.#peer.#enqueue({ kind: 'frame', frame: frame.slice() });
  }
  ping(): void {
    if (this.#state === 'open') this.#peer.#enqueue({ kind: 'ping' });
  }
  /** Starts an orderly close: the other end reads the frames sent before, then the close, and answers it. */
  close(code: number, reason: string): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#peer.#enqueue({ kind: 'close', code, reason });
  }
  /** Drops the pipe at once: both ends are closed, unread frames are lost, the other end sees 1006. */
  terminate(): void {
    if (this.#state === 'closed') return;
    this.#abort();
    this.#peer.#abort();
  }
  /** Stops reading (frames, pings and closes queue up), like pausing a socket. */
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    this.#paused = false;
    this.#schedule();
  }

  #abort(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#inbox = [];
    this.#inboxBytes = 0;
    setImmediate(() => this.onClose?.(CloseCodes.ABNORMAL, ''));
  }
  #enqueue(item: Item): void {
    if (this.#state === 'closed') return;
    this.#inbox.push(item);
    if (item.kind === 'frame') this.#inboxBytes += item.frame.length;
    this.#schedule();
  }
  #schedule(): void {
    if (this.#scheduled || this.#paused || this.#inbox.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }
  #drain(): void {
    while (!this.#paused && this.#state !== 'closed' && this.#inbox.length > 0) {
      const item = this.#inbox.shift()!;
      switch (item.kind) {
        case 'frame':
          this.#inboxBytes -= item.frame.length;
          this.onFrame?.(item.frame);
          break;
        case 'ping':
          if (this.#state === 'open') this.#peer.#enqueue({ kind: 'pong' });
          break;
        case 'pong':
          this.onPong?.();
          break;
        case 'close': {
          const answer = this.#state === 'open';
          this.#state = 'closed';
          this.#inbox = [];
          this.#inboxBytes = 0;
          if (answer) this.#peer.#enqueue({ kind: 'close', code: item.code, reason: item.reason });
          this.onClose?.(item.code, item.reason);
          break;
        }
      }
    }
  }
}

class MemoryFrameSocket implements FrameSocket {
  readonly #end: MemoryEnd;
  constructor(end: MemoryEnd) {
    this.#end = end;
  }
  get label(): string {
    return this.#end.label;
  }
  get bufferedAmount(): number {
    return this.#end.bufferedAmount;
  }
  send(frame: Uint8Array, done: (error?: Error) => void): void {
    try {
      this.#end.send(frame);
    } catch (e) {
      queueMicrotask(() => done(e as Error));
      return;
    }
    queueMicrotask(() => done());
  }
  close(code: number, reason: string): void {
    this.#end.close(code, reason);
  }
  terminate(): void {
    this.#end.terminate();
  }
  ping(): void {
    this.#end.ping();
  }
}

function bind(end: MemoryEnd, channel: Channel): void {
  end.onFrame = (frame) => channel.handleFrame(frame);
  end.onPong = () => channel.handlePong();
  end.onClose = (code, reason) => channel.handleClose(code, reason);
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const PREFIX = 'memory://';

/**
 * A hub of in-memory addresses. Transports sharing one network can reach each other.
 *
 * @example
 * const network = new MemoryNetwork();
 * const listener = await new MemoryTransport(network).listen({ identity, sessionId, isAllowed, name: 'coordinator-1' });
 * const conn = await new MemoryTransport(network).dial('memory://coordinator-1', { identity: site, sessionId, coordinatorKey });
 */
export class MemoryNetwork {
  readonly #bound = new Map<string, (end: MemoryEnd) => void>();
  #nextName = 1;
  #nextLabel = 1;

  /**
   * Binds `name` (or a fresh `coordinator-N`) and calls `accept` with the listener's end of each new
   * pipe. Throws an Error if the address is taken.
   */
  bind(name: string | undefined, accept: (end: MemoryEnd) => void): { readonly address: string; unbind(): void } {
    if (name !== undefined && (typeof name !== 'string' || !NAME.test(name))) throw new TypeError('name must be 1–64 characters of [A-Za-z0-9._-]');
    let n = name;
    while (n === undefined || (name === undefined && this.#bound.has(PREFIX + n))) n = `coordinator-${this.#nextName++}`;
    const address = PREFIX + n;
    if (this.#bound.has(address)) throw new Error(`${address} is already bound`);
    this.#bound.set(address, accept);
    return { address, unbind: () => void (this.#bound.get(address) === accept && this.#bound.delete(address)) };
  }

  /** Opens a pipe to `address`; returns the dialling end. Throws a TransportError (ERR_CONNECT) if nothing listens there. */
  connect(address: string): MemoryEnd {
    const accept = typeof address === 'string' ? this.#bound.get(address) : undefined;
    if (!accept) throw new TransportError('ERR_CONNECT', CloseCodes.ABNORMAL, `nothing listens at ${String(address).slice(0, 100)}`);
    const n = this.#nextLabel++;
    const [dialer, listener] = MemoryEnd.pair(`memory#${n}`, `memory#${n}`);
    accept(listener);
    return dialer;
  }
}

/** listen() options of the in-memory transport. */
export interface MemoryListenOptions extends ListenOptions {
  /** The address's name: the listener is at `memory://<name>` (default: a fresh `coordinator-N`). */
  readonly name?: string;
}

/**
 * Authenticated in-memory connections over a {@link MemoryNetwork}: the same handshake, limits and
 * close codes as {@link WebSocketTransport}.
 *
 * @example
 * const network = new MemoryNetwork();
 * const coordinator = await new MemoryTransport(network).listen({ identity, sessionId, isAllowed });
 * coordinator.onConnection((conn) => conn.onMessage((frame) => conn.send(frame)));
 * const conn = await new MemoryTransport(network).dial(coordinator.address, { identity: site, sessionId, coordinatorKey: identity.publicKey });
 */
export class MemoryTransport implements Transport {
  readonly network: MemoryNetwork;
  readonly #random: RandomSource | undefined;
  constructor(network: MemoryNetwork = new MemoryNetwork(), options: { readonly random?: RandomSource } = {}) {
    if (!(network instanceof MemoryNetwork)) throw new TypeError('network must be a MemoryNetwork');
    this.network = network;
    this.#random = options.random;
  }

  async listen(options: MemoryListenOptions): Promise<Listener> {
    const o = resolveListen(options);
    const registry = new Registry(o, this.#random);
    const binding = this.network.bind(options.name, (end) => bind(end, registry.accept(new MemoryFrameSocket(end))));
    let closing: Promise<void> | undefined;
    return {
      address: binding.address,
      onConnection: (handler) => registry.onConnection(handler),
      close: () =>
        (closing ??= (async () => {
          binding.unbind();
          await registry.close();
        })()),
    };
  }

  async dial(address: string, options: DialOptions): Promise<Connection> {
    const o = resolveDial(options);
    const end = this.network.connect(address);
    return dialChannel(new MemoryFrameSocket(end), o, this.#random, (channel) => bind(end, channel));
  }
}
