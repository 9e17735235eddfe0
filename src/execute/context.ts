/**
 * The contexts kernels run in (the interface is src/kernels/context.ts): where buffers come from,
 * and which GEMM engine multiplies.
 *
 * With the wasm engine, a context's buffers live in the engine's memory (wasm/arena.ts): tensors
 * (`alloc`, zero-filled for the layer kinds; `allocUninit` for the plan's steps, which write every
 * element), the plan's packed weights (`allocatePlan`) and the GEMM scratch, so the kernels read
 * and write them in place; `release` gives a tensor's block back for the next one (so a tensor
 * the executor has released, onLayer's included, must not be kept). Weights and inputs
 * (`allocate`) stay the caller's, outside it. `memory` and `addressOf` are for other wasm kernels
 * on the same memory.
 */
import type { ExecContext } from '../kernels/context.js';
import { gemm, GemmScratch, MR, NR } from '../kernels/gemm.js';
import type { Mat } from '../kernels/mat.js';
import { numel, type Tensor } from '../kernels/tensor.js';
import { WasmGemm, wasmSimdSupported, type PackedGemm } from './wasm/gemm-kernel.js';
import { type EngineMemory } from './wasm/arena.js';

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

/** `memory`: the engine memory the wasm engine works in (a new one when not given). */
export function createGemmEngine(wasm = wasmGemmEnabled(), memory?: EngineMemory): GemmEngine {
  return wasm ? new WasmGemm(memory) : new JsGemm();
}

/**
 * The single-threaded context: buffers from the engine memory (the wasm engine) or fresh ones
 * (`fallback`: the JS engine, and what the memory cannot hold), one growing scratch, the blocked GEMM.
 */
export class LocalContext implements ExecContext {
  macs = 0;
  private scratchBuf: Float32Array;
  /** Makes a buffer of `n` floats the caller owns, zero (weights, inputs): plain or shared memory, never the arena. */
  readonly allocate: Allocator;
  /** Makes a buffer of `n` floats in the engine memory, zero, never released: the plan's packed weights (buildPlan). */
  readonly allocatePlan: Allocator;
  /** The engine memory (undefined with the JS engine). */
  readonly arena: EngineMemory | undefined;
  /** The buffers of the tensors alloc made and the executor has not released. */
  private readonly tensors = new WeakSet<Float32Array>();

  constructor(
    fallback: Allocator = plainAllocator,
    scratchFloats = 0,
    readonly engine: GemmEngine = createGemmEngine(),
  ) {
    this.arena = engine instanceof WasmGemm ? engine.memory : undefined;
    const arena = this.arena;
    this.allocate = fallback;
    this.allocatePlan = arena ? (n) => (n === 0 ? fallback(0) : arena.allocZeroed(n)) : fallback;
    this.scratchBuf = this.allocatePlan(scratchFloats);
  }

  /** The engine's WebAssembly memory (undefined with the JS engine). */
  get memory(): WebAssembly.Memory | undefined {
    return this.arena?.memory;
  }

  /** Readies the engine memory for `bytes` more (arena.ts reserve); nothing without one. */
  reserve(bytes: number): void {
    this.arena?.reserve(bytes);
  }

  /** The byte address of a view's first element in `memory`, or -1 when it is not in it. */
  addressOf(a: ArrayBufferView): number {
    return this.arena ? this.arena.addressOf(a) : -1;
  }

  alloc(shape: readonly number[]): Tensor {
    const data = this.allocatePlan(numel(shape));
    this.tensors.add(data);
    return { shape: smiShape(shape), data };
  }

  /** A tensor whose contents are unspecified, for kernels that write every element (plan.ts's steps). */
  allocUninit(shape: readonly number[]): Tensor {
    const n = numel(shape);
    const data = this.arena && n > 0 ? this.arena.alloc(n) : this.allocatePlan(n);
    this.tensors.add(data);
    return { shape: smiShape(shape), data };
  }

  scratch(n: number): Float32Array {
    if (this.scratchBuf.length < n) {
      this.arena?.release(this.scratchBuf);
      this.scratchBuf = this.allocatePlan(n);
    }
    return this.scratchBuf;
  }

  /** Gives the block of a tensor `alloc` made back (others, such as the graph's input, stay). */
  release(t: Tensor): void {
    if (!this.tensors.delete(t.data)) return;
    this.arena?.release(t.data);
  }

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

/**
 * A copy of a shape whose elements V8 holds as small integers: shapes computed with Math.floor
 * come as doubles, and a loop compiled on one kind of array deoptimizes on the other (the warm-up's
 * shapes are small integers; the first pass then ran a global pool unoptimized, 4 ms for 0.2).
 */
function smiShape(shape: readonly number[]): number[] {
  const out: number[] = [];
  for (const d of shape) out.push(d | 0);
  return out;
}
