/**
 * WebAssembly SIMD kernels for the client encoder's two heaviest sweeps, assembled from their opcodes
 * with @tessera/crypto's assembler so that they can be reviewed:
 *
 *   radix4(ptr, bytes, hb, s)  one radix-4 pass of the Walsh–Hadamard transform over the f64 array at
 *                              byte offset ptr (bytes long), butterfly stride hb bytes (h ≥ 2 entries,
 *                              so that lanes j and j + 1 belong to two butterflies of the same shape),
 *                              every output times s (f64x2: two butterflies per instruction)
 *   radix2(ptr, bytes, hb, s)  the same with radix 2 (the last level when log2 n is odd)
 *   round(x, z, u, out, count, mask) → Σ r²
 *                              conditional randomized rounding of one attempt, straight into the ring:
 *                              r_i = ⌊x_i⌋ + [u_i >>> 1 < ⌊frac(x_i)·2^31⌋], out_i = (r_i + z_i) mod 2^32
 *                              & mask, for f64 x and z, u32 u and out; returns Σ r_i² (two lanes of
 *                              partial sums, added at the end)
 *
 * Why: the same loops in JavaScript take 5 ms each at 2^20 entries (measured here), scalar f64 code
 * that V8 does not vectorise; f64x2 halves the instruction count and keeps the rounding's compare
 * branch-free. The rounding is the same function of (x, z, u) as {@link conditionalRoundToRing}, bit for
 * bit (the tests check it); only the order of the floating-point sum of squares differs.
 * @module
 */
import {
  BLOCK, BR, BR_IF, EMPTY, END, F64, F64X2_ADD, F64X2_CONVERT_LOW_I32X4_S, F64X2_EXTRACT_LANE, F64X2_FLOOR, F64X2_MUL, F64X2_SPLAT,
  F64X2_SUB, F64_ADD, I32, I32X4_SHR_S, I32X4_SHR_U, I32X4_SPLAT, I32X4_SUB, I32X4_TRUNC_SAT_F64X2_S_ZERO, I32X4_TRUNC_SAT_F64X2_U_ZERO,
  I32_ADD, I32_GE_U, I32_SHL, LOCAL_GET, LOCAL_SET, LOCAL_TEE, LOOP, V128, V128_AND, V128_LOAD, V128_LOAD64_ZERO, V128_STORE,
  V128_STORE64_LANE0, assembleModule, f64c, fn, i32c, instantiateKernels,
} from '@tessera/crypto';
import { runPasses } from './hadamard.js';

const get = (i: number) => [LOCAL_GET, i];
const set = (i: number) => [LOCAL_SET, i];

