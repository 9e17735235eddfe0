/**
 * The GEMM of gemm.ts with its inner loops in WebAssembly SIMD128, generated at runtime by
 * encoder.ts: C[M,N] (+)= A[M,K] · B[K,N], float32 storage and float32 arithmetic, 4 lanes a vector.
 *
 * Memory: the module owns a fixed linear memory of WASM_PAGES pages (17 pages, 1.1 MiB: less than
 * the JS GEMM's scratch, which the memory estimate counts per thread), laid out as
 *
 *   AP_BYTES  Ap  MC×KC    A packed in panels of MR rows:    Ap[panel][k][MR]   (k-major)
 *   BP_BYTES  Bp  KC×NC    B packed in panels of NR columns: Bp[panel][k][NR]   (k-major)
 *   CW_BYTES  Cw  MB×NC    a block of C, row-major, row stride ldc = nc rounded up to NR
 *
 * JavaScript packs A and B straight into that memory (through a Float32Array view; packing is
 * O(n^2) against the O(n^3) product), copies the block of C in, calls the kernel, copies it out.
 * Panels are zero-padded to MR rows and NR columns, so the kernel always computes full tiles;
 * Cw has room for the padding, which is never copied back. Blocking, after Goto and van de Geijn:
 *
 *   for jc in N by NC                    columns of C held in Cw
 *     for ib in M by MB                  rows of C held in Cw (B is packed again per MB rows)
 *       Cw = C[ib:+MB, jc:+NC]           (zeros unless accumulating)
 *       for pc in K by KC                a slice of the shared dimension
 *         pack B[pc:+KC, jc:+NC] -> Bp
 *         for ic in MB by MC
 *           pack A[ib+ic:+MC, pc:+KC] -> Ap
 *           wasm kernel(Ap, Bp, Cw rows ic..)    every NR panel of Bp × every MR panel of Ap
 *       C[ib:+MB, jc:+NC] = Cw
 *
 * The micro-kernel (kernel() below) holds a 4×8 tile of C in eight v128 registers: row r is
 * acc[r][0] (columns 0-3) and acc[r][1] (columns 4-7). Per k it loads the 8 values of B's row k
 * (two v128.load), and for each of the 4 rows broadcasts A[r][k] (v128.load32_splat) and does two
 * f32x4.mul + f32x4.add (SIMD128 has no fused multiply-add): 8 vector multiply-adds (32 MACs)
 * for 6 loads. 8 accumulators, 2 B vectors and 1 broadcast are 11 of the 16 SIMD registers of
 * x86-64; a 6×8 tile needs 15, spills on V8 and measured a third slower. After the k loop the
 * tile is added to Cw. About 20-25 GMAC/s on one core of a 2020s x86 (the JS kernel: 3).
 * The block sizes (KC, MC, MB, NC) are not critical: halving or doubling any of them changed
 * ResNet-50's time by less than the noise.
 *
 * Summation order: each element of C is, per KC slice, a float32 sum over k in increasing order
 * (starting from 0), then added to C: float32 like PyTorch's (the reference nets stay within
 * about 1e-6 of PyTorch, as with float64 sums). The order depends on neither M nor N, nor on
 * where the tile sits, so splitting C between threads by rows or columns gives identical bits.
 */
import { Code, encodeModule, I32, V128, type ValType } from './encoder.js';
import { gemv, zeroMat } from '../../kernels/gemm.js';
import type { Mat } from '../../kernels/mat.js';

/** Register tile: MR rows × NR columns (NV vectors of 4). */
export const MR = 4;
const NV = 2;
export const NR = 4 * NV;
export const KC = 256;
/** Rows of A per pack; multiple of MR. */
export const MC = 64;
/** Rows and columns of C per block in wasm memory; multiples of MC and NR. */
export const MB = 256;
export const NC = 512;

