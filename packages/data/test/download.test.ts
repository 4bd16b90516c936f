import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import test from 'ava';
import {
  DataError,
  DataErrorCodes,
  downloadFile,
  loadDataset,
  loadMedMnist,
  matchDigest,
  progressBar,
  PNEUMONIAMNIST,
  resolveDataset,
  type DatasetSpec,
  type Progress,
} from '../src/index.js';
import { npy, npz, sharedDir, tempDir } from './helpers.js';

/** A small MedMNIST-layout npz and a data-set spec that accepts exactly it. */
function smallDataset(): { bytes: Uint8Array; spec: DatasetSpec } {
  const e: Record<string, Uint8Array> = {};
  for (const [s, n] of [['train', 40], ['val', 5], ['test', 6]] as const) {
    e[`${s}_images.npy`] = npy('|u1', [n, 28, 28], Uint8Array.from({ length: n * 784 }, (_, i) => (i * 7) % 256));
    e[`${s}_labels.npy`] = npy('|u1', [n, 1], Uint8Array.from({ length: n }, (_, i) => i % 2));
  }
  const bytes = npz(e, true);
  const md5 = createHash('md5').update(bytes).digest('hex');
  return { bytes, spec: { ...PNEUMONIAMNIST, name: 'tinymnist', fileName: 'tinymnist.npz', url: 'http://127.0.0.1:1/never', accept: [{ md5, what: 'test file' }] } };
}

type Handler = Parameters<typeof createServer>[1];

/** Starts an HTTP server on 127.0.0.1 (a free port), closed when the test ends. */
async function serve(t: { teardown: (f: () => Promise<void>) => void }, handler: NonNullable<Handler>): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.teardown(() => new Promise<void>((ok) => server.close(() => ok())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on: bind one, then close it. */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return `http://127.0.0.1:${port}/pneumoniamnist.npz`;
}

test('download from a local server: progress reported, verified, cached, loadable; then found in the cache', async (t) => {
  const { bytes, spec } = smallDataset();
  let hits = 0;
  const base = await serve(t, (req, res) => {
    hits++;
    t.is(req.url, '/files/tinymnist.npz');
    res.writeHead(200, { 'content-length': String(bytes.length), 'content-type': 'application/octet-stream' });
    // in pieces, so progress is reported more than once
    const half = bytes.length >> 1;
    res.write(bytes.subarray(0, half));
    setTimeout(() => res.end(bytes.subarray(half)), 20);
  });
  const dir = await tempDir(t);
  const cache = join(dir, 'cache');
  const progress: Progress[] = [];
  const r = await resolveDataset({ dataset: spec, cwd: dir, env: {}, cacheDir: cache, url: `${base}/files/tinymnist.npz`, onProgress: (p) => progress.push(p) });
  t.is(r.source, 'download');
  t.is(r.path, join(cache, 'tinymnist.npz'));
  t.is(r.matched?.what, 'test file');
  t.deepEqual(new Uint8Array(await readFile(r.path)), bytes);
  t.true(progress.length >= 3, `${progress.length} progress calls`);
  t.deepEqual(progress[0], { received: 0, total: bytes.length, done: false });
  t.deepEqual(progress.at(-1), { received: bytes.length, total: bytes.length, done: true });
  t.true(progress.every((p, i) => i === 0 || p.received >= progress[i - 1]!.received));
  t.deepEqual(await readdir(cache), ['tinymnist.npz']); // no partial file left beside it
  const s = await loadMedMnist(r.path);
  t.is(s.train.n, 40);
  // second time: found in the cache, no request
  const again = await resolveDataset({ dataset: spec, cwd: dir, env: {}, cacheDir: cache, url: `${base}/files/tinymnist.npz`, onProgress: () => {} });
  t.is(again.source, 'cache');
  t.is(hits, 1);
});

test('a download matching no accepted checksum is refused and not kept', async (t) => {
  const { spec } = smallDataset();
  const base = await serve(t, (_req, res) => res.end('this is not the data set'));
  const dir = await tempDir(t);
  const cache = join(dir, 'cache');
  const err = await t.throwsAsync(resolveDataset({ dataset: spec, cwd: dir, env: {}, cacheDir: cache, url: `${base}/x.npz`, onProgress: () => {} }), { instanceOf: DataError });
  t.is(err.code, DataErrorCodes.CHECKSUM);
  t.regex(err.message, /^http:\/\/127\.0\.0\.1:\d+\/x\.npz: sent a file with MD5 [0-9a-f]{32}, SHA-256 [0-9a-f]{64}; expected MD5 [0-9a-f]{32} \(test file\)\. It was not kept\./);
  t.deepEqual(await readdir(cache), []);
  // with verification off (--no-verify) the same file is accepted
  const r = await resolveDataset({ dataset: spec, cwd: dir, env: {}, cacheDir: cache, url: `${base}/x.npz`, verify: false, onProgress: () => {} });
  t.is(r.source, 'download');
  t.is(r.digests, undefined);
});

test('a connection that breaks off leaves no partial file in the cache', async (t) => {
  const { bytes, spec } = smallDataset();
  // The server breaks the connection only once the client has reported bytes received (a partial file
  // exists then): deterministic on a loaded machine, unlike a timer.
  let breakOff: (() => void) | undefined;
  const base = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-length': String(bytes.length) });
    res.write(bytes.subarray(0, 1000));
    breakOff = () => res.destroy();
  });
  const dir = await tempDir(t);
  const cache = join(dir, 'cache');
  const seen: Progress[] = [];
  const onProgress = (p: Progress): void => {
    seen.push(p);
    if (p.received > 0) breakOff?.();
  };
  const err = await t.throwsAsync(downloadFile({ url: `${base}/a.npz`, dest: join(cache, 'tinymnist.npz'), accept: spec.accept, onProgress }), { instanceOf: DataError });
  t.is(err.code, DataErrorCodes.DOWNLOAD);
  t.regex(err.message, /broke off after \d+ bytes|sent \d+ bytes but announced/);
  t.true(seen.some((p) => p.received > 0));
  t.deepEqual(await readdir(cache), []);
});

