/**
 * NumPy `.npz` archives (a zip of `.npy` arrays, entries stored or deflated, zip64 or not, as
 * `np.savez` / `np.savez_compressed` write them) and the MedMNIST layout inside them.
 * @module
 */
import { crc32 } from 'node:zlib';
import { unzipSync } from 'fflate';
import { makeDataset, type ImageDataset, type Splits } from './dataset.js';
import { DataError, DataErrorCodes, reason } from './errors.js';
import { readDataFile } from './files.js';
import { formatShape, npyElement, parseNpy, type NpyArray } from './npy.js';

/**
 * Parses the .npz archive in `bytes` into its arrays, keyed by entry name without `.npy`. Every entry's
 * CRC-32 is checked against the zip's central directory. `file` names the archive in errors.
 *
 * @example
 * const arrays = parseNpz(bytes, 'pneumoniamnist.npz');
 * arrays.get('train_images')!.shape; // [4708, 28, 28]
 */
export function parseNpz(bytes: Uint8Array, file: string): Map<string, NpyArray> {
  let entries: Record<string, Uint8Array>;
  let crcs: Map<string, number>;
  try {
    crcs = centralDirectoryCrcs(bytes);
    entries = unzipSync(bytes);
  } catch (e) {
    throw new DataError(DataErrorCodes.CORRUPT, `is not a readable zip archive (truncated or not an .npz?): ${reason(e)}`, file, { cause: e });
  }
  const out = new Map<string, NpyArray>();
  for (const [name, data] of Object.entries(entries)) {
    if (name.endsWith('/')) continue; // a directory entry
    const expected = crcs.get(name);
    if (expected !== undefined && crc32(data) >>> 0 !== expected)
      throw new DataError(DataErrorCodes.CORRUPT, `entry ${name} fails its CRC-32 check (the file is damaged)`, file);
    const key = name.endsWith('.npy') ? name.slice(0, -4) : name;
    out.set(key, parseNpy(data, `${file}: ${name}`));
  }
  return out;
}

/** Reads and parses an .npz file. */
export async function readNpz(file: string): Promise<Map<string, NpyArray>> {
  return parseNpz(await readDataFile(file), file);
}

/** Which arrays of an .npz hold the images and the labels, and what the labels mean. */
export interface NpzPairOptions {
  /** Key of the images array (without `.npy`), default `images`. */
  readonly images?: string;
  /** Key of the labels array (without `.npy`), default `labels`. */
  readonly labels?: string;
  /** Class names; default `'0'…'k-1'` where k − 1 is the largest label present. */
  readonly classes?: readonly string[];
}

/**
 * One image data set from a pair of arrays of a parsed .npz: images `|u1` of shape (N, H, W),
 * (N, H, W, 1) or (N, H, W, 3), scaled to [0, 1] and reordered to N·C·H·W; labels of shape (N,) or
 * (N, 1), of any integer type (or floats holding integers).
 *
 * @example
 * const ds = npzDataset(parseNpz(bytes, 'fixture.npz'), 'fixture.npz', { classes: ['normal', 'pneumonia'] });
 */
export function npzDataset(arrays: Map<string, NpyArray>, file: string, options: NpzPairOptions = {}): ImageDataset {
  const imagesKey = options.images ?? 'images';
  const labelsKey = options.labels ?? 'labels';
  const known = [...arrays.keys()].map((k) => `${k}.npy`).join(', ') || 'none';
  const images = arrays.get(imagesKey);
  const labels = arrays.get(labelsKey);
  if (images === undefined) throw new DataError(DataErrorCodes.MISMATCH, `has no ${imagesKey}.npy (entries: ${known})`, file);
  if (labels === undefined) throw new DataError(DataErrorCodes.MISMATCH, `has no ${labelsKey}.npy (entries: ${known})`, file);
  const iname = `${file}: ${imagesKey}.npy`;
  const lname = `${file}: ${labelsKey}.npy`;
  const s = images.shape;
  if (images.descr !== '|u1' && images.descr !== '<u1' && images.descr !== '>u1' && images.descr !== '=u1')
    throw new DataError(DataErrorCodes.UNSUPPORTED, `has element type '${images.descr}'; images must be 8-bit unsigned ('|u1')`, iname);
  if (!(s.length === 3 || (s.length === 4 && (s[3] === 1 || s[3] === 3))))
    throw new DataError(DataErrorCodes.UNSUPPORTED, `has shape ${formatShape(s)}; images must be (N, H, W), (N, H, W, 1) or (N, H, W, 3)`, iname);
  const [n, height, width] = s as [number, number, number];
  const channels = s.length === 4 ? s[3]! : 1;
  if (height === 0 || width === 0) throw new DataError(DataErrorCodes.CORRUPT, `has shape ${formatShape(s)}: images of zero size`, iname);
  const ls = labels.shape;
  if (!(ls.length === 1 || (ls.length === 2 && ls[1] === 1)))
    throw new DataError(DataErrorCodes.UNSUPPORTED, `has shape ${formatShape(ls)}; labels must be (N,) or (N, 1) (one class per image)`, lname);
  if (ls[0] !== n) throw new DataError(DataErrorCodes.MISMATCH, `shape ${formatShape(s)} but ${labelsKey}.npy has ${ls[0]} rows`, iname);

  const out = new Int32Array(n);
  const view = new DataView(labels.data.buffer, labels.data.byteOffset, labels.data.byteLength);
  let max = -1;
  for (let i = 0; i < n; i++) {
    const v = npyElement(labels, i, view);
    if (!Number.isSafeInteger(v) || v < 0 || v > 0x7fffffff)
      throw new DataError(DataErrorCodes.CORRUPT, `label ${i} is ${v}; labels must be non-negative integers`, lname);
    out[i] = v;
    if (v > max) max = v;
  }
  let classes = options.classes;
  if (classes === undefined) classes = Array.from({ length: Math.max(max + 1, 1) }, (_, k) => String(k));
  else if (max >= classes.length)
    throw new DataError(DataErrorCodes.MISMATCH, `has label ${max} but only ${classes.length} classes are named (${classes.join(', ')})`, lname);

  const hw = height * width;
  const pix = new Float32Array(n * channels * hw);
  const src = images.data;
  if (channels === 1) for (let i = 0; i < src.length; i++) pix[i] = src[i]! / 255;
  else
    for (let i = 0; i < n; i++)
      for (let p = 0; p < hw; p++)
        for (let c = 0; c < channels; c++) pix[(i * channels + c) * hw + p] = src[(i * hw + p) * channels + c]! / 255;
  return makeDataset({ images: pix, labels: out, n, channels, height, width, classes });
}

