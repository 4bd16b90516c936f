/**
 * DICOM images (Part 10 files): 8- and 16-bit monochrome, uncompressed (implicit or explicit VR little
 * endian, explicit VR big endian) or deflated; modality rescale (slope, intercept), then the file's VOI
 * window, a given window, or min–max, to [0, 1]. Compressed pixel data (JPEG, JPEG-LS, JPEG 2000, RLE…)
 * is refused with the transfer syntax named. Parsing is dicom-parser's.
 * @module
 */
import dicomParser from 'dicom-parser';
import { inflateSync } from 'fflate';
import { DataError, DataErrorCodes, reason } from './errors.js';
import { readDataFile } from './files.js';

/** How DICOM values are mapped to [0, 1]. */
export type DicomWindow =
  /** The file's first Window Center / Window Width (0028,1050/1051) when present, else min–max. */
  | 'auto'
  /** The image's own minimum and maximum (after rescale). */
  | 'minmax'
  /** A given window, in rescaled units (e.g. Hounsfield units for CT). */
  | { readonly center: number; readonly width: number };

/** One decoded grey image, values in [0, 1], row after row. */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

const UNCOMPRESSED = new Map([
  ['1.2.840.10008.1.2', 'implicit VR little endian'],
  ['1.2.840.10008.1.2.1', 'explicit VR little endian'],
  ['1.2.840.10008.1.2.2', 'explicit VR big endian'],
  ['1.2.840.10008.1.2.1.99', 'deflated explicit VR little endian'],
]);

const COMPRESSED_NAMES: [RegExp, string][] = [
  [/^1\.2\.840\.10008\.1\.2\.4\.(50|51|57|70)$/, 'JPEG'],
  [/^1\.2\.840\.10008\.1\.2\.4\.(80|81)$/, 'JPEG-LS'],
  [/^1\.2\.840\.10008\.1\.2\.4\.(90|91|92|93|201|202|203)$/, 'JPEG 2000 / HTJ2K'],
  [/^1\.2\.840\.10008\.1\.2\.5$/, 'RLE lossless'],
  [/^1\.2\.840\.10008\.1\.2\.4\.(100|101|102|103|104|105|106)/, 'MPEG/HEVC video'],
];

/** dicom-parser's inflater hook for the deflated transfer syntax, with fflate's raw inflate. */
function inflater(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = inflateSync(bytes.subarray(position));
  const out = new Uint8Array(position + inflated.length);
  out.set(bytes.subarray(0, position), 0);
  out.set(inflated, position);
  return out;
}

/**
 * Decodes a DICOM Part 10 file held in `bytes` to a grey image in [0, 1]; `file` names it in errors.
 *
 * @example
 * const img = decodeDicom(bytes, 'chest.dcm', 'auto');
 * img.width; // 512
 */
