/**
 * The execution schedule shared by the memory analysis and execute mode: layers run in the
 * graph's topological order, and each tensor is freed right after its last reader has run.
 * The model's outputs are never freed.
 */
import type { Graph } from '../graph/graph.js';

export interface Schedule {
  /** Node ids in run order (node 0, the input, first). */
  readonly order: readonly number[];
  /** For each step of `order`, the ids of the tensors that can be freed once that step has run. */
  readonly freeAfter: readonly (readonly number[])[];
}

/** What a step that frees nothing frees: one frozen list for all of them. */
const NOTHING: readonly number[] = Object.freeze([]);

export function schedule(graph: Graph): Schedule {
  const n = graph.nodes.length;
  const lastReader = new Array<number>(n).fill(-1);
  for (const node of graph.nodes) for (const i of node.inputs) lastReader[i] = Math.max(lastReader[i], node.id);
  const outputs = new Set(graph.outputs);
  // Most steps free one tensor or none: a list made for the first one, not an empty one per step
  // grown to V8's 17 slots (a hundred thousand of them for a long model).
  const freeAfter: (readonly number[])[] = new Array<readonly number[]>(n).fill(NOTHING);
  for (let id = 0; id < n; id++) {
    if (outputs.has(id)) continue;
    // A tensor nobody reads (a dead end) is freed as soon as it is made.
    const step = lastReader[id] >= 0 ? lastReader[id] : id;
    if (freeAfter[step] === NOTHING) freeAfter[step] = [id];
    else (freeAfter[step] as number[]).push(id);
  }
  return { order: graph.nodes.map((node) => node.id), freeAfter };
}