const PAGE = 65536;
const AP_BYTES = MC * KC * 4;
const BP_BYTES = KC * NC * 4;
const CW_BYTES = MB * NC * 4;
const AP = 0;
const BP = AP + AP_BYTES;
const CW = BP + BP_BYTES;
const WASM_PAGES = Math.ceil((CW + CW_BYTES) / PAGE);
/** Bytes of one instance's memory, for the memory estimate. */
export const WASM_GEMM_BYTES = WASM_PAGES * PAGE;

/**
 * kernel(mc, nc, kc, ap, bp, cp, ldc): Cw[0:mc, 0:nc] += Ap · Bp over kc, where mc and nc are
 * multiples of MR and NR, ap, bp and cp byte addresses and ldc the row stride of Cw in bytes.
 * Loop order: for each B panel (jr), for each A panel (ir), the micro-kernel over k.
 */
function kernel(): Code {
  // Locals: the seven i32 parameters, then i32 pointers, then the v128 registers.
  const [mc, nc, kc, ap, bp, cp, ldc] = [0, 1, 2, 3, 4, 5, 6];
  const [aEnd, bAllEnd, bPanel, bEnd, cCol, aPanel, cTile, a, b, cRow] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const acc = (r: number, v: number) => 17 + r * NV + v;
  const bv = (v: number) => 17 + MR * NV + v;
  const splat = 17 + MR * NV + NV;
  const c = new Code();
  // aEnd = ap + mc*kc*4 (end of the A panels); bAllEnd = bp + nc*kc*4 (end of the B panels).
  c.localGet(ap).localGet(mc).localGet(kc).i32Mul().i32Const(4).i32Mul().i32Add().localSet(aEnd);
  c.localGet(bp).localGet(nc).localGet(kc).i32Mul().i32Const(4).i32Mul().i32Add().localSet(bAllEnd);
  c.localGet(bp).localSet(bPanel);
  c.localGet(cp).localSet(cCol);
  c.loop(); // jr: one B panel (kc × NR), columns cCol.. of Cw
  {
    c.localGet(ap).localSet(aPanel);
    c.localGet(cCol).localSet(cTile);
    // bEnd = bPanel + kc*NR*4
    c.localGet(bPanel)
      .localGet(kc)
      .i32Const(NR * 4)
      .i32Mul()
      .i32Add()
      .localSet(bEnd);
    c.loop(); // ir: one A panel (kc × MR), the tile at cTile
    {
      for (let r = 0; r < MR; r++) for (let v = 0; v < NV; v++) c.v128Zero().localSet(acc(r, v));
      c.localGet(aPanel).localSet(a);
      c.localGet(bPanel).localSet(b);
      c.loop(); // k: acc[r][v] += A[r][k] * B[k][4v:4v+4]
      {
        for (let v = 0; v < NV; v++)
          c.localGet(b)
            .v128Load(16 * v)
            .localSet(bv(v));
        for (let r = 0; r < MR; r++) {
          c.localGet(a)
            .v128Load32Splat(4 * r)
            .localSet(splat);
          for (let v = 0; v < NV; v++) {
            c.localGet(acc(r, v)).localGet(splat).localGet(bv(v)).f32x4Mul().f32x4Add().localSet(acc(r, v));
          }
        }
        c.localGet(a)
          .i32Const(MR * 4)
          .i32Add()
          .localSet(a);
        c.localGet(b)
          .i32Const(NR * 4)
          .i32Add()
          .localTee(b);
        c.localGet(bEnd).i32LtU().brIf(0);
      }
      c.end();
      // Cw[row r of the tile] += acc[r]
      c.localGet(cTile).localSet(cRow);
      for (let r = 0; r < MR; r++) {
        for (let v = 0; v < NV; v++) {
          c.localGet(cRow)
            .localGet(cRow)
            .v128Load(16 * v)
            .localGet(acc(r, v))
            .f32x4Add()
            .v128Store(16 * v);
        }
        if (r < MR - 1) c.localGet(cRow).localGet(ldc).i32Add().localSet(cRow);
      }
      // The k loop left `a` at the next A panel.
      c.localGet(a).localSet(aPanel);
      c.localGet(cTile).localGet(ldc).i32Const(MR).i32Mul().i32Add().localSet(cTile);
      c.localGet(aPanel).localGet(aEnd).i32LtU().brIf(0);
    }
    c.end();
    // ... and `b` at the next B panel.
    c.localGet(bEnd).localSet(bPanel);
    c.localGet(cCol)
      .i32Const(NR * 4)
      .i32Add()
      .localSet(cCol);
    c.localGet(bPanel).localGet(bAllEnd).i32LtU().brIf(0);
  }
  c.end();
  return c;
}

