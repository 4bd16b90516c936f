/**
 * The NumPy `.npy` format (versions 1.0, 2.0 and 3.0): the magic, the header dictionary
 * (`descr`, `fortran_order`, `shape`) read by a strict parser of the Python literals NumPy writes, and
 * the data bytes checked against the shape. See numpy/lib/format.py for the format.
 * @module
 */
import { DataError, DataErrorCodes } from './errors.js';

/** One element type of a .npy array this package reads. */
export interface NpyDtype {
  /** `u` unsigned, `i` signed, `f` IEEE float, `b` boolean. */
  readonly kind: 'u' | 'i' | 'f' | 'b';
  /** Bytes per element: 1, 2, 4 or 8. */
  readonly size: 1 | 2 | 4 | 8;
  readonly littleEndian: boolean;
}

/** A parsed .npy array: its descriptor, shape and raw data bytes (C order). */
export interface NpyArray {
  /** The descriptor string as written, e.g. `|u1` or `<i8`. */
  readonly descr: string;
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  /** Exactly product(shape)·dtype.size bytes. */
  readonly data: Uint8Array;
  /** The .npy format version, e.g. `1.0`. */
  readonly version: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** `(4708, 28, 28)`, as NumPy prints a shape. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * Parses a .npy file held in `bytes`; `name` names it in errors (e.g. `pneumoniamnist.npz: train_images.npy`).
 * Refuses a bad magic, an unknown version, a header that is not the dictionary NumPy writes, Fortran
 * order, an element type it cannot read, and data shorter or longer than the shape says.
 *
 * @example
 * const a = parseNpy(bytes, 'labels.npy');
 * a.shape; // [64, 1]
 * a.descr; // '|u1'
 */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  const fail = (code: (typeof DataErrorCodes)[keyof typeof DataErrorCodes], problem: string): never => {
    throw new DataError(code, problem, name);
  };
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) fail(DataErrorCodes.CORRUPT, 'is not a .npy array: the magic \\x93NUMPY is missing');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  const version = `${major}.${minor}`;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) fail(DataErrorCodes.UNSUPPORTED, `has .npy format version ${version}; this reader knows 1.0, 2.0 and 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail(DataErrorCodes.CORRUPT, 'is truncated inside the .npy header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + headerLen > bytes.length) fail(DataErrorCodes.CORRUPT, `is truncated: the .npy header says ${headerLen} bytes but only ${bytes.length - start} follow`);
  const headerBytes = bytes.subarray(start, start + headerLen);
  let header: string;
  try {
    header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(headerBytes);
  } catch {
    return fail(DataErrorCodes.CORRUPT, 'has a .npy header that is not valid UTF-8');
  }
  let dict: unknown;
  try {
    dict = parsePyLiteral(header);
  } catch (e) {
    return fail(DataErrorCodes.CORRUPT, `has a .npy header that is not a Python dictionary literal: ${(e as Error).message}`);
  }
  if (!(dict instanceof Map)) return fail(DataErrorCodes.CORRUPT, 'has a .npy header that is not a dictionary');
  for (const k of dict.keys()) if (!['descr', 'fortran_order', 'shape'].includes(k)) fail(DataErrorCodes.CORRUPT, `has an unknown key '${k}' in its .npy header`);
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof descr !== 'string') return fail(DataErrorCodes.UNSUPPORTED, `has 'descr' ${describePy(descr)}; only simple element types such as '|u1' or '<i8' are read (no structured arrays)`);
  if (typeof fortran !== 'boolean') return fail(DataErrorCodes.CORRUPT, "has no boolean 'fortran_order' in its .npy header");
  if (fortran) fail(DataErrorCodes.UNSUPPORTED, "is stored in Fortran order (fortran_order: True); save it in C order, e.g. np.ascontiguousarray(a)");
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0))
    return fail(DataErrorCodes.CORRUPT, "has no 'shape' tuple of non-negative integers in its .npy header");
  const dtype = parseDescr(descr);
  if (dtype === undefined) return fail(DataErrorCodes.UNSUPPORTED, `has element type '${descr}'; this reader knows u1, i1, b1, u2, i2, u4, i4, u8, i8, f4, f8 (either byte order)`);
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  const need = count * dtype.size;
  const have = bytes.length - start - headerLen;
  if (!Number.isSafeInteger(need) || have !== need)
    fail(DataErrorCodes.CORRUPT, `holds ${have} bytes of data but shape ${formatShape(shape as number[])} of '${descr}' needs ${need}${have < need ? ' (truncated?)' : ''}`);
  return { descr, dtype, shape: Object.freeze([...(shape as number[])]), data: bytes.subarray(start + headerLen), version };
}

/** Reads '|u1', '<i8', '>f4'… into a dtype, or undefined when unsupported. */
function parseDescr(descr: string): NpyDtype | undefined {
  const m = /^([<>|=])([uifb])([1248])$/.exec(descr);
  if (!m) return undefined;
  const order = m[1]!;
  const kind = m[2] as NpyDtype['kind'];
  const size = Number(m[3]) as NpyDtype['size'];
  if (kind === 'f' && size < 4) return undefined; // float16 and float8 are not read
  if (kind === 'b' && size !== 1) return undefined;
  if (order === '|' && size !== 1) return undefined; // '|' means "no byte order": only 1-byte types
  // '=' is the writer's native order; every platform NumPy writes .npz on for MedMNIST is little-endian.
  return { kind, size, littleEndian: order !== '>' };
}

/** Element `i` of `a` as a JavaScript number (8-byte integers must be below 2^53 in magnitude). */
export function npyElement(a: NpyArray, i: number, view = new DataView(a.data.buffer, a.data.byteOffset, a.data.byteLength)): number {
  const o = i * a.dtype.size;
  const le = a.dtype.littleEndian;
  switch (`${a.dtype.kind}${a.dtype.size}`) {
    case 'u1':
    case 'b1':
      return view.getUint8(o);
    case 'i1':
      return view.getInt8(o);
    case 'u2':
      return view.getUint16(o, le);
    case 'i2':
      return view.getInt16(o, le);
    case 'u4':
      return view.getUint32(o, le);
    case 'i4':
      return view.getInt32(o, le);
    case 'u8':
      return Number(view.getBigUint64(o, le));
    case 'i8':
      return Number(view.getBigInt64(o, le));
    case 'f4':
      return view.getFloat32(o, le);
    default:
      return view.getFloat64(o, le);
  }
}

function describePy(v: unknown): string {
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return 'a tuple or list';
  if (v instanceof Map) return 'a dictionary';
  return JSON.stringify(v);
}

/**
 * A strict parser of the Python literals NumPy writes in .npy headers: dictionaries (to Map), tuples
 * and lists (to arrays), quoted strings, integers, True/False/None. Anything else throws.
 */
export function parsePyLiteral(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${i + 1}`);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const value = (depth: number): unknown => {
    if (depth > 16) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const m = new Map<string, unknown>();
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return m;
        }
        const k = value(depth + 1);
        if (typeof k !== 'string') fail('expected a string key');
        if (m.has(k as string)) fail(`duplicate key '${k}'`);
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        m.set(k as string, value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const out: unknown[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return out;
        }
        out.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      if (s.includes('\\')) fail('escapes in strings are not read');
      i = end + 1;
      return s;
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i, i + 32));
    if (!m) return fail(c === undefined ? 'unexpected end' : `unexpected '${c}'`);
    i += m[1]!.length;
    if (m[1] === 'True') return true;
    if (m[1] === 'False') return false;
    if (m[1] === 'None') return null;
    const n = Number(m[1]!.replace('L', ''));
    if (!Number.isSafeInteger(n)) fail('integer too large');
    return n;
  };
  const v = value(0);
  ws();
  if (i < text.length) fail('unexpected text after the literal');
  return v;
}
