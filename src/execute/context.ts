/**
 * The contexts kernels run in (the interface is src/kernels/context.ts): where buffers come from,
 * and which GEMM engine multiplies.
 */
import type { ExecContext } from '../kernels/context.js';
import { gemm, GemmScratch, MR, NR } from '../kernels/gemm.js';
import type { Mat } from '../kernels/mat.js';
import { numel, type Tensor } from '../kernels/tensor.js';
import { WasmGemm, wasmSimdSupported, type PackedGemm } from './wasm/gemm-kernel.js';

/** Makes a buffer of `n` floats: plain memory, or shared memory when worker threads must see it. */
export type Allocator = (n: number) => Float32Array;

export const plainAllocator: Allocator = (n) => new Float32Array(n);

/**
 * The matrix multiply of one thread, with its scratch memory: src/kernels/gemm.ts's contract
 * (C = A·B or C += A·B on strided views). Not thread-safe: one per thread.
 */
export interface GemmEngine {
  /** 'wasm-simd' (wasm/gemm-kernel.ts) or 'js' (src/kernels/gemm.ts). */
  readonly name: string;
  /** Register tile: threads split C at multiples of these rows and columns. */
  readonly mr: number;
  readonly nr: number;
  gemm(M: number, N: number, K: number, A: Mat, B: Mat, C: Mat, accumulate: boolean): void;
}

/** The plain JavaScript GEMM (float64 arithmetic): the fallback, and what CNNSCOPE_NO_WASM=1 selects. */
export class JsGemm implements GemmEngine {
  readonly name = 'js';
  readonly mr = MR;
  readonly nr = NR;
  private readonly scratch = new GemmScratch();
  gemm(M: number, N: number, K: number, A: Mat, B: Mat, C: Mat, accumulate: boolean): void {
    gemm(M, N, K, A, B, C, accumulate, this.scratch);
  }
}

/** The WebAssembly SIMD GEMM when the engine validates SIMD128, unless CNNSCOPE_NO_WASM is set (to anything but 0). */
export function wasmGemmEnabled(): boolean {
  const off = process.env['CNNSCOPE_NO_WASM'];
  return (off === undefined || off === '' || off === '0') && wasmSimdSupported();
}

export function createGemmEngine(wasm = wasmGemmEnabled()): GemmEngine {
  return wasm ? new WasmGemm() : new JsGemm();
}

/** The single-threaded context: fresh buffers, one growing scratch, the blocked GEMM. */
export class LocalContext implements ExecContext {
  macs = 0;
  private scratchBuf: Float32Array;

  constructor(
    readonly allocate: Allocator = plainAllocator,
    scratchFloats = 0,
    readonly engine: GemmEngine = createGemmEngine(),
  ) {
    this.scratchBuf = allocate(scratchFloats);
  }

  alloc(shape: readonly number[]): Tensor {
    return { shape: [...shape], data: this.allocate(numel(shape)) };
  }

  scratch(n: number): Float32Array {
    if (this.scratchBuf.length < n) {
      this.release({ shape: [this.scratchBuf.length], data: this.scratchBuf });
      this.scratchBuf = this.allocate(n);
    }
    return this.scratchBuf;
  }

  release(_t: Tensor): void {}

  gemm(M: number, N: number, K: number, A: Mat, B: Mat, C: Mat, accumulate: boolean): void {
    this.macs += M * N * K;
    this.engine.gemm(M, N, K, A, B, C, accumulate);
  }

  /** plan.ts's fused GEMM; only with the wasm engine (the plan is not used otherwise). */
  gemmPacked(job: PackedGemm): void {
    this.macs += job.M * job.N * job.K;
    (this.engine as WasmGemm).gemmPacked(job, 0, job.M, 0, job.N);
  }
}

/** The contexts that can run plan.ts's fused GEMM: those with the wasm engine. */
export function runsPlan(ctx: { engine?: GemmEngine }): boolean {
  return ctx.engine instanceof WasmGemm;
}
