/**
 * The execution plan of the fast engine: built once per run from the graph and its weights,
 * then run as many times as wanted. Layer kinds keep their reference `forward`; the plan only
 * regroups the schedule into steps and picks a kernel per step:
 *
 *   conv step   conv (+ batchnorm) (+ add of a residual) (+ relu), one fused GEMM per sample and
 *               group: batchnorm folded into the conv's weights and bias at build time, the
 *               weights packed once in the kernel's panel order (gemm-kernel.ts packWeights), the
 *               im2col matrix packed straight from the input (no im2col buffer), and bias,
 *               residual and relu done in the kernel's epilogue (no pass over the output).
 *   layer step  any other layer (depthwise convs too): its reference forward.
 *
 * A layer joins a conv step when it is the only reader of the step's output so far, that output
 * is not a graph output, and it comes in the order the epilogue applies (batchnorm, then add,
 * then relu). Intermediate tensors of a step are never made, so the live memory is at most the
 * schedule's (analysis/schedule.ts), and MACs are those of the reference (the same GEMMs).
 *
 * Numerics: folding batchnorm rounds w*scale to float32 once, where the reference rounds the
 * conv's sum and then the normalized value: the outputs differ in the last bits (measured in
 * docs/metrics.md "Execute mode", tested in test/execute/plan.test.ts).
 */
import type { Graph, LayerNode } from '../graph/graph.js';
import { isDirectConv, type ConvGeometry } from '../kernels/im2col.js';
import { rowMajor } from '../kernels/mat.js';
import type { ExecContext } from '../kernels/context.js';
import type { Tensor } from '../kernels/tensor.js';
import type { BatchNormArgs } from '../layers/batchnorm.js';
import type { ConvArgs } from '../layers/conv.js';
import type { LayerWeights } from '../layers/kind.js';
import { packedFloats, packWeights, type PackedA, type PackedGemm } from './wasm/gemm-kernel.js';
import type { GraphWeights } from './weights.js';
import { runsPlan, type GemmEngine } from './context.js';

/** A context that can run the plan's fused GEMMs (LocalContext and the pool with the wasm engine). */
export interface PlanContext extends ExecContext {
  /** Runs a PackedGemm whole (split between threads or not); adds M*N*K to `macs`. */
  gemmPacked(job: PackedGemm): void;
  readonly allocate?: (n: number) => Float32Array;
}

export function isPlanContext(ctx: ExecContext): ctx is PlanContext {
  return typeof (ctx as Partial<PlanContext>).gemmPacked === 'function' && runsPlan(ctx as { engine?: GemmEngine });
}

export interface PlanStep {
  /** The layers the step runs, in graph order; the last one's output is the step's. */
  readonly nodes: readonly LayerNode[];
  /** Node ids of the tensors it reads. */
  readonly inputs: readonly number[];
  /** The node whose output the step makes. */
  readonly output: LayerNode;
  run(inputs: readonly Tensor[], ctx: PlanContext): Tensor;
}

export interface ExecPlan {
  readonly steps: readonly PlanStep[];
  /** For each step, the node ids of the tensors that can be freed once it has run. */
  readonly freeAfter: readonly (readonly number[])[];
  /** Floats of the packed weights the plan holds (beside the graph's weights). */
  readonly packedFloats: number;
}

/** The readers of each node, and the graph outputs. */
function readers(graph: Graph): number[][] {
  const out: number[][] = graph.nodes.map(() => []);
  for (const node of graph.nodes) for (const i of node.inputs) out[i].push(node.id);
  return out;
}

export function buildPlan(graph: Graph, weights: GraphWeights, allocate: (n: number) => Float32Array): ExecPlan {
  const readBy = readers(graph);
  const outputs = new Set(graph.outputs);
  const absorbed = new Set<number>();
  const steps: PlanStep[] = [];
  let packed = 0;
  for (const node of graph.nodes) {
    if (node.id === 0 || absorbed.has(node.id)) continue;
    const conv = node.kind === 'conv' ? fusableConv(node) : undefined;
    if (!conv) {
      steps.push(layerStep(node, weights.get(node.id) ?? {}));
      continue;
    }
    // Grow the group along sole readers: batchnorm, then add, then relu.
    const group = [node];
    let bn: LayerNode | undefined;
    let add: LayerNode | undefined;
    let relu: LayerNode | undefined;
    for (;;) {
      const tail = group[group.length - 1];
      if (outputs.has(tail.id) || readBy[tail.id].length !== 1) break;
      const next = graph.nodes[readBy[tail.id][0]];
      // The add of two conv branches joins the first of them (the other is its residual).
      if (absorbed.has(next.id)) break;
      if (next.kind === 'batchnorm' && !bn && !add && !relu && next.inputShapes[0].length === 3) bn = next;
      else if (next.kind === 'add' && !add && !relu && next.inputs.length === 2 && next.inputs[0] !== next.inputs[1]) add = next;
      else if (next.kind === 'relu' && !relu) relu = next;
      else break;
      group.push(next);
    }
    for (const n of group) absorbed.add(n.id);
    const residual = add ? add.inputs.find((i) => i !== group[group.indexOf(add) - 1].id)! : undefined;
    const step = convStep(group, node, conv, weights, bn, residual, relu !== undefined, allocate);
    packed += step.packedFloats;
    steps.push(step);
  }
  // A fused step runs where its last layer was: by then its residual input has been made.
  steps.sort((x, y) => x.output.id - y.output.id);
  return { steps, freeAfter: freeSchedule(graph, steps), packedFloats: packed };
}