test('an idle server times out and leaves nothing; an HTTP error is reported with its status', async (t) => {
  const { bytes, spec } = smallDataset();
  const base = await serve(t, (req, res) => {
    if (req.url === '/missing') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': String(bytes.length) });
    res.write(bytes.subarray(0, 100)); // then nothing
  });
  const dir = await tempDir(t);
  const dest = join(dir, 'c', 'f.npz');
  await t.throwsAsync(downloadFile({ url: `${base}/slow`, dest, accept: spec.accept, idleTimeoutMs: 200 }), { message: /broke off after 100 bytes/ });
  t.deepEqual(await readdir(join(dir, 'c')), []);
  await t.throwsAsync(downloadFile({ url: `${base}/missing`, dest, accept: spec.accept }), { message: /\/missing: answered HTTP 404/ });
  t.false(existsSync(dest));
});

test('offline (server unreachable): a clear message saying where to put the file', async (t) => {
  const dir = await tempDir(t);
  const cache = join(dir, 'cache');
  const url = await deadUrl();
  const err = await t.throwsAsync(resolveDataset({ cwd: dir, env: {}, cacheDir: cache, url, onProgress: () => {} }), { instanceOf: DataError });
  t.is(err.code, DataErrorCodes.NOT_FOUND);
  t.regex(err.message, /^pneumoniamnist\.npz was not found and cannot be downloaded: http:\/\/127\.0\.0\.1:\d+\/pneumoniamnist\.npz: cannot be reached \(ECONNREFUSED\) \(offline\?\)\./);
  t.regex(err.message, /Put pneumoniamnist\.npz \(MD5 28209eda62fecd6e6a2d98b1501bb15f \(official.*\) or SHA-256 94e17afa.*\) in one of: --data PATH, \$TESSERA_DATA_DIR\/, \.\/data\/, a shared\/datasets\/pneumoniamnist\/ folder beside the checkout/);
  t.true(err.message.includes(cache));
  t.false(existsSync(cache) && (await readdir(cache)).length > 0);
  // downloading turned off: says so, and lists where it looked
  const off = await t.throwsAsync(resolveDataset({ cwd: dir, env: {}, cacheDir: cache, download: false }), { instanceOf: DataError });
  t.regex(off.message, /^pneumoniamnist\.npz was not found \(looked in .*data\/pneumoniamnist\.npz.*\) and downloading is off/);
});

test('resolution order: --data, then TESSERA_DATA_DIR, then ./data, then the cache', async (t) => {
  const { bytes, spec } = smallDataset();
  const dir = await tempDir(t);
  const put = async (sub: string): Promise<string> => {
    await mkdir(join(dir, sub), { recursive: true });
    await writeFile(join(dir, sub, spec.fileName), bytes);
    return join(dir, sub, spec.fileName);
  };
  const cwd = join(dir, 'work');
  const o = { dataset: spec, cwd, env: {}, cacheDir: join(dir, 'cache'), download: false } as const;
  const inCache = await put('cache');
  t.like(await resolveDataset(o), { source: 'cache', path: inCache });
  const inCwd = await put('work/data');
  t.like(await resolveDataset(o), { source: 'cwd', path: inCwd });
  const inEnv = await put('envdir');
  t.like(await resolveDataset({ ...o, env: { TESSERA_DATA_DIR: join(dir, 'envdir') } }), { source: 'env', path: inEnv });
  const explicit = await put('mine');
  t.like(await resolveDataset({ ...o, env: { TESSERA_DATA_DIR: join(dir, 'envdir') }, data: explicit }), { source: 'option', path: explicit });
  t.like(await resolveDataset({ ...o, data: join(dir, 'mine') }), { source: 'option', path: explicit }); // a folder holding it
  // an explicit path that does not exist is an error, not a fall-through
  await t.throwsAsync(resolveDataset({ ...o, data: join(dir, 'nope.npz') }), { message: /nope\.npz: does not exist/ });
  await t.throwsAsync(resolveDataset({ ...o, data: join(dir, 'work') }), { message: /work: holds no tinymnist\.npz/ });
});