export function decodeDicom(bytes: Uint8Array, file: string, window: DicomWindow = 'auto'): GreyImage {
  const fail = (code: (typeof DataErrorCodes)[keyof typeof DataErrorCodes], problem: string): never => {
    throw new DataError(code, problem, file);
  };
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, { inflater } as unknown as dicomParser.ParseDicomOptions);
  } catch (e) {
    return fail(DataErrorCodes.CORRUPT, `is not a readable DICOM Part 10 file: ${reason(e)}`);
  }
  const ts = ds.string('x00020010')?.trim() ?? '';
  if (!UNCOMPRESSED.has(ts)) {
    const name = COMPRESSED_NAMES.find(([re]) => re.test(ts))?.[1];
    fail(
      DataErrorCodes.UNSUPPORTED,
      ts === ''
        ? 'has no Transfer Syntax UID (0002,0010)'
        : `uses transfer syntax ${ts}${name ? ` (${name})` : ''}, which this reader cannot decode; convert it to uncompressed (explicit VR little endian), e.g. with dcmdjpeg or gdcmconv --raw`,
    );
  }
  const pixel = ds.elements['x7fe00010'];
  if (pixel === undefined) fail(DataErrorCodes.CORRUPT, 'has no pixel data (7FE0,0010)');
  if (pixel!.encapsulatedPixelData) fail(DataErrorCodes.UNSUPPORTED, 'has encapsulated (compressed) pixel data under an uncompressed transfer syntax');
  const need = (tag: string, what: string): number => {
    const v = ds.uint16(tag);
    if (v === undefined) return fail(DataErrorCodes.CORRUPT, `has no ${what}`);
    return v;
  };
  const samples = ds.uint16('x00280002') ?? 1;
  const photometric = ds.string('x00280004')?.trim() ?? 'MONOCHROME2';
  if (samples !== 1 || (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2'))
    fail(DataErrorCodes.UNSUPPORTED, `is ${photometric} with ${samples} samples per pixel; only monochrome (MONOCHROME1/2, 1 sample) is read`);
  const rows = need('x00280010', 'Rows (0028,0010)');
  const cols = need('x00280011', 'Columns (0028,0011)');
  const bitsAllocated = need('x00280100', 'Bits Allocated (0028,0100)');
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const signed = (ds.uint16('x00280103') ?? 0) === 1;
  const frames = ds.intString('x00280008') ?? 1;
  if (rows === 0 || cols === 0) fail(DataErrorCodes.CORRUPT, `has ${rows} rows and ${cols} columns`);
  if (bitsAllocated !== 8 && bitsAllocated !== 16) fail(DataErrorCodes.UNSUPPORTED, `has ${bitsAllocated} bits allocated; only 8 and 16 are read`);
  if (bitsStored < 1 || bitsStored > bitsAllocated) fail(DataErrorCodes.CORRUPT, `has ${bitsStored} bits stored but ${bitsAllocated} allocated`);
  if (frames !== 1) fail(DataErrorCodes.UNSUPPORTED, `has ${frames} frames; only single-frame images are read`);
  const bytesPer = bitsAllocated / 8;
  const count = rows * cols;
  if (pixel!.length < count * bytesPer)
    fail(DataErrorCodes.CORRUPT, `pixel data holds ${pixel!.length} bytes but ${rows}×${cols} pixels of ${bitsAllocated} bits need ${count * bytesPer}`);

  const slope = ds.floatString('x00281053') ?? 1;
  const intercept = ds.floatString('x00281052') ?? 0;
  if (!Number.isFinite(slope) || !Number.isFinite(intercept) || slope === 0) fail(DataErrorCodes.CORRUPT, `has rescale slope ${slope} and intercept ${intercept}`);
  const arr = ds.byteArray;
  const view = new DataView(arr.buffer, arr.byteOffset + pixel!.dataOffset, count * bytesPer);
  const le = ts !== '1.2.840.10008.1.2.2';
  const mask = bitsStored === 32 ? 0xffffffff : (1 << bitsStored) - 1;
  const signBit = 1 << (bitsStored - 1);
  const values = new Float64Array(count);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    let raw = (bytesPer === 1 ? view.getUint8(i) : view.getUint16(2 * i, le)) & mask;
    if (signed && raw & signBit) raw -= 1 << bitsStored;
    const x = raw * slope + intercept;
    values[i] = x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  let lo: number;
  let hi: number;
  let w = window;
  if (w === 'auto') {
    const c = ds.floatString('x00281050');
    const width = ds.floatString('x00281051');
    w = c !== undefined && width !== undefined && Number.isFinite(c) && width >= 1 ? { center: c, width } : 'minmax';
  }
  if (w === 'minmax') {
    lo = min;
    hi = max;
  } else {
    if (!Number.isFinite(w.center) || !(w.width >= 1)) throw new RangeError(`window must have a finite center and a width ≥ 1, got ${w.center}, ${w.width}`);
    // PS3.3 C.11.2.1.2.1, the linear VOI function: [c − 0.5 − (w − 1)/2, c − 0.5 + (w − 1)/2] maps to [0, 1].
    lo = w.center - 0.5 - (w.width - 1) / 2;
    hi = w.center - 0.5 + (w.width - 1) / 2;
  }
  const data = new Float32Array(count);
  const span = hi - lo;
  for (let i = 0; i < count; i++) {
    let v = span > 0 ? (values[i]! - lo) / span : 0;
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    data[i] = photometric === 'MONOCHROME1' ? 1 - v : v;
  }
  return { width: cols, height: rows, data };
}

/**
 * Reads and decodes one DICOM file.
 *
 * @example
 * const img = await readDicom('scans/0001.dcm', { center: 40, width: 400 });
 */
export async function readDicom(file: string, window: DicomWindow = 'auto'): Promise<GreyImage> {
  return decodeDicom(await readDataFile(file), file, window);
}