/** Every conv goes to the packed GEMM but depthwise-like ones (one input channel per group), which the reference runs. */
function fusableConv(node: LayerNode): ConvArgs | undefined {
  const a = node.args as ConvArgs;
  const cin = node.inputShapes[0][0];
  if (cin / a.groups === 1 && a.groups > 1) return undefined;
  return a;
}

/** Floats the plan holds for a node beside its weights: a conv's packed, folded weights and bias. */
export function planFloats(node: LayerNode): number {
  if (node.kind !== 'conv' || !fusableConv(node)) return 0;
  const a = node.args as ConvArgs;
  const cout = node.outputShape[0];
  return a.groups * packedFloats(cout / a.groups, (node.inputShapes[0][0] / a.groups) * a.kernel[0] * a.kernel[1]) + cout;
}

function layerStep(node: LayerNode, w: LayerWeights): PlanStep {
  return {
    nodes: [node],
    inputs: node.inputs,
    output: node,
    run: (inputs, ctx) => node.layer.forward(inputs, node.args, w, ctx),
  };
}

interface ConvStep extends PlanStep {
  readonly packedFloats: number;
}

function convStep(
  group: readonly LayerNode[],
  node: LayerNode,
  a: ConvArgs,
  weights: GraphWeights,
  bn: LayerNode | undefined,
  residual: number | undefined,
  relu: boolean,
  allocate: (n: number) => Float32Array,
): ConvStep {
  const [cin, h, wd] = node.inputShapes[0] as [number, number, number];
  const [cout, hout, wout] = node.outputShape as [number, number, number];
  const [kh, kw] = a.kernel;
  const cg = cin / a.groups;
  const mg = cout / a.groups;
  const K = cg * kh * kw;
  const P = hout * wout;
  const w = weights.get(node.id) ?? {};
  const weight = w['weight'];
  // Folded: y = (W x + b) * scale + shift  =  (W * scale) x + (b * scale + shift), in float64.
  const scale = new Float64Array(cout).fill(1);
  const shift = new Float64Array(cout);
  if (bn) {
    const ba = bn.args as BatchNormArgs;
    const bw = weights.get(bn.id) ?? {};
    for (let o = 0; o < cout; o++) {
      scale[o] = (ba.affine ? bw['weight'][o] : 1) / Math.sqrt(bw['running_var'][o] + ba.eps);
      shift[o] = (ba.affine ? bw['bias'][o] : 0) - bw['running_mean'][o] * scale[o];
    }
  }
  const bias = allocate(cout);
  for (let o = 0; o < cout; o++) bias[o] = (a.bias ? w['bias'][o] : 0) * scale[o] + shift[o];
  const perGroup = packedFloats(mg, K);
  const store = allocate(perGroup * a.groups);
  const packs: PackedA[] = [];
  for (let g = 0; g < a.groups; g++) {
    packs.push(
      packWeights(mg, K, rowMajor(weight, g * mg * K, K), store, g * perGroup, bn ? scale.subarray(g * mg, (g + 1) * mg) : undefined),
    );
  }
  const p = a.padding;
  const direct = isDirectConv(a.kernel, a.stride, p);
  const geometry: ConvGeometry = {
    h,
    w: wd,
    kh,
    kw,
    sh: a.stride[0],
    sw: a.stride[1],
    dh: a.dilation[0],
    dw: a.dilation[1],
    top: p.top,
    left: p.left,
    hout,
    wout,
  };
  const output = group[group.length - 1];
  return {
    nodes: group,
    inputs: residual === undefined ? [node.inputs[0]] : [node.inputs[0], residual],
    output,
    packedFloats: perGroup * a.groups + cout,
    run([x, res], ctx) {
      const n = x.shape[0];
      const y = ctx.alloc([n, cout, hout, wout]);
      for (let s = 0; s < n; s++) {
        for (let g = 0; g < a.groups; g++) {
          const xOff = (s * cin + g * cg) * h * wd;
          const yOff = (s * cout + g * mg) * P;
          ctx.gemmPacked({
            M: mg,
            N: P,
            K,
            A: packs[g],
            B: direct ? { kind: 'mat', mat: rowMajor(x.data, xOff, P) } : { kind: 'im2col', x: x.data, xOff, geometry },
            C: rowMajor(y.data, yOff, P),
            bias,
            biasOffset: g * mg,
            relu,
            ...(res ? { residual: rowMajor(res.data, yOff, P) } : {}),
          });
        }
      }
      return y;
    },
  };
}

/** Each tensor is freed after the last step that reads it (graph outputs never). */
function freeSchedule(graph: Graph, steps: readonly PlanStep[]): number[][] {
  const lastStep = new Map<number, number>();
  steps.forEach((step, i) => {
    for (const id of step.inputs) lastStep.set(id, i);
  });
  const outputs = new Set(graph.outputs);
  const free: number[][] = steps.map(() => []);
  const made = [0, ...steps.map((s) => s.output.id)];
  made.forEach((id, k) => {
    if (outputs.has(id)) return;
    const at = lastStep.get(id) ?? Math.max(0, k - 1);
    free[at].push(id);
  });
  return free;
}
