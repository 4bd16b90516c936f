/**
 * The network transport: WebSockets through `ws`, over TLS (wss://) unless plain ws:// is asked for
 * explicitly. Binary frames only; per-message compression off (no zip bombs, no compression
 * side channels); ws's own maxPayload check plus the channel's; ping/pong heartbeats.
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import { aint, type RandomSource } from '@tessera/crypto';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { Channel, dialChannel, type FrameSocket } from './channel.js';
import { CloseCodes, TransportError } from './errors.js';
import { MAX_HANDSHAKE_FRAME } from './handshake.js';
import { resolveDial, resolveListen } from './options.js';
import { Registry } from './registry.js';
import type { Connection, DialOptions, Listener, ListenOptions, Transport } from './types.js';

/** PEM text of a certificate chain and its private key. */
export interface TlsFiles {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** listen() options of the WebSocket transport. */
export interface WsListenOptions extends ListenOptions {
  /** Interface to bind (default 127.0.0.1; use 0.0.0.0 or :: to accept from the network). */
  readonly host?: string;
  /** TCP port (default 0: an ephemeral port; `address` tells which). */
  readonly port?: number;
  /** Certificate and key (PEM text): the listener serves wss://. Required unless `insecure`. */
  readonly tls?: TlsFiles;
  /** Serve plain ws:// without TLS. Only for tests and loopback; a warning is emitted. */
  readonly insecure?: boolean;
  /** Where warnings go: insecure mode, listener errors (default: process.emitWarning). */
  readonly warn?: (message: string) => void;
}

/** dial() options of the WebSocket transport. */
export interface WsDialOptions extends DialOptions {
  /** Certificate authorities to trust for wss:// (PEM), e.g. the coordinator's self-signed certificate. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Allow plain ws:// to a host that is not loopback. */
  readonly insecure?: boolean;
}

/** Options of the WebSocket transport as a whole. */
export interface WebSocketTransportOptions {
  /** Randomness for handshake nonces (default: the system CSPRNG). */
  readonly random?: RandomSource;
}

const INSECURE_WARNING =
  'Tessera transport: listening on plain ws:// WITHOUT TLS (insecure: true). Frames travel unencrypted; use only for tests or loopback.';

function toBytes(data: RawData): Uint8Array {
  const b = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** ws's receiver state, reached only to tighten its frame limit during the handshake (if present). */
interface WithReceiver {
  _receiver?: { _maxPayload?: unknown };
}

class WsFrameSocket implements FrameSocket {
  readonly #ws: WebSocket;
  readonly label: string;
  constructor(ws: WebSocket, label: string) {
    this.#ws = ws;
    this.label = label;
  }
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }
  send(frame: Uint8Array, done: (error?: Error) => void): void {
    this.#ws.send(frame, { binary: true }, done);
  }
  close(code: number, reason: string): void {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) this.#ws.close(code, reason);
  }
  terminate(): void {
    this.#ws.terminate();
  }
  ping(): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.ping();
  }
  setReceiveLimit(bytes: number): void {
    const receiver = (this.#ws as unknown as WithReceiver)._receiver;
    if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes;
  }
}

/** Forwards a ws socket's events to its channel. */
function bind(ws: WebSocket, channel: Channel): void {
  ws.on('message', (data, isBinary) => {
    if (isBinary) channel.handleFrame(toBytes(data));
    else channel.refuse(CloseCodes.MALFORMED, 'text frames are not allowed');
  });
  ws.on('pong', () => channel.handlePong());
  ws.on('close', (code, reason) => channel.handleClose(code, reason.toString('utf8')));
  ws.on('error', (err: Error & { code?: string }) => {
    // ws closes the socket itself after these; record what it sends.
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') channel.handleSocketRefusal(CloseCodes.OVERSIZE, 'frame exceeds the size limit');
    else if (err.code?.startsWith('WS_ERR_')) channel.handleSocketRefusal(err.code === 'WS_ERR_INVALID_UTF8' ? 1007 : CloseCodes.WS_PROTOCOL_ERROR, err.message);
  });
}

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

function urlOf(scheme: 'ws' | 'wss', address: AddressInfo): string {
  const host = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}

function makeServer(options: WsListenOptions, handshakeTimeoutMs: number, warn: (message: string) => void): { server: HttpServer; scheme: 'ws' | 'wss' } {
  const { tls, insecure } = options;
  if (tls !== undefined && insecure === true) throw new TypeError('listen: pass either tls (wss://) or insecure: true (ws://), not both');
  if (tls !== undefined) {
    const pem = (v: unknown, name: string): string | Buffer => {
      if ((typeof v !== 'string' && !Buffer.isBuffer(v)) || !v.toString().includes('-----BEGIN'))
        throw new TypeError(`listen: tls.${name} must be PEM text (string or Buffer); read the file first`);
      return v;
    };
    const server = createHttpsServer({ cert: pem(tls.cert, 'cert'), key: pem(tls.key, 'key'), handshakeTimeout: handshakeTimeoutMs });
    return { server, scheme: 'wss' };
  }
  if (insecure !== true)
    throw new TypeError('listen: a TLS certificate and key are required (options.tls = { cert, key }); set insecure: true for plain ws:// (tests and loopback only)');
  warn(INSECURE_WARNING);
  return { server: createHttpServer(), scheme: 'ws' };
}

