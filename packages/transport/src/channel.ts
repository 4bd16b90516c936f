/**
 * One connection's life, shared by every transport: the handshake, the limits (frame size, queued
 * bytes, handshake time, heartbeat), and the close bookkeeping. A transport adapts its socket to
 * {@link FrameSocket} and forwards the socket's events to the channel; everything a peer can observe
 * is decided here, so both transports behave the same.
 * @module
 */
import { toHex, type RandomSource } from '@tessera/crypto';
import { CloseCodes, closeCodeName, isSendableCloseCode, refusal, sanitizeReason, TransportError, truncateReason } from './errors.js';
import { MAX_HANDSHAKE_FRAME, PeerHandshake, type HandshakeParty } from './handshake.js';
import type { ResolvedDial } from './options.js';
import type { CloseInfo, Connection, Limits } from './types.js';

/** What a channel needs from a socket: whole binary frames out, close, and optionally ping. */
export interface FrameSocket {
  /** A short, non-secret label for logs. */
  readonly label: string;
  /** Bytes handed to send() and not yet passed on (to the OS, or to the other end's reader). */
  readonly bufferedAmount: number;
  send(frame: Uint8Array, done: (error?: Error) => void): void;
  /** Starts an orderly close; the socket reports the end through Channel.handleClose. */
  close(code: number, reason: string): void;
  /** Drops the connection at once, without waiting for the other side. */
  terminate(): void;
  /** Sends a ping; the socket reports the pong through Channel.handlePong. Without it, no heartbeat. */
  ping?(): void;
  /** Sets the largest frame the socket's own parser accepts from now on, where it has one. */
  setReceiveLimit?(bytes: number): void;
}

/** What the owner of a channel (a listener, or dial) hears about it. */
export interface ChannelEvents {
  onOpen(channel: Channel): void;
  onClose(channel: Channel, info: CloseInfo, wasOpen: boolean): void;
}

export interface ChannelOptions {
  readonly socket: FrameSocket;
  readonly limits: Limits;
  readonly handshake: HandshakeParty;
  readonly events: ChannelEvents;
  /** Coordinator side: a last check of the authenticated key before welcome is sent (capacity). */
  readonly admit?: (remoteKey: Uint8Array) => TransportError | undefined;
  /** Refuse at once with this error, sending nothing else (used when a listener is at capacity). */
  readonly refuse?: TransportError;
}

type State = 'handshake' | 'open' | 'closed';

