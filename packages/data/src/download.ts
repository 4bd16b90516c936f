/**
 * Downloading a data-set file into a cache: streamed to a temporary file beside the destination, hashed
 * as it arrives, checked against the accepted digests, and only then renamed into place, so neither a
 * broken connection nor a wrong file is ever left where a later run would take it for the data set.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { describeAccepted, Digester, matchDigest, type FileDigests, type KnownDigest } from './checksum.js';
import { DataError, DataErrorCodes, reason } from './errors.js';
import type { ProgressCallback } from './progress.js';

/** What to download where. */
export interface DownloadOptions {
  readonly url: string;
  /** The final path; written only once the whole file is verified. */
  readonly dest: string;
  /** Accepted digests; the download is refused (and deleted) when it matches none, unless `verify` is false. */
  readonly accept: readonly KnownDigest[];
  /** Check the digests (default true). */
  readonly verify?: boolean;
  readonly onProgress?: ProgressCallback;
  /** Give up when no byte arrives for this long (default 30 s). */
  readonly idleTimeoutMs?: number;
}

/** Codes of failures to reach the server at all (offline, no DNS, refused, unreachable). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** A download failure; `unreachable` is true when the server could not be reached at all. */
export class DownloadError extends DataError {
  readonly unreachable: boolean;
  constructor(problem: string, url: string, unreachable: boolean, options?: ErrorOptions) {
    super(DataErrorCodes.DOWNLOAD, problem, url, options);
    this.name = 'DownloadError';
    this.unreachable = unreachable;
  }
}

function causeCode(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * Downloads `url` to `dest` with progress and verification; returns the file's digests.
 *
 * @example
 * await downloadFile({ url: PNEUMONIAMNIST.url, dest: join(cacheDir(), 'pneumoniamnist.npz'), accept: PNEUMONIAMNIST.accept, onProgress: progressBar('pneumoniamnist.npz') });
 */
export async function downloadFile(options: DownloadOptions): Promise<FileDigests> {
  const { url, dest, accept } = options;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new TypeError(`url must be an http(s) URL, got ${typeof url === 'string' ? url : typeof url}`);
  const idle = options.idleTimeoutMs ?? 30_000;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${idle} ms`)), idle);
  };
  const tmp = `${dest}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    arm();
    let res: Response;
    try {
      res = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (e) {
      const code = causeCode(e);
      throw new DownloadError(`cannot be reached (${code ?? reason(e)})`, url, code === undefined || UNREACHABLE.has(code), { cause: e });
    }
    if (!res.ok || res.body === null) throw new DownloadError(`answered HTTP ${res.status} ${res.statusText}`.trimEnd(), url, false);
    const header = res.headers.get('content-length');
    const total = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
    try {
      await mkdir(dirname(dest), { recursive: true });
    } catch (e) {
      throw new DataError(DataErrorCodes.DOWNLOAD, `cannot be created: ${causeCode(e) ?? reason(e)}`, dirname(dest), { cause: e });
    }
    const digester = new Digester();
    let received = 0;
    options.onProgress?.({ received: 0, total, done: false });
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        arm();
        digester.update(chunk);
        received += chunk.length;
        options.onProgress?.({ received, total, done: false });
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), tap, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
    } catch (e) {
      throw new DownloadError(`broke off after ${received} bytes (${causeCode(e) ?? reason(e)}); nothing was kept`, url, false, { cause: e });
    }
    if (total !== undefined && received !== total) throw new DownloadError(`sent ${received} bytes but announced ${total}; nothing was kept`, url, false);
    options.onProgress?.({ received, total, done: true });
    const digests = digester.digest();
    if (options.verify !== false && matchDigest(digests, accept) === undefined)
      throw new DataError(
        DataErrorCodes.CHECKSUM,
        `sent a file with MD5 ${digests.md5}, SHA-256 ${digests.sha256}; expected ${describeAccepted(accept)}. It was not kept.`,
        url,
      );
    await rename(tmp, dest);
    return digests;
  } finally {
    clearTimeout(timer);
    await rm(tmp, { force: true });
  }
}
