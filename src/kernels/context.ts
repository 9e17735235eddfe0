/**
 * What a kernel gets besides its inputs, arguments and weights: where to put its output, scratch
 * memory, the GEMM, and the multiply-accumulate counter. Layers (src/layers/) call it; execute
 * mode (src/execute/context.ts, threads.ts) implements it.
 */
import type { Mat } from './mat.js';
import type { Tensor } from './tensor.js';

export interface ExecContext {
  /**
   * Multiply-accumulates performed so far. Kernels add what their loops do (gemm adds M*N*K per
   * call), so the total can be checked against the static count.
   */
  macs: number;
  /** A new tensor for the kernel's output. Its contents are unspecified: the kernel writes every element. */
  alloc(shape: readonly number[]): Tensor;
  /**
   * Scratch of at least `n` floats (im2col), valid until the next call; contents unspecified.
   * A kind asks for at most what its `scratchFloats` declares (the memory estimate counts that).
   */
  scratch(n: number): Float32Array;
  /** C = A·B (C += A·B when `accumulate`), A M×K, B K×N; adds M*N*K to `macs`. */
  gemm(M: number, N: number, K: number, A: Mat, B: Mat, C: Mat, accumulate: boolean): void;
  /** The executor is done with this tensor (optional: worker threads drop their reference). */
  release?(t: Tensor): void;
}
