/**
 * Reading whole files with errors that name the file.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { DataError, DataErrorCodes } from './errors.js';

/** Largest data file read into memory by default (1 GiB). */
export const MAX_DATA_FILE_BYTES = 1 << 30;

/** Reads a regular file of at most `maxBytes`; every error names the file. */
export async function readDataFile(file: string, maxBytes = MAX_DATA_FILE_BYTES): Promise<Uint8Array> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new DataError(DataErrorCodes.FILE_READ, 'is not a regular file', file);
    size = s.size;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(DataErrorCodes.FILE_READ, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file, { cause: e });
  }
  if (size > maxBytes) throw new DataError(DataErrorCodes.FILE_READ, `is ${size} bytes, more than the ${maxBytes} allowed`, file);
  try {
    const b = await readFile(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new DataError(DataErrorCodes.FILE_READ, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file, { cause: e });
  }
}
