/**
 * @tessera/transport: authenticated binary-frame connections between a coordinator and its peers,
 * over WebSockets or in memory, behind one interface.
 * @module
 */
export * from './types.js';
export * from './errors.js';
export { DEFAULT_LIMITS, MAX_SESSION_ID_BYTES, resolveLimits, resolveListenerLimits } from './options.js';
export * from './handshake.js';
export { WebSocketTransport, type TlsFiles, type WebSocketTransportOptions, type WsDialOptions, type WsListenOptions } from './ws.js';
export { MemoryEnd, MemoryNetwork, MemoryTransport, type MemoryListenOptions } from './memory.js';
