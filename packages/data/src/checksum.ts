/**
 * Checksums of data-set files: streaming MD5 and SHA-256 of a file, the known digests of each data set,
 * and the check that a resolved file is one of them.
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { PNEUMONIAMNIST_CLASSES } from './dataset.js';
import { DataError, DataErrorCodes } from './errors.js';

/** One accepted version of a data-set file, by MD5 or SHA-256 (lower-case hex). */
export interface KnownDigest {
  readonly md5?: string;
  readonly sha256?: string;
  /** What this version is, e.g. `official Zenodo release`. */
  readonly what: string;
}

/** A data set this package can find, verify and download by name. */
export interface DatasetSpec {
  /** Name on the command line, e.g. `pneumoniamnist`. */
  readonly name: string;
  /** File name, e.g. `pneumoniamnist.npz`. */
  readonly fileName: string;
  /** Where the official file is downloaded from. */
  readonly url: string;
  /** The versions of the file that are accepted. */
  readonly accept: readonly KnownDigest[];
  /** Class names of its labels. */
  readonly classes: readonly string[];
}

/** PneumoniaMNIST (MedMNIST v2, 28×28): the official Zenodo file and the shared re-assembled copy. */
export const PNEUMONIAMNIST: DatasetSpec = Object.freeze({
  name: 'pneumoniamnist',
  fileName: 'pneumoniamnist.npz',
  url: 'https://zenodo.org/records/10519652/files/pneumoniamnist.npz?download=1',
  accept: Object.freeze([
    { md5: '28209eda62fecd6e6a2d98b1501bb15f', what: 'official MedMNIST v2 release (Zenodo 10519652)' },
    { sha256: '94e17afa60430d19c48f4c61c0c6edffca2fe9a64019fa6bbf61496b2ecadd72', md5: '095a7522c2606d0b2b0e84eb947d8b54', what: 'shared re-assembled copy (../shared/datasets/pneumoniamnist)' },
  ]),
  classes: PNEUMONIAMNIST_CLASSES,
});

/** Data sets known by name. */
export const KNOWN_DATASETS: Readonly<Record<string, DatasetSpec>> = Object.freeze({ pneumoniamnist: PNEUMONIAMNIST });

/** The digests of one file. */
export interface FileDigests {
  readonly md5: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** Incremental MD5 + SHA-256 + byte count, for a file being read or downloaded. */
export class Digester {
  private readonly m = createHash('md5');
  private readonly s = createHash('sha256');
  private n = 0;
  update(chunk: Uint8Array): void {
    this.m.update(chunk);
    this.s.update(chunk);
    this.n += chunk.length;
  }
  digest(): FileDigests {
    return { md5: this.m.digest('hex'), sha256: this.s.digest('hex'), bytes: this.n };
  }
}

/** MD5 and SHA-256 of a file, read as a stream; errors name the file. */
export async function fileDigests(file: string): Promise<FileDigests> {
  const d = new Digester();
  try {
    for await (const chunk of createReadStream(file)) d.update(chunk as Buffer);
  } catch (e) {
    throw new DataError(DataErrorCodes.FILE_READ, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file, { cause: e });
  }
  return d.digest();
}

/** The accepted version `digests` matches, or undefined. */
export function matchDigest(digests: FileDigests, accept: readonly KnownDigest[]): KnownDigest | undefined {
  return accept.find((k) => (k.md5 !== undefined && k.md5 === digests.md5) || (k.sha256 !== undefined && k.sha256 === digests.sha256));
}

/** The accepted digests in words, for error messages. */
export function describeAccepted(accept: readonly KnownDigest[]): string {
  return accept.map((k) => `${k.sha256 !== undefined ? `SHA-256 ${k.sha256}` : `MD5 ${k.md5}`} (${k.what})`).join(' or ');
}

/**
 * Checks that `file` is an accepted version of `spec`'s file; throws `ERR_DATA_CHECKSUM` naming the file,
 * its digests and the accepted ones otherwise.
 *
 * @example
 * await verifyFile('../shared/datasets/pneumoniamnist/pneumoniamnist.npz', PNEUMONIAMNIST);
 */
export async function verifyFile(file: string, spec: DatasetSpec): Promise<{ digests: FileDigests; matched: KnownDigest }> {
  const digests = await fileDigests(file);
  const matched = matchDigest(digests, spec.accept);
  if (matched === undefined)
    throw new DataError(
      DataErrorCodes.CHECKSUM,
      `is not a known version of ${spec.fileName}: MD5 ${digests.md5}, SHA-256 ${digests.sha256}; expected ${describeAccepted(spec.accept)}. ` +
        'If this is a file of your own, pass --no-verify (verify: false) to use it anyway.',
      file,
    );
  return { digests, matched };
}