/** A connection from its first byte to its close. Implements {@link Connection} once open. */
export class Channel implements Connection {
  readonly #socket: FrameSocket;
  readonly #limits: Limits;
  readonly #handshake: HandshakeParty;
  readonly #events: ChannelEvents;
  readonly #admit: ChannelOptions['admit'];
  #state: State = 'handshake';
  #remoteKey: Uint8Array = new Uint8Array(0);
  #info: CloseInfo | undefined;
  #onMessage: ((frame: Uint8Array) => void) | undefined;
  readonly #onClose: ((info: CloseInfo) => void)[] = [];
  #inbox: Uint8Array[] = [];
  #inboxBytes = 0;
  #handshakeTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #lingerTimer: NodeJS.Timeout | undefined;
  #awaitingPong = false;
  #missedPongs = 0;
  #socketClosed!: () => void;
  /** Resolves when the underlying socket is gone (after a close handshake, or terminated). */
  readonly socketClosed: Promise<void> = new Promise((resolve) => (this.#socketClosed = resolve));

  constructor(options: ChannelOptions) {
    this.#socket = options.socket;
    this.#limits = options.limits;
    this.#handshake = options.handshake;
    this.#events = options.events;
    this.#admit = options.admit;
    if (options.refuse) {
      this.#closeLocal(options.refuse.closeCode, options.refuse.reason);
      return;
    }
    const ms = this.#limits.handshakeTimeoutMs;
    this.#handshakeTimer = setTimeout(() => this.#closeLocal(CloseCodes.HANDSHAKE_TIMEOUT, `handshake did not finish within ${ms} ms`), ms);
    this.#handshakeTimer.unref();
    if (this.#limits.heartbeatMs > 0 && this.#socket.ping) {
      this.#heartbeatTimer = setInterval(() => this.#beat(), this.#limits.heartbeatMs);
      this.#heartbeatTimer.unref();
    }
    this.#socket.setReceiveLimit?.(MAX_HANDSHAKE_FRAME);
    try {
      const first = this.#handshake.start();
      if (first) this.#socket.send(first, () => {});
    } catch (e) {
      this.#closeLocal(CloseCodes.INTERNAL_ERROR, 'handshake could not start', { error: e });
    }
  }

  get remoteKey(): Uint8Array {
    return this.#remoteKey.slice();
  }
  get label(): string {
    return this.#socket.label;
  }
  get closed(): boolean {
    return this.#state === 'closed';
  }
  /** Why the channel closed, once it has. */
  get closeInfo(): CloseInfo | undefined {
    return this.#info;
  }

  send(frame: Uint8Array): Promise<void> {
    if (!(frame instanceof Uint8Array)) return Promise.reject(new TypeError('frame must be a Uint8Array'));
    if (this.#state !== 'open') {
      const code = this.#info?.code ?? CloseCodes.ABNORMAL;
      return Promise.reject(new TransportError('ERR_CLOSED', code, `connection ${this.label} is ${this.#state === 'closed' ? 'closed' : 'not open'}`));
    }
    if (frame.length > this.#limits.maxPayload)
      return Promise.reject(new RangeError(`frame is ${frame.length} bytes, maxPayload is ${this.#limits.maxPayload}`));
    const queued = this.#socket.bufferedAmount;
    if (queued + frame.length > this.#limits.maxBufferedBytes) {
      const err = refusal(CloseCodes.SLOW_CONSUMER, `more than ${this.#limits.maxBufferedBytes} bytes would be queued`);
      this.#closeLocal(err.closeCode, err.reason, { abrupt: true });
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.#socket.send(frame.slice(), (error) => {
        if (!error) return resolve();
        reject(new TransportError('ERR_CLOSED', this.#info?.code ?? CloseCodes.ABNORMAL, `send failed: ${error.message}`, { cause: error }));
      });
    });
  }

  onMessage(handler: (frame: Uint8Array) => void): void {
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    this.#onMessage = handler;
    while (this.#inbox.length > 0 && this.#state === 'open' && this.#onMessage === handler) {
      const frame = this.#inbox.shift()!;
      this.#inboxBytes -= frame.length;
      this.#deliver(frame);
    }
  }

  onClose(handler: (info: CloseInfo) => void): void {
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    if (this.#info) handler(this.#info);
    else this.#onClose.push(handler);
  }

  close(code: number = CloseCodes.NORMAL, reason = ''): void {
    if (!isSendableCloseCode(code)) throw new RangeError(`close code ${code} cannot be sent (use 1000–1003, 1007–1014 or 3000–4999)`);
    if (typeof reason !== 'string') throw new TypeError('reason must be a string');
    this.#closeLocal(code, reason);
  }

  // ---- called by the socket adapter ----

  /** One whole binary frame arrived. */
  handleFrame(frame: Uint8Array): void {
    if (this.#state === 'closed') return;
    const limit = this.#state === 'open' ? this.#limits.maxPayload : MAX_HANDSHAKE_FRAME;
    if (frame.length > limit) return this.#closeLocal(CloseCodes.OVERSIZE, `frame of ${frame.length} bytes exceeds the limit of ${limit}`);
    if (this.#state === 'handshake') return this.#handshakeFrame(frame);
    if (this.#onMessage && this.#inbox.length === 0) return this.#deliver(frame);
    this.#inbox.push(frame);
    this.#inboxBytes += frame.length;
    if (this.#inboxBytes > this.#limits.maxBufferedBytes)
      this.#closeLocal(CloseCodes.SLOW_CONSUMER, 'received frames are not being read', { abrupt: true });
  }

  /** The socket's pong arrived. */
  handlePong(): void {
    this.#awaitingPong = false;
    this.#missedPongs = 0;
  }

  /** The socket closed (after a close handshake or not); `code` is what the other side sent. */
  handleClose(code: number, reason: string): void {
    clearTimeout(this.#lingerTimer);
    this.#socketClosed();
    this.#finish({ code, reason: sanitizeReason(reason), local: false });
  }

  /** The socket layer refused something itself and is closing with `code` (e.g. ws's own maxPayload check). */
  handleSocketRefusal(code: number, reason: string): void {
    this.#closeLocal(code, reason, { socketIsClosing: true });
  }

  /** The transport saw a violation of the framing (e.g. a text frame). */
  refuse(code: number, reason: string): void {
    this.#closeLocal(code, reason);
  }

  // ---- internals ----

  #handshakeFrame(frame: Uint8Array): void {
    let step;
    try {
      step = this.#handshake.receive(frame);
    } catch (e) {
      if (e instanceof TransportError) return this.#closeLocal(e.closeCode, e.reason);
      return this.#closeLocal(CloseCodes.INTERNAL_ERROR, 'handshake failed', { error: e });
    }
    if (step.remoteKey) {
      const refused = this.#admit?.(step.remoteKey);
      if (refused) return this.#closeLocal(refused.closeCode, refused.reason);
      this.#socket.setReceiveLimit?.(this.#limits.maxPayload);
      if (step.reply) this.#socket.send(step.reply, () => {});
      clearTimeout(this.#handshakeTimer);
      this.#remoteKey = step.remoteKey;
      this.#state = 'open';
      this.#events.onOpen(this);
    } else if (step.reply) {
      this.#socket.send(step.reply, () => {});
    }
  }

  #deliver(frame: Uint8Array): void {
    try {
      this.#onMessage!(frame);
    } catch (error) {
      this.#closeLocal(CloseCodes.INTERNAL_ERROR, 'message handler threw', { error });
    }
  }

  #beat(): void {
    if (this.#awaitingPong && ++this.#missedPongs >= 2) {
      this.#closeLocal(CloseCodes.TIMEOUT, 'no pong for two heartbeats', { abrupt: true });
      return;
    }
    this.#awaitingPong = true;
    this.#socket.ping!();
  }

  #closeLocal(code: number, reason: string, how: { abrupt?: boolean; socketIsClosing?: boolean; error?: unknown } = {}): void {
    if (this.#info) return;
    const text = truncateReason(reason);
    this.#finish(how.error === undefined ? { code, reason: text, local: true } : { code, reason: text, local: true, error: how.error });
    if (how.abrupt) {
      this.#socket.terminate();
      return;
    }
    if (!how.socketIsClosing) this.#socket.close(code, text);
    // A peer that never answers the close handshake does not hold the socket for long.
    this.#lingerTimer = setTimeout(() => this.#socket.terminate(), this.#limits.handshakeTimeoutMs);
    this.#lingerTimer.unref();
  }

  #finish(info: CloseInfo): void {
    if (this.#info) return;
    this.#info = info;
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    clearTimeout(this.#handshakeTimer);
    clearInterval(this.#heartbeatTimer);
    this.#inbox = [];
    this.#inboxBytes = 0;
    for (const handler of this.#onClose.splice(0)) {
      try {
        handler(info);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    this.#events.onClose(this, info, wasOpen);
  }
}

/** A short description of a close for error messages: "UNKNOWN_KEY (4001): peer key is not on the roster". */
export function describeClose(info: CloseInfo): string {
  return `${closeCodeName(info.code) ?? 'code'} (${info.code})${info.reason ? `: ${info.reason}` : ''}`;
}

/** The error dial() rejects with when a handshake ends in `info`. */
export function dialError(info: CloseInfo): TransportError {
  const code = info.code === CloseCodes.NORMAL ? 'ERR_CLOSED' : undefined;
  const reason = info.local ? info.reason || describeClose(info) : `coordinator closed the connection during the handshake: ${describeClose(info)}`;
  return code ? new TransportError(code, info.code, reason) : refusal(info.code, reason);
}

/**
 * Runs the peer's side of the handshake on `socket`. `bind` must forward the socket's events to the
 * channel it is given (before any can arrive). Resolves with the open connection.
 */
export function dialChannel(socket: FrameSocket, o: ResolvedDial, random: RandomSource | undefined, bind: (channel: Channel) => void): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const channel = new Channel({
      socket,
      limits: o.limits,
      handshake: new PeerHandshake({ identity: o.identity, sessionId: o.sessionId, coordinatorKey: o.coordinatorKey, ...(random ? { random } : {}) }),
      events: {
        onOpen: (ch) => resolve(ch),
        onClose: (_ch, info, wasOpen) => {
          if (!wasOpen) reject(dialError(info));
        },
      },
    });
    bind(channel);
  });
}

/** Lower-case hex of a key, for maps keyed by public key. */
export const keyId = (key: Uint8Array): string => toHex(key);
