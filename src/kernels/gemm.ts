/**
 * The matrix multiply of execute mode in plain JavaScript: C[M,N] (+)= A[M,K] · B[K,N] in float32
 * storage, float64 arithmetic. Convolutions (after im2col, or directly for 1x1) and linear layers
 * call it through their context (src/execute/context.ts), which runs the WebAssembly SIMD version
 * of the same blocking (src/execute/wasm/gemm-kernel.ts) when the engine has SIMD128, and this one
 * otherwise or with CNNSCOPE_NO_WASM=1. gemmReference, below, is the textbook loop both are tested
 * against.
 *
 * Blocking, after Goto and van de Geijn ("Anatomy of high-performance matrix multiplication",
 * 2008), as plain JavaScript can run it (no SIMD: every MAC is one scalar multiply and add):
 *
 *   for jc in N by NC                       columns of C and B that fit the B pack (L2/L3)
 *     for pc in K by KC                     a slice of the shared dimension
 *       pack B[pc:+KC, jc:+NC] -> Bp        panels of NR columns, k-major, float64, zero-padded
 *       for ic in M by MC                   rows of C and A that fit the A pack (L1/L2)
 *         pack A[ic:+MC, pc:+KC] -> Ap      panels of MR rows, k-major, float64, zero-padded
 *         for each NR panel of Bp, each MR panel of Ap:
 *           micro-kernel: a 4x4 block of C in 16 local variables, one pass over KC:
 *           per k, 4 loads of A, 4 loads of B, 16 multiply-adds (two loads per MAC become half a load)
 *
 * The 4x4 register block is the fastest shape measured on V8 (about 3 GMAC/s on a 2020s x86 core;
 * larger blocks spill, smaller ones load more). Packing into float64 spares the inner loop the
 * float32 conversions. Matrices are strided views, so transposes (linear's weight, the output
 * of a batched linear) cost nothing. N == 1 (a matrix-vector product: linear at batch 1) takes a
 * plain dot-product loop instead of padding the column to a panel.
 */

import type { Mat } from './mat.js';

export const MR = 4;
export const NR = 4;
export const KC = 256;
/** Multiples of MR and NR. */
export const MC = 64;
export const NC = 1024;

/** The pack buffers of one thread, reused by every call (MC*KC + KC*NC float64: 2.1 MiB). */
export class GemmScratch {
  readonly a = new Float64Array(MC * KC);
  readonly b = new Float64Array(KC * NC);
  /** The 4x4 block of an edge, before it is clipped to C. */
  readonly block = new Float32Array(MR * NR);
}

/** Bytes of one GemmScratch, for the memory estimate. */
export const GEMM_SCRATCH_BYTES = (MC * KC + KC * NC) * 8 + MR * NR * 4;

/**
 * C = A·B, or C += A·B when `accumulate`. A is M×K, B is K×N, C is M×N. C must not overlap A or B.
 * Performs exactly M*N*K multiply-accumulates (the zero padding of edge panels aside, which only
 * multiplies zeros into results that are discarded).
 */
export function gemm(M: number, N: number, K: number, A: Mat, B: Mat, C: Mat, accumulate: boolean, scratch: GemmScratch): void {
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) C.data[C.offset + i * C.rs + j * C.cs] = 0;
    return;
  }
  if (N === 1) {
    gemv(M, K, A, B, C, accumulate);
    return;
  }
  // Zero C first unless accumulating, so every K slice below adds: the micro-kernel has one
  // store path (V8 optimizes it once, with no branch it has not seen yet).
  if (!accumulate) zeroMat(M, N, C);
  const Ap = scratch.a;
  const Bp = scratch.b;
  // Offsets and strides as int32 (callers may compute them with divisions, which V8 can hand
  // over as doubles; mixed representations make the kernels deoptimize). Buffers stay below 2^31 floats.
  const c = C.data;
  const crs = C.rs | 0;
  const ccs = C.cs | 0;
  const cOffset = C.offset | 0;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packB(B, pc, kc, jc, nc, Bp);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packA(A, ic, mc, pc, kc, Ap);
        // Panel starts advance by kc*NR and kc*MR (integer steps: no divisions in index math).
        for (let jr = 0, bPanel = 0; jr < nc; jr += NR, bPanel += kc * NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0, aPanel = 0; ir < mc; ir += MR, aPanel += kc * MR) {
            const o = cOffset + (ic + ir) * crs + (jc + jr) * ccs;
            const mr = Math.min(MR, mc - ir);
            if (mr === MR && nr === NR && ccs === 1) micro4x4(kc, Ap, aPanel, Bp, bPanel, c, o, crs);
            else microEdge(kc, Ap, aPanel, Bp, bPanel, c, o, crs, ccs, mr, nr, scratch.block);
          }
        }
      }
    }
  }
}

/** C[0:M, 0:N] = 0. */
export function zeroMat(M: number, N: number, C: Mat): void {
  const { data, offset, rs, cs } = C;
  for (let i = 0; i < M; i++) {
    if (cs === 1) data.fill(0, offset + i * rs, offset + i * rs + N);
    else for (let j = 0; j < N; j++) data[offset + i * rs + j * cs] = 0;
  }
}

