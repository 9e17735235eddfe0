/**
 * The GEMM of gemm.ts with its inner loops in WebAssembly SIMD128, generated at runtime by
 * encoder.ts: C[M,N] (+)= A[M,K] · B[K,N], float32 storage and float32 arithmetic, 4 lanes a vector.
 *
 * Memory: the module imports the run's engine memory (arena.ts: a shared WebAssembly.Memory
 * that the plan's tensors and packed weights live in too). Each thread's instance has its own
 * scratch in it, WASM_GEMM_BYTES (less than the JS GEMM's scratch, which the memory estimate
 * counts per thread), laid out as
 *
 *   AP_BYTES  Ap  MC×KC    A packed in panels of MR rows:    Ap[panel][k][MR]   (k-major)
 *   BP_BYTES  Bp  KC×NC    B packed in panels of NR columns: Bp[panel][k][NR]   (k-major)
 *   CW_BYTES  Cw  MB×NC    a block of C, row-major, row stride ldc = nc rounded up to NR
 *   BIAS, EDGE             the bias of a block (copying path); the edge tiles (in-place path)
 *
 * Two paths. The plan's fused convolutions (gemmPacked), when A (packed once, packWeights), B's
 * source, C, the bias and the residual are all in the engine memory, run in place: the kernel
 * reads A's panels where they are, B is packed by wasm (pack-kernels.ts: panel copies, im2col,
 * the DenseNet prologue), and the kernel reads the residual and writes C (row stride N) where
 * they are, with bias and relu/relu6 on the last K slice. A tile that would pass C's last column
 * or row goes to EDGE/Cw and is copied out. Otherwise (the plain `gemm`, and any matrix outside
 * the memory) the copying path: JavaScript packs A and B into the scratch (through a Float32Array
 * view; packing is O(n^2) against the O(n^3) product), copies the block of C in, calls the
 * kernel, copies it out. Panels are zero-padded to MR rows and NR columns, so the kernel always
 * computes full tiles; Cw has room for the padding, which is never copied back. Blocking, after
 * Goto and van de Geijn (the copying path; the in-place one has no Cw and no copies of A or C):
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
 * tile is added to C (or to the residual: R and C are separate pointers). About 20-25 GMAC/s on one core of a 2020s x86 (the JS kernel: 3).
 * The block sizes (KC, MC, MB, NC) are not critical: halving or doubling any of them changed
 * ResNet-50's time by less than the noise.
 *
 * Summation order: each element of C is, per KC slice, a float32 sum over k in increasing order
 * (starting from 0), then added to C: float32 like PyTorch's (the reference nets stay within
 * about 1e-6 of PyTorch, as with float64 sums). The order depends on neither M nor N, nor on
 * where the tile sits, so splitting C between threads by rows or columns gives identical bits.
 */
import { Code, encodeModule, I32, V128, type ValType } from './encoder.js';
import { EngineMemory, MAX_PAGES } from './arena.js';
import { packFunctions, type Im2colFn, type PackBFn, type PackBProFn } from './pack-kernels.js';
import { gemv, zeroMat } from '../../kernels/gemm.js';
import type { ConvGeometry } from '../../kernels/im2col.js';
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

/**
 * The packed path (gemmPacked): a block of C in Cw has at most MB_PACKED rows, NC columns and
 * CW_FLOATS elements (as many rows as fit, so that B is packed once when C is narrow).
 */
export const MB_PACKED = 4096;
const CW_FLOATS = 1 << 18;

const AP_BYTES = MC * KC * 4;
const BP_BYTES = KC * NC * 4;
const CW_BYTES = CW_FLOATS * 4;
/**
 * One thread's scratch in the engine memory, byte offsets from its start: Ap, Bp and Cw as in the
 * header; BIAS the bias of a block of Cw (the copying path), zero-padded to MR; EDGE the tiles of
 * the in-place path that would reach past C (the last rows, fewer than MR: MR × NC floats; the
 * last columns, fewer than NR, use Cw: MB_PACKED × NR floats).
 */
const AP = 0;
const BP = AP + AP_BYTES;
const CW = BP + BP_BYTES;
const BIAS = CW + CW_BYTES;
const EDGE = BIAS + MB_PACKED * 4;
/** Bytes of one thread's scratch, for the memory estimate. */
export const WASM_GEMM_BYTES = EDGE + MR * NC * 4;

