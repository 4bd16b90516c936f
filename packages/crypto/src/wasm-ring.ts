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

import {
  BLOCK, BR, BR_IF, EMPTY, END, I32, I32_ADD, I32_GE_U, I32X4_ADD, I32X4_SPLAT, I32X4_SUB, LOCAL_GET, LOCAL_SET, LOOP, V128_AND, V128_LOAD,
  V128_STORE, assembleModule, fn, i32c, type WasmFunction,
} from './wasm-asm.js';

/** A loop over 16-byte lanes: params (dst, src|mask, bytes), local 3 = end. */
function laneLoop(name: string, op: number[], srcIsPointer: boolean): WasmFunction {
  const rhs = srcIsPointer ? [LOCAL_GET, 1, ...V128_LOAD] : [LOCAL_GET, 1, ...I32X4_SPLAT];
  const advanceSrc = srcIsPointer ? [LOCAL_GET, 1, ...i32c(16), I32_ADD, LOCAL_SET, 1] : [];
  return fn(name, [I32, I32, I32], [], [[1, I32]], [
    LOCAL_GET, 0, LOCAL_GET, 2, I32_ADD, LOCAL_SET, 3,
    BLOCK, EMPTY, LOOP, EMPTY,
    LOCAL_GET, 0, LOCAL_GET, 3, I32_GE_U, BR_IF, 1,
    LOCAL_GET, 0, LOCAL_GET, 0, ...V128_LOAD, ...rhs, ...op, ...V128_STORE,
    LOCAL_GET, 0, ...i32c(16), I32_ADD, LOCAL_SET, 0,
    ...advanceSrc,
    BR, 0, END, END,
  ]);
}

const RING_MODULE = assembleModule([laneLoop('add', I32X4_ADD, true), laneLoop('sub', I32X4_SUB, true), laneLoop('and', V128_AND, false)]);

/** The three kernels bound to one memory. */
export interface RingKernels {
  add(dst: number, src: number, bytes: number): void;
  sub(dst: number, src: number, bytes: number): void;
  and(dst: number, mask: number, bytes: number): void;
}

let compiled: WebAssembly.Module | undefined;
/** Instantiates the kernels over `memory` (the module is compiled once per process). */
export function ringKernels(memory: WebAssembly.Memory): RingKernels {
  compiled ??= new WebAssembly.Module(RING_MODULE);
  const instance = new WebAssembly.Instance(compiled, { env: { memory } });
  return instance.exports as unknown as RingKernels;
}
