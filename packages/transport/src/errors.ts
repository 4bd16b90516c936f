/**
 * Close codes and the transport's error type. Every refusal closes the connection with a stable
 * WebSocket close code (the 4000–4999 range is reserved for applications by RFC 6455 §7.4.2; a few
 * standard 1xxx codes are used where they fit), and the dialling side's promise rejects with a
 * {@link TransportError} carrying that code, so a peer learns exactly why it was turned away.
 * @module
 */
import { utf8 } from '@tessera/crypto';

/**
 * Stable close codes. Never renumber or rename: peers in other languages and logs carry them. The
 * README's table says who sends each one.
 */
export const CloseCodes = {
  /** Orderly close by the layer above. */
  NORMAL: 1000,
  /** The listener is shutting down. */
  GOING_AWAY: 1001,
  /** A WebSocket framing error detected by `ws` (bad opcode, unmasked client frame…). */
  WS_PROTOCOL_ERROR: 1002,
  /** Never sent: reported locally when the connection dropped without a close frame. */
  ABNORMAL: 1006,
  /** A frame is larger than the receiver's limit (maxPayload, or 1 KiB during the handshake). */
  OVERSIZE: 1009,
  /** A handler of the layer above threw; the connection is closed rather than left half-working. */
  INTERNAL_ERROR: 1011,
  /** The listener is at maxPendingHandshakes or maxConnections; try again later. */
  TRY_AGAIN_LATER: 1013,
  /** The peer's key passed the signature check but is not on the roster (isAllowed returned false). */
  UNKNOWN_KEY: 4001,
  /** The handshake message names another handshake protocol version. */
  WRONG_VERSION: 4002,
  /** The peer and the coordinator name different session ids. */
  WRONG_SESSION: 4003,
  /** A handshake signature does not verify. */
  BAD_SIGNATURE: 4004,
  /** The coordinator's hello names a key other than the one the peer pinned; the peer refuses to go on. */
  COORDINATOR_KEY_MISMATCH: 4005,
  /** A frame that is not a valid handshake message (not canonical CBOR, wrong fields, a text frame…). */
  MALFORMED: 4006,
  /** The handshake did not finish within handshakeTimeoutMs. */
  HANDSHAKE_TIMEOUT: 4007,
  /** The other side missed two heartbeats in a row. */
  TIMEOUT: 4008,
  /** The other side reads so slowly that more than maxBufferedBytes would be queued for it. */
  SLOW_CONSUMER: 4009,
  /** A newer connection authenticated with the same key; the older one is closed. */
  REPLACED: 4010,
  /** For the layer above: the peer broke the protocol running over this connection. */
  PROTOCOL_VIOLATION: 4011,
} as const;

export type CloseCodeName = keyof typeof CloseCodes;

const NAMES = new Map<number, CloseCodeName>(Object.entries(CloseCodes).map(([k, v]) => [v, k as CloseCodeName]));

/**
 * The name of a close code ("UNKNOWN_KEY"), or undefined for a code this module does not define.
 *
 * @example
 * conn.onClose(({ code, reason }) => log(`closed: ${closeCodeName(code) ?? code} ${reason}`));
 */
export function closeCodeName(code: number): CloseCodeName | undefined {
  return NAMES.get(code);
}

/**
 * The error code for a close code: 'ERR_' + its name, or 'ERR_CLOSED' for NORMAL and unknown codes.
 *
 * @example
 * errorCodeOf(CloseCodes.UNKNOWN_KEY); // 'ERR_UNKNOWN_KEY'
 */
export function errorCodeOf(closeCode: number): string {
  const name = NAMES.get(closeCode);
  return name === undefined || name === 'NORMAL' ? 'ERR_CLOSED' : `ERR_${name}`;
}

/** Whether `code` may be sent in a close frame (RFC 6455 §7.4: 1000–1003, 1007–1014, 3000–4999). */
export function isSendableCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** The longest close reason a WebSocket close frame carries, in bytes of UTF-8. */
export const MAX_REASON_BYTES = 123;

/**
 * `reason` cut to at most 123 bytes of UTF-8, on a code point boundary.
 *
 * @example
 * truncateReason('€'.repeat(50)); // 41 euro signs (123 bytes)
 */
export function truncateReason(reason: string): string {
  if (utf8(reason).length <= MAX_REASON_BYTES) return reason;
  let out = '';
  let n = 0;
  for (const ch of reason) {
    const len = utf8(ch).length;
    if (n + len > MAX_REASON_BYTES) break;
    out += ch;
    n += len;
  }
  return out;
}

/** A reason received from the network, made safe to put in an error message (no control characters). */
export function sanitizeReason(reason: string): string {
  return truncateReason(reason).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/**
 * Why a connection could not be made or was lost. `code` is stable ('ERR_UNKNOWN_KEY', 'ERR_CONNECT',
 * 'ERR_CLOSED'…); `closeCode` is the WebSocket close code that was sent or received
 * (CloseCodes.ABNORMAL when there was none).
 *
 * @example
 * try {
 *   await transport.dial(url, options);
 * } catch (e) {
 *   if (e instanceof TransportError && e.closeCode === CloseCodes.UNKNOWN_KEY) console.error('not on the roster');
 * }
 */
export class TransportError extends Error {
  readonly code: string;
  readonly closeCode: number;
  /**
   * The message without the code prefix. For a local refusal it is the reason the close frame carried;
   * for a refusal by the other side it quotes the close code and reason that side sent.
   */
  readonly reason: string;
  constructor(code: string, closeCode: number, reason: string, options?: ErrorOptions) {
    super(`${code}: ${reason}`, options);
    this.name = 'TransportError';
    this.code = code;
    this.closeCode = closeCode;
    this.reason = reason;
  }
}

/** A TransportError for a refusal with `closeCode` (its code is {@link errorCodeOf}). */
export function refusal(closeCode: number, reason: string): TransportError {
  return new TransportError(errorCodeOf(closeCode), closeCode, reason);
}