/** Bp[panel][k][NR] = B[pc+k, jc + panel*NR + jj], zero beyond the last column. */
function packB(B: Mat, pc: number, kc: number, jc: number, nc: number, Bp: Float64Array): void {
  const data = B.data;
  const offset = B.offset | 0,
    rs = B.rs | 0,
    cs = B.cs | 0;
  let dst = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    for (let k = 0; k < kc; k++) {
      const src = offset + (pc + k) * rs + (jc + jr) * cs;
      if (cols === NR) {
        Bp[dst] = data[src]!;
        Bp[dst + 1] = data[src + cs]!;
        Bp[dst + 2] = data[src + 2 * cs]!;
        Bp[dst + 3] = data[src + 3 * cs]!;
      } else {
        for (let jj = 0; jj < NR; jj++) Bp[dst + jj] = jj < cols ? data[src + jj * cs] : 0;
      }
      dst += NR;
    }
  }
}

/** Ap[panel][k][MR] = A[ic + panel*MR + ii, pc+k], zero beyond the last row. */
function packA(A: Mat, ic: number, mc: number, pc: number, kc: number, Ap: Float64Array): void {
  const data = A.data;
  const offset = A.offset | 0,
    rs = A.rs | 0,
    cs = A.cs | 0;
  let dst = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    for (let ii = 0; ii < MR; ii++) {
      // Row ii of the panel: a strided walk over k, written every MR-th slot.
      if (ii < rows) {
        let src = offset + (ic + ir + ii) * rs + pc * cs;
        for (let k = 0; k < kc; k++, src += cs) Ap[dst + k * MR + ii] = data[src]!;
      } else {
        for (let k = 0; k < kc; k++) Ap[dst + k * MR + ii] = 0;
      }
    }
    dst += kc * MR;
  }
}

/**
 * A 4x4 block of C from one A panel (kc×4, k-major) and one B panel (kc×4, k-major):
 * c[ii][jj] = sum_k Ap[k][ii] * Bp[k][jj], added to the row-major block of C at c[o + ii*rs + jj].
 * Arguments are numbers and arrays only, so V8 compiles one monomorphic loop.
 */
function micro4x4(kc: number, Ap: Float64Array, a: number, Bp: Float64Array, b: number, c: Float32Array, o: number, rs: number): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0;
  let c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  for (let k = 0; k < kc; k++, a += 4, b += 4) {
    const a0 = Ap[a],
      a1 = Ap[a + 1],
      a2 = Ap[a + 2],
      a3 = Ap[a + 3];
    const b0 = Bp[b],
      b1 = Bp[b + 1],
      b2 = Bp[b + 2],
      b3 = Bp[b + 3];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  const o1 = o + rs,
    o2 = o1 + rs,
    o3 = o2 + rs;
  c[o] += c00;
  c[o + 1] += c01;
  c[o + 2] += c02;
  c[o + 3] += c03;
  c[o1] += c10;
  c[o1 + 1] += c11;
  c[o1 + 2] += c12;
  c[o1 + 3] += c13;
  c[o2] += c20;
  c[o2 + 1] += c21;
  c[o2 + 2] += c22;
  c[o2 + 3] += c23;
  c[o3] += c30;
  c[o3 + 1] += c31;
  c[o3 + 2] += c32;
  c[o3 + 3] += c33;
}

/**
 * An edge block (mr < 4 or nr < 4) or a C with a column stride: the full 4x4 micro-kernel into a
 * small float32 block (the packs are zero-padded), then only the mr×nr part is added to C.
 */
function microEdge(
  kc: number,
  Ap: Float64Array,
  a: number,
  Bp: Float64Array,
  b: number,
  c: Float32Array,
  o: number,
  rs: number,
  cs: number,
  mr: number,
  nr: number,
  block: Float32Array,
): void {
  block.fill(0);
  micro4x4(kc, Ap, a, Bp, b, block, 0, 4);
  for (let ii = 0; ii < mr; ii++) for (let jj = 0; jj < nr; jj++) c[o + ii * rs + jj * cs] += block[ii * 4 + jj];
}

/** N == 1: c[i] (+)= sum_k A[i,k] * b[k], four rows of A at a time so each b[k] is loaded once per four. */
export function gemv(M: number, K: number, A: Mat, B: Mat, C: Mat, accumulate: boolean): void {
  const { data: a, rs: ars, cs: acs } = A;
  const { data: b, rs: brs } = B;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    let p = A.offset + i * ars;
    let q = B.offset;
    for (let k = 0; k < K; k++, p += acs, q += brs) {
      const bk = b[q];
      s0 += a[p] * bk;
      s1 += a[p + ars] * bk;
      s2 += a[p + 2 * ars] * bk;
      s3 += a[p + 3 * ars] * bk;
    }
    const o = C.offset + i * C.rs;
    C.data[o] = accumulate ? C.data[o] + s0 : s0;
    C.data[o + C.rs] = accumulate ? C.data[o + C.rs] + s1 : s1;
    C.data[o + 2 * C.rs] = accumulate ? C.data[o + 2 * C.rs] + s2 : s2;
    C.data[o + 3 * C.rs] = accumulate ? C.data[o + 3 * C.rs] + s3 : s3;
  }
  for (; i < M; i++) {
    let s = 0;
    let p = A.offset + i * ars;
    let q = B.offset;
    for (let k = 0; k < K; k++, p += acs, q += brs) s += a[p] * b[q];
    const o = C.offset + i * C.rs;
    C.data[o] = accumulate ? C.data[o] + s : s;
  }
}

/** The textbook triple loop, for tests: C = A·B (+ C when accumulating), float64 sums. */
export function gemmReference(M: number, N: number, K: number, A: Mat, B: Mat, C: Mat, accumulate: boolean): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A.data[A.offset + i * A.rs + k * A.cs] * B.data[B.offset + k * B.rs + j * B.cs];
      const o = C.offset + i * C.rs + j * C.cs;
      C.data[o] = accumulate ? C.data[o] + s : s;
    }
  }
}
