/**
 * Writing the files a node keeps (round results, rosters, ledgers, the coordinator's state) so that a
 * crash or a power cut never leaves half a file.
 * @module
 */
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileError, NodeErrorCodes } from './errors.js';

/**
 * Writes `data` durably and atomically: a temporary file beside `file` (mode `mode`), fsync, rename over
 * `file`, fsync of the folder (created, mode 0700, if missing). A crash at any point leaves either the old file or the new one.
 */
export async function writeFileDurable(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const h = await open(tmp, 'w', mode);
    try {
      await h.chmod(mode); // a stale temporary file keeps its old mode otherwise
      await h.writeFile(data);
      await h.sync();
    } finally {
      await h.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new FileError(file, undefined, `cannot be written: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, NodeErrorCodes.FILE_WRITE, { cause: e });
  }
  try {
    const d = await open(dirname(file), 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch (e) {
    // Some platforms cannot fsync a folder (EISDIR/EINVAL/EPERM); the rename itself has happened.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw new FileError(dirname(file), undefined, `cannot be synced: ${code ?? (e as Error).message}`, NodeErrorCodes.FILE_WRITE, { cause: e });
  }
}

