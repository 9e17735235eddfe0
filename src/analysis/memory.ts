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
import { schedule, type Schedule } from './schedule.js';

const INT64_BYTES = 8;

/** Bytes of every weight (parameters and buffers) and of the parameters alone, in one pass over the tensors. */
export function tensorBytes(graph: Graph, dtype: Dtype): { readonly weights: number; readonly params: number } {
  const size = DTYPES[dtype];
  let weights = 0;
  let params = 0;
  for (const node of graph.nodes) {
    for (const t of node.tensors) {
      const n = numel(t.shape);
      weights += n * (t.dtype === 'int64' ? INT64_BYTES : size);
      if (t.role === 'parameter') params += n * size;
    }
  }
  return { weights, params };
}

/** Bytes of each node's output (node 0 is the input), for the whole batch. */
export function outputBytes(graph: Graph, batch: number, dtype: Dtype): number[] {
  return graph.nodes.map((node) => numel(node.outputShape) * batch * DTYPES[dtype]);
}

/**
 * The bytes of activations alive at each step of the schedule, while its layer runs: before a
 * layer runs its inputs are alive; while it runs its output is allocated beside them; after it
 * runs, tensors whose last reader it was are freed. Every output is a new tensor (no in-place
 * reuse, no views). Step k runs node `schedule(graph).order[k]`; step 0 is the input.
 */
export function liveBytes(graph: Graph, bytes: readonly number[]): number[] {
  return liveUnder(schedule(graph), bytes);
}

function liveUnder({ order, freeAfter }: Schedule, bytes: readonly number[]): number[] {
  let live = 0;
  return order.map((id, step) => {
    live += bytes[id];
    const during = live;
    for (const freed of freeAfter[step]) live -= bytes[freed];
    return during;
  });
}

/** The most bytes of activations alive at once under the schedule, and the first node running then. */
export function peakActivationBytes(graph: Graph, bytes: readonly number[]): { peak: number; at: number } {
  const plan = schedule(graph);
  let peak = 0;
  let at = 0;
  liveUnder(plan, bytes).forEach((live, step) => {
    if (live > peak) {
      peak = live;
      at = plan.order[step];
    }
  });
  return { peak, at };
}

export interface TrainingBytes {
  readonly weights: number;
  readonly gradients: number;
  readonly optimizer: number;
  readonly activations: number;
  readonly total: number;
}

/** From tensorBytes: gradients and optimizer state are per trainable parameter; backward keeps every activation. */
export function trainingBytes(
  bytes: { readonly weights: number; readonly params: number },
  optimizer: Optimizer,
  activations: number,
): TrainingBytes {
  const weights = bytes.weights;
  const gradients = bytes.params;
  const state = gradients * OPTIMIZER_STATES[optimizer];
  return { weights, gradients, optimizer: state, activations, total: weights + gradients + state + activations };
}
