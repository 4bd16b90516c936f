import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { DataError, DataErrorCodes, decodeDicom, decodeImage, loadImageFolder, readDicom, resize, sniffFormat } from '../src/index.js';
import { dicom, tempDir } from './helpers.js';

/** A PNG of `w`×`h` with pixel (x, y) = f(x, y) as RGB; colorType 0 (grey) or 2 (RGB). */
function png(w: number, h: number, f: (x: number, y: number) => [number, number, number], colorType: 0 | 2 = 2): Buffer {
  const img = new pngjs.PNG({ width: w, height: h, colorType, inputColorType: 6, inputHasAlpha: true });
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      const o = 4 * (y * w + x);
      img.data[o] = r;
      img.data[o + 1] = g;
      img.data[o + 2] = b;
      img.data[o + 3] = 255;
    }
  return pngjs.PNG.sync.write(img, { colorType, inputColorType: 6, inputHasAlpha: true });
}

async function folder(root: string, files: Record<string, Uint8Array>): Promise<void> {
  for (const [rel, bytes] of Object.entries(files)) {
    const p = join(root, rel);
    await mkdir(join(p, '..'), { recursive: true });
    await writeFile(p, bytes);
  }
}

test('a PNG folder: classes sorted to labels, files sorted, grey by BT.601 luma, values in [0,1]', async (t) => {
  const root = await tempDir(t);
  await folder(root, {
    'pneumonia/b.png': png(3, 2, () => [255, 255, 255], 0),
    'pneumonia/a.png': png(3, 2, (x) => [x * 100, x * 100, x * 100], 0),
    'normal/z.png': png(3, 2, () => [255, 0, 0]),
    'normal/.DS_Store': new Uint8Array([1]), // hidden: skipped
    'README.txt': new TextEncoder().encode('top-level files are ignored'),
  });
  const ds = await loadImageFolder(root);
  t.deepEqual(ds.classes, ['normal', 'pneumonia']);
  t.deepEqual([ds.n, ds.channels, ds.height, ds.width], [3, 1, 2, 3]);
  t.deepEqual([...ds.labels], [0, 1, 1]);
  const img = (i: number): number[] => [...ds.images.subarray(i * 6, (i + 1) * 6)];
  t.true(img(0).every((v) => Math.abs(v - 0.299) < 1e-6)); // pure red → luma 0.299
  t.deepEqual(img(1).map((v) => Math.round(v * 255)), [0, 100, 200, 0, 100, 200]); // a.png before b.png
  t.true(img(2).every((v) => v === 1));
});

test('a PNG folder as RGB keeps the channels apart (C·H·W)', async (t) => {
  const root = await tempDir(t);
  await folder(root, { 'c/x.png': png(2, 1, (x) => (x === 0 ? [255, 0, 51] : [0, 102, 0])) });
  const ds = await loadImageFolder(root, { channels: 3 });
  t.is(ds.channels, 3);
  t.deepEqual([...ds.images].map((v) => Math.round(v * 255)), [255, 0, 0, 102, 51, 0]);
});

test('a PNG folder with mixed sizes is refused, naming both files, unless a size is given', async (t) => {
  const root = await tempDir(t);
  await folder(root, { 'a/1.png': png(4, 4, () => [10, 10, 10]), 'b/2.png': png(8, 6, () => [200, 200, 200]) });
  const err = await t.throwsAsync(loadImageFolder(root), { instanceOf: DataError });
  t.is(err.code, DataErrorCodes.MISMATCH);
  t.is(err.message, `${join(root, 'b/2.png')}: is 8×6 but ${join(root, 'a/1.png')} is 4×4; give a size to resize every image to, or make them one size`);
  const ds = await loadImageFolder(root, { size: 4 });
  t.deepEqual([ds.n, ds.height, ds.width], [2, 4, 4]);
  // constant images stay constant through resizing
  t.true(ds.images.subarray(0, 16).every((v) => Math.abs(v - 10 / 255) < 1e-6));
  t.true(ds.images.subarray(16).every((v) => Math.abs(v - 200 / 255) < 1e-6));
});

