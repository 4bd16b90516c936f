/**
 * Protocol errors. Every refusal carries a stable `code` (documented in docs/protocol.md) so that a
 * transport can close a connection with it and an auditor can name what went wrong. API misuse by the
 * caller raises TypeError / RangeError instead.
 * @module
 */

/** Stable error codes. Never renumber or rename: transports and logs carry them. */
export const ErrorCodes = {
  /** Bytes are not a well-formed, canonical envelope or message of a known type. */
  MALFORMED: 'ERR_MALFORMED',
  /** A message is larger than the configured limit. */
  OVERSIZE: 'ERR_OVERSIZE',
  /** A signature does not verify under the sender's roster key. */
  BAD_SIGNATURE: 'ERR_BAD_SIGNATURE',
  /** The sender is not a member of the session (or the server where a member is expected). */
  NOT_MEMBER: 'ERR_NOT_MEMBER',
  /** The message names another protocol version. */
  WRONG_VERSION: 'ERR_WRONG_VERSION',
  /** The message belongs to another session. */
  WRONG_SESSION: 'ERR_WRONG_SESSION',
  /** The message belongs to another round (a replay). */
  WRONG_ROUND: 'ERR_WRONG_ROUND',
  /** The message is addressed to another party. */
  WRONG_RECIPIENT: 'ERR_WRONG_RECIPIENT',
  /** The message is not expected at this stage. */
  STAGE_ORDER: 'ERR_STAGE_ORDER',
  /** The same party already sent this message this round. */
  DUPLICATE: 'ERR_DUPLICATE',
  /** A party that is not a neighbour in this round's graph appears where a neighbour is required. */
  NOT_NEIGHBOUR: 'ERR_NOT_NEIGHBOUR',
  /** Fewer parties than the threshold remain. */
  BELOW_THRESHOLD: 'ERR_BELOW_THRESHOLD',
  /** Survivor sets differ between what was announced, signed or requested. */
  SURVIVOR_SET_MISMATCH: 'ERR_SURVIVOR_SET_MISMATCH',
  /** A request would reveal both the self-mask share and the mask-key share of one client. */
  BOTH_SHARES_REQUESTED: 'ERR_BOTH_SHARES_REQUESTED',
  /** An encrypted share failed authentication. */
  DECRYPT: 'ERR_DECRYPT',
  /** Reconstructed secrets do not match their commitments or public keys. */
  RECONSTRUCTION: 'ERR_RECONSTRUCTION',
  /** The round was aborted earlier; nothing more is accepted. */
  ABORTED: 'ERR_ABORTED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** A protocol refusal. `fatal` says whether the refusing party aborted the round because of it. */
export class SecAggError extends Error {
  readonly code: ErrorCode;
  readonly fatal: boolean;
  constructor(code: ErrorCode, message: string, options: { fatal?: boolean; cause?: unknown } = {}) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecAggError';
    this.code = code;
    this.fatal = options.fatal ?? false;
  }
}

/** Throws a SecAggError with `code` unless `condition` holds. */
export function check(condition: boolean, code: ErrorCode, message: string): asserts condition {
  if (!condition) throw new SecAggError(code, message);
}
