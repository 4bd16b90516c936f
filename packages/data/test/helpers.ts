/** Test helpers: .npy/.npz and DICOM files written by hand, temporary folders, the shared fixture. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, zipSync } from 'fflate';
import { PNEUMONIAMNIST, sharedCandidates } from '../src/index.js';

/** A .npy file: magic, version, padded header dict, data. */
export function npy(
  descr: string,
  shape: readonly number[],
  data: Uint8Array,
  opts: { fortran?: boolean; major?: 1 | 2 | 3; header?: string; magic?: Uint8Array } = {},
): Uint8Array {
  const major = opts.major ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = opts.header ?? `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const pre = major === 1 ? 10 : 12;
  const pad = (64 - ((pre + header.length + 1) % 64)) % 64;
  header = header + ' '.repeat(pad) + '\n';
  const out = new Uint8Array(pre + header.length + data.length);
  out.set(opts.magic ?? [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 0);
  out[6] = major;
  out[7] = 0;
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, header.length, true);
  else v.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  out.set(data, pre + header.length);
  return out;
}

/** An .npz of the given .npy entries, each stored (level 0) or deflated. */
export function npz(entries: Record<string, Uint8Array>, deflate: boolean): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  for (const [k, v] of Object.entries(entries)) files[k] = [v, { level: deflate ? 6 : 0 }];
  return zipSync(files);
}

/** Bytes from numbers. */
export const u8 = (xs: ArrayLike<number>): Uint8Array => Uint8Array.from(xs as ArrayLike<number>);

/** Little-endian int64 bytes. */
export function i64le(xs: readonly number[]): Uint8Array {
  const out = new Uint8Array(8 * xs.length);
  const v = new DataView(out.buffer);
  xs.forEach((x, i) => v.setBigInt64(8 * i, BigInt(x), true));
  return out;
}

/** A fresh temporary folder, removed when the test ends. */
export async function tempDir(t: { teardown: (f: () => Promise<void>) => void }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tessera-data-'));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** The shared PneumoniaMNIST folder beside the checkout, or undefined when it is absent. */
export function sharedDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const found = sharedCandidates(here, PNEUMONIAMNIST).find((p) => existsSync(p) || existsSync(join(dirname(p), 'pneumoniamnist_fixture64.npz')));
  return found === undefined ? undefined : dirname(found);
}

// ---- DICOM, written element by element ----

/** How the data set after the file meta group is encoded (the meta group is always explicit VR little endian). */
interface Encoding {
  readonly le: boolean;
  readonly implicit: boolean;
}
const META: Encoding = { le: true, implicit: false };

function element(enc: Encoding, group: number, elem: number, vr: string, value: Uint8Array): Uint8Array {
  const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
  let v = value;
  if (v.length % 2 === 1) {
    v = new Uint8Array(value.length + 1);
    v.set(value);
    v[value.length] = vr === 'UI' || vr === 'OB' ? 0 : 0x20;
  }
  const head = new Uint8Array(enc.implicit ? 8 : long ? 12 : 8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, group, enc.le);
  dv.setUint16(2, elem, enc.le);
  if (enc.implicit) dv.setUint32(4, v.length, enc.le);
  else {
    head[4] = vr.charCodeAt(0);
    head[5] = vr.charCodeAt(1);
    if (long) dv.setUint32(8, v.length, enc.le);
    else dv.setUint16(6, v.length, enc.le);
  }
  const out = new Uint8Array(head.length + v.length);
  out.set(head);
  out.set(v, head.length);
  return out;
}
const str = (s: string): Uint8Array => new TextEncoder().encode(s);
const us = (n: number, le = true): Uint8Array => {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, n, le);
  return b;
};
const ul = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const cat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

export interface DicomSpec {
  rows: number;
  cols: number;
  bits: 8 | 16;
  signed?: boolean;
  pixels: readonly number[];
  slope?: number;
  intercept?: number;
  window?: { center: number; width: number };
  photometric?: string;
  transferSyntax?: string;
  omitPixelData?: boolean;
}

/**
 * A minimal valid DICOM Part 10 file: 128-byte preamble, DICM, the file meta group (explicit VR little
 * endian), then the image pixel module and pixel data in the encoding the transfer syntax names.
 */
export function dicom(spec: DicomSpec): Uint8Array {
  const ts = spec.transferSyntax ?? '1.2.840.10008.1.2.1';
  const enc: Encoding = { le: ts !== '1.2.840.10008.1.2.2', implicit: ts === '1.2.840.10008.1.2' };
  const metaBody = cat([
    element(META, 0x0002, 0x0001, 'OB', u8([0, 1])),
    element(META, 0x0002, 0x0002, 'UI', str('1.2.840.10008.5.1.4.1.1.7')), // Secondary Capture Image Storage
    element(META, 0x0002, 0x0003, 'UI', str('1.2.826.0.1.3680043.8.498.1')),
    element(META, 0x0002, 0x0010, 'UI', str(ts)),
  ]);
  const meta = cat([element(META, 0x0002, 0x0000, 'UL', ul(metaBody.length)), metaBody]);
  const pix = new Uint8Array(spec.rows * spec.cols * (spec.bits / 8));
  const pv = new DataView(pix.buffer);
  spec.pixels.forEach((p, i) => {
    if (spec.bits === 8) pv.setUint8(i, p & 0xff);
    else pv.setUint16(2 * i, p & 0xffff, enc.le);
  });
  const e = (group: number, el: number, vr: string, value: Uint8Array): Uint8Array => element(enc, group, el, vr, value);
  const body = [
    e(0x0028, 0x0002, 'US', us(1, enc.le)),
    e(0x0028, 0x0004, 'CS', str(spec.photometric ?? 'MONOCHROME2')),
    e(0x0028, 0x0010, 'US', us(spec.rows, enc.le)),
    e(0x0028, 0x0011, 'US', us(spec.cols, enc.le)),
    e(0x0028, 0x0100, 'US', us(spec.bits, enc.le)),
    e(0x0028, 0x0101, 'US', us(spec.bits, enc.le)),
    e(0x0028, 0x0102, 'US', us(spec.bits - 1, enc.le)),
    e(0x0028, 0x0103, 'US', us(spec.signed ? 1 : 0, enc.le)),
  ];
  if (spec.window) body.push(e(0x0028, 0x1050, 'DS', str(String(spec.window.center))), e(0x0028, 0x1051, 'DS', str(String(spec.window.width))));
  if (spec.intercept !== undefined) body.push(e(0x0028, 0x1052, 'DS', str(String(spec.intercept))));
  if (spec.slope !== undefined) body.push(e(0x0028, 0x1053, 'DS', str(String(spec.slope))));
  if (!spec.omitPixelData) body.push(e(0x7fe0, 0x0010, spec.bits === 8 ? 'OB' : 'OW', pix));
  // The deflated transfer syntax deflates everything after the file meta group (raw deflate, PS3.5 A.5).
  const dataset = ts === '1.2.840.10008.1.2.1.99' ? deflateSync(cat(body)) : cat(body);
  return cat([new Uint8Array(128), str('DICM'), meta, dataset]);
}
