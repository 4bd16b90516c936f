/**
 * The in-memory form every loader returns: images as one Float32Array in N·C·H·W order scaled to
 * [0, 1], integer labels, and the class names.
 * @module
 */
import { aint } from '@tessera/crypto';

/** A labelled image data set, images in N·C·H·W order with values in [0, 1]. */
export interface ImageDataset {
  /** n·channels·height·width values in [0, 1], image after image, channel planes within an image. */
  readonly images: Float32Array;
  /** n labels, each in [0, classes.length). */
  readonly labels: Int32Array;
  readonly n: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Class names; label i means classes[i]. */
  readonly classes: readonly string[];
}

/** The three splits of a data set such as MedMNIST. */
export interface Splits {
  readonly train: ImageDataset;
  readonly val: ImageDataset;
  readonly test: ImageDataset;
}

/** Class names of PneumoniaMNIST (MedMNIST v2 `info.label`). */
export const PNEUMONIAMNIST_CLASSES: readonly string[] = Object.freeze(['normal', 'pneumonia']);

/**
 * Checks that the parts of a data set fit together and returns it frozen. Throws RangeError naming the
 * field that is wrong (a loader's bug or a caller's, not a file's: loaders check files first).
 */
export function makeDataset(d: ImageDataset): ImageDataset {
  aint(d.n, 'n', 0, 2 ** 31 - 1);
  aint(d.channels, 'channels', 1, 4);
  aint(d.height, 'height', 1, 1 << 16);
  aint(d.width, 'width', 1, 1 << 16);
  if (!(d.images instanceof Float32Array)) throw new TypeError('images must be a Float32Array');
  if (!(d.labels instanceof Int32Array)) throw new TypeError('labels must be an Int32Array');
  if (d.images.length !== d.n * d.channels * d.height * d.width)
    throw new RangeError(`images must hold n·channels·height·width = ${d.n * d.channels * d.height * d.width} values, got ${d.images.length}`);
  if (d.labels.length !== d.n) throw new RangeError(`labels must hold n = ${d.n} values, got ${d.labels.length}`);
  if (d.classes.length < 1) throw new RangeError('classes must name at least one class');
  for (let i = 0; i < d.n; i++) {
    const l = d.labels[i]!;
    if (l < 0 || l >= d.classes.length) throw new RangeError(`labels[${i}] must be in [0, ${d.classes.length - 1}], got ${l}`);
  }
  return Object.freeze({ images: d.images, labels: d.labels, n: d.n, channels: d.channels, height: d.height, width: d.width, classes: Object.freeze([...d.classes]) });
}

/**
 * The examples of `ds` at `indices`, in that order (copies): what one site sees of a split.
 *
 * @example
 * const parts = splitLabelSkew(train.labels, { sites: 8, alpha: 0.5, seed: 'run 1' });
 * const site3 = subset(train, parts[3]!);
 */
export function subset(ds: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const size = ds.channels * ds.height * ds.width;
  const images = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j]!;
    if (!Number.isSafeInteger(i) || i < 0 || i >= ds.n) throw new RangeError(`indices[${j}] must be an integer in [0, ${ds.n - 1}], got ${i}`);
    images.set(ds.images.subarray(i * size, (i + 1) * size), j * size);
    labels[j] = ds.labels[i]!;
  }
  return makeDataset({ ...ds, images, labels, n: indices.length });
}

/** Number of examples of each class. */
export function classCounts(ds: Pick<ImageDataset, 'labels' | 'classes'>): number[] {
  const counts = new Array<number>(ds.classes.length).fill(0);
  for (const l of ds.labels) counts[l]!++;
  return counts;
}
