/**
 * Register-blocked matrix products on typed arrays, the hot loops of convolution and dense layers.
 * One kernel computes C (+)= A·B for any element strides of A and B, so the three products training
 * needs (A·B, A·Bᵀ, Aᵀ·B) share it. Each 4×4 block of C is accumulated in 16 local variables over the
 * whole inner dimension (16 multiply-adds per 8 loads), then written once; nothing is allocated.
 * Offsets let callers address one example's slice of a batch buffer without creating views.
 * @module
 */
import type { Arr } from './tensor.js';

/**
 * C[i·N + j] (+)= Σ_k A[aOff + i·ai + k·ak] · B[bOff + k·bk + j·bj] for i < M, j < N, k < K, with
 * C at `cOff`, row-major. With `accumulate` false, C is overwritten.
 */
export function gemm(
  M: number, N: number, K: number,
  A: Arr, aOff: number, ai: number, ak: number,
  B: Arr, bOff: number, bk: number, bj: number,
  C: Arr, cOff: number, accumulate: boolean,
): void {
  const M4 = M & ~3, N4 = N & ~3;
  for (let i = 0; i < M4; i += 4) {
    const ar = aOff + i * ai;
    for (let j = 0; j < N4; j += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      let pa = ar, pb = bOff + j * bj;
      for (let k = 0; k < K; k++, pa += ak, pb += bk) {
        const y0 = B[pb]!, y1 = B[pb + bj]!, y2 = B[pb + 2 * bj]!, y3 = B[pb + 3 * bj]!;
        let x = A[pa]!;
        s00 += x * y0; s01 += x * y1; s02 += x * y2; s03 += x * y3;
        x = A[pa + ai]!;
        s10 += x * y0; s11 += x * y1; s12 += x * y2; s13 += x * y3;
        x = A[pa + 2 * ai]!;
        s20 += x * y0; s21 += x * y1; s22 += x * y2; s23 += x * y3;
        x = A[pa + 3 * ai]!;
        s30 += x * y0; s31 += x * y1; s32 += x * y2; s33 += x * y3;
      }
      let c = cOff + i * N + j;
      if (accumulate) {
        C[c] += s00; C[c + 1] += s01; C[c + 2] += s02; C[c + 3] += s03; c += N;
        C[c] += s10; C[c + 1] += s11; C[c + 2] += s12; C[c + 3] += s13; c += N;
        C[c] += s20; C[c + 1] += s21; C[c + 2] += s22; C[c + 3] += s23; c += N;
        C[c] += s30; C[c + 1] += s31; C[c + 2] += s32; C[c + 3] += s33;
      } else {
        C[c] = s00; C[c + 1] = s01; C[c + 2] = s02; C[c + 3] = s03; c += N;
        C[c] = s10; C[c + 1] = s11; C[c + 2] = s12; C[c + 3] = s13; c += N;
        C[c] = s20; C[c + 1] = s21; C[c + 2] = s22; C[c + 3] = s23; c += N;
        C[c] = s30; C[c + 1] = s31; C[c + 2] = s32; C[c + 3] = s33;
      }
    }
    if (N4 < N) edge(i, i + 4, N4, N, K, A, aOff, ai, ak, B, bOff, bk, bj, C, cOff, N, accumulate);
  }
  if (M4 < M) edge(M4, M, 0, N, K, A, aOff, ai, ak, B, bOff, bk, bj, C, cOff, N, accumulate);
}

/** The rows/columns the 4×4 blocks do not cover, one dot product at a time. */
function edge(
  i0: number, i1: number, j0: number, j1: number, K: number,
  A: Arr, aOff: number, ai: number, ak: number, B: Arr, bOff: number, bk: number, bj: number,
  C: Arr, cOff: number, N: number, accumulate: boolean,
): void {
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < j1; j++) {
      let s = 0;
      let pa = aOff + i * ai, pb = bOff + j * bj;
      for (let k = 0; k < K; k++, pa += ak, pb += bk) s += A[pa]! * B[pb]!;
      const c = cOff + i * N + j;
      C[c] = accumulate ? C[c]! + s : s;
    }
  }
}

/**
 * C[M×N] (+)= A[M×K] · B[K×N], all row-major.
 *
 * @example
 * const c = new Float32Array(4);
 * gemmNN(2, 2, 2, new Float32Array([1, 2, 3, 4]), 0, new Float32Array([1, 0, 0, 1]), 0, c, 0, false); // c = [1, 2, 3, 4]
 */
export function gemmNN(M: number, N: number, K: number, A: Arr, aOff: number, B: Arr, bOff: number, C: Arr, cOff: number, accumulate: boolean): void {
  gemm(M, N, K, A, aOff, K, 1, B, bOff, N, 1, C, cOff, accumulate);
}

/** C[M×N] (+)= A[M×K] · B[N×K]ᵀ (weight gradients dW = dY·colsᵀ; dense forward). */
export function gemmNT(M: number, N: number, K: number, A: Arr, aOff: number, B: Arr, bOff: number, C: Arr, cOff: number, accumulate: boolean): void {
  gemm(M, N, K, A, aOff, K, 1, B, bOff, 1, K, C, cOff, accumulate);
}

/** C[M×N] (+)= A[K×M]ᵀ · B[K×N] (input gradients dcols = Wᵀ·dY). */
export function gemmTN(M: number, N: number, K: number, A: Arr, aOff: number, B: Arr, bOff: number, C: Arr, cOff: number, accumulate: boolean): void {
  gemm(M, N, K, A, aOff, 1, M, B, bOff, N, 1, C, cOff, accumulate);
}