test('a resolved file matching no checksum is refused unless verification is off', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'data'));
  const file = join(dir, 'data', 'pneumoniamnist.npz');
  await writeFile(file, 'custom');
  const err = await t.throwsAsync(resolveDataset({ cwd: dir, env: {}, cacheDir: join(dir, 'c'), download: false }), { instanceOf: DataError });
  t.is(err.code, DataErrorCodes.CHECKSUM);
  t.true(err.message.startsWith(`${file}: is not a known version of pneumoniamnist.npz`));
  t.like(await resolveDataset({ cwd: dir, env: {}, cacheDir: join(dir, 'c'), download: false, verify: false }), { source: 'cwd', path: file, digests: undefined });
});

test('a damaged file in the download cache is refused with the advice to delete it', async (t) => {
  const { spec } = smallDataset();
  const dir = await tempDir(t);
  await mkdir(join(dir, 'cache'));
  const file = join(dir, 'cache', spec.fileName);
  await writeFile(file, 'damaged');
  const err = await t.throwsAsync(resolveDataset({ dataset: spec, cwd: dir, env: {}, cacheDir: join(dir, 'cache'), download: false }), { instanceOf: DataError });
  t.is(err.code, DataErrorCodes.CHECKSUM);
  t.true(err.message.startsWith(`${file}: is not a known version of tinymnist.npz: MD5 `), err.message);
  t.regex(err.message, /delete it to download the data set again\.$/);
});

test('loadDataset resolves and loads the splits with the data set\'s class names', async (t) => {
  const { bytes, spec } = smallDataset();
  const dir = await tempDir(t);
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', spec.fileName), bytes);
  const { splits, resolved } = await loadDataset({ dataset: spec, cwd: dir, env: {}, cacheDir: join(dir, 'c'), download: false });
  t.is(resolved.source, 'cwd');
  t.deepEqual([splits.train.n, splits.val.n, splits.test.n], [40, 5, 6]);
  t.deepEqual(splits.train.classes, ['normal', 'pneumonia']);
});

test('matchDigest accepts the official MD5 or the shared SHA-256 (and nothing else)', (t) => {
  const other = { md5: '0'.repeat(32), sha256: '0'.repeat(64), bytes: 1 };
  t.regex(matchDigest({ ...other, md5: '28209eda62fecd6e6a2d98b1501bb15f' }, PNEUMONIAMNIST.accept)?.what ?? '', /official/);
  t.regex(matchDigest({ ...other, sha256: '94e17afa60430d19c48f4c61c0c6edffca2fe9a64019fa6bbf61496b2ecadd72' }, PNEUMONIAMNIST.accept)?.what ?? '', /shared/);
  t.is(matchDigest(other, PNEUMONIAMNIST.accept), undefined);
});

test('progressBar prints a start and an end line when the stream is not a terminal', (t) => {
  let out = '';
  const stream = new Writable({ write(chunk, _e, done) { out += String(chunk); done(); } }) as unknown as NodeJS.WriteStream;
  const bar = progressBar('f.npz', stream);
  bar({ received: 0, total: 4_600_000, done: false });
  bar({ received: 2_000_000, total: 4_600_000, done: false });
  bar({ received: 4_600_000, total: 4_600_000, done: true });
  t.is(out, 'downloading f.npz (4.6 MB)…\ndownloaded f.npz: 4.6 MB\n');
});

test('the shared copy beside the checkout is found by walking up from the working directory, and verifies', async (t) => {
  const shared = sharedDir();
  if (shared === undefined || !existsSync(join(shared, 'pneumoniamnist.npz'))) {
    t.log('SKIPPED: ../shared/datasets/pneumoniamnist/pneumoniamnist.npz is absent');
    return t.pass();
  }
  const dir = await tempDir(t);
  // From the package folder deep inside the checkout, with nothing in ./data or the cache.
  const r = await resolveDataset({ cwd: process.cwd(), env: {}, cacheDir: join(dir, 'empty-cache'), download: false });
  t.is(r.source, 'shared');
  t.is(r.path, join(shared, 'pneumoniamnist.npz'));
  t.is(r.digests?.sha256, '94e17afa60430d19c48f4c61c0c6edffca2fe9a64019fa6bbf61496b2ecadd72');
});
