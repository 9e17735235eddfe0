/**
 * The memory a forward pass needs, estimated before anything is allocated, from the static
 * analysis alone: the peak of the live activations under the schedule (every tensor is float32
 * and lives from its layer until its last reader), the weights, and the scratch (the largest
 * any kind declares in `scratchFloats`, conv's im2col matrix, plus each thread's GEMM pack buffers).
 */
import { outputBytes, peakActivationBytes } from '../analysis/memory.js';
import type { Graph } from '../graph/graph.js';
import { GEMM_SCRATCH_BYTES } from '../kernels/gemm.js';
import { numel } from '../kernels/tensor.js';
import { planFloats } from './plan.js';

export interface MemoryEstimate {
  /** Peak bytes of live activations (input included). */
  readonly activations: number;
  readonly weights: number;
  readonly scratch: number;
  /** The fast engine's plan (plan.ts): each conv's weights, batchnorm folded in, packed for the GEMM. */
  readonly plan: number;
  readonly total: number;
  /** Elements of the largest single buffer (an activation at this batch, a weight, or im2col). */
  readonly largestBuffer: number;
}

/** Kernels index buffers with int32 arithmetic: no buffer may reach 2^31 floats (8 GiB). */
export const MAX_BUFFER_ELEMENTS = 2 ** 31 - 1;

export function estimateMemory(graph: Graph, batch: number, threads = 1): MemoryEstimate {
  // The static analysis's peak: execute mode runs the same schedule, with float32 tensors.
  const activations = peakActivationBytes(graph, outputBytes(graph, batch, 'fp32')).peak;
  let weights = 0;
  let kernelScratch = 0;
  let largestBuffer = 0;
  let plan = 0;
  for (const node of graph.nodes) {
    plan += planFloats(node) * 4;
    largestBuffer = Math.max(largestBuffer, numel(node.outputShape) * batch);
    for (const t of node.tensors) {
      if (t.dtype !== 'float') continue;
      weights += numel(t.shape) * 4;
      largestBuffer = Math.max(largestBuffer, numel(t.shape));
    }
    kernelScratch = Math.max(kernelScratch, node.layer.scratchFloats?.(node.inputShapes, node.outputShape, node.args) ?? 0);
  }
  largestBuffer = Math.max(largestBuffer, kernelScratch);
  const scratch = kernelScratch * 4 + GEMM_SCRATCH_BYTES * threads;
  return { activations, weights, scratch, plan, total: activations + weights + scratch + plan, largestBuffer };
}