test('JPEG images load through jpeg-js', async (t) => {
  const root = await tempDir(t);
  const w = 16;
  const h = 8;
  const data = Buffer.alloc(w * h * 4, 128);
  const enc = jpeg.encode({ width: w, height: h, data }, 95).data;
  await folder(root, { 'k/img.JPG': enc });
  const ds = await loadImageFolder(root);
  t.deepEqual([ds.height, ds.width], [h, w]);
  t.true(ds.images.every((v) => Math.abs(v - 128 / 255) < 0.03));
});

test('refusals name the file: undecodable image, unknown extension, empty class, no classes', async (t) => {
  const root = await tempDir(t);
  await folder(root, { 'a/bad.png': new TextEncoder().encode('not a png') });
  await t.throwsAsync(loadImageFolder(root), { message: `${join(root, 'a/bad.png')}: is not a PNG, JPEG or DICOM file (unknown signature)` });
  const sig = Buffer.concat([png(2, 2, () => [0, 0, 0]).subarray(0, 40)]);
  t.throws(() => decodeImage(sig, 'cut.png'), { message: /^cut\.png: cannot be decoded as PNG/ });
  const r2 = await tempDir(t);
  await folder(r2, { 'a/notes.txt': new Uint8Array([1]) });
  await t.throwsAsync(loadImageFolder(r2), { message: new RegExp(`notes\\.txt: is not an image file`) });
  const r3 = await tempDir(t);
  await mkdir(join(r3, 'empty'));
  await t.throwsAsync(loadImageFolder(r3), { message: `${join(r3, 'empty')}: is a class folder with no images` });
  const r4 = await tempDir(t);
  await t.throwsAsync(loadImageFolder(r4), { message: `${r4}: has no class sub-folders (expected root/<class>/<image>)` });
  await t.throwsAsync(loadImageFolder(join(r4, 'nope')), { message: /nope: cannot be read as a folder: ENOENT/ });
  t.is(sniffFormat(new Uint8Array(0)), undefined);
  t.is(sniffFormat(png(1, 1, () => [0, 0, 0])), 'png');
});

test('resize: area average when shrinking, bilinear when growing', (t) => {
  const src = Float32Array.from([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]); // 4×4 stripes
  t.deepEqual([...resize(src, 1, 4, 4, 2, 2)], [0.5, 0.5, 0.5, 0.5]);
  t.deepEqual([...resize(Float32Array.from([0, 1]), 1, 1, 2, 1, 4)], [0, 0.25, 0.75, 1]);
  t.throws(() => resize(src, 1, 3, 3, 2, 2), { instanceOf: RangeError });
});

// ---- DICOM ----

test('DICOM 16-bit with rescale slope/intercept and min–max to [0,1]', (t) => {
  const bytes = dicom({ rows: 2, cols: 2, bits: 16, pixels: [0, 100, 200, 400], slope: 2, intercept: -1024 });
  const img = decodeDicom(bytes, 'ct.dcm', 'minmax');
  t.deepEqual([img.width, img.height], [2, 2]);
  t.deepEqual([...img.data], [0, 0.25, 0.5, 1]);
});

test('DICOM window: from the file (auto), given, and MONOCHROME1 inverted; signed pixels', (t) => {
  // signed 16-bit, values −1000, 0, 40, 1000 (HU-like), window centre 40 width 400 → [−160, 240]
  const bytes = dicom({ rows: 1, cols: 4, bits: 16, signed: true, pixels: [-1000, 0, 40, 1000], window: { center: 40, width: 400 } });
  const auto = decodeDicom(bytes, 'w.dcm');
  t.is(auto.data[0], 0);
  t.is(auto.data[3], 1);
  t.true(Math.abs(auto.data[2]! - (40 - 39.5) / 399 - 0.5) < 1e-6);
  t.true(Math.abs(auto.data[1]! - ((0 - 39.5) / 399 + 0.5)) < 1e-6);
  const given = decodeDicom(bytes, 'w.dcm', { center: 0, width: 2001 });
  t.true(Math.abs(given.data[0]! - ((-1000 + 0.5) / 2000 + 0.5)) < 1e-6);
  const mm = decodeDicom(bytes, 'w.dcm', 'minmax');
  t.deepEqual([...mm.data], [0, 0.5, 0.52, 1].map(Math.fround));
  const inv = decodeDicom(dicom({ rows: 1, cols: 2, bits: 8, pixels: [0, 255], photometric: 'MONOCHROME1' }), 'm1.dcm');
  t.deepEqual([...inv.data], [1, 0]);
});