/**
 * Loads one pair of arrays from an .npz file (e.g. the 64-image fixture's `images` / `labels`).
 *
 * @example
 * const ds = await loadNpzPair('../shared/datasets/pneumoniamnist/pneumoniamnist_fixture64.npz', { classes: PNEUMONIAMNIST_CLASSES });
 */
export async function loadNpzPair(file: string, options: NpzPairOptions = {}): Promise<ImageDataset> {
  return npzDataset(await readNpz(file), file, options);
}

/** The MedMNIST train/val/test splits of a parsed .npz (`train_images`, `train_labels`, `val_…`, `test_…`). */
export function medMnistSplits(arrays: Map<string, NpyArray>, file: string, classes?: readonly string[]): Splits {
  const one = (split: string): ImageDataset =>
    npzDataset(arrays, file, { images: `${split}_images`, labels: `${split}_labels`, ...(classes ? { classes } : {}) });
  const train = one('train');
  const val = one('val');
  const test = one('test');
  // The splits must agree on the image geometry, or a model trained on one cannot be tested on another.
  for (const [name, d] of [['val', val], ['test', test]] as const)
    if (d.channels !== train.channels || d.height !== train.height || d.width !== train.width)
      throw new DataError(DataErrorCodes.MISMATCH, `${name}_images.npy holds ${d.channels}×${d.height}×${d.width} images but train_images.npy holds ${train.channels}×${train.height}×${train.width}`, file);
  if (classes === undefined) {
    // Without names, give every split the same class list: the widest one.
    const k = Math.max(train.classes.length, val.classes.length, test.classes.length);
    const names = Array.from({ length: k }, (_, i) => String(i));
    return { train: makeDataset({ ...train, classes: names }), val: makeDataset({ ...val, classes: names }), test: makeDataset({ ...test, classes: names }) };
  }
  return { train, val, test };
}

/**
 * Loads a MedMNIST .npz file's three splits.
 *
 * @example
 * const { train, val, test } = await loadMedMnist('pneumoniamnist.npz', PNEUMONIAMNIST_CLASSES);
 * train.n; // 4708
 */
export async function loadMedMnist(file: string, classes?: readonly string[]): Promise<Splits> {
  return medMnistSplits(await readNpz(file), file, classes);
}

/** Entry names and CRC-32s from a zip's central directory (zip64 aware), so damaged entries are refused. */
function centralDirectoryCrcs(d: Uint8Array): Map<string, number> {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  let e = d.length - 22;
  while (e >= 0 && v.getUint32(e, true) !== 0x06054b50) {
    if (d.length - e > 65557 || e === 0) throw new Error('no end-of-central-directory record');
    e--;
  }
  if (e < 0) throw new Error('no end-of-central-directory record');
  let count = v.getUint16(e + 10, true);
  let o = v.getUint32(e + 16, true);
  if (e >= 20 && v.getUint32(e - 20, true) === 0x07064b50) {
    const z = Number(v.getBigUint64(e - 12, true));
    if (z + 56 > d.length || v.getUint32(z, true) !== 0x06064b50) throw new Error('bad zip64 end-of-central-directory record');
    count = Number(v.getBigUint64(z + 32, true));
    o = Number(v.getBigUint64(z + 48, true));
  }
  const out = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    if (o + 46 > d.length || v.getUint32(o, true) !== 0x02014b50) throw new Error(`central directory entry ${i} is damaged`);
    const flags = v.getUint16(o + 8, true);
    const nameLen = v.getUint16(o + 28, true);
    const name = new TextDecoder(flags & 0x800 ? 'utf-8' : 'latin1').decode(d.subarray(o + 46, o + 46 + nameLen));
    out.set(name, v.getUint32(o + 16, true));
    o += 46 + nameLen + v.getUint16(o + 30, true) + v.getUint16(o + 32, true);
  }
  return out;
}
