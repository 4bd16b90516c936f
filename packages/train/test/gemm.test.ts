import test from 'ava';
import fc from 'fast-check';
import { gemmNN, gemmNT, gemmTN, im2col, col2im } from '../src/index.js';

function naive(M: number, N: number, K: number, a: (i: number, k: number) => number, b: (k: number, j: number) => number): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a(i, k) * b(k, j);
    c[i * N + j] = s;
  }
  return c;
}

test('gemmNN, gemmNT and gemmTN match the naive product for all block/edge sizes, with offsets and accumulation', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 3 }), (M, N, K, off) => {
      const A = Float64Array.from({ length: off + M * K }, (_, i) => Math.sin(i + 1));
      const B = Float64Array.from({ length: off + K * N }, (_, i) => Math.cos(i * 0.7));
      const init = Float64Array.from({ length: off + M * N }, (_, i) => i % 3);
      const check = (C: Float64Array, want: Float64Array, acc: boolean): boolean =>
        want.every((w, i) => Math.abs(C[off + i]! - (w + (acc ? init[off + i]! : 0))) < 1e-12);
      const nn = naive(M, N, K, (i, k) => A[off + i * K + k]!, (k, j) => B[off + k * N + j]!);
      for (const acc of [false, true]) {
        const C = init.slice();
        gemmNN(M, N, K, A, off, B, off, C, off, acc);
        if (!check(C, nn, acc)) return false;
      }
      // A[M×K]·B'[N×K]ᵀ with B' = B read as N×K
      const nt = naive(M, N, K, (i, k) => A[off + i * K + k]!, (k, j) => B[off + j * K + k]!);
      const C2 = init.slice();
      gemmNT(M, N, K, A, off, B, off, C2, off, true);
      if (!check(C2, nt, true)) return false;
      // A'[K×M]ᵀ·B[K×N] with A' = A read as K×M
      const tn = naive(M, N, K, (i, k) => A[off + k * M + i]!, (k, j) => B[off + k * N + j]!);
      const C3 = init.slice();
      gemmTN(M, N, K, A, off, B, off, C3, off, false);
      return check(C3, tn, false);
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>', (t) => {
  for (const [C, H, W, k, s, p] of [[2, 5, 6, 3, 1, 1], [1, 7, 7, 3, 2, 0], [3, 4, 4, 5, 1, 2], [2, 6, 5, 2, 2, 1]] as const) {
    const OH = Math.floor((H + 2 * p - k) / s) + 1, OW = Math.floor((W + 2 * p - k) / s) + 1;
    const x = Float64Array.from({ length: C * H * W }, (_, i) => Math.sin(i));
    const c = Float64Array.from({ length: C * k * k * OH * OW }, (_, i) => Math.cos(i * 1.3));
    const cols = new Float64Array(c.length);
    im2col(x, 0, C, H, W, k, s, p, OH, OW, cols, 0);
    const dx = new Float64Array(x.length);
    col2im(c, 0, C, H, W, k, s, p, OH, OW, dx, 0);
    let a = 0, b = 0;
    for (let i = 0; i < c.length; i++) a += cols[i]! * c[i]!;
    for (let i = 0; i < x.length; i++) b += x[i]! * dx[i]!;
    t.true(Math.abs(a - b) < 1e-9, `[${C},${H},${W}] k=${k} s=${s} p=${p}: ${a} vs ${b}`);
  }
  // A known im2col: 1×3×3 input, 3×3 kernel, padding 1 — the centre column is the input itself.
  const x = Float64Array.from({ length: 9 }, (_, i) => i + 1);
  const cols = new Float64Array(81);
  im2col(x, 0, 1, 3, 3, 3, 1, 1, 3, 3, cols, 0);
  t.deepEqual([...cols.subarray(4 * 9, 5 * 9)], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual([...cols.subarray(0, 9)], [0, 0, 0, 0, 1, 2, 0, 4, 5]); // kernel offset (−1, −1)
});