test('a DICOM folder loads like a PNG folder', async (t) => {
  const root = await tempDir(t);
  await folder(root, {
    'a/1.dcm': dicom({ rows: 2, cols: 3, bits: 8, pixels: [0, 51, 102, 153, 204, 255] }),
    'b/2.dcm': dicom({ rows: 2, cols: 3, bits: 16, pixels: [0, 1, 2, 3, 4, 5] }),
  });
  const ds = await loadImageFolder(root);
  t.deepEqual([ds.n, ds.height, ds.width], [2, 2, 3]);
  t.deepEqual([...ds.images.subarray(0, 6)].map((v) => Math.round(v * 100) / 100), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  t.deepEqual([...ds.images.subarray(6)].map((v) => Math.round(v * 100) / 100), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  const one = await readDicom(join(root, 'a/1.dcm'));
  t.is(one.width, 3);
});

test('implicit VR, big endian and deflated DICOM decode to the same image', (t) => {
  for (const ts of ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99']) {
    const bytes = dicom({ rows: 2, cols: 2, bits: 16, pixels: [0, 300, 600, 900], slope: 1, intercept: 0, transferSyntax: ts });
    t.deepEqual([...decodeDicom(bytes, 'z.dcm', 'minmax').data].map((v) => Math.round(v * 3)), [0, 1, 2, 3], ts);
  }
});

test('DICOM refusals name the file: no pixel data, compressed transfer syntax, short pixel data, not DICOM, colour', (t) => {
  const noPix = dicom({ rows: 2, cols: 2, bits: 8, pixels: [], omitPixelData: true });
  t.throws(() => decodeDicom(noPix, 'nopix.dcm'), { instanceOf: DataError, message: 'nopix.dcm: has no pixel data (7FE0,0010)' });
  const jpegTs = dicom({ rows: 1, cols: 1, bits: 8, pixels: [0], transferSyntax: '1.2.840.10008.1.2.4.50' });
  const e = t.throws(() => decodeDicom(jpegTs, 'j.dcm'), { instanceOf: DataError });
  t.is(e.code, DataErrorCodes.UNSUPPORTED);
  t.regex(e.message, /^j\.dcm: uses transfer syntax 1\.2\.840\.10008\.1\.2\.4\.50 \(JPEG\), which this reader cannot decode; convert it/);
  t.throws(() => decodeDicom(dicom({ rows: 1, cols: 1, bits: 8, pixels: [0], transferSyntax: '1.2.840.10008.1.2.5' }), 'r.dcm'), { message: /\(RLE lossless\)/ });
  // rows × cols larger than the pixel data
  const short = dicom({ rows: 2, cols: 2, bits: 16, pixels: [1, 2, 3, 4] });
  const lie = Buffer.from(short);
  const at = lie.indexOf(Buffer.from([0x28, 0x00, 0x10, 0x00, 0x55, 0x53])); // (0028,0010) US Rows
  lie.writeUInt16LE(3, at + 8);
  t.throws(() => decodeDicom(lie, 's.dcm'), { message: 's.dcm: pixel data holds 8 bytes but 3×2 pixels of 16 bits need 12' });
  t.throws(() => decodeDicom(new Uint8Array(200), 'zero.dcm'), { message: /^zero\.dcm: is not a readable DICOM Part 10 file/ });
  t.throws(() => decodeDicom(dicom({ rows: 1, cols: 1, bits: 8, pixels: [0], photometric: 'RGB' }), 'rgb.dcm'), { message: /^rgb\.dcm: is RGB .* only monochrome/ });
});
