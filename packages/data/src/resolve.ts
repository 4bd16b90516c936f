/**
 * Finding a data set's file: `--data PATH`, then `$TESSERA_DATA_DIR`, then `./data`, then a `shared/`
 * folder beside the checkout (found by walking up from the working directory), then the user cache,
 * then the official download into the cache. Whatever is found is checked against the known digests
 * unless verification is turned off.
 * @module
 */
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describeAccepted, fileDigests, PNEUMONIAMNIST, verifyFile, type DatasetSpec, type FileDigests, type KnownDigest } from './checksum.js';
import { DownloadError, downloadFile } from './download.js';
import { loadMedMnist } from './npz.js';
import type { Splits } from './dataset.js';
import { DataError, DataErrorCodes } from './errors.js';
import { progressBar, type ProgressCallback } from './progress.js';

/** Where a data set's file was found. */
export type DataSource = 'option' | 'env' | 'cwd' | 'shared' | 'cache' | 'download';

/** How to find a data set. */
export interface ResolveOptions {
  /** The data set (default PneumoniaMNIST). */
  readonly dataset?: DatasetSpec;
  /** `--data PATH`: the file itself, or a folder holding it. When given and missing, resolution fails. */
  readonly data?: string;
  /** Environment (default process.env): `TESSERA_DATA_DIR`, `XDG_CACHE_HOME`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory to search from (default process.cwd()). */
  readonly cwd?: string;
  /** The user cache folder (default `$XDG_CACHE_HOME/tessera` or `~/.cache/tessera`). */
  readonly cacheDir?: string;
  /** Download when not found (default true). */
  readonly download?: boolean;
  /** Download from here instead of the data set's official URL (tests, mirrors). */
  readonly url?: string;
  /** Check the file against the known digests (default true); false is `--no-verify`, for a file of your own. */
  readonly verify?: boolean;
  /** Download progress (default: a bar on stderr); pass `() => {}` for none. */
  readonly onProgress?: ProgressCallback;
  readonly idleTimeoutMs?: number;
}

/** A found (and, unless asked otherwise, verified) data-set file. */
export interface ResolvedDataset {
  readonly path: string;
  readonly source: DataSource;
  /** The digests, when verified. */
  readonly digests: FileDigests | undefined;
  /** Which accepted version it is, when verified. */
  readonly matched: KnownDigest | undefined;
}

/** The user cache folder: `$XDG_CACHE_HOME/tessera`, else `~/.cache/tessera`. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'tessera');
}

async function kind(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : undefined;
  } catch {
    return undefined;
  }
}

/** `<ancestor>/shared/datasets/<name>/<file>` for the working directory and each of its ancestors. */
export function sharedCandidates(cwd: string, spec: DatasetSpec): string[] {
  const out: string[] = [];
  for (let d = resolve(cwd); ; d = dirname(d)) {
    out.push(join(d, 'shared', 'datasets', spec.name, spec.fileName));
    if (dirname(d) === d) return out;
  }
}

/**
 * Finds, verifies and if need be downloads a data set's file.
 *
 * @example
 * const { path, source } = await resolveDataset({ data: args.data, verify: !args.noVerify });
 * const splits = await loadMedMnist(path, PNEUMONIAMNIST_CLASSES);
 */
export async function resolveDataset(options: ResolveOptions = {}): Promise<ResolvedDataset> {
  const spec = options.dataset ?? PNEUMONIAMNIST;
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const cache = options.cacheDir ?? defaultCacheDir(env);
  const verify = options.verify !== false;
  const looked: string[] = [];

  const accept = async (path: string, source: DataSource): Promise<ResolvedDataset> => {
    if (!verify) return { path, source, digests: undefined, matched: undefined };
    try {
      const { digests, matched } = await verifyFile(path, spec);
      return { path, source, digests, matched };
    } catch (e) {
      if (source === 'cache' && e instanceof DataError && e.code === DataErrorCodes.CHECKSUM)
        throw new DataError(e.code, `${e.message.slice(path.length + 2)} It is in the download cache: delete it to download the data set again.`, path, { cause: e });
      throw e;
    }
  };

  if (options.data !== undefined) {
    if (typeof options.data !== 'string' || options.data === '') throw new TypeError('data must be a non-empty path');
    const p = resolve(cwd, options.data);
    const k = await kind(p);
    if (k === 'file') return accept(p, 'option');
    if (k === 'dir' && (await kind(join(p, spec.fileName))) === 'file') return accept(join(p, spec.fileName), 'option');
    throw new DataError(DataErrorCodes.NOT_FOUND, k === 'dir' ? `holds no ${spec.fileName}` : 'does not exist', options.data);
  }
  const candidates: [string, DataSource][] = [];
  const envDir = env['TESSERA_DATA_DIR'];
  if (envDir !== undefined && envDir !== '') candidates.push([join(resolve(cwd, envDir), spec.fileName), 'env']);
  candidates.push([join(resolve(cwd), 'data', spec.fileName), 'cwd']);
  for (const p of sharedCandidates(cwd, spec)) candidates.push([p, 'shared']);
  candidates.push([join(cache, spec.fileName), 'cache']);
  for (const [p, source] of candidates) {
    if ((await kind(p)) === 'file') return accept(p, source);
    looked.push(p);
  }

  const dest = join(cache, spec.fileName);
  const where =
    `Put ${spec.fileName} (${describeAccepted(spec.accept)}) in one of: --data PATH, $TESSERA_DATA_DIR/, ./data/, ` +
    `a shared/datasets/${spec.name}/ folder beside the checkout, or ${cache}/.`;
  if (options.download === false) throw new DataError(DataErrorCodes.NOT_FOUND, `${spec.fileName} was not found (looked in ${looked.join(', ')}) and downloading is off. ${where}`);
  const url = options.url ?? spec.url;
  try {
    await downloadFile({
      url,
      dest,
      accept: spec.accept,
      verify,
      onProgress: options.onProgress ?? progressBar(spec.fileName),
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    });
  } catch (e) {
    if (e instanceof DownloadError && e.unreachable)
      throw new DataError(DataErrorCodes.NOT_FOUND, `${spec.fileName} was not found and cannot be downloaded: ${e.message} (offline?). ${where}`, undefined, { cause: e });
    throw e;
  }
  if (!verify) return { path: dest, source: 'download', digests: undefined, matched: undefined };
  const digests = await fileDigests(dest);
  return { path: dest, source: 'download', digests, matched: spec.accept.find((k) => k.md5 === digests.md5 || k.sha256 === digests.sha256) };
}

/**
 * Resolves a MedMNIST-layout data set (default PneumoniaMNIST) as {@link resolveDataset} does, then loads
 * its train/val/test splits with the data set's class names.
 *
 * @example
 * const { splits, resolved } = await loadDataset({ data: args.data, verify: !args.noVerify });
 * console.error(`using ${resolved.path} (${resolved.source})`);
 */
export async function loadDataset(options: ResolveOptions = {}): Promise<{ splits: Splits; resolved: ResolvedDataset }> {
  const resolved = await resolveDataset(options);
  const splits = await loadMedMnist(resolved.path, (options.dataset ?? PNEUMONIAMNIST).classes);
  return { splits, resolved };
}
