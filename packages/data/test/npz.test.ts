import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import {
  classCounts,
  DataError,
  DataErrorCodes,
  loadMedMnist,
  loadNpzPair,
  npzDataset,
  parseNpz,
  PNEUMONIAMNIST,
  PNEUMONIAMNIST_CLASSES,
  verifyFile,
} from '../src/index.js';
import { i64le, npy, npz, sharedDir, tempDir, u8 } from './helpers.js';

const grey = (n: number, h: number, w: number): Uint8Array => Uint8Array.from({ length: n * h * w }, (_, i) => (i * 37) % 256);

for (const deflate of [false, true]) {
  test(`an npz with ${deflate ? 'deflated' : 'stored'} entries loads, arbitrary keys, values scaled to [0,1]`, async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'tiny.npz');
    const pixels = grey(5, 4, 3);
    await writeFile(file, npz({ 'x.npy': npy('|u1', [5, 4, 3], pixels), 'y.npy': npy('<i8', [5], i64le([0, 2, 1, 2, 0])) }, deflate));
    const ds = await loadNpzPair(file, { images: 'x', labels: 'y' });
    t.is(ds.n, 5);
    t.is(ds.channels, 1);
    t.is(ds.height, 4);
    t.is(ds.width, 3);
    t.deepEqual([...ds.labels], [0, 2, 1, 2, 0]);
    t.deepEqual(ds.classes, ['0', '1', '2']);
    t.deepEqual([...ds.images], [...pixels].map((p) => Math.fround(p / 255)));
  });
}

test('RGB images (N,H,W,3) in a deflated npz are reordered to N·C·H·W', (t) => {
  // one 1×2 RGB image: pixel 0 = (10,20,30), pixel 1 = (40,50,60)
  const bytes = npz({ 'images.npy': npy('|u1', [1, 1, 2, 3], u8([10, 20, 30, 40, 50, 60])), 'labels.npy': npy('|u1', [1, 1], u8([1])) }, true);
  const arrays = parseNpz(bytes, 'rgb.npz');
  t.deepEqual([...arrays.keys()].sort(), ['images', 'labels']);
  const ds = npzDataset(arrays, 'rgb.npz');
  t.is(ds.channels, 3);
  t.deepEqual([...ds.images], [10, 40, 20, 50, 30, 60].map((v) => Math.fround(v / 255)));
});

test('RGB images in a stored npz on disk are planar, with class names', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'rgb.npz');
  await writeFile(file, npz({ 'images.npy': npy('|u1', [1, 1, 2, 3], u8([10, 20, 30, 40, 50, 60])), 'labels.npy': npy('|u1', [1, 1], u8([1])) }, false));
  const ds = await loadNpzPair(file, { classes: ['a', 'b'] });
  t.is(ds.channels, 3);
  t.deepEqual([...ds.images], [10, 40, 20, 50, 30, 60].map((v) => Math.fround(v / 255)));
  t.deepEqual(ds.classes, ['a', 'b']);
});

test('a MedMNIST-layout npz gives train/val/test with one class list', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'mm.npz');
  const e: Record<string, Uint8Array> = {};
  for (const [s, n] of [['train', 6], ['val', 2], ['test', 3]] as const) {
    e[`${s}_images.npy`] = npy('|u1', [n, 2, 2], grey(n, 2, 2));
    e[`${s}_labels.npy`] = npy('|u1', [n, 1], Uint8Array.from({ length: n }, (_, i) => (s === 'val' ? 0 : i % 2)));
  }
  await writeFile(file, npz(e, false));
  const s = await loadMedMnist(file);
  t.deepEqual([s.train.n, s.val.n, s.test.n], [6, 2, 3]);
  t.deepEqual(s.val.classes, ['0', '1']); // val has only class 0, but shares the widest class list
  const named = await loadMedMnist(file, PNEUMONIAMNIST_CLASSES);
  t.deepEqual(named.train.classes, ['normal', 'pneumonia']);
});