/** The module: the kernel and its memory. */
export function gemmModuleBytes(): Uint8Array<ArrayBuffer> {
  const locals: ValType[] = [...new Array<ValType>(10).fill(I32), ...new Array<ValType>(MR * NV + NV + 1).fill(V128)];
  return encodeModule({
    functions: [{ name: 'kernel', params: new Array<ValType>(7).fill(I32), results: [], locals, code: kernel() }],
    memoryPages: WASM_PAGES,
  });
}

/** The smallest module using SIMD128 (an f32x4.mul of two constants): does this engine have it? */
export function simdModuleBytes(): Uint8Array<ArrayBuffer> {
  const code = new Code().v128Zero().v128Zero().f32x4Mul();
  return encodeModule({ functions: [{ name: 'f', params: [], results: [V128], locals: [], code }] });
}

let simd: boolean | undefined;
/** WebAssembly SIMD128 validates here (Node 20: yes). */
export function wasmSimdSupported(): boolean {
  simd ??= typeof WebAssembly === 'object' && WebAssembly.validate(simdModuleBytes());
  return simd;
}

let compiled: WebAssembly.Module | undefined;

type KernelFn = (mc: number, nc: number, kc: number, ap: number, bp: number, cp: number, ldc: number) => void;

/**
 * One instance of the kernel with its own memory: one per thread, reused by every call.
 * `gemm` has the contract of gemm.ts's gemm (strided views, accumulate, C not overlapping A or B).
 */
export class WasmGemm {
  readonly name = 'wasm-simd';
  readonly mr = MR;
  readonly nr = NR;
  private readonly kernel: KernelFn;
  /** The whole wasm memory as floats (the memory has a fixed size, so the view stays valid). */
  private readonly f32: Float32Array;

  constructor() {
    compiled ??= new WebAssembly.Module(gemmModuleBytes());
    const instance = new WebAssembly.Instance(compiled);
    this.kernel = instance.exports['kernel'] as KernelFn;
    this.f32 = new Float32Array((instance.exports['memory'] as WebAssembly.Memory).buffer);
  }

