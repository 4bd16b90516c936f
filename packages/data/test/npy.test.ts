import test from 'ava';
import { DataError, DataErrorCodes, formatShape, npyElement, parseNpy, parsePyLiteral } from '../src/index.js';
import { i64le, npy, u8 } from './helpers.js';

test('parseNpy reads versions 1.0, 2.0 and 3.0 with |u1 data', (t) => {
  for (const major of [1, 2, 3] as const) {
    const a = parseNpy(npy('|u1', [2, 3], u8([0, 1, 2, 3, 4, 255]), { major }), 'a.npy');
    t.is(a.version, `${major}.0`);
    t.deepEqual(a.shape, [2, 3]);
    t.is(a.descr, '|u1');
    t.deepEqual([...a.data], [0, 1, 2, 3, 4, 255]);
  }
});

test('parseNpy reads <i8, <u8, <f4, >i2 and 0-d/empty shapes', (t) => {
  const a = parseNpy(npy('<i8', [3], i64le([0, 1, 2 ** 40])), 'l.npy');
  t.deepEqual([0, 1, 2].map((i) => npyElement(a, i)), [0, 1, 2 ** 40]);
  const f = new Float32Array([0, 1, 2.5]);
  const b = parseNpy(npy('<f4', [3, 1], new Uint8Array(f.buffer)), 'f.npy');
  t.deepEqual([0, 1, 2].map((i) => npyElement(b, i)), [0, 1, 2.5]);
  const c = parseNpy(npy('>i2', [2], u8([0xff, 0xfe, 0x01, 0x00])), 'be.npy');
  t.deepEqual([npyElement(c, 0), npyElement(c, 1)], [-2, 256]);
  t.deepEqual(parseNpy(npy('|u1', [0, 28, 28], new Uint8Array(0)), 'e.npy').shape, [0, 28, 28]);
  const u = parseNpy(npy('<u8', [1], i64le([7])), 'u.npy');
  t.is(npyElement(u, 0), 7);
});

test('parseNpy refuses a bad magic, naming the file', (t) => {
  const e = t.throws(() => parseNpy(npy('|u1', [1], u8([0]), { magic: u8([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x5a]) }), 'x.npz: images.npy'), { instanceOf: DataError });
  t.is(e.code, DataErrorCodes.CORRUPT);
  t.regex(e.message, /^x\.npz: images\.npy: .*magic/);
});

test('parseNpy refuses Fortran order with a clear error', (t) => {
  const e = t.throws(() => parseNpy(npy('|u1', [2, 2], u8([1, 2, 3, 4]), { fortran: true }), 'f.npy'), { instanceOf: DataError });
  t.is(e.code, DataErrorCodes.UNSUPPORTED);
  t.regex(e.message, /^f\.npy: .*Fortran order/);
});

test('parseNpy refuses data shorter or longer than the shape', (t) => {
  const short = t.throws(() => parseNpy(npy('|u1', [2, 3], u8([1, 2, 3])), 's.npy'), { instanceOf: DataError });
  t.regex(short.message, /^s\.npy: holds 3 bytes of data but shape \(2, 3\) of '\|u1' needs 6 \(truncated\?\)/);
  t.throws(() => parseNpy(npy('<i8', [1], u8([1, 2, 3, 4, 5, 6, 7, 8, 9])), 'l.npy'), { message: /holds 9 bytes .* needs 8/ });
});

test('parseNpy refuses unknown versions, dtypes, structured arrays and malformed headers', (t) => {
  const v4 = npy('|u1', [1], u8([0]));
  v4[6] = 4;
  t.throws(() => parseNpy(v4, 'v.npy'), { message: /^v\.npy: has \.npy format version 4\.0/ });
  t.throws(() => parseNpy(npy('<f2', [1], u8([0, 0])), 'h.npy'), { message: /element type '<f2'/ });
  t.throws(() => parseNpy(npy('<U4', [1], new Uint8Array(16)), 'u.npy'), { message: /element type '<U4'/ });
  t.throws(() => parseNpy(npy('', [1], u8([0]), { header: "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }" }), 'st.npy'), { message: /structured/ });
  t.throws(() => parseNpy(npy('', [1], u8([0]), { header: "{'descr': '|u1', 'fortran_order': False, 'shape': (1,)" }), 'm.npy'), { message: /^m\.npy: .*not a Python dictionary literal/ });
  t.throws(() => parseNpy(npy('', [1], u8([0]), { header: "{'descr': '|u1', 'fortran_order': False}" }), 'n.npy'), { message: /'shape'/ });
  t.throws(() => parseNpy(npy('', [1], u8([0]), { header: "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'x': 1}" }), 'k.npy'), { message: /unknown key 'x'/ });
  t.throws(() => parseNpy(u8([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 200, 0, 0x7b]), 't.npy'), { message: /^t\.npy: is truncated/ });
  t.throws(() => parseNpy(u8([1, 2]), 'tiny.npy'), { message: /^tiny\.npy: .*magic/ });
});

test('parsePyLiteral reads what NumPy writes and refuses the rest', (t) => {
  const m = parsePyLiteral("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 1), }") as Map<string, unknown>;
  t.deepEqual([...m.entries()], [['descr', '<i8'], ['fortran_order', false], ['shape', [3, 1]]]);
  t.deepEqual(parsePyLiteral('(5,)'), [5]);
  t.deepEqual(parsePyLiteral('()'), []);
  t.deepEqual(parsePyLiteral('[1, 2L, None, True]'), [1, 2, null, true]);
  for (const bad of ["{'a': 1", "{'a' 1}", '(1 2)', 'os.system("x")', "{'a': 1, 'a': 2}", "{1: 2}", '99999999999999999999'])
    t.throws(() => parsePyLiteral(bad), undefined, bad);
  t.is(formatShape([4708]), '(4708,)');
  t.is(formatShape([4708, 28, 28]), '(4708, 28, 28)');
});