/**
 * Authenticated WebSocket connections. The coordinator listens on wss:// (or, explicitly, ws://);
 * peers dial it.
 *
 * @example
 * const transport = new WebSocketTransport();
 * const listener = await transport.listen({ identity, sessionId, isAllowed, tls: { cert, key }, host: '0.0.0.0', port: 8443 });
 * listener.onConnection((conn) => conn.onMessage((frame) => console.log(conn.label, frame.length)));
 * // on a site:
 * const conn = await transport.dial('wss://coordinator.example:8443', { identity: site, sessionId, coordinatorKey, ca });
 * await conn.send(frame);
 */
export class WebSocketTransport implements Transport {
  readonly #random: RandomSource | undefined;
  constructor(options: WebSocketTransportOptions = {}) {
    this.#random = options.random;
  }

  async listen(options: WsListenOptions): Promise<Listener> {
    const o = resolveListen(options);
    const { limits } = o;
    if (options.port !== undefined) aint(options.port, 'port', 0, 65535);
    if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) throw new TypeError('host must be a non-empty string');
    const warn = options.warn ?? ((m: string) => process.emitWarning(m, { code: 'TESSERA_TRANSPORT' }));
    const { server, scheme } = makeServer(options, limits.handshakeTimeoutMs, warn);
    // No slow upgrade requests; a hard ceiling on sockets; plain HTTP requests are answered at once.
    server.headersTimeout = limits.handshakeTimeoutMs;
    server.requestTimeout = limits.handshakeTimeoutMs;
    server.maxConnections = limits.maxConnections + 2 * limits.maxPendingHandshakes;
    server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' }).end('WebSocket upgrade required\n');
    });
    const wss = new WebSocketServer({ server, maxPayload: Math.max(limits.maxPayload, MAX_HANDSHAKE_FRAME), perMessageDeflate: false, clientTracking: false });
    wss.on('error', (e: Error) => warn(`Tessera transport: listener error: ${e.message}`)); // before listening, listen() rejects
    const registry = new Registry(o, this.#random);
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
      const channel = registry.accept(new WsFrameSocket(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`));
      bind(ws, channel);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      wss.close();
      throw e;
    }
    const address = urlOf(scheme, server.address() as AddressInfo);
    let closing: Promise<void> | undefined;
    return {
      address,
      onConnection: (handler) => registry.onConnection(handler),
      close: () =>
        (closing ??= (async () => {
          const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeAllConnections();
          await registry.close();
          wss.close();
          await stopped;
        })()),
    };
  }

  async dial(address: string, options: WsDialOptions): Promise<Connection> {
    const o = resolveDial(options);
    if (typeof address !== 'string') throw new TypeError('address must be a ws:// or wss:// URL string');
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      throw new TypeError(`address is not a URL: ${address.slice(0, 100)}`);
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError(`address must be a ws:// or wss:// URL, got ${url.protocol}`);
    if (url.protocol === 'ws:' && !isLoopback(url.hostname) && options.insecure !== true)
      throw new TypeError(`refusing plain ws:// to ${url.hostname} (not loopback): use wss://, or set insecure: true`);
    const ws = new WebSocket(url, {
      maxPayload: Math.max(o.limits.maxPayload, MAX_HANDSHAKE_FRAME),
      perMessageDeflate: false,
      handshakeTimeout: o.limits.handshakeTimeoutMs,
      followRedirects: false,
      ...(options.ca !== undefined ? { ca: options.ca as string | Buffer | (string | Buffer)[] } : {}),
    });
    return new Promise<Connection>((resolve, reject) => {
      const failed = (err: Error): void =>
        reject(new TransportError('ERR_CONNECT', CloseCodes.ABNORMAL, `could not connect to ${url.host}: ${err.message}`, { cause: err }));
      ws.on('error', failed);
      ws.once('unexpected-response', (_req, res) => {
        failed(new Error(`HTTP ${res.statusCode} instead of a WebSocket upgrade`));
        ws.terminate();
      });
      ws.once('open', () => {
        ws.off('error', failed);
        const socket = new WsFrameSocket(ws, url.host);
        dialChannel(socket, o, this.#random, (channel) => bind(ws, channel)).then(resolve, reject);
      });
    });
  }
}