  gemm(M: number, N: number, K: number, A: Mat, B: Mat, C: Mat, accumulate: boolean): void {
    if (M === 0 || N === 0) return;
    if (K === 0) {
      if (!accumulate) zeroMat(M, N, C);
      return;
    }
    if (N === 1) {
      // A matrix-vector product (linear at batch 1): padding the one column to a panel of NR
      // would do NR times the work; the plain loop of gemm.ts reads A once, which is all it costs.
      gemv(M, K, A, B, C, accumulate);
      return;
    }
    const mem = this.f32;
    for (let jc = 0; jc < N; jc += NC) {
      const nc = Math.min(NC, N - jc);
      const ncPad = roundUp(nc, NR);
      for (let ib = 0; ib < M; ib += MB) {
        const mb = Math.min(MB, M - ib);
        loadC(C, ib, mb, jc, nc, ncPad, accumulate, mem);
        for (let pc = 0; pc < K; pc += KC) {
          const kc = Math.min(KC, K - pc);
          packB(B, pc, kc, jc, nc, mem);
          for (let ic = 0; ic < mb; ic += MC) {
            const mc = Math.min(MC, mb - ic);
            packA(A, ib + ic, mc, pc, kc, mem);
            this.kernel(roundUp(mc, MR), ncPad, kc, AP, BP, CW + ic * ncPad * 4, ncPad * 4);
          }
        }
        storeC(C, ib, mb, jc, nc, ncPad, mem);
      }
    }
  }
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** Cw[i][j] = C[ib+i, jc+j] (or 0), row stride ncPad floats. */
function loadC(C: Mat, ib: number, mb: number, jc: number, nc: number, ncPad: number, accumulate: boolean, mem: Float32Array): void {
  const base = CW / 4;
  if (!accumulate) {
    mem.fill(0, base, base + mb * ncPad);
    return;
  }
  const { data, rs, cs } = C;
  for (let i = 0; i < mb; i++) {
    const src = C.offset + (ib + i) * rs + jc * cs;
    const dst = base + i * ncPad;
    if (cs === 1) mem.set(data.subarray(src, src + nc), dst);
    else for (let j = 0; j < nc; j++) mem[dst + j] = data[src + j * cs]!;
  }
}

/** C[ib+i, jc+j] = Cw[i][j] for the real (unpadded) rows and columns. */
function storeC(C: Mat, ib: number, mb: number, jc: number, nc: number, ncPad: number, mem: Float32Array): void {
  const base = CW / 4;
  const { data, rs, cs } = C;
  for (let i = 0; i < mb; i++) {
    const dst = C.offset + (ib + i) * rs + jc * cs;
    const src = base + i * ncPad;
    if (cs === 1) data.set(mem.subarray(src, src + nc), dst);
    else for (let j = 0; j < nc; j++) data[dst + j * cs] = mem[src + j]!;
  }
}

/** Bp[panel][k][NR] = B[pc+k, jc + panel*NR + jj], zero beyond the last column. */
function packB(B: Mat, pc: number, kc: number, jc: number, nc: number, mem: Float32Array): void {
  const data = B.data;
  const offset = B.offset | 0,
    rs = B.rs | 0,
    cs = B.cs | 0;
  let dst = BP / 4;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    let src = offset + pc * rs + (jc + jr) * cs;
    if (cols === NR && cs === 1) {
      for (let k = 0; k < kc; k++, src += rs, dst += NR) {
        mem[dst] = data[src]!;
        mem[dst + 1] = data[src + 1]!;
        mem[dst + 2] = data[src + 2]!;
        mem[dst + 3] = data[src + 3]!;
        mem[dst + 4] = data[src + 4]!;
        mem[dst + 5] = data[src + 5]!;
        mem[dst + 6] = data[src + 6]!;
        mem[dst + 7] = data[src + 7]!;
      }
    } else {
      for (let k = 0; k < kc; k++, src += rs, dst += NR) {
        for (let jj = 0; jj < NR; jj++) mem[dst + jj] = jj < cols ? data[src + jj * cs] : 0;
      }
    }
  }
}

/** Ap[panel][k][MR] = A[ic + panel*MR + ii, pc+k], zero beyond the last row. */
function packA(A: Mat, ic: number, mc: number, pc: number, kc: number, mem: Float32Array): void {
  const data = A.data;
  const offset = A.offset | 0,
    rs = A.rs | 0,
    cs = A.cs | 0;
  let dst = AP / 4;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    for (let ii = 0; ii < MR; ii++) {
      // Row ii of the panel: a strided walk over k, written every MR-th slot.
      if (ii < rows) {
        let src = offset + (ic + ir + ii) * rs + pc * cs;
        for (let k = 0; k < kc; k++, src += cs) mem[dst + k * MR + ii] = data[src]!;
      } else {
        for (let k = 0; k < kc; k++) mem[dst + k * MR + ii] = 0;
      }
    }
    dst += kc * MR;
  }
}
