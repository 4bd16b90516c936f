/**
 * Loading a data set for training: resolve and verify the file ({@link resolveDataset}), then read its
 * train/val/test splits — a MedMNIST file's own, or, for a file holding one images/labels pair (such as
 * the 64-image fixture), a fixed stratified 60/20/20 split ({@link splitPooled}).
 * @module
 */
import { PNEUMONIAMNIST, fileDigests } from './checksum.js';
import { makeDataset, type ImageDataset, type Splits } from './dataset.js';
import { DataError, DataErrorCodes } from './errors.js';
import { medMnistSplits, npzDataset, readNpz } from './npz.js';
import { resolveDataset, type ResolvedDataset, type ResolveOptions } from './resolve.js';
import { shuffle, sourceOf, type Seed } from './sampling.js';

/** The seed of {@link splitPooled}'s default split: the same split for everyone. */
export const POOLED_SPLIT_SEED = 'tessera/pooled split';

/** Published reference results (MedMNIST v2, Yang et al., Scientific Data 10:41, 2023, Table 3). */
export const MEDMNIST_BASELINES = Object.freeze({
  pneumoniamnist: Object.freeze({ name: 'MedMNIST v2 ResNet-18 (28)', auc: 0.944, accuracy: 0.854 }),
});

/**
 * Splits one labelled data set into train/val/test: within each class a seeded shuffle, the first 60 %
 * to train, the next 20 % to val, the rest to test (every split holds every class that has ≥ 5 examples).
 *
 * @example
 * const { train, val, test } = splitPooled(await loadNpzPair('fixture64.npz'));
 */
export function splitPooled(ds: ImageDataset, seed: Seed = POOLED_SPLIT_SEED): Splits {
  const rng = sourceOf(seed);
  const byClass: number[][] = ds.classes.map(() => []);
  for (let i = 0; i < ds.n; i++) byClass[ds.labels[i]!]!.push(i);
  const parts: [number[], number[], number[]] = [[], [], []];
  for (const members of byClass) {
    shuffle(rng, members);
    const nTrain = Math.round(members.length * 0.6), nVal = Math.round(members.length * 0.2);
    members.forEach((idx, j) => parts[j < nTrain ? 0 : j < nTrain + nVal ? 1 : 2].push(idx));
  }
  const size = ds.channels * ds.height * ds.width;
  const take = (idx: number[]): ImageDataset => {
    idx.sort((a, b) => a - b);
    const images = new Float32Array(idx.length * size), labels = new Int32Array(idx.length);
    idx.forEach((i, j) => {
      images.set(ds.images.subarray(i * size, (i + 1) * size), j * size);
      labels[j] = ds.labels[i]!;
    });
    return makeDataset({ ...ds, images, labels, n: idx.length });
  };
  return { train: take(parts[0]), val: take(parts[1]), test: take(parts[2]) };
}

/** What {@link loadSplits} found and read. */
export interface LoadedSplits {
  readonly splits: Splits;
  readonly resolved: ResolvedDataset;
  /** 'medmnist': the file's own splits; 'pooled': one images/labels pair split by {@link splitPooled}. */
  readonly layout: 'medmnist' | 'pooled';
  /** SHA-256 of the file (hex). */
  readonly sha256: string;
}

/**
 * Finds, verifies and loads a data set's train/val/test splits. Throws DataError (ERR_DATA_*) naming
 * the file when it cannot be found, verified or read.
 *
 * @example
 * const { splits, resolved, layout } = await loadSplits({ data: '../shared/datasets/pneumoniamnist', download: false });
 */
export async function loadSplits(options: ResolveOptions = {}): Promise<LoadedSplits> {
  const spec = options.dataset ?? PNEUMONIAMNIST;
  const resolved = await resolveDataset(options);
  const arrays = await readNpz(resolved.path);
  const sha256 = resolved.digests?.sha256 ?? (await fileDigests(resolved.path)).sha256;
  if (arrays.has('train_images')) return { splits: medMnistSplits(arrays, resolved.path, spec.classes), resolved, layout: 'medmnist', sha256 };
  if (arrays.has('images') && arrays.has('labels'))
    return { splits: splitPooled(npzDataset(arrays, resolved.path, { classes: spec.classes })), resolved, layout: 'pooled', sha256 };
  throw new DataError(DataErrorCodes.MISMATCH, `holds neither train_/val_/test_ arrays nor an images/labels pair (entries: ${[...arrays.keys()].join(', ') || 'none'})`, resolved.path);
}
