/**
 * Errors of the node runtimes. Every refusal carries a stable `code`; file problems also carry the
 * file and the field, and their message reads `<file>: <field> <what is wrong>` so an operator can fix
 * the file without reading code. API misuse by a caller raises TypeError / RangeError instead.
 * @module
 */

/** Stable error codes. Never rename: logs and scripts carry them. */
export const NodeErrorCodes = {
  /** A file cannot be read (missing, unreadable, too large). */
  FILE_READ: 'ERR_FILE_READ',
  /** A file is not valid JSON. */
  FILE_SYNTAX: 'ERR_FILE_SYNTAX',
  /** A file parses but a field is missing, unknown or out of range. */
  FILE_INVALID: 'ERR_FILE_INVALID',
  /** A secret file is readable by group or others. */
  FILE_PERMISSIONS: 'ERR_FILE_PERMISSIONS',
  /** A file cannot be written (a round result: the session stops rather than lose it). */
  FILE_WRITE: 'ERR_FILE_WRITE',
  /** The out folder holds another session's results. */
  OUT_IN_USE: 'ERR_OUT_IN_USE',
  /** Refusing to overwrite an existing file. */
  FILE_EXISTS: 'ERR_FILE_EXISTS',
  /** The roster cannot run a session (too few members, a threshold the graph cannot carry…). */
  ROSTER_UNUSABLE: 'ERR_ROSTER_UNUSABLE',
  /** This identity is not a member of the roster. */
  NOT_ON_ROSTER: 'ERR_NOT_ON_ROSTER',
  /** The coordinator refused this peer for good (unknown key, other session, other coordinator key). */
  REFUSED: 'ERR_REFUSED',
  /** The other side broke the node protocol (framing or control messages). */
  PROTOCOL_VIOLATION: 'ERR_PROTOCOL_VIOLATION',
  /** No quorum of peers connected before the start timeout. */
  NO_QUORUM: 'ERR_NO_QUORUM',
  /** The run was stopped (Ctrl-C, SIGTERM, stop()). */
  STOPPED: 'ERR_STOPPED',
  /** Taking part in a round would raise the dataset's ε above the site's cap: the site does not take part. */
  BUDGET_EXCEEDED: 'ERR_BUDGET_EXCEEDED',
  /** The round is already in the privacy ledger (a coordinator replaying round numbers): not taken part in again. */
  BUDGET_REPLAY: 'ERR_BUDGET_REPLAY',
  /** An update's L2 norm is above the session's privacy clip: the site does not take part. */
  INPUT_NORM: 'ERR_INPUT_NORM',
} as const;

export type NodeErrorCode = (typeof NodeErrorCodes)[keyof typeof NodeErrorCodes];

/** A refusal of the node runtimes, with a stable code. */
export class NodeError extends Error {
  readonly code: NodeErrorCode;
  constructor(code: NodeErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NodeError';
    this.code = code;
  }
}

/**
 * A problem with a file the operator wrote: its message is `<file>: <field> <problem>`.
 *
 * @example
 * throw new FileError('roster.json', 'members[2].publicKey', 'must be 64 hex characters');
 * // message: "roster.json: members[2].publicKey must be 64 hex characters"
 */
export class FileError extends NodeError {
  readonly file: string;
  /** The field path (`members[2].publicKey`), or undefined when the file as a whole is at fault. */
  readonly field: string | undefined;
  constructor(file: string, field: string | undefined, problem: string, code: NodeErrorCode = NodeErrorCodes.FILE_INVALID, options?: ErrorOptions) {
    super(code, field === undefined ? `${file}: ${problem}` : `${file}: ${field} ${problem}`, options);
    this.name = 'FileError';
    this.file = file;
    this.field = field;
  }
}
