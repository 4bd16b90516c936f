/**
 * A Transport wrapper that counts the bytes of every frame sent and received on its connections (for
 * the "bytes per site" metric); it changes nothing else.
 * @module
 */
import type { Connection, DialOptions, Listener, ListenOptions, Transport } from '@tessera/transport';

/** Running totals of a {@link CountingTransport}. */
export interface ByteCounter {
  sent: number;
  received: number;
}

function counted(c: Connection, n: ByteCounter): Connection {
  return {
    get remoteKey() {
      return c.remoteKey;
    },
    get label() {
      return c.label;
    },
    get closed() {
      return c.closed;
    },
    send(frame: Uint8Array): Promise<void> {
      n.sent += frame.length;
      return c.send(frame);
    },
    onMessage(handler: (frame: Uint8Array) => void): void {
      c.onMessage((frame) => {
        n.received += frame.length;
        handler(frame);
      });
    },
    onClose: (h) => c.onClose(h),
    close: (code, reason) => c.close(code, reason),
  };
}

/**
 * Wraps `inner`; `counter` accumulates the bytes of all its connections' frames.
 *
 * @example
 * const counter = { sent: 0, received: 0 };
 * const transport = new CountingTransport(new WebSocketTransport(), counter);
 */
export class CountingTransport implements Transport {
  readonly #inner: Transport;
  readonly counter: ByteCounter;
  constructor(inner: Transport, counter: ByteCounter = { sent: 0, received: 0 }) {
    this.#inner = inner;
    this.counter = counter;
  }
  async listen(options: ListenOptions): Promise<Listener> {
    const l = await this.#inner.listen(options);
    return {
      get address() {
        return l.address;
      },
      onConnection: (h) => l.onConnection((c) => h(counted(c, this.counter))),
      close: () => l.close(),
    };
  }
  async dial(address: string, options: DialOptions): Promise<Connection> {
    return counted(await this.#inner.dial(address, options), this.counter);
  }
}
