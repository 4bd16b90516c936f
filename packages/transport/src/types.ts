/**
 * The transport interface: authenticated, message-oriented, binary connections between one coordinator
 * and its peers. Peers always dial out to the coordinator (hospital firewalls allow outbound
 * connections only); peers never talk to each other directly, everything between them is relayed.
 *
 * Two implementations run through the same test suite: WebSockets (`ws`, the network) and an
 * in-memory network (tests and single-process simulations). Both perform the same mutual
 * authentication handshake before a Connection is handed out, so code above this interface never sees
 * an unauthenticated party.
 * @module
 */
import type { Identity } from '@tessera/crypto';

/** Why a connection closed: a WebSocket close code (see CloseCodes) and a human-readable reason. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
  /** True when this side closed it. */
  readonly local: boolean;
  /** What a handler of the layer above threw, when that is why the connection closed (INTERNAL_ERROR). */
  readonly error?: unknown;
}

/** One authenticated connection. Messages are whole binary frames, delivered in order. */
export interface Connection {
  /** The remote party's Ed25519 public key, verified by the handshake. */
  readonly remoteKey: Uint8Array;
  /** A short label for logs (e.g. "127.0.0.1:51234" or "memory#3"); never secret. */
  readonly label: string;
  /** True once the connection is closed (by either side). */
  readonly closed: boolean;
  /**
   * Sends one frame. Resolves when the frame has been handed to the socket (not when the peer has read
   * it). Rejects if the connection is closed. If the peer reads so slowly that more than the
   * connection's `maxBufferedBytes` would be queued, the connection is closed with
   * CloseCodes.SLOW_CONSUMER instead of buffering without bound.
   */
  send(frame: Uint8Array): Promise<void>;
  /** Registers the handler of incoming frames (one handler; a later call replaces it). */
  onMessage(handler: (frame: Uint8Array) => void): void;
  /** Registers a handler called once when the connection closes. If already closed, it is called at once. */
  onClose(handler: (info: CloseInfo) => void): void;
  /** Closes the connection with a code and reason (reason ≤ 123 bytes of UTF-8, truncated otherwise). */
  close(code?: number, reason?: string): void;
}

/** Limits and liveness settings, each with a safe default (see DEFAULT_LIMITS). */
export interface Limits {
  /** Largest frame accepted after the handshake; larger ones close the connection (CloseCodes.OVERSIZE). */
  readonly maxPayload: number;
  /** Largest amount of outgoing data queued for one connection before it is closed as a slow consumer. */
  readonly maxBufferedBytes: number;
  /** The whole handshake must finish within this many milliseconds. */
  readonly handshakeTimeoutMs: number;
  /** Ping interval; a peer that misses two pongs in a row is closed (CloseCodes.TIMEOUT). 0 disables. */
  readonly heartbeatMs: number;
}

/** Limits of a listener as a whole, each with a safe default (see DEFAULT_LIMITS). */
export interface ListenerLimits {
  /** Connections still in the handshake; more are closed at once (CloseCodes.TRY_AGAIN_LATER). */
  readonly maxPendingHandshakes: number;
  /** Authenticated connections; a further key is refused (CloseCodes.TRY_AGAIN_LATER), a known key replaces. */
  readonly maxConnections: number;
}

/** What the coordinator side needs to accept peers. */
export interface ListenOptions extends Partial<Limits>, Partial<ListenerLimits> {
  /** The coordinator's long-term Ed25519 identity (peers pin its public key from the roster). */
  readonly identity: Identity;
  /**
   * Opaque bytes (1–64) naming the session; a peer naming other bytes is refused with
   * CloseCodes.WRONG_SESSION. The node layer passes the SecAgg session digest, so parties whose session
   * parameters differ in any way never connect.
   */
  readonly sessionId: Uint8Array;
  /** Whether a peer key may join (the roster). Unknown keys are refused with CloseCodes.UNKNOWN_KEY. */
  readonly isAllowed: (peerKey: Uint8Array) => boolean;
}

/** What a peer needs to reach the coordinator. */
export interface DialOptions extends Partial<Limits> {
  /** This peer's long-term Ed25519 identity (its public key must be on the roster). */
  readonly identity: Identity;
  /** The session to join (see ListenOptions.sessionId). */
  readonly sessionId: Uint8Array;
  /** The coordinator's Ed25519 public key, pinned from the roster; any other key is refused. */
  readonly coordinatorKey: Uint8Array;
}

/** The coordinator side: hands out authenticated connections. */
export interface Listener {
  /** Where peers dial: a ws:// or wss:// URL, or a memory address. */
  readonly address: string;
  /** Registers the handler of each newly authenticated connection. */
  onConnection(handler: (connection: Connection) => void): void;
  /** Stops accepting, closes every connection (CloseCodes.GOING_AWAY) and resolves when all are closed. */
  close(): Promise<void>;
}

/** A transport: listen on the coordinator, dial from a peer. */
export interface Transport {
  listen(options: ListenOptions): Promise<Listener>;
  /** Dials `address`, runs the handshake, and resolves with the connection or rejects with a TransportError. */
  dial(address: string, options: DialOptions): Promise<Connection>;
}
