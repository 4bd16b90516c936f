/**
 * Errors of the data loaders. A problem with a file reads `<file>: <what is wrong>` and carries a stable
 * `code`, so an operator can fix the file (or fetch another) without reading code. API misuse by a caller
 * raises TypeError / RangeError instead.
 * @module
 */

/** Stable error codes. Never rename: logs and scripts carry them. */
export const DataErrorCodes = {
  /** A file or folder cannot be read (missing, unreadable, too large). */
  FILE_READ: 'ERR_DATA_FILE_READ',
  /** A file is not what it claims to be (truncated zip, bad .npy magic, undecodable image…). */
  CORRUPT: 'ERR_DATA_CORRUPT',
  /** A file is well formed but holds something this package does not read (fortran order, JPEG-compressed DICOM…). */
  UNSUPPORTED: 'ERR_DATA_UNSUPPORTED',
  /** Parts of a data set do not fit together (images and labels of different lengths, mixed image sizes…). */
  MISMATCH: 'ERR_DATA_MISMATCH',
  /** A data-set file matches none of the known checksums. */
  CHECKSUM: 'ERR_DATA_CHECKSUM',
  /** The data set is nowhere to be found and cannot be downloaded. */
  NOT_FOUND: 'ERR_DATA_NOT_FOUND',
  /** A download failed (HTTP status, connection lost, cache not writable). */
  DOWNLOAD: 'ERR_DATA_DOWNLOAD',
  /** A split cannot meet its constraints (too few examples for the sites and the minimum per site). */
  SPLIT: 'ERR_DATA_SPLIT',
} as const;

export type DataErrorCode = (typeof DataErrorCodes)[keyof typeof DataErrorCodes];

/**
 * A refusal of the data package. When a file is at fault, `file` names it and the message starts with it.
 *
 * @example
 * throw new DataError(DataErrorCodes.MISMATCH, 'shape (4708, 28, 28) but train_labels.npy has 4707 rows', 'pneumoniamnist.npz: train_images.npy');
 * // message: "pneumoniamnist.npz: train_images.npy: shape (4708, 28, 28) but train_labels.npy has 4707 rows"
 */
export class DataError extends Error {
  readonly code: DataErrorCode;
  /** The file (and, inside an archive, the entry) at fault, or undefined when no single file is. */
  readonly file: string | undefined;
  constructor(code: DataErrorCode, problem: string, file?: string, options?: ErrorOptions) {
    super(file === undefined ? problem : `${file}: ${problem}`, options);
    this.name = 'DataError';
    this.code = code;
    this.file = file;
  }
}

/** The message of anything thrown (some libraries throw strings or plain objects). */
export function reason(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (typeof e === 'object' && e !== null && 'exception' in e) return reason((e as { exception: unknown }).exception);
  return String(e);
}
