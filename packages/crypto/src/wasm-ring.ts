/**
 * A WebAssembly SIMD kernel for word-wise arithmetic in Z_2^32 (i32x4 lanes), assembled here from its
 * opcodes so that it can be read and reviewed instead of shipped as an opaque blob.
 *
 * Why: V8 adds two Int32Arrays at ~1.1 ns per word on this machine even in L1 cache, slower than
 * AES-NI produces the keystream (~0.2 ns per word), so a JavaScript loop would make masking 2.5× the
 * cost of the PRG; i32x4.add runs at memory speed. Every function takes byte offsets into the
 * instance's memory and a byte count that is a multiple of 16.
 *
 *   add(dst, src, bytes): dst[i] = dst[i] + src[i]  (mod 2^32)
 *   sub(dst, src, bytes): dst[i] = dst[i] − src[i]  (mod 2^32)
 *   and(dst, mask, bytes): dst[i] = dst[i] & mask
 * @module
 */

const I32 = 0x7f;
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const name = (s: string): number[] => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Opcodes (WebAssembly core 2.0 + fixed-width SIMD).
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, I32_CONST = 0x41, I32_ADD = 0x6a, I32_GE_U = 0x4f;
const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, EMPTY = 0x40;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00, 0x04, 0x00]; // align 2^4, offset 0
const V128_STORE = [SIMD, 0x0b, 0x04, 0x00];
const I32X4_SPLAT = [SIMD, 0x11];
const V128_AND = [SIMD, 0x4e];
const I32X4_ADD = [SIMD, ...leb(174)];
const I32X4_SUB = [SIMD, ...leb(177)];

/** Body of a loop over 16-byte lanes: params (dst, src|mask, bytes), local 3 = end. */
function laneLoop(op: number[], srcIsPointer: boolean): number[] {
  const rhs = srcIsPointer ? [LOCAL_GET, 1, ...V128_LOAD] : [LOCAL_GET, 1, ...I32X4_SPLAT];
  const advanceSrc = srcIsPointer ? [LOCAL_GET, 1, I32_CONST, 16, I32_ADD, LOCAL_SET, 1] : [];
  const code = [
    LOCAL_GET, 0, LOCAL_GET, 2, I32_ADD, LOCAL_SET, 3,
    BLOCK, EMPTY, LOOP, EMPTY,
    LOCAL_GET, 0, LOCAL_GET, 3, I32_GE_U, BR_IF, 1,
    LOCAL_GET, 0, LOCAL_GET, 0, ...V128_LOAD, ...rhs, ...op, ...V128_STORE,
    LOCAL_GET, 0, I32_CONST, 16, I32_ADD, LOCAL_SET, 0,
    ...advanceSrc,
    BR, 0, END, END, END,
  ];
  const body = [...vec([[1, I32]]), ...code];
  return [...leb(body.length), ...body];
}

function assemble(): Uint8Array {
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vec([[0], [0], [0]])),
    ...section(7, vec([[...name('add'), 0x00, 0], [...name('sub'), 0x00, 1], [...name('and'), 0x00, 2]])),
    ...section(10, vec([laneLoop(I32X4_ADD, true), laneLoop(I32X4_SUB, true), laneLoop(V128_AND, false)])),
  ];
  return new Uint8Array(bytes);
}

/** The three kernels bound to one memory. */
export interface RingKernels {
  add(dst: number, src: number, bytes: number): void;
  sub(dst: number, src: number, bytes: number): void;
  and(dst: number, mask: number, bytes: number): void;
}

let compiled: WebAssembly.Module | undefined;
/** Instantiates the kernels over `memory` (the module is compiled once per process). */
export function ringKernels(memory: WebAssembly.Memory): RingKernels {
  compiled ??= new WebAssembly.Module(assemble());
  const instance = new WebAssembly.Instance(compiled, { env: { memory } });
  return instance.exports as unknown as RingKernels;
}