/**
 * What a kernel variant does with its tile after the k loop (each variant is its own function,
 * so no flag is tested in the loops):
 *   load   the tile adds to what Cw holds (else it overwrites Cw: the first K slice of a product
 *          that does not accumulate, which saves zero-filling Cw)
 *   bias   adds bias[row] (a float per row of C, from the byte address `biasp` for row 0)
 *   relu   then max(0, x), NaN kept; relu6 also min(6, x)
 * The plain GEMM uses { load }; the plan's fused convolutions (plan.ts) the others on their last
 * K slice.
 */
export interface KernelVariant {
  readonly load: boolean;
  readonly bias: boolean;
  readonly relu: boolean;
  readonly relu6?: boolean;
}

/**
 * kernel(mc, nc, kc, ap, bp, cp, ldc, rp, ldr, biasp): Cw[0:mc, 0:nc] = R[0:mc, 0:nc] (when
 * `load`) + Ap · Bp over kc, where mc and nc are multiples of MR and NR, ap, bp, cp, rp and biasp
 * byte addresses, ldc the row stride of C and ldr that of R in bytes. R is C itself (rp = cp,
 * ldr = ldc) to accumulate, or the residual on the first K slice of a fused conv: the residual
 * is read in place and C written in place. Loop order: for each B panel (jr), for each A panel
 * (ir), the micro-kernel over k.
 */
function kernel(variant: KernelVariant): Code {
  // Locals: the ten i32 parameters, then i32 pointers, then the v128 registers.
  const [mc, nc, kc, ap, bp, cp, ldc, rp, ldr, biasp] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [aEnd, bAllEnd, bPanel, bEnd, cCol, aPanel, cTile, a, b, cRow, biasRow, rCol, rTile, rRow] = [
    10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
  ];
  const V0 = KERNEL_I32_LOCALS + 10;
  const acc = (r: number, v: number) => V0 + r * NV + v;
  const bv = (v: number) => V0 + MR * NV + v;
  const splat = V0 + MR * NV + NV;
  const zero = splat + 1;
  const six = splat + 2;
  const c = new Code();
  if (variant.relu) c.v128Zero().localSet(zero);
  if (variant.relu6) c.v128ConstF32(6).localSet(six);
  // aEnd = ap + mc*kc*4 (end of the A panels); bAllEnd = bp + nc*kc*4 (end of the B panels).
  c.localGet(ap).localGet(mc).localGet(kc).i32Mul().i32Const(4).i32Mul().i32Add().localSet(aEnd);
  c.localGet(bp).localGet(nc).localGet(kc).i32Mul().i32Const(4).i32Mul().i32Add().localSet(bAllEnd);
  c.localGet(bp).localSet(bPanel);
  c.localGet(cp).localSet(cCol);
  c.localGet(rp).localSet(rCol);
  c.loop(); // jr: one B panel (kc × NR), columns cCol.. of C
  {
    c.localGet(ap).localSet(aPanel);
    c.localGet(cCol).localSet(cTile);
    c.localGet(rCol).localSet(rTile);
    c.localGet(biasp).localSet(biasRow);
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
      // C[row r of the tile] = (R[row r] +) acc[r] (+ bias[r]) (then max 0)
      c.localGet(cTile).localSet(cRow);
      c.localGet(rTile).localSet(rRow);
      for (let r = 0; r < MR; r++) {
        if (variant.bias)
          c.localGet(biasRow)
            .v128Load32Splat(4 * r)
            .localSet(splat);
        for (let v = 0; v < NV; v++) {
          c.localGet(cRow);
          if (variant.load) c.localGet(rRow).v128Load(16 * v);
          c.localGet(acc(r, v));
          if (variant.load) c.f32x4Add();
          if (variant.bias) c.localGet(splat).f32x4Add();
          if (variant.relu) c.localGet(zero).f32x4Max();
          if (variant.relu6) c.localGet(six).f32x4Min();
          c.v128Store(16 * v);
        }
        if (r < MR - 1) {
          c.localGet(cRow).localGet(ldc).i32Add().localSet(cRow);
          c.localGet(rRow).localGet(ldr).i32Add().localSet(rRow);
        }
      }
      if (variant.bias)
        c.localGet(biasRow)
          .i32Const(MR * 4)
          .i32Add()
          .localSet(biasRow);
      // The k loop left `a` at the next A panel.
      c.localGet(a).localSet(aPanel);
      c.localGet(cTile).localGet(ldc).i32Const(MR).i32Mul().i32Add().localSet(cTile);
      c.localGet(rTile).localGet(ldr).i32Const(MR).i32Mul().i32Add().localSet(rTile);
      c.localGet(aPanel).localGet(aEnd).i32LtU().brIf(0);
    }
    c.end();
    // ... and `b` at the next B panel.
    c.localGet(bEnd).localSet(bPanel);
    c.localGet(cCol)
      .i32Const(NR * 4)
      .i32Add()
      .localSet(cCol);
    c.localGet(rCol)
      .i32Const(NR * 4)
      .i32Add()
      .localSet(rCol);
    c.localGet(bPanel).localGet(bAllEnd).i32LtU().brIf(0);
  }
  c.end();
  return c;
}
const KERNEL_I32_LOCALS = 14;

