/**
 * A folder of images with one sub-folder per class (`root/<class>/<image>`), the layout of Kermany et
 * al.'s chest X-rays and of torchvision's ImageFolder. Class names sorted by code point give the label
 * indices. Images are PNG, JPEG or DICOM; all are converted to grey (or RGB) and either must share one
 * size or are resized to a size you give.
 * @module
 */
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { DicomWindow } from './dicom.js';
import { makeDataset, type ImageDataset } from './dataset.js';
import { DataError, DataErrorCodes } from './errors.js';
import { readDataFile } from './files.js';
import { decodeImage, resize } from './image.js';

/** File extensions read as images (case-insensitive). */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['.png', '.jpg', '.jpeg', '.dcm', '.dicom']);

/** How to load an image folder. */
export interface ImageFolderOptions {
  /** 1: grey (BT.601 luma of colour images; the default), 3: RGB (grey images are repeated). */
  readonly channels?: 1 | 3;
  /**
   * Resize every image to this size (a number for square). Without it, every image must have the size
   * of the first one, and a different size is refused with both files named.
   */
  readonly size?: number | { readonly height: number; readonly width: number };
  /** How DICOM files are windowed (default `auto`). */
  readonly window?: DicomWindow;
  /** Largest number of images read (default 1,000,000). */
  readonly maxImages?: number;
}

async function list(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new DataError(DataErrorCodes.FILE_READ, `cannot be read as a folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, dir, { cause: e });
  }
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Loads `root/<class>/<image>` into one data set. Hidden entries (names starting with `.`) and files
 * directly in `root` are skipped; any other file in a class folder that is not a PNG, JPEG or DICOM is
 * refused rather than silently dropped.
 *
 * @example
 * const ds = await loadImageFolder('chest_xray/train', { size: 28 });
 * ds.classes; // ['NORMAL', 'PNEUMONIA']
 */
export async function loadImageFolder(root: string, options: ImageFolderOptions = {}): Promise<ImageDataset> {
  const channels = options.channels ?? 1;
  if (channels !== 1 && channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${String(channels)}`);
  const size = options.size;
  let target: { height: number; width: number } | undefined;
  if (size !== undefined) {
    target = typeof size === 'number' ? { height: size, width: size } : { height: size.height, width: size.width };
    for (const [k, v] of Object.entries(target))
      if (!Number.isSafeInteger(v) || v < 1 || v > 1 << 14) throw new RangeError(`size.${k} must be an integer in [1, 16384], got ${v}`);
  }
  const maxImages = options.maxImages ?? 1_000_000;

  const classes = (await list(root))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byCodePoint);
  if (classes.length === 0) throw new DataError(DataErrorCodes.MISMATCH, 'has no class sub-folders (expected root/<class>/<image>)', root);

  const files: { path: string; label: number }[] = [];
  for (let label = 0; label < classes.length; label++) {
    const dir = join(root, classes[label]!);
    const entries = (await list(dir)).filter((e) => !e.name.startsWith('.')).sort((a, b) => byCodePoint(a.name, b.name));
    let count = 0;
    for (const e of entries) {
      const path = join(dir, e.name);
      if (!e.isFile()) throw new DataError(DataErrorCodes.MISMATCH, 'is not an image file (class folders hold only images; nested folders are not read)', path);
      if (!IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase()))
        throw new DataError(DataErrorCodes.UNSUPPORTED, `is not an image file (${IMAGE_EXTENSIONS.join(', ')}); move it out of the class folder`, path);
      files.push({ path, label });
      count++;
    }
    if (count === 0) throw new DataError(DataErrorCodes.MISMATCH, 'is a class folder with no images', dir);
    if (files.length > maxImages) throw new DataError(DataErrorCodes.FILE_READ, `holds more than ${maxImages} images`, root);
  }

  let first: { file: string; height: number; width: number } | undefined;
  let images: Float32Array | undefined;
  const labels = new Int32Array(files.length);
  for (let i = 0; i < files.length; i++) {
    const { path, label } = files[i]!;
    const img = decodeImage(await readDataFile(path), path, channels, options.window ?? 'auto');
    let data = img.data;
    if (target) data = resize(data, channels, img.height, img.width, target.height, target.width);
    else if (first === undefined) first = { file: path, height: img.height, width: img.width };
    else if (img.height !== first.height || img.width !== first.width)
      throw new DataError(
        DataErrorCodes.MISMATCH,
        `is ${img.width}×${img.height} but ${first.file} is ${first.width}×${first.height}; give a size to resize every image to, or make them one size`,
        path,
      );
    const height = target?.height ?? first!.height;
    const width = target?.width ?? first!.width;
    images ??= new Float32Array(files.length * channels * height * width);
    images.set(data, i * channels * height * width);
    labels[i] = label;
  }
  return makeDataset({ images: images!, labels, n: files.length, channels, height: target?.height ?? first!.height, width: target?.width ?? first!.width, classes });
}