/** radix-4 or radix-2 butterflies over f64x2 lanes. Params 0 ptr, 1 bytes, 2 hb, 3 s. */
function butterflyPass(radix: 2 | 4) {
  // Locals: 4 end, 5 i, 6 j, 7 jend, 8 2hb, 9 3hb (i32); 10 s·(1,1), 11 a, 12 b, 13 c, 14 d, 15 e (v128).
  const [END_, I, J, JEND, H2, H3, SV, A, B, C, D, E] = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const at = (offset: number[]) => [...get(J), ...offset, I32_ADD]; // address j + offset
  const load = (offset: number[] | null, into: number) => [...(offset ? at(offset) : get(J)), ...V128_LOAD, ...set(into)];
  const store = (offset: number[] | null, value: number[]) => [...(offset ? at(offset) : get(J)), ...value, ...get(SV), ...F64X2_MUL, ...V128_STORE];
  const body = radix === 4
    ? [
      ...load(null, A), ...load(get(2), B), ...load(get(H2), C), ...load(get(H3), D),
      ...get(A), ...get(B), ...F64X2_ADD, ...set(E), // e = a + b
      ...get(A), ...get(B), ...F64X2_SUB, ...set(A), // a = a − b
      ...get(C), ...get(D), ...F64X2_ADD, ...set(B), // b = c + d
      ...get(C), ...get(D), ...F64X2_SUB, ...set(C), // c = c − d
      ...store(null, [...get(E), ...get(B), ...F64X2_ADD]),
      ...store(get(2), [...get(A), ...get(C), ...F64X2_ADD]),
      ...store(get(H2), [...get(E), ...get(B), ...F64X2_SUB]),
      ...store(get(H3), [...get(A), ...get(C), ...F64X2_SUB]),
    ]
    : [
      ...load(null, A), ...load(get(2), B),
      ...store(null, [...get(A), ...get(B), ...F64X2_ADD]),
      ...store(get(2), [...get(A), ...get(B), ...F64X2_SUB]),
    ];
  const groupBytes = radix === 4 ? [...get(H3), ...get(2), I32_ADD] : get(H2);
  return fn(`radix${radix}`, [I32, I32, I32, F64], [], [[6, I32], [6, V128]], [
    ...get(3), ...F64X2_SPLAT, ...set(SV),
    ...get(0), ...get(1), I32_ADD, ...set(END_),
    ...get(2), ...i32c(1), I32_SHL, ...set(H2),
    ...get(H2), ...get(2), I32_ADD, ...set(H3),
    ...get(0), ...set(I),
    BLOCK, EMPTY, LOOP, EMPTY,
    ...get(I), ...get(END_), I32_GE_U, BR_IF, 1,
    ...get(I), ...set(J), ...get(I), ...get(2), I32_ADD, ...set(JEND),
    BLOCK, EMPTY, LOOP, EMPTY,
    ...get(J), ...get(JEND), I32_GE_U, BR_IF, 1,
    ...body,
    ...get(J), ...i32c(16), I32_ADD, ...set(J),
    BR, 0, END, END,
    ...get(I), ...groupBytes, I32_ADD, ...set(I),
    BR, 0, END, END,
  ]);
}

/** The rounding sweep. Params 0 x, 1 z, 2 u, 3 out (byte offsets), 4 count (even), 5 mask; returns Σ r². */
function roundPass() {
  // Locals: 6 end (i32); 7 acc, 8 v, 9 f, 10 r, 11 y, 12 mask, 13 2^31, 14 2^−32, 15 2^32 (v128).
  const [END_, ACC, V, F, R, Y, MASK, T31, INV32, T32] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  return fn('round', [I32, I32, I32, I32, I32, I32], [F64], [[1, I32], [9, V128]], [
    ...get(5), ...I32X4_SPLAT, ...set(MASK),
    ...f64c(2 ** 31), ...F64X2_SPLAT, ...set(T31),
    ...f64c(2 ** -32), ...F64X2_SPLAT, ...set(INV32),
    ...f64c(2 ** 32), ...F64X2_SPLAT, ...set(T32),
    ...f64c(0), ...F64X2_SPLAT, ...set(ACC),
    ...get(0), ...get(4), ...i32c(3), I32_SHL, I32_ADD, ...set(END_),
    BLOCK, EMPTY, LOOP, EMPTY,
    ...get(0), ...get(END_), I32_GE_U, BR_IF, 1,
    ...get(0), ...V128_LOAD, ...set(V),
    ...get(V), ...F64X2_FLOOR, ...set(F),
    // r = f − (−1 or 0): the sign of (u >>> 1) − ⌊(v − f)·2^31⌋ in i32 lanes 0–1, widened to f64.
    ...get(F),
    ...get(2), ...V128_LOAD64_ZERO, ...i32c(1), ...I32X4_SHR_U,
    ...get(V), ...get(F), ...F64X2_SUB, ...get(T31), ...F64X2_MUL, ...I32X4_TRUNC_SAT_F64X2_S_ZERO,
    ...I32X4_SUB, ...i32c(31), ...I32X4_SHR_S, ...F64X2_CONVERT_LOW_I32X4_S,
    ...F64X2_SUB, LOCAL_TEE, R,
    ...get(R), ...F64X2_MUL, ...get(ACC), ...F64X2_ADD, ...set(ACC),
    // y = r + z; out = (y − ⌊y·2^−32⌋·2^32) & mask, exact for |y| < 2^53.
    ...get(R), ...get(1), ...V128_LOAD, ...F64X2_ADD, ...set(Y),
    ...get(3),
    ...get(Y), ...get(Y), ...get(INV32), ...F64X2_MUL, ...F64X2_FLOOR, ...get(T32), ...F64X2_MUL, ...F64X2_SUB,
    ...I32X4_TRUNC_SAT_F64X2_U_ZERO, ...get(MASK), ...V128_AND,
    ...V128_STORE64_LANE0,
    ...get(0), ...i32c(16), I32_ADD, ...set(0),
    ...get(1), ...i32c(16), I32_ADD, ...set(1),
    ...get(2), ...i32c(8), I32_ADD, ...set(2),
    ...get(3), ...i32c(8), I32_ADD, ...set(3),
    BR, 0, END, END,
    ...get(ACC), ...F64X2_EXTRACT_LANE(0), ...get(ACC), ...F64X2_EXTRACT_LANE(1), F64_ADD,
  ]);
}

