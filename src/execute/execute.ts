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
import { buildPlan, isPlanContext, reservePlanMemory, type ExecPlan, type PlanContext } from './plan.js';

export interface ExecuteOptions {
  readonly weights: GraphWeights;
  /** [N, ...graph.inputShape]. */
  readonly input: Tensor;
  /** Where kernels allocate and multiply; a single-threaded LocalContext by default. */
  readonly context?: ExecContext;
  /**
   * Called after each layer (the input node too) with the MACs done so far and its output, for
   * progress display and taps. The output is valid during the call only (its memory is reused
   * once the executor frees it): copy what is kept.
   */
  readonly onLayer?: (node: LayerNode, macsDone: number, output: Tensor) => void;
  /**
   * 'plan' (the default when the context can run it: the wasm engine) runs the fused plan of
   * plan.ts; 'reference' every layer's own forward. CNNSCOPE_ENGINE=reference forces the latter.
   * With the plan, onLayer sees only the last layer of each fused step.
   */
  readonly engine?: 'plan' | 'reference';
  /** A plan built for this graph, weights and context (buildPlan), to run several passes on one. */
  readonly plan?: ExecPlan;
  /**
   * Check every layer's output for NaN and infinities ('layers'), or the graph's outputs only
   * ('outputs', the default of the plan: when one is not finite, the pass is run again on the
   * reference path, checking every layer, to name the first layer that made one).
   */
  readonly checkFinite?: 'outputs' | 'layers';
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

/** The engine execute() picks: the plan on a context that runs it, unless CNNSCOPE_ENGINE=reference. */
export function planEngine(ctx: ExecContext, wanted?: 'plan' | 'reference'): ctx is PlanContext {
  const engine = wanted ?? (process.env['CNNSCOPE_ENGINE'] === 'reference' ? 'reference' : 'plan');
  return engine === 'plan' && isPlanContext(ctx);
}

export function execute(graph: Graph, options: ExecuteOptions): ExecuteResult {
  const { input } = options;
  const ctx = options.context ?? new LocalContext();
  const batch = input.shape[0];
  if (input.shape.length !== graph.inputShape.length + 1 || !sameShape(input.shape.slice(1), graph.inputShape) || batch < 1) {
    throw new ExecuteError(
      `the input has shape [${input.shape.join(', ')}], the model '${graph.name}' takes [N, ${graph.inputShape.join(', ')}]`,
    );
  }
  if (options.plan || planEngine(ctx, options.engine)) {
    const pctx = ctx as PlanContext;
    const plan =
      options.plan ??
      buildPlan(graph, options.weights, pctx.allocatePlan ?? pctx.allocate ?? ((n) => new Float32Array(n)), undefined, pctx);
    reservePlanMemory(pctx, graph, batch, plan);
    const result = runPlan(graph, plan, options, pctx);
    if (options.checkFinite !== 'layers' && result.nonFinite) {
      // Name the first layer that made a NaN: the reference path, checking every layer.
      const again = executeReference(graph, { ...options, context: ctx, checkFinite: 'layers', onLayer: undefined });
      const nonFinite = again.nonFinite ?? result.nonFinite;
      return { ...result, nonFinite };
    }
    return result;
  }
  return executeReference(graph, options);
}

function runPlan(graph: Graph, plan: ExecPlan, options: ExecuteOptions, ctx: PlanContext): ExecuteResult {
  const { input } = options;
  const live = new Array<Tensor | undefined>(graph.nodes.length);
  const layers: LayerRun[] = [];
  const everyLayer = options.checkFinite === 'layers';
  const outputs = new Set(graph.outputs);
  let nonFinite: ExecuteResult['nonFinite'];
  const macs0 = ctx.macs;
  const start = performance.now();
  live[0] = input;
  // `made` is the node whose output `t` is; `named` the one a NaN is reported on (a fused step's first).
  const check = (made: LayerNode, named: LayerNode, t: Tensor) => {
    if (nonFinite || !(everyLayer || outputs.has(made.id))) return;
    const index = firstNonFinite(t.data);
    if (index >= 0) nonFinite = { node: named, index };
  };
  check(graph.nodes[0], graph.nodes[0], input);
  options.onLayer?.(graph.nodes[0], ctx.macs - macs0, input);
  plan.steps.forEach((step, i) => {
    const inputs = step.inputs.map((id) => live[id]!);
    const before = ctx.macs;
    const t0 = performance.now();
    const out = step.run(inputs, ctx);
    const ms = performance.now() - t0;
    const node = step.output;
    checkOutputShape(node, out, input.shape[0]);
    // A fused step's time and MACs go to its conv; the others it absorbed show 0.
    step.nodes.forEach((n) => layers.push({ node: n, ms: n === step.head ? ms : 0, macs: n === step.head ? ctx.macs - before : 0 }));
    live[node.id] = out;
    check(node, step.head, out);
    options.onLayer?.(node, ctx.macs - macs0, out);
    release(live, plan.freeAfter[i], ctx);
  });
  const ms = performance.now() - start;
  return {
    outputs: graph.outputs.map((id) => ({ node: graph.nodes[id], tensor: live[id]! })),
    macs: ctx.macs - macs0,
    ms,
    layers,
    ...(nonFinite ? { nonFinite } : {}),
  };
}

function executeReference(graph: Graph, options: ExecuteOptions): ExecuteResult {
  const { input, weights } = options;
  const ctx = options.context ?? new LocalContext();
  const batch = input.shape[0];
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
      checkOutputShape(node, out, batch);
      layers.push({ node, ms, macs: ctx.macs - macs0 });
      live[id] = out;
    }
    if (!nonFinite) {
      const index = firstNonFinite(live[id]!.data);
      if (index >= 0) nonFinite = { node, index };
    }
    options.onLayer?.(node, ctx.macs, live[id]!);
    release(live, plan.freeAfter[step], ctx);
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

/** A kernel's output must have the shape the static analysis gave its layer: anything else is a bug. */
function checkOutputShape(node: LayerNode, out: Tensor, batch: number): void {
  const expected = [batch, ...node.outputShape];
  if (!sameShape(out.shape, expected)) {
    throw new Error(
      `layer '${node.name}' (${node.kind}): output shape [${out.shape.join(', ')}], the static analysis says [${expected.join(', ')}]`,
    );
  }
}

/** Drops the tensors whose last reader has run, as the schedule says. */
function release(live: (Tensor | undefined)[], freed: readonly number[], ctx: ExecContext): void {
  for (const id of freed) {
    const t = live[id]!;
    live[id] = undefined;
    ctx.release?.(t);
  }
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
