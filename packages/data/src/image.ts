/**
 * Decoding single image files to float pixels in [0, 1] (PNG with pngjs, JPEG with jpeg-js, DICOM with
 * dicom-parser), grey conversion, and resizing.
 * @module
 */
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { decodeDicom, type DicomWindow } from './dicom.js';
import { DataError, DataErrorCodes, reason } from './errors.js';

/** A decoded image: `channels` planes (1 grey or 3 RGB) of height·width values in [0, 1]. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  /** channels·height·width values, plane after plane (C·H·W). */
  readonly data: Float32Array;
}

/** The formats recognised by their first bytes. */
export type ImageFormat = 'png' | 'jpeg' | 'dicom';

/** The format of `bytes` from its signature, or undefined. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d) return 'dicom';
  return undefined;
}

/** Largest image decoded, in megapixels (a guard against decompression bombs). */
export const MAX_IMAGE_MEGAPIXELS = 100;

/** RGBA bytes to C·H·W floats, grey by ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B) when channels is 1. Alpha is ignored. */
function fromRgba(rgba: Uint8Array, width: number, height: number, channels: 1 | 3): Float32Array {
  const hw = width * height;
  const out = new Float32Array(channels * hw);
  for (let p = 0; p < hw; p++) {
    const r = rgba[4 * p]!;
    const g = rgba[4 * p + 1]!;
    const b = rgba[4 * p + 2]!;
    if (channels === 1) out[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    else {
      out[p] = r / 255;
      out[hw + p] = g / 255;
      out[2 * hw + p] = b / 255;
    }
  }
  return out;
}

/**
 * Decodes a PNG, JPEG or DICOM file held in `bytes` (recognised by its first bytes, not its name) to
 * `channels` planes in [0, 1]. `file` names it in errors.
 *
 * @example
 * const img = decodeImage(await readFile('a.png'), 'a.png', 1);
 */
export function decodeImage(bytes: Uint8Array, file: string, channels: 1 | 3 = 1, window: DicomWindow = 'auto'): DecodedImage {
  const format = sniffFormat(bytes);
  if (format === undefined) throw new DataError(DataErrorCodes.CORRUPT, 'is not a PNG, JPEG or DICOM file (unknown signature)', file);
  if (format === 'dicom') {
    const g = decodeDicom(bytes, file, window);
    if (channels === 1) return { width: g.width, height: g.height, channels: 1, data: g.data };
    const data = new Float32Array(3 * g.data.length);
    for (let c = 0; c < 3; c++) data.set(g.data, c * g.data.length);
    return { width: g.width, height: g.height, channels: 3, data };
  }
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  try {
    if (format === 'png') {
      const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (png.width * png.height > MAX_IMAGE_MEGAPIXELS * 1e6) throw new Error(`${png.width}×${png.height} is larger than ${MAX_IMAGE_MEGAPIXELS} megapixels`);
      ({ width, height } = png);
      rgba = png.data;
    } else {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_MEGAPIXELS, maxMemoryUsageInMB: 1024 });
      ({ width, height } = img);
      rgba = img.data;
    }
  } catch (e) {
    throw new DataError(DataErrorCodes.CORRUPT, `cannot be decoded as ${format === 'png' ? 'PNG' : 'JPEG'}: ${reason(e)}`, file, { cause: e });
  }
  if (width === 0 || height === 0 || rgba.length < 4 * width * height) throw new DataError(DataErrorCodes.CORRUPT, `decodes to ${width}×${height} with too few pixels`, file);
  return { width, height, channels, data: fromRgba(rgba, width, height, channels) };
}

/** Source taps and weights of each output position along one axis. */
function axisWeights(src: number, dst: number): { taps: number[]; weights: number[] }[] {
  const out: { taps: number[]; weights: number[] }[] = [];
  const scale = src / dst;
  for (let i = 0; i < dst; i++) {
    if (dst <= src) {
      // Shrinking: the area average of the source interval [i·s, (i+1)·s) (OpenCV's INTER_AREA).
      const a = i * scale;
      const b = (i + 1) * scale;
      const taps: number[] = [];
      const weights: number[] = [];
      for (let j = Math.floor(a); j < Math.min(src, Math.ceil(b)); j++) {
        const w = Math.min(b, j + 1) - Math.max(a, j);
        if (w > 1e-12) {
          taps.push(j);
          weights.push(w / scale);
        }
      }
      out.push({ taps, weights });
    } else {
      // Enlarging: bilinear between pixel centres (half-pixel convention), clamped at the edges.
      const x = Math.min(src - 1, Math.max(0, (i + 0.5) * scale - 0.5));
      const j = Math.floor(x);
      const f = x - j;
      out.push(j + 1 < src && f > 0 ? { taps: [j, j + 1], weights: [1 - f, f] } : { taps: [j], weights: [1] });
    }
  }
  return out;
}

/**
 * Resizes C·H·W planes to `height`×`width`: area averaging along an axis that shrinks, bilinear along
 * one that grows. Values stay in the input's range.
 *
 * @example
 * const small = resize(img.data, img.channels, img.height, img.width, 28, 28);
 */
export function resize(data: Float32Array, channels: number, height: number, width: number, toHeight: number, toWidth: number): Float32Array {
  if (data.length !== channels * height * width) throw new RangeError(`data must hold channels·height·width = ${channels * height * width} values, got ${data.length}`);
  if (toHeight === height && toWidth === width) return data.slice();
  const wy = axisWeights(height, toHeight);
  const wx = axisWeights(width, toWidth);
  const tmp = new Float32Array(height * toWidth);
  const out = new Float32Array(channels * toHeight * toWidth);
  for (let c = 0; c < channels; c++) {
    const plane = data.subarray(c * height * width, (c + 1) * height * width);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < toWidth; x++) {
        const { taps, weights } = wx[x]!;
        let s = 0;
        for (let k = 0; k < taps.length; k++) s += plane[y * width + taps[k]!]! * weights[k]!;
        tmp[y * toWidth + x] = s;
      }
    for (let y = 0; y < toHeight; y++) {
      const { taps, weights } = wy[y]!;
      for (let x = 0; x < toWidth; x++) {
        let s = 0;
        for (let k = 0; k < taps.length; k++) s += tmp[taps[k]! * toWidth + x]! * weights[k]!;
        out[c * toHeight * toWidth + y * toWidth + x] = Math.min(1, Math.max(0, s));
      }
    }
  }
  return out;
}
