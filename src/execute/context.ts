/**
 * What a kernel gets besides its inputs, arguments and weights: where to put its output, scratch
 * memory, the GEMM, and the multiply-accumulate counter.
 */
import { gemm, GemmScratch, MR, NR, type Mat } from './gemm.js';
import { numel, type Tensor } from './tensor.js';
import { WasmGemm, wasmSimdSupported } from './wasm/gemm-kernel.js';

export interface ExecContext {
  /**
   * Multiply-accumulates performed so far. Kernels add what their loops do (gemm adds M*N*K per
   * call), so the total can be checked against the static count.
   */
  macs: number;
  /** A new tensor for the kernel's output. Its contents are unspecified: the kernel writes every element. */
  alloc(shape: readonly number[]): Tensor;
  /** Scratch of at least `n` floats (im2col), valid until the next call; contents unspecified. */
  scratch(n: number): Float32Array;
  /** C = A·B (C += A·B when `accumulate`), A M×K, B K×N; adds M*N*K to `macs`. */
  gemm(M: number, N: number, K: number, A: Mat, B: Mat, C: Mat, accumulate: boolean): void;
  /** The executor is done with this tensor (optional: worker threads drop their reference). */
  release?(t: Tensor): void;
}

/** Makes a buffer of `n` floats: plain memory, or shared memory when worker threads must see it. */
export type Allocator = (n: number) => Float32Array;

export const plainAllocator: Allocator = (n) => new Float32Array(n);

/**
 * The matrix multiply of one thread, with its scratch memory: gemm.ts's contract
 * (C = A·B or C += A·B on strided views). Not thread-safe: one per thread.
 */
export interface GemmEngine {
  /** 'wasm-simd' (wasm/gemm-kernel.ts) or 'js' (gemm.ts). */
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
}