const MODULE = assembleModule([butterflyPass(4), butterflyPass(2), roundPass()]);

interface Exports {
  radix4(ptr: number, bytes: number, hb: number, s: number): void;
  radix2(ptr: number, bytes: number, hb: number, s: number): void;
  round(x: number, z: number, u: number, out: number, count: number, mask: number): number;
}

/** Smallest and largest n_pad the kernels take (the JavaScript path serves the rest). */
export const KERNEL_MIN_DIM = 16;
export const KERNEL_MAX_DIM = 2 ** 24;

/**
 * The encoder's work space for one n_pad: x (f64), the noise z (f64), the rounding words u and the
 * output (u32) in one WebAssembly memory of 24·n bytes, and the kernels over it.
 */
export class EncodeWorkspace {
  readonly n: number;
  readonly x: Float64Array;
  readonly z: Float64Array;
  readonly u: Uint32Array;
  readonly out: Uint32Array;
  readonly #k: Exports;
  readonly #bytes: Uint8Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < KERNEL_MIN_DIM || n > KERNEL_MAX_DIM || (n & (n - 1)) !== 0)
      throw new RangeError(`n must be a power of two in [${KERNEL_MIN_DIM}, 2^24], got ${n}`);
    this.n = n;
    const { buffer, exports } = instantiateKernels<Exports>(MODULE, Math.ceil((24 * n) / 65536));
    this.#k = exports;
    this.x = new Float64Array(buffer, 0, n);
    this.z = new Float64Array(buffer, 8 * n, n);
    this.u = new Uint32Array(buffer, 16 * n, n);
    this.out = new Uint32Array(buffer, 20 * n, n);
    this.#bytes = new Uint8Array(buffer, 0, 24 * n);
  }

  /**
   * x ← H·x·scale for an x whose first two levels (h = 1, 2) are already done (the caller's first
   * sweep fuses them with the sign flip): radix-4 passes from h = 4, a radix-2 pass last when
   * log2 n is odd, the scale folded into the last pass; passes within 2^15 entries block by block.
   */
  fwhtFromLevel2(scale: number): void {
    // n ≥ 16: at least one pass remains, and the last carries the scale.
    runPasses(this.n, 4, 4, (h, radix, from, to, last) =>
      (radix === 4 ? this.#k.radix4 : this.#k.radix2)(8 * from, 8 * (to - from), 8 * h, last ? scale : 1));
  }

  /** One rounding attempt over x with noise z and words u into out (low `bits` bits); returns Σ r². */
  round(bits: number): number {
    return this.#k.round(0, 8 * this.n, 16 * this.n, 20 * this.n, this.n, bits === 32 ? -1 : 2 ** bits - 1);
  }

  /** Zeroes the whole work space (it held an update, noise and rounding words). */
  wipe(): void {
    this.#bytes.fill(0);
  }
}

let current: EncodeWorkspace | null = null;
/** The work space for n_pad = n (one kept at a time, like the JavaScript path's scratch buffers). */
export function encodeWorkspace(n: number): EncodeWorkspace {
  if (current === null || current.n !== n) current = new EncodeWorkspace(n);
  return current;
}
