/**
 * Execute mode: a real forward pass of a graph on the CPU, in inference mode. Layers run in the
 * order of the shared schedule (src/analysis/schedule.ts), each tensor dropped right after its
 * last reader, so the live activations are exactly those the memory estimate counts.
 */
import { schedule } from '../analysis/schedule.js';
import type { Graph, LayerNode } from '../graph/graph.js';
import type { ExecContext } from '../kernels/context.js';
import { firstNonFinite, sameShape, type Tensor } from '../kernels/tensor.js';
import { LocalContext } from './context.js';
import type { GraphWeights } from './weights.js';
import { layerOps } from '../analysis/compute.js';

export interface ExecuteOptions {
  readonly weights: GraphWeights;
  /** [N, ...graph.inputShape]. */
  readonly input: Tensor;
  /** Where kernels allocate and multiply; a single-threaded LocalContext by default. */
  readonly context?: ExecContext;
  /** Called after each layer (the input node too) with the MACs done so far and its output, for progress display and taps. */
  readonly onLayer?: (node: LayerNode, macsDone: number, output: Tensor) => void;
}

export interface LayerRun {
  readonly node: LayerNode;
  /** Wall time of the layer's kernel. */
  readonly ms: number;
  /** Multiply-accumulates the kernel performed. */
  readonly macs: number;
}

export interface ExecuteResult {
  /** The graph's outputs, in graph.outputs order. */
  readonly outputs: readonly { readonly node: LayerNode; readonly tensor: Tensor }[];
  /** Multiply-accumulates performed by all kernels. */
  readonly macs: number;
  readonly ms: number;
  /** Every layer (the input node aside), in run order. */
  readonly layers: readonly LayerRun[];
  /** The first layer (in run order) whose output holds a NaN or an infinity. */
  readonly nonFinite?: { readonly node: LayerNode; readonly index: number };
}

/** A problem with what execute was given (not a bug): the input's shape, a missing weight. */
export class ExecuteError extends Error {}

export function execute(graph: Graph, options: ExecuteOptions): ExecuteResult {
  const { input, weights } = options;
  const ctx = options.context ?? new LocalContext();
  const batch = input.shape[0];
  if (input.shape.length !== graph.inputShape.length + 1 || !sameShape(input.shape.slice(1), graph.inputShape) || batch < 1) {
    throw new ExecuteError(
      `the input has shape [${input.shape.join(', ')}], the model '${graph.name}' takes [N, ${graph.inputShape.join(', ')}]`,
    );
  }
  const plan = schedule(graph);
  const live = new Array<Tensor | undefined>(graph.nodes.length);
  const layers: LayerRun[] = [];
  let nonFinite: ExecuteResult['nonFinite'];
  const start = performance.now();
  plan.order.forEach((id, step) => {
    const node = graph.nodes[id];
    if (id === 0) {
      live[0] = input;
    } else {
      const inputs = node.inputs.map((i) => live[i]!);
      const macs0 = ctx.macs;
      const t0 = performance.now();
      const out = node.layer.forward(inputs, node.args, weights.get(id) ?? {}, ctx);
      const ms = performance.now() - t0;
      const expected = [batch, ...node.outputShape];
      if (!sameShape(out.shape, expected)) {
        throw new Error(
          `layer '${node.name}' (${node.kind}): output shape [${out.shape.join(', ')}], the static analysis says [${expected.join(', ')}]`,
        );
      }
      layers.push({ node, ms, macs: ctx.macs - macs0 });
      live[id] = out;
    }
    if (!nonFinite) {
      const index = firstNonFinite(live[id]!.data);
      if (index >= 0) nonFinite = { node, index };
    }
    options.onLayer?.(node, ctx.macs, live[id]!);
    for (const freed of plan.freeAfter[step]) {
      const t = live[freed]!;
      live[freed] = undefined;
      ctx.release?.(t);
    }
  });
  const ms = performance.now() - start;
  return {
    outputs: graph.outputs.map((id) => ({ node: graph.nodes[id], tensor: live[id]! })),
    macs: ctx.macs,
    ms,
    layers,
    ...(nonFinite ? { nonFinite } : {}),
  };
}

/** The static multiply-accumulates per sample: the sum of every layer's cost().macs. */
export function staticMacs(graph: Graph): number {
  let macs = 0;
  for (const node of graph.nodes) if (node.id !== 0) macs += layerOps(node, 1).macs;
  return macs;
}

/** Checks that every layer's float tensors are present with their sizes (weights from code, not files). */
export function checkWeights(graph: Graph, weights: GraphWeights): void {
  for (const node of graph.nodes) {
    for (const spec of node.tensors) {
      if (spec.dtype !== 'float') continue;
      const data = weights.get(node.id)?.[spec.name];
      const n = spec.shape.reduce((p, d) => p * d, 1);
      if (!data || data.length !== n)
        throw new ExecuteError(`layer '${node.name}': weight '${spec.name}' is missing or not of ${n} elements`);
    }
  }
}
