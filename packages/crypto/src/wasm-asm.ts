/**
 * A tiny WebAssembly assembler for Tessera's arithmetic kernels: each kernel is written here, opcode by
 * opcode, so that it can be read and reviewed instead of shipped as an opaque blob, and no build step
 * or toolchain is needed. A module imports one memory (`env.memory`) and exports its functions.
 *
 * Encodings follow the WebAssembly core specification 2.0 (binary format, §5) and its fixed-width SIMD
 * instructions (prefix 0xfd, LEB128-encoded opcode).
 *
 * @example
 * const add = fn('add', [I32, I32], [I32], [], [LOCAL_GET, 0, LOCAL_GET, 1, I32_ADD]);
 * const kernels = instantiateKernels<{ add(a: number, b: number): number }>(assembleModule([add]), 1);
 * kernels.exports.add(2, 3); // 5
 * @module
 */

/** Value types. */
export const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;

/** Unsigned LEB128. */
export function leb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`leb: ${n} is not a u32`);
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (for i32.const). */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw new RangeError(`sleb: ${n} is not an i32`);
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const name = (s: string): number[] => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Control and variable instructions.
export const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, EMPTY = 0x40, RETURN = 0x0f;
export const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22;
// Scalar numeric instructions.
export const I32_CONST = 0x41, F64_CONST = 0x44;
export const I32_EQ = 0x46, I32_LT_U = 0x49, I32_GE_U = 0x4f;
export const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_MUL = 0x6c, I32_AND = 0x71, I32_SHL = 0x74, I32_SHR_U = 0x76;
export const F64_ADD = 0xa0;

/** i32.const n. */
export const i32c = (n: number): number[] => [I32_CONST, ...sleb(n)];
/** f64.const x (8 bytes, little-endian IEEE 754). */
export function f64c(x: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return [F64_CONST, ...b];
}

/** A SIMD instruction: prefix 0xfd, the opcode as LEB128, then immediates. */
export const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...leb(op), ...imm];
/** Memory immediates: alignment exponent (log2 bytes) and offset 0. */
const memarg = (alignLog2: number): number[] => [alignLog2, 0];
export const V128_LOAD = simd(0x00, ...memarg(4));
export const V128_STORE = simd(0x0b, ...memarg(4));
/** Loads 64 bits into lane 0 (lanes 0–1 as i32), zeroing the rest. */
export const V128_LOAD64_ZERO = simd(0x5d, ...memarg(3));
/** Stores lane 0 of an i64x2 view (the low 64 bits). */
export const V128_STORE64_LANE0 = simd(0x5b, ...memarg(3), 0);
export const V128_AND = simd(0x4e);
export const I32X4_SPLAT = simd(0x11), F64X2_SPLAT = simd(0x14);
export const F64X2_EXTRACT_LANE = (lane: number): number[] => simd(0x21, lane);
export const I32X4_SHR_S = simd(0xac), I32X4_SHR_U = simd(0xad), I32X4_ADD = simd(0xae), I32X4_SUB = simd(0xb1);
export const F64X2_FLOOR = simd(0x75);
export const F64X2_ADD = simd(0xf0), F64X2_SUB = simd(0xf1), F64X2_MUL = simd(0xf2);
/** f64 lanes → i32 lanes 0–1 (saturating), lanes 2–3 zero. */
export const I32X4_TRUNC_SAT_F64X2_S_ZERO = simd(0xfc), I32X4_TRUNC_SAT_F64X2_U_ZERO = simd(0xfd);
/** i32 lanes 0–1 → f64 lanes. */
export const F64X2_CONVERT_LOW_I32X4_S = simd(0xfe);

/** One function of a module. */
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  /** Extra locals, as [count, type] runs (numbered after the parameters). */
  readonly locals: readonly (readonly [number, number])[];
  /** The body's instructions, without the final `end`. */
  readonly code: readonly number[];
}

/** Shorthand for a {@link WasmFunction}. */
export const fn = (name: string, params: number[], results: number[], locals: [number, number][], code: number[]): WasmFunction =>
  ({ name, params, results, locals, code });

/** A module that imports `env.memory` and exports `functions`, each with its own type. */
export function assembleModule(functions: readonly WasmFunction[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((r) => [r]))]);
  const bodies = functions.map((f) => {
    const body = [...vec(f.locals.map(([count, type]) => [...leb(count), type])), ...f.code, END];
    return [...leb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vec(functions.map((_, i) => leb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...leb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}

/** Kernels bound to a fresh memory of their own. */
export interface KernelInstance<T> {
  /** The memory's bytes (fixed size: the memory never grows, so views stay valid). */
  readonly buffer: ArrayBuffer;
  readonly exports: T;
}

const compiledModules = new Map<Uint8Array, WebAssembly.Module>();

/**
 * Instantiates `bytes` (from {@link assembleModule}) over a new memory of `pages` 64 KiB pages; the
 * module is compiled once per `bytes` object.
 */
export function instantiateKernels<T>(bytes: Uint8Array, pages: number): KernelInstance<T> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  if (!Number.isInteger(pages) || pages < 1 || pages > 65536) throw new RangeError(`pages must be an integer in [1, 65536], got ${pages}`);
  let module = compiledModules.get(bytes);
  if (!module) compiledModules.set(bytes, (module = new WebAssembly.Module(bytes)));
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { buffer: memory.buffer, exports: instance.exports as unknown as T };
}