test('shape mismatch between images and labels names the file, both entries and both sizes', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'pneumoniamnist.npz');
  const e: Record<string, Uint8Array> = {
    'train_images.npy': npy('|u1', [3, 2, 2], grey(3, 2, 2)),
    'train_labels.npy': npy('|u1', [2, 1], u8([0, 1])),
    'val_images.npy': npy('|u1', [1, 2, 2], grey(1, 2, 2)),
    'val_labels.npy': npy('|u1', [1, 1], u8([0])),
    'test_images.npy': npy('|u1', [1, 2, 2], grey(1, 2, 2)),
    'test_labels.npy': npy('|u1', [1, 1], u8([0])),
  };
  await writeFile(file, npz(e, false));
  const err = await t.throwsAsync(loadMedMnist(file), { instanceOf: DataError });
  t.is(err.code, DataErrorCodes.MISMATCH);
  t.is(err.message, `${file}: train_images.npy: shape (3, 2, 2) but train_labels.npy has 2 rows`);
});

test('a truncated zip is refused, naming the file', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'cut.npz');
  const whole = npz({ 'images.npy': npy('|u1', [2, 2, 2], grey(2, 2, 2)), 'labels.npy': npy('|u1', [2], u8([0, 1])) }, true);
  await writeFile(file, whole.subarray(0, whole.length - 30));
  const err = await t.throwsAsync(loadNpzPair(file), { instanceOf: DataError });
  t.is(err.code, DataErrorCodes.CORRUPT);
  t.true(err.message.startsWith(`${file}: is not a readable zip archive`), err.message);
  t.throws(() => parseNpz(new TextEncoder().encode('not a zip at all'), 'text.npz'), { message: /^text\.npz: is not a readable zip/ });
});

test('a damaged stored entry fails its CRC-32 check', (t) => {
  const bytes = npz({ 'images.npy': npy('|u1', [2, 2, 2], grey(2, 2, 2)), 'labels.npy': npy('|u1', [2], u8([0, 1])) }, false);
  const damaged = bytes.slice();
  const at = Buffer.from(bytes).indexOf(Buffer.from([0, 37, 74, 111])); // the first pixels of images.npy
  t.true(at > 0);
  damaged[at + 1] ^= 0xff;
  t.throws(() => parseNpz(damaged, 'd.npz'), { message: /^d\.npz: entry images\.npy fails its CRC-32 check/ });
});

test('bad npy magic inside an npz names the archive and the entry', (t) => {
  const bad = npy('|u1', [1], u8([0]));
  bad[1] = 0x41;
  t.throws(() => parseNpz(npz({ 'images.npy': bad }, true), 'b.npz'), { message: /^b\.npz: images\.npy: .*magic/ });
});