/** Every variant the module exports, by export name. */
export const KERNEL_VARIANTS: Readonly<Record<string, KernelVariant>> = {
  kernel: { load: true, bias: false, relu: false },
  kernel_store: { load: false, bias: false, relu: false },
  kernel_bias: { load: true, bias: true, relu: false },
  kernel_bias_relu: { load: true, bias: true, relu: true },
  kernel_store_bias: { load: false, bias: true, relu: false },
  kernel_store_bias_relu: { load: false, bias: true, relu: true },
  kernel_bias_relu6: { load: true, bias: true, relu: true, relu6: true },
  kernel_store_bias_relu6: { load: false, bias: true, relu: true, relu6: true },
};

/** The module: the kernel variants and the packers (pack-kernels.ts), on the imported engine memory. */
export function gemmModuleBytes(): Uint8Array<ArrayBuffer> {
  const locals: ValType[] = [...new Array<ValType>(KERNEL_I32_LOCALS).fill(I32), ...new Array<ValType>(MR * NV + NV + 3).fill(V128)];
  return encodeModule({
    functions: [
      ...Object.entries(KERNEL_VARIANTS).map(([name, variant]) => ({
        name,
        params: new Array<ValType>(10).fill(I32),
        results: [],
        locals,
        code: kernel(variant),
      })),
      ...packFunctions(),
    ],
    importMemory: { min: 1, max: MAX_PAGES, shared: true },
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

type KernelFn = (
  mc: number,
  nc: number,
  kc: number,
  ap: number,
  bp: number,
  cp: number,
  ldc: number,
  rp: number,
  ldr: number,
  biasp: number,
) => void;

/**
 * A weight matrix A [M, K] packed once (packWeights) for gemmPacked, in the order the kernel
 * reads it: for each K slice starting at pc (KC wide, the last narrower), the panels of MR rows
 * of all mPad rows, each k-major: element (i, k) of slice pc is at
 *   offset + pc*mPad + floor(i/MR)*MR*kc + (k - pc)*MR + i%MR,   kc the slice's width,
 * rows M..mPad zero. A block of rows (a multiple of MR) of one slice is contiguous.
 */
export interface PackedA {
  readonly data: Float32Array;
  readonly offset: number;
  readonly M: number;
  readonly K: number;
  readonly mPad: number;
}

/** Floats of A [M, K] packed. */
export function packedFloats(M: number, K: number): number {
  return roundUp(M, MR) * K;
}

/**
 * Packs A (a strided view) into `out` at `offset` (packedFloats(M, K) floats), each row i times
 * rowScale[i] when given (batchnorm folded: the product in float64, rounded to float32 once).
 */
export function packWeights(M: number, K: number, A: Mat, out: Float32Array, offset: number, rowScale?: Float64Array): PackedA {
  const mPad = roundUp(M, MR);
  for (let pc = 0; pc < K; pc += KC) {
    const kc = Math.min(KC, K - pc);
    const slice = offset + pc * mPad;
    for (let i = 0; i < mPad; i++) {
      const dst = slice + (i - (i % MR)) * kc + (i % MR);
      if (i >= M) zeroRow(out, dst, kc);
      else packRow(A.data, A.offset + i * A.rs + pc * A.cs, A.cs, out, dst, kc, rowScale ? rowScale[i] : 1);
    }
  }
  return { data: out, offset, M, K, mPad };
}

function zeroRow(out: Float32Array, dst: number, kc: number): void {
  for (let k = 0; k < kc; k++) out[dst + k * MR] = 0;
}

/** out[dst + k*MR] = src[from + k*step] * scale, k < kc. */
function packRow(src: Float32Array, from: number, step: number, out: Float32Array, dst: number, kc: number, scale: number): void {
  for (let k = 0; k < kc; k++) out[dst + k * MR] = src[from + k * step] * scale;
}

/**
 * The right-hand matrix of gemmPacked: a matrix, or the im2col matrix [cg*kh*kw, hout*wout] of
 * the channels of x from xOff (src/kernels/im2col.ts's layout), which is packed straight from x
 * without being written out.
 */
export type PackedB = (
  | { readonly kind: 'mat'; readonly mat: Mat }
  | { readonly kind: 'im2col'; readonly x: Float32Array; readonly xOff: number; readonly geometry: ConvGeometry }
) & {
  /** A batchnorm (and relu) before the conv, applied to B as it is packed (plan.ts). */
  readonly prologue?: Prologue;
};

/**
 * B's rows are the channels (of a 1x1 conv's input, or the taps of im2col's channels) of a
 * tensor x; B holds f(x) instead, per channel c = channel0 + (the channel of the row):
 *   f(x) = x * ss[c] + ss[channels + c], then max(0, .) when relu (NaN kept),
 * computed in float64 and rounded to float32 as batchnorm.ts and relu.ts do (the same bits).
 * The padding of im2col stays 0: it pads f(x).
 */
export interface Prologue {
  readonly ss: Float64Array;
  readonly channels: number;
  readonly channel0: number;
  readonly relu: boolean;
}

/**
 * C [M, N] = epilogue(A · B), A packed: a fused convolution step of plan.ts. In order: the
 * residual (C starts from it, when given), plus A·B, plus bias[row], then max(0, x) when relu
 * (and min(6, x) too when relu6).
 */
export interface PackedGemm {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly A: PackedA;
  readonly B: PackedB;
  readonly C: Mat;
  /** One float per row of C from biasOffset. */
  readonly bias: Float32Array;
  readonly biasOffset: number;
  readonly relu: boolean;
  readonly relu6?: boolean;
  readonly residual?: Mat;
}

/**
 * One instance of the kernels on an engine memory (arena.ts), with this thread's scratch in it:
 * one per thread, reused by every call. `gemm` has the contract of gemm.ts's gemm (strided views,
 * accumulate, C not overlapping A or B). Without a memory it makes a private one.
 */
export class WasmGemm {
  readonly name = 'wasm-simd';
  readonly mr = MR;
  readonly nr = NR;
  readonly memory: EngineMemory;
  private readonly kernel: KernelFn;
  private readonly kernels: Readonly<Record<string, KernelFn>>;
  private readonly packBFn: PackBFn;
  private readonly packBPro: readonly PackBProFn[];
  private readonly im2col: readonly Im2colFn[];
  /** Byte addresses of this thread's scratch regions. */
  private readonly ap: number;
  private readonly bp: number;
  private readonly cw: number;
  private readonly biasAt: number;
  private readonly edge: number;

  /** `scratch`: the byte address of this thread's WASM_GEMM_BYTES in `memory` (allocated here when not given). */
  constructor(memory?: EngineMemory, scratch?: number) {
    this.memory = memory ?? new EngineMemory(WASM_GEMM_BYTES + 4096);
    compiled ??= new WebAssembly.Module(gemmModuleBytes());
    const instance = new WebAssembly.Instance(compiled, { env: { memory: this.memory.memory } });
    const fn = (name: string) => instance.exports[name] as KernelFn;
    this.kernels = Object.fromEntries(Object.keys(KERNEL_VARIANTS).map((name) => [name, fn(name)]));
    this.kernel = this.kernels['kernel']!;
    this.packBFn = instance.exports['pack_b'] as PackBFn;
    this.packBPro = [instance.exports['pack_b_pro'] as PackBProFn, instance.exports['pack_b_pro_relu'] as PackBProFn];
    this.im2col = ['im2col', 'im2col_pro', 'im2col_pro_relu'].map((name) => instance.exports[name] as Im2colFn);
    const base = scratch ?? this.memory.addressOf(this.memory.alloc(WASM_GEMM_BYTES / 4));
    if (base < 0) throw new Error('the engine memory has no room for the GEMM scratch');
    this.ap = base + AP;
    this.bp = base + BP;
    this.cw = base + CW;
    this.biasAt = base + BIAS;
    this.edge = base + EDGE;
  }

  /**
   * Rows [r0, r1) and columns [c0, c1) of a PackedGemm (r0 a multiple of MR): the part one
   * thread computes. When every matrix is in the engine memory (and C's rows are contiguous), the
   * kernel reads A and the residual and writes C in place (gemmInPlace); else the copying path.
   * The sums are those of gemm() (per KC slice, k increasing), so any split gives the same bits.
   */
  gemmPacked(job: PackedGemm, r0: number, r1: number, c0: number, c1: number): void {
    if (r1 <= r0 || c1 <= c0) return;
    const addr = addresses(job, this.memory);
    if (addr) this.gemmInPlace(job, addr, r0, r1, c0, c1);
    else this.gemmCopying(job, r0, r1, c0, c1);
  }

  /**
   * The in-place path. Per block of columns (NC) and rows (as many as keep the block of C within
   * CW_FLOATS), per K slice: B packed in wasm into Bp, then per MC rows the kernel on the tiles
   * that lie inside C (ldc = C's row stride). A tile that would reach past C's last column (N not
   * a multiple of NR) or last row (M not a multiple of MR) goes to a scratch tile (Cw, EDGE)
   * instead, copied out after the last slice, so nothing outside C is written.
   */
  private gemmInPlace(job: PackedGemm, addr: Addresses, r0: number, r1: number, c0: number, c1: number): void {
    const { K, A, C, residual } = job;
    const mem = this.memory.floats();
    const rows = roundUp(r1 - r0, MR);
    const nc = Math.min(NC, roundUp(c1 - c0, NR), Math.max(NR, Math.floor(CW_FLOATS / Math.min(rows, MB_PACKED) / NR) * NR));
    const mbMax = Math.max(MC, Math.min(MB_PACKED, Math.floor(CW_FLOATS / NR / MC) * MC, Math.floor(CW_FLOATS / nc / MC) * MC));
    const k = this.kernels;
    const epilogue = job.relu6 ? 'bias_relu6' : job.relu ? 'bias_relu' : 'bias';
    const last = [k[`kernel_store_${epilogue}`], k[`kernel_${epilogue}`]];
    const middle = [k['kernel_store'], k['kernel']];
    const ldc = C.rs * 4;
    const ldr = residual ? residual.rs * 4 : 0;
    const right = this.cw;
    const bottom = this.edge;
    for (let jc = c0; jc < c1; jc += nc) {
      const ncw = Math.min(nc, c1 - jc);
      const ncPad = roundUp(ncw, NR);
      const nFull = ncw - (ncw % NR);
      for (let ib = r0; ib < r1; ib += mbMax) {
        const mb = Math.min(mbMax, r1 - ib);
        const mFull = mb - (mb % MR);
        // The edge tiles start from the residual (copied: it may not reach their padding).
        if (residual) {
          if (nFull < ncw) copyTile(residual, ib, mFull, jc + nFull, ncw - nFull, mem, right / 4, NR, true);
          if (mFull < mb) copyTile(residual, ib + mFull, mb - mFull, jc, ncw, mem, bottom / 4, ncPad, true);
        }
        for (let pc = 0; pc < K; pc += KC) {
          const kc = Math.min(KC, K - pc);
          this.packBInPlace(job, addr, pc, kc, jc, ncw, nFull, mem);
          const first = pc === 0;
          const load = !first || residual !== undefined ? 1 : 0;
          const fn = (pc + kc >= K ? last : middle)[load];
          const slice = addr.a + (pc * A.mPad + ib * kc) * 4;
          for (let ic = 0; ic < mb; ic += MC) {
            const mc = Math.min(MC, mb - ic);
            const mcFull = mc - (mc % MR);
            const aAt = slice + ic * kc * 4;
            const row = ib + ic;
            const bias = addr.bias + row * 4;
            if (mcFull > 0) {
              if (nFull > 0) {
                const cAt = addr.c + (row * C.rs + jc) * 4;
                const [rAt, rs] = first && residual ? [addr.residual + (row * residual.rs + jc) * 4, ldr] : [cAt, ldc];
                fn(mcFull, nFull, kc, aAt, this.bp, cAt, ldc, rAt, rs, bias);
              }
              if (nFull < ncw) {
                const tAt = right + ic * NR * 4;
                fn(mcFull, NR, kc, aAt, this.bp + nFull * kc * 4, tAt, NR * 4, tAt, NR * 4, bias);
              }
            }
            if (mcFull < mc) fn(MR, ncPad, kc, aAt + mcFull * kc * 4, this.bp, bottom, ncPad * 4, bottom, ncPad * 4, bias + mcFull * 4);
          }
        }
        if (nFull < ncw) copyTile(C, ib, mFull, jc + nFull, ncw - nFull, mem, right / 4, NR, false);
        if (mFull < mb) copyTile(C, ib + mFull, mb - mFull, jc, ncw, mem, bottom / 4, ncPad, false);
      }
    }
  }

  /** Bp = the K slice [pc, pc+kc) of columns [jc, jc+ncw) of B: the full panels in wasm, the last partial one (mat) in JS. */
  private packBInPlace(
    job: PackedGemm,
    addr: Addresses,
    pc: number,
    kc: number,
    jc: number,
    ncw: number,
    nFull: number,
    mem: Float32Array,
  ): void {
    const B = job.B;
    if (B.kind === 'im2col') {
      const g = B.geometry;
      const pro = B.prologue;
      const fn = this.im2col[pro ? (pro.relu ? 2 : 1) : 0];
      const ssp = pro ? addr.ss + pro.channel0 * 8 : 0;
      const shift = pro ? pro.channels * 8 : 0;
      fn(addr.b, g.h, g.w, g.kw, g.kh * g.kw, g.sh, g.sw, g.dh, g.dw, g.top, g.left, g.wout, pc, kc, jc, ncw, this.bp, ssp, shift);
      return;
    }
    const m = B.mat;
    const src = addr.b + (pc * m.rs + jc) * 4;
    const pro = B.prologue;
    if (nFull > 0) {
      if (pro) this.packBPro[pro.relu ? 1 : 0](src, m.rs * 4, kc, nFull / NR, this.bp, addr.ss + (pro.channel0 + pc) * 8, pro.channels * 8);
      else this.packBFn(src, m.rs * 4, kc, nFull / NR, this.bp);
    }
    if (nFull < ncw) {
      const tail = { ...m, offset: m.offset + nFull };
      const dst = this.bp / 4 + nFull * kc;
      if (pro) packBPrologue(tail, pc, kc, jc, ncw - nFull, mem, dst, pro);
      else packB(tail, pc, kc, jc, ncw - nFull, mem, dst);
    }
  }

  /** The copying path (a matrix outside the engine memory): Cw holds a block of C, A copied to Ap per MC rows, B packed in JS. */
  private gemmCopying(job: PackedGemm, r0: number, r1: number, c0: number, c1: number): void {
    const { K, A, B, C, residual } = job;
    const mem = this.memory.floats();
    const rows = roundUp(r1 - r0, MR);
    const nc = Math.min(NC, roundUp(c1 - c0, NR), Math.max(NR, Math.floor(CW_FLOATS / Math.min(rows, MB_PACKED) / NR) * NR));
    // Rows per block: all when they fit, else as many blocks of MC as do.
    const mbMax = Math.max(MC, Math.min(MB_PACKED, Math.floor(CW_FLOATS / nc / MC) * MC));
    const k = this.kernels;
    const epilogue = job.relu6 ? 'bias_relu6' : job.relu ? 'bias_relu' : 'bias';
    const last = [k[`kernel_store_${epilogue}`], k[`kernel_${epilogue}`]];
    const middle = [k['kernel_store'], k['kernel']];
    const cw = this.cw / 4;
    const bp = this.bp / 4;
    for (let jc = c0; jc < c1; jc += nc) {
      const ncw = Math.min(nc, c1 - jc);
      const ncPad = roundUp(ncw, NR);
      for (let ib = r0; ib < r1; ib += mbMax) {
        const mb = Math.min(mbMax, r1 - ib);
        if (residual) loadC(residual, ib, mb, jc, ncw, ncPad, true, mem, cw);
        const biasBase = this.biasAt / 4;
        mem.set(job.bias.subarray(job.biasOffset + ib, job.biasOffset + ib + mb), biasBase);
        mem.fill(0, biasBase + mb, biasBase + roundUp(mb, MR));
        for (let pc = 0; pc < K; pc += KC) {
          const kc = Math.min(KC, K - pc);
          if (B.kind === 'mat') {
            if (B.prologue) packBPrologue(B.mat, pc, kc, jc, ncw, mem, bp, B.prologue);
            else packB(B.mat, pc, kc, jc, ncw, mem, bp);
          } else packBIm2col(B.x, B.xOff, B.geometry, pc, kc, jc, ncw, mem, bp, B.prologue);
          const load = pc > 0 || residual !== undefined ? 1 : 0;
          const fn = (pc + kc >= K ? last : middle)[load];
          const slice = A.offset + pc * A.mPad;
          for (let ic = 0; ic < mb; ic += MC) {
            const mcPad = roundUp(Math.min(MC, mb - ic), MR);
            const src = slice + (ib + ic) * kc;
            mem.set(A.data.subarray(src, src + mcPad * kc), this.ap / 4);
            const cAt = this.cw + ic * ncPad * 4;
            fn(mcPad, ncPad, kc, this.ap, this.bp, cAt, ncPad * 4, cAt, ncPad * 4, this.biasAt + ic * 4);
          }
        }
        storeC(C, ib, mb, jc, ncw, ncPad, mem, cw);
      }
    }
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
    const mem = this.memory.floats();
    const cw = this.cw / 4;
    for (let jc = 0; jc < N; jc += NC) {
      const nc = Math.min(NC, N - jc);
      const ncPad = roundUp(nc, NR);
      for (let ib = 0; ib < M; ib += MB) {
        const mb = Math.min(MB, M - ib);
        loadC(C, ib, mb, jc, nc, ncPad, accumulate, mem, cw);
        for (let pc = 0; pc < K; pc += KC) {
          const kc = Math.min(KC, K - pc);
          packB(B, pc, kc, jc, nc, mem, this.bp / 4);
          for (let ic = 0; ic < mb; ic += MC) {
            const mc = Math.min(MC, mb - ic);
            packA(A, ib + ic, mc, pc, kc, mem, this.ap / 4);
            const cAt = this.cw + ic * ncPad * 4;
            this.kernel(roundUp(mc, MR), ncPad, kc, this.ap, this.bp, cAt, ncPad * 4, cAt, ncPad * 4, this.biasAt);
          }
        }
        storeC(C, ib, mb, jc, nc, ncPad, mem, cw);
      }
    }
  }
}

/** Byte addresses of a PackedGemm's matrices (their element 0) in the engine memory. */
interface Addresses {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly bias: number;
  readonly residual: number;
  /** The prologue's ss (0 without). */
  readonly ss: number;
}

/** The addresses when every matrix of the job is in `memory` with unit column stride, else undefined. */
function addresses(job: PackedGemm, memory: EngineMemory): Addresses | undefined {
  const at = (d: ArrayBufferView, offset: number) => {
    const base = memory.addressOf(d);
    return base < 0 ? -1 : base + offset * 4;
  };
  const { A, B, C, residual } = job;
  if (C.cs !== 1 || (residual && residual.cs !== 1) || (B.kind === 'mat' && B.mat.cs !== 1)) return undefined;
  const a = at(A.data, A.offset);
  const b = B.kind === 'mat' ? at(B.mat.data, B.mat.offset) : at(B.x, B.xOff);
  const c = at(C.data, C.offset);
  const bias = at(job.bias, job.biasOffset);
  const res = residual ? at(residual.data, residual.offset) : 0;
  const ss = B.prologue ? memory.addressOf(B.prologue.ss) : 0;
  if (a < 0 || b < 0 || c < 0 || bias < 0 || res < 0 || ss < 0) return undefined;
  return { a, b, c, bias, residual: res, ss };
}

/**
 * Between rows [i0, i0+rows) × columns [j0, j0+cols) of X and a tile of the memory at float index
 * `tile`, row stride `ld` floats: toTile copies X into the tile, else the tile into X.
 */
function copyTile(
  X: Mat,
  i0: number,
  rows: number,
  j0: number,
  cols: number,
  mem: Float32Array,
  tile: number,
  ld: number,
  toTile: boolean,
): void {
  const { data, rs } = X;
  for (let i = 0; i < rows; i++) {
    const x = X.offset + (i0 + i) * rs + j0;
    const t = tile + i * ld;
    if (toTile) for (let j = 0; j < cols; j++) mem[t + j] = data[x + j]!;
    else for (let j = 0; j < cols; j++) data[x + j] = mem[t + j]!;
  }
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** Cw[i][j] = C[ib+i, jc+j] (or 0), row stride ncPad floats. */
function loadC(
  C: Mat,
  ib: number,
  mb: number,
  jc: number,
  nc: number,
  ncPad: number,
  accumulate: boolean,
  mem: Float32Array,
  base: number,
): void {
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
function storeC(C: Mat, ib: number, mb: number, jc: number, nc: number, ncPad: number, mem: Float32Array, base: number): void {
  const { data, rs, cs } = C;
  for (let i = 0; i < mb; i++) {
    const dst = C.offset + (ib + i) * rs + jc * cs;
    const src = base + i * ncPad;
    if (cs === 1) data.set(mem.subarray(src, src + nc), dst);
    else for (let j = 0; j < nc; j++) data[dst + j * cs] = mem[src + j]!;
  }
}

/** Bp[panel][k][NR] = B[pc+k, jc + panel*NR + jj] (Bp at float index `bp`), zero beyond the last column. */
export function packB(B: Mat, pc: number, kc: number, jc: number, nc: number, mem: Float32Array, bp: number): void {
  const data = B.data;
  const offset = B.offset | 0,
    rs = B.rs | 0,
    cs = B.cs | 0;
  let dst = bp;
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
function packA(A: Mat, ic: number, mc: number, pc: number, kc: number, mem: Float32Array, ap: number): void {
  const data = A.data;
  const offset = A.offset | 0,
    rs = A.rs | 0,
    cs = A.cs | 0;
  let dst = ap;
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

/** packB of f(B) (a Prologue: B's row k is channel channel0 + pc + k). */
export function packBPrologue(B: Mat, pc: number, kc: number, jc: number, nc: number, mem: Float32Array, bp: number, pro: Prologue): void {
  const { data, offset, rs, cs } = B;
  const panel = kc * NR;
  const ncPad = roundUp(nc, NR);
  const base = bp;
  for (let k = 0; k < kc; k++) {
    const ch = pro.channel0 + pc + k;
    const sc = pro.ss[ch];
    const sf = pro.ss[pro.channels + ch];
    const row = base + k * NR;
    const src = offset + (pc + k) * rs + jc * cs;
    let q = 0;
    if (pro.relu) {
      for (; q < nc; q++) {
        const v = Math.fround(data[src + q * cs] * sc + sf);
        mem[row + (q >> 3) * panel + (q & 7)] = v < 0 ? 0 : v;
      }
    } else {
      for (; q < nc; q++) mem[row + (q >> 3) * panel + (q & 7)] = data[src + q * cs] * sc + sf;
    }
    for (; q < ncPad; q++) mem[row + (q >> 3) * panel + (q & 7)] = 0;
  }
}

/**
 * packB of the im2col matrix of x (im2col.ts's layout) without writing it: row r = pc+k of col is
 * the tap (c, i, j) of channel c, and column q the output pixel (oh, ow); the panel slot of
 * column jc+q is Bp[q / NR][k][q % NR]. Per row, the output pixels come in runs along an output
 * row, each a run of zeros (padding), a strided copy, zeros.
 */
export function packBIm2col(
  x: Float32Array,
  xOff: number,
  g: ConvGeometry,
  pc: number,
  kc: number,
  jc: number,
  nc: number,
  mem: Float32Array,
  bp: number,
  pro: Prologue | undefined,
): void {
  const { h, w, kh, kw, sh, sw, dh, dw, top, left, wout } = g;
  const khw = kh * kw;
  const panel = kc * NR;
  const ncPad = roundUp(nc, NR);
  const base = bp;
  for (let k = 0; k < kc; k++) {
    const r = pc + k;
    const c = Math.floor(r / khw);
    const i = Math.floor((r - c * khw) / kw);
    const j = r - c * khw - i * kw;
    const plane = xOff + c * h * w;
    const shift = j * dw - left;
    // Output columns whose input column ow*sw + shift lies in [0, w).
    const owLo = Math.min(wout, Math.max(0, Math.ceil(-shift / sw)));
    const owHi = Math.max(owLo, Math.min(wout, Math.floor((w - 1 - shift) / sw) + 1));
    const row = base + k * NR;
    let q = 0;
    let oh = Math.floor(jc / wout);
    let ow0 = jc - oh * wout;
    while (q < nc) {
      const run = Math.min(wout - ow0, nc - q);
      const ih = oh * sh - top + i * dh;
      const ow1 = ow0 + run;
      if (ih < 0 || ih >= h) {
        for (let t = 0; t < run; t++, q++) mem[row + (q >> 3) * panel + (q & 7)] = 0;
      } else {
        const src = plane + ih * w + shift;
        const lo = Math.max(ow0, Math.min(owLo, ow1));
        const hi = Math.max(lo, Math.min(owHi, ow1));
        for (let ow = ow0; ow < lo; ow++, q++) mem[row + (q >> 3) * panel + (q & 7)] = 0;
        if (pro) {
          const ch = pro.channel0 + c;
          const sc = pro.ss[ch];
          const sf = pro.ss[pro.channels + ch];
          if (pro.relu) {
            for (let ow = lo; ow < hi; ow++, q++) {
              const v = Math.fround(x[src + ow * sw] * sc + sf);
              mem[row + (q >> 3) * panel + (q & 7)] = v < 0 ? 0 : v;
            }
          } else {
            for (let ow = lo; ow < hi; ow++, q++) mem[row + (q >> 3) * panel + (q & 7)] = x[src + ow * sw] * sc + sf;
          }
        } else {
          for (let ow = lo; ow < hi; ow++, q++) mem[row + (q >> 3) * panel + (q & 7)] = x[src + ow * sw]!;
        }
        for (let ow = hi; ow < ow1; ow++, q++) mem[row + (q >> 3) * panel + (q & 7)] = 0;
      }
      ow0 = 0;
      oh++;
    }
    for (; q < ncPad; q++) mem[row + (q >> 3) * panel + (q & 7)] = 0;
  }
}
