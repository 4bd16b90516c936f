/**
 * The coordinator's book of connections, shared by every transport: admission (pending handshakes
 * and total connections), one connection per key (a newer one replaces the older, so a restarted peer
 * can rejoin), handing authenticated connections to the layer above, and closing them all.
 * @module
 */
import type { RandomSource } from '@tessera/crypto';
import { Channel, keyId, type FrameSocket } from './channel.js';
import { CloseCodes, refusal } from './errors.js';
import { CoordinatorHandshake } from './handshake.js';
import type { ResolvedListen } from './options.js';
import type { Connection } from './types.js';

export class Registry {
  readonly #o: ResolvedListen;
  readonly #random: RandomSource | undefined;
  readonly #pending = new Set<Channel>();
  readonly #active = new Map<string, Channel>();
  /** Every channel whose socket is not yet gone (pending, active, refused or closing). */
  readonly #live = new Set<Channel>();
  #handler: ((connection: Connection) => void) | undefined;
  #backlog: Channel[] = [];
  #closing: Promise<void> | undefined;

  constructor(options: ResolvedListen, random?: RandomSource) {
    this.#o = options;
    this.#random = random;
  }

  /** Takes a new socket: starts the coordinator's handshake, or refuses at once when at capacity. */
  accept(socket: FrameSocket): Channel {
    const { limits } = this.#o;
    const refuse = this.#closing
      ? refusal(CloseCodes.GOING_AWAY, 'listener is closing')
      : this.#pending.size >= limits.maxPendingHandshakes
        ? refusal(CloseCodes.TRY_AGAIN_LATER, 'too many pending handshakes')
        : undefined;
    const channel: Channel = new Channel({
      socket,
      limits,
      handshake: new CoordinatorHandshake({
        identity: this.#o.identity, sessionId: this.#o.sessionId, isAllowed: this.#o.isAllowed, ...(this.#random ? { random: this.#random } : {}),
      }),
      events: { onOpen: (ch) => this.#opened(ch), onClose: (ch) => this.#closed(ch) },
      admit: (key) => (!this.#active.has(keyId(key)) && this.#active.size >= limits.maxConnections ? refusal(CloseCodes.TRY_AGAIN_LATER, 'too many connections') : undefined),
      ...(refuse ? { refuse } : {}),
    });
    this.#live.add(channel);
    void channel.socketClosed.then(() => this.#live.delete(channel));
    if (!channel.closed) this.#pending.add(channel);
    return channel;
  }

  onConnection(handler: (connection: Connection) => void): void {
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    this.#handler = handler;
    for (const ch of this.#backlog.splice(0)) if (!ch.closed) this.#dispatch(ch);
  }

  /** Closes every connection with GOING_AWAY and resolves when every socket is gone. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const ch of [...this.#live]) if (!ch.closed) ch.close(CloseCodes.GOING_AWAY, 'listener is closing');
      await Promise.all([...this.#live].map((ch) => ch.socketClosed));
    })();
    return this.#closing;
  }

  #opened(ch: Channel): void {
    this.#pending.delete(ch);
    const id = keyId(ch.remoteKey);
    const old = this.#active.get(id);
    this.#active.set(id, ch);
    if (old) old.close(CloseCodes.REPLACED, 'replaced by a newer connection with the same key');
    if (this.#handler) this.#dispatch(ch);
    else this.#backlog.push(ch);
  }

  #dispatch(ch: Channel): void {
    try {
      this.#handler!(ch);
    } catch (error) {
      ch.close(CloseCodes.INTERNAL_ERROR, 'connection handler threw');
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #closed(ch: Channel): void {
    this.#pending.delete(ch);
    if (ch.remoteKey.length > 0) {
      const id = keyId(ch.remoteKey);
      if (this.#active.get(id) === ch) this.#active.delete(id);
    }
    const i = this.#backlog.indexOf(ch);
    if (i >= 0) this.#backlog.splice(i, 1);
  }
}