test('fortran order inside an npz is refused, naming the entry', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'f.npz');
  await writeFile(file, npz({ 'images.npy': npy('|u1', [1, 2, 2], grey(1, 2, 2), { fortran: true }), 'labels.npy': npy('|u1', [1], u8([0])) }, false));
  await t.throwsAsync(loadNpzPair(file), { message: new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: images\\.npy: is stored in Fortran order`) });
});

test('missing keys, bad label values, wrong image types and too few class names are refused', (t) => {
  const arrays = parseNpz(
    npz({ 'images.npy': npy('|u1', [2, 2, 2], grey(2, 2, 2)), 'labels.npy': npy('<i8', [2], i64le([0, -1])), 'f.npy': npy('<f4', [2, 2, 2], new Uint8Array(32)) }, true),
    'k.npz',
  );
  t.throws(() => npzDataset(arrays, 'k.npz', { images: 'train_images' }), { message: /^k\.npz: has no train_images\.npy \(entries: images\.npy, labels\.npy, f\.npy\)/ });
  t.throws(() => npzDataset(arrays, 'k.npz'), { message: /^k\.npz: labels\.npy: label 1 is -1/ });
  t.throws(() => npzDataset(arrays, 'k.npz', { images: 'f', labels: 'images' }), { message: /^k\.npz: f\.npy: has element type '<f4'/ });
  const ok = parseNpz(npz({ 'images.npy': npy('|u1', [2, 2, 2], grey(2, 2, 2)), 'labels.npy': npy('|u1', [2], u8([0, 2])) }, true), 'c.npz');
  t.throws(() => npzDataset(ok, 'c.npz', { classes: ['a', 'b'] }), { message: /^c\.npz: labels\.npy: has label 2 but only 2 classes are named/ });
  t.throws(() => npzDataset(ok, 'c.npz', { images: 'labels', labels: 'labels' }), { message: /labels\.npy: has shape \(2,\); images must be/ });
});

const shared = sharedDir();

test('the 64-image fixture loads: 64×1×28×28, 32 normal and 32 pneumonia', async (t) => {
  const file = shared && join(shared, 'pneumoniamnist_fixture64.npz');
  if (!file || !existsSync(file)) {
    t.log('SKIPPED: ../shared/datasets/pneumoniamnist/pneumoniamnist_fixture64.npz is absent');
    return t.pass();
  }
  const ds = await loadNpzPair(file, { classes: PNEUMONIAMNIST_CLASSES });
  t.deepEqual([ds.n, ds.channels, ds.height, ds.width], [64, 1, 28, 28]);
  t.deepEqual(classCounts(ds), [32, 32]);
  t.true(ds.images.every((v) => v >= 0 && v <= 1));
  const mean = ds.images.reduce((a, b) => a + b, 0) / ds.images.length;
  t.true(mean > 0.3 && mean < 0.8, `mean ${mean}`);
  // the fixture is not a MedMNIST layout: asking for one says which entries it has
  await t.throwsAsync(loadMedMnist(file), { message: /has no train_images\.npy \(entries: images\.npy, labels\.npy\)/ });
});

test('the full shared file verifies (SHA-256) and loads with the official split sizes', async (t) => {
  const file = shared && join(shared, 'pneumoniamnist.npz');
  if (!file || !existsSync(file)) {
    t.log('SKIPPED: ../shared/datasets/pneumoniamnist/pneumoniamnist.npz is absent');
    return t.pass();
  }
  const { digests, matched } = await verifyFile(file, PNEUMONIAMNIST);
  t.is(digests.sha256, '94e17afa60430d19c48f4c61c0c6edffca2fe9a64019fa6bbf61496b2ecadd72');
  t.is(digests.md5, '095a7522c2606d0b2b0e84eb947d8b54');
  t.regex(matched.what, /shared/);
  const s = await loadMedMnist(file, PNEUMONIAMNIST_CLASSES);
  t.deepEqual([s.train.n, s.val.n, s.test.n], [4708, 524, 624]);
  t.deepEqual([classCounts(s.train), classCounts(s.val), classCounts(s.test)], [[1214, 3494], [135, 389], [234, 390]]);
  const mean = s.train.images.reduce((a, b) => a + b, 0) / s.train.images.length;
  t.true(Math.abs(mean - 0.5719) < 1e-3, `train mean ${mean}`);
});

test('verifyFile refuses a file matching no known checksum, naming it and the expected digests', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'pneumoniamnist.npz');
  await writeFile(file, 'hello');
  const err = await t.throwsAsync(verifyFile(file, PNEUMONIAMNIST), { instanceOf: DataError });
  t.is(err.code, DataErrorCodes.CHECKSUM);
  t.true(err.message.startsWith(`${file}: is not a known version of pneumoniamnist.npz: MD5 5d41402abc4b2a76b9719d911017c592`), err.message);
  t.regex(err.message, /28209eda62fecd6e6a2d98b1501bb15f/);
  t.regex(err.message, /94e17afa60430d19c48f4c61c0c6edffca2fe9a64019fa6bbf61496b2ecadd72/);
  t.regex(err.message, /--no-verify/);
});
