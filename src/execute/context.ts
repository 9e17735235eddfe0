/**
 * What a kernel gets besides its inputs, arguments and weights: where to put its output, scratch
 * memory, the GEMM, and the multiply-accumulate counter.
 */
import { gemm, GemmScratch, type Mat } from './gemm.js';
import { numel, type Tensor } from './tensor.js';

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

/** The single-threaded context: fresh buffers, one growing scratch, the blocked GEMM. */
export class LocalContext implements ExecContext {
  macs = 0;
  private scratchBuf: Float32Array;
  private readonly gemmScratch = new GemmScratch();

  constructor(
    readonly allocate: Allocator = plainAllocator,
    scratchFloats = 0,
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
    gemm(M, N, K, A, B, C, accumulate, this.gemmScratch);
  }
}
