import test from 'ava';
import { utf8 } from '@tessera/crypto';
import {
  CHECKPOINT_FORMAT, loadCheckpoint, readSafetensors, saveCheckpoint, sequential, smallCnn, writeSafetensors,
  conv2d, dense, dropout, flatten, groupNorm, maxPool, relu,
} from '../src/index.js';
import { blobs } from './helpers.js';

const model = () =>
  sequential([conv2d({ filters: 3, kernel: 3 }), groupNorm(3), relu(), maxPool(2), flatten(), dense(4), relu(), dropout(0.1), dense(2)], { inputShape: [1, 8, 8], seed: 'ckpt' });

/** Rewrites the JSON header of a checkpoint (keeping the data section). */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => void): Uint8Array {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  edit(h);
  const json = utf8(JSON.stringify(h));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

test('safetensors round trip: same architecture, bit-identical parameters, same predictions', (t) => {
  const m = model();
  m.trainEpochs(blobs(32, 8, 'ck'), { epochs: 1, batchSize: 8 });
  const bytes = saveCheckpoint(m, { site: 'A' });
  const copy = loadCheckpoint(bytes);
  t.deepEqual(copy.architecture, m.architecture);
  t.deepEqual(copy.getParameters(), m.getParameters());
  const x = blobs(5, 8, 'pred').inputs;
  t.deepEqual(copy.predict(x), m.predict(x));
  const { metadata, tensors } = readSafetensors(bytes);
  t.is(metadata.site, 'A');
  t.is(metadata.format, CHECKPOINT_FORMAT);
  t.deepEqual(tensors.map((x) => x.name), ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.5.weight', 'layers.5.bias', 'layers.8.weight', 'layers.8.bias']);
  t.deepEqual(tensors[0]!.shape, [3, 1, 3, 3]);
  t.deepEqual(tensors[4]!.shape, [4, 48]);
});

test('the file layout is standard safetensors: u64 LE header length, padded JSON, LE float32 data in order', (t) => {
  const bytes = writeSafetensors([{ name: 'a', shape: [2], data: new Float32Array([1, -2]) }, { name: 'b', shape: [1, 1], data: new Float32Array([0.5]) }]);
  const view = new DataView(bytes.buffer);
  const n = view.getUint32(0, true);
  t.is(view.getUint32(4, true), 0);
  t.is(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  t.deepEqual(header.a, { dtype: 'F32', shape: [2], data_offsets: [0, 8] });
  t.deepEqual(header.b, { dtype: 'F32', shape: [1, 1], data_offsets: [8, 12] });
  t.deepEqual(header.__metadata__, {});
  t.is(bytes.length, 8 + n + 12);
  t.is(view.getFloat32(8 + n, true), 1);
  t.is(view.getFloat32(8 + n + 4, true), -2);
  t.is(view.getFloat32(8 + n + 8, true), 0.5);
  // A known file: {"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} padded, value 3.0
  const json = '{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
  const known = new Uint8Array(8 + 56 + 4);
  known[0] = 56;
  known.set(utf8(json.padEnd(56, ' ')), 8);
  new DataView(known.buffer).setFloat32(64, 3, true);
  t.deepEqual(readSafetensors(known).tensors, [{ name: 'x', shape: [1], data: new Float32Array([3]) }]);
});

test('loadCheckpoint refuses damaged files and names the problem', (t) => {
  const good = saveCheckpoint(model());
  const bad = (bytes: Uint8Array, message: RegExp) => t.throws(() => loadCheckpoint(bytes), { instanceOf: RangeError, message });
  bad(good.subarray(0, 5), /truncated.*8-byte header length/);
  bad(good.subarray(0, 40), /truncated: header length/);
  bad(good.subarray(0, good.length - 3), /truncated: tensor layers\.8\.bias ends/);
  const extra = new Uint8Array(good.length + 4);
  extra.set(good);
  bad(extra, /4 bytes after the last tensor/);
  const huge = good.slice();
  new DataView(huge.buffer).setUint32(4, 1, true);
  bad(huge, /header length .* exceeds/);
  const badJson = good.slice();
  badJson[8] = 0x7b + 1; // '|' instead of '{'
  bad(badJson, /not valid UTF-8 JSON/);
  bad(withHeader(good, (h) => { h['layers.0.weight'].dtype = 'F16'; }), /layers\.0\.weight has dtype "F16"/);
  bad(withHeader(good, (h) => { h['layers.0.weight'].shape = [3, 1, 9]; }), /layers\.0\.weight has shape \[3, 1, 9\], the architecture needs \[3, 1, 3, 3\]/);
  bad(withHeader(good, (h) => { h['layers.0.weight'].shape = [3, 1, 3, 4]; }), /needs 144 bytes, data_offsets give 108/);
  bad(withHeader(good, (h) => { delete h['layers.5.bias']; }), /starts at byte|missing tensor|after the last/);
  bad(withHeader(good, (h) => { const a = h['layers.0.bias'].data_offsets; h['layers.0.bias'].data_offsets = [a[0] - 4, a[1] - 4]; }), /contiguous/);
  bad(withHeader(good, (h) => { h.__metadata__.format = 'other/2'; }), /format is "other\/2"/);
  bad(withHeader(good, (h) => { h.__metadata__.architecture = '{"inputShape":[1,8,8],"layers":[{"type":"lstm"}]}'; }), /unknown type "lstm"/);
  bad(withHeader(good, (h) => { h.__metadata__.architecture = '{"inputShape":[1,8,8],'; }), /architecture is not valid JSON/);
  bad(withHeader(good, (h) => { const a = JSON.parse(h.__metadata__.architecture); a.layers[5].units = 5; h.__metadata__.architecture = JSON.stringify(a); }), /layers\.5\.weight has shape \[4, 48\], the architecture needs \[5, 48\]/);
  const nan = good.slice();
  const n = new DataView(nan.buffer).getUint32(0, true);
  new DataView(nan.buffer).setFloat32(8 + n + 4, Number.NaN, true);
  bad(nan, /layers\.0\.weight holds a non-finite value at index 1/);
  t.throws(() => loadCheckpoint('x' as never), { instanceOf: TypeError, message: /checkpoint/ });
});

test('the small CNN checkpoint is about 4 bytes per parameter', (t) => {
  const m = smallCnn();
  const bytes = saveCheckpoint(m);
  t.true(bytes.length > 4 * m.parameterCount && bytes.length < 4 * m.parameterCount + 2048, `${bytes.length}`);
  t.deepEqual(loadCheckpoint(bytes).getParameters(), m.getParameters());
});
