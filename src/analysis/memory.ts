/**
 * Memory, in bytes, for a dtype and batch (docs/metrics.md):
 * - weights: every parameter and buffer at the dtype, except integer counters (batchnorm's
 *   `num_batches_tracked`), which stay int64;
 * - activations: every layer's output and the input;
 * - peak activations: the most bytes of activations alive at once under the schedule
 *   (src/analysis/schedule.ts), the same one execute mode runs;
 * - training: weights + gradients + optimizer state + the activations kept for backward.
 */
import type { Graph } from '../graph/graph.js';
import { numel } from '../layers/kind.js';
import { DTYPES, OPTIMIZER_STATES, type Dtype, type Optimizer } from '../vocabulary.js';
import { schedule } from './schedule.js';

const INT64_BYTES = 8;

export function weightBytes(graph: Graph, dtype: Dtype): number {
  let bytes = 0;
  for (const node of graph.nodes) {
    for (const t of node.tensors) bytes += numel(t.shape) * (t.dtype === 'int64' ? INT64_BYTES : DTYPES[dtype]);
  }
  return bytes;
}

export function paramBytes(graph: Graph, dtype: Dtype): number {
  let bytes = 0;
  for (const node of graph.nodes) for (const t of node.tensors) if (t.role === 'parameter') bytes += numel(t.shape) * DTYPES[dtype];
  return bytes;
}

/** Bytes of each node's output (node 0 is the input), for the whole batch. */
export function outputBytes(graph: Graph, batch: number, dtype: Dtype): number[] {
  return graph.nodes.map((node) => numel(node.outputShape) * batch * DTYPES[dtype]);
}

/**
 * Walks the schedule: before a layer runs its inputs are alive; while it runs its output is
 * allocated beside them; after it runs, tensors whose last reader it was are freed. The peak is
 * the largest total alive at any step. Every output is a new tensor (no in-place reuse, no views).
 */
export function peakActivationBytes(graph: Graph, bytes: readonly number[]): { peak: number; at: number } {
  const { order, freeAfter } = schedule(graph);
  let live = 0;
  let peak = 0;
  let at = 0;
  order.forEach((id, step) => {
    live += bytes[id];
    if (live > peak) {
      peak = live;
      at = id;
    }
    for (const freed of freeAfter[step]) live -= bytes[freed];
  });
  return { peak, at };
}

/**
 * The bytes alive at each step of the schedule, while its layer runs (its inputs and its new
 * output): the walk of peakActivationBytes, step by step, for the report's liveness timeline.
 * `at[i]` is the node id run at step i.
 */
export function liveActivationBytes(graph: Graph, bytes: readonly number[]): { live: number[]; at: number[] } {
  const { order, freeAfter } = schedule(graph);
  const live: number[] = [];
  let alive = 0;
  order.forEach((id, step) => {
    alive += bytes[id];
    live.push(alive);
    for (const freed of freeAfter[step]) alive -= bytes[freed];
  });
  return { live, at: [...order] };
}

export interface TrainingBytes {
  readonly weights: number;
  readonly gradients: number;
  readonly optimizer: number;
  readonly activations: number;
  readonly total: number;
}

/** Gradients and optimizer state are per trainable parameter; backward keeps every activation. */
export function trainingBytes(graph: Graph, dtype: Dtype, optimizer: Optimizer, activations: number): TrainingBytes {
  const weights = weightBytes(graph, dtype);
  const gradients = paramBytes(graph, dtype);
  const state = gradients * OPTIMIZER_STATES[optimizer];
  return { weights, gradients, optimizer: state, activations, total: weights + gradients + state + activations };
}
