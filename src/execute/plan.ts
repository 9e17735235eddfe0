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
 *               A depthwise conv (one input channel per group) does the same with depthwise.ts's
 *               direct kernel. A batchnorm (+ relu) before a conv that no epilogue took is
 *               applied as B is packed (a prologue: DenseNet's pre-activation).
 *               A 3x3 stride-1 conv with a large enough output runs as Winograd F(2x2, 3x3)
 *               (winograd.ts: 16 GEMMs of 4/9 the MACs, the same fusion; CNNSCOPE_WINOGRAD=0 off).
 *   maxpool     pool.ts's separable kernel (bit-identical to the reference).
 *   layer step  any other layer: its reference forward.
 *
 * A layer joins a conv step when it is the only reader of the step's output so far, that output
 * is not a graph output, and it comes in the order the epilogue applies (batchnorm, then add,
 * then relu or relu6). Intermediate tensors of a step are never made, so the live memory is at most the
 * schedule's (analysis/schedule.ts), and MACs are those of the reference (the same GEMMs).
 *
 * Numerics: folding batchnorm rounds w*scale to float32 once, where the reference rounds the
 * conv's sum and then the normalized value: the outputs differ in the last bits (measured in
 * docs/metrics.md "Execute mode", tested in test/execute/plan.test.ts).
 */
import { outputBytes, peakActivationBytes } from '../analysis/memory.js';
import type { Graph, LayerNode } from '../graph/graph.js';
import { convGeometry, isDirectConv, type ConvGeometry } from '../kernels/im2col.js';
import { rowMajor } from '../kernels/mat.js';
import type { ExecContext } from '../kernels/context.js';
import type { Tensor } from '../kernels/tensor.js';
import type { BatchNormArgs } from '../layers/batchnorm.js';
import type { ConvArgs } from '../layers/conv.js';
import type { LayerWeights } from '../layers/kind.js';
import { packedFloats, packWeights, type PackedA, type PackedGemm, type Prologue } from './wasm/gemm-kernel.js';
import type { MaxPoolArgs } from '../layers/maxpool.js';
import type { LinearArgs } from '../layers/linear.js';
import { maxPool2d } from './pool.js';
import { prepareWindowScratch } from './wasm/window-kernel.js';
import { depthwiseConv, type DepthwiseConv } from './depthwise.js';
import { prepareWinograd, prepareWinogradScratch, runWinograd, winogradApplies, winogradFloats } from './winograd.js';
import { warmUpEngine, warmUpLayer } from './warmup.js';
import type { GraphWeights } from './weights.js';
import { runsPlan, type GemmEngine } from './context.js';

/** A context that can run the plan's fused GEMMs (LocalContext and the pool with the wasm engine). */
export interface PlanContext extends ExecContext {
  /** Runs a PackedGemm whole (split between threads or not); adds M*N*K to `macs`. */
  gemmPacked(job: PackedGemm): void;
  readonly allocate?: (n: number) => Float32Array;
  /** Buffers in the engine memory, for the plan's packed weights (context.ts). */
  readonly allocatePlan?: (n: number) => Float32Array;
  /** The byte address of a view in the engine memory, or -1 (context.ts). */
  addressOf?(a: ArrayBufferView): number;
  /** Readies the engine memory for this many more bytes (context.ts, arena.ts reserve). */
  reserve?(bytes: number): void;
  /** A tensor of unspecified contents (the engine memory's; context.ts), for steps that write every element. */
  allocUninit?(shape: readonly number[]): Tensor;
}

const uninit = (ctx: PlanContext, shape: readonly number[]): Tensor => (ctx.allocUninit ? ctx.allocUninit(shape) : ctx.alloc(shape));

export function isPlanContext(ctx: ExecContext): ctx is PlanContext {
  return typeof (ctx as Partial<PlanContext>).gemmPacked === 'function' && runsPlan(ctx as { engine?: GemmEngine });
}

export interface PlanStep {
  /** The layers the step runs, in graph order; the last one's output is the step's. */
  readonly nodes: readonly LayerNode[];
  /** The layer the step's time, MACs and a NaN in its output are reported on (a fused step's conv). */
  readonly head: LayerNode;
  /** Node ids of the tensors it reads. */
  readonly inputs: readonly number[];
  /** The node whose output the step makes. */
  readonly output: LayerNode;
  run(inputs: readonly Tensor[], ctx: PlanContext): Tensor;
  /** Makes the scratch the step grows on its first run, before the first pass (reservePlanMemory). */
  prepare?(ctx: PlanContext): void;
}

export interface ExecPlan {
  readonly steps: readonly PlanStep[];
  /** For each step, the node ids of the tensors that can be freed once it has run. */
  readonly freeAfter: readonly (readonly number[])[];
  /** Floats of the packed weights the plan holds (beside the graph's weights). */
  readonly packedFloats: number;
}

/**
 * Before the first pass at batch `batch`: the steps' scratch made (Winograd's blocks), then the
 * engine memory made ready for the schedule's peak of live activations (arena.ts reserve), so
 * that the pass does not pay the page faults of memory it touches for the first time. Cheap once done.
 */
export function reservePlanMemory(ctx: PlanContext, graph: Graph, batch: number, plan?: ExecPlan): void {
  // Once per context and batch: the peak comes from a pass over the schedule, not free per run.
  let batches = reserved.get(ctx);
  if (!batches) reserved.set(ctx, (batches = new WeakMap()));
  const key = plan ?? graph;
  if ((batches.get(key) ?? 0) >= batch) return;
  if (plan && !batches.has(key)) for (const step of plan.steps) step.prepare?.(ctx);
  batches.set(key, batch);
  ctx.reserve?.(peakActivationBytes(graph, outputBytes(graph, batch, 'fp32')).peak);
}
/** Per context, the largest batch each plan (or graph) has been readied for. */
const reserved = new WeakMap<PlanContext, WeakMap<object, number>>();

/** The readers of each node, and the graph outputs. */
function readers(graph: Graph): number[][] {
  const out: number[][] = graph.nodes.map(() => []);
  for (const node of graph.nodes) for (const i of node.inputs) out[i].push(node.id);
  return out;
}

/** The layers of one conv step (see the header). */
interface ConvGroup {
  readonly conv: LayerNode;
  readonly args: ConvArgs;
  /** The conv and what follows it in the epilogue, in order. */
  readonly group: LayerNode[];
  bn?: LayerNode;
  residual?: number;
  relu: boolean;
  relu6: boolean;
  /** A batchnorm (and relu) before the conv, folded into the packing of B. */
  pre?: { readonly bn: LayerNode; readonly relu?: LayerNode };
}

/**
 * The plan for a graph and its weights; `allocate` makes the packed weights (shared memory when
 * threads share the GEMMs). With `warmUp` (the default; CNNSCOPE_WARMUP=0 turns it off), the
 * engine's loops and those of the layer steps' kinds are compiled on small data first
 * (warmup.ts), so the first pass is close to a steady one.
 */
export function buildPlan(
  graph: Graph,
  weights: GraphWeights,
  allocate: (n: number) => Float32Array,
  warmUp = process.env['CNNSCOPE_WARMUP'] !== '0',
  /** The context the plan will run on: the layer steps' warm-up runs there (warmup.ts warmUpLayer). */
  context?: ExecContext,
): ExecPlan {
  const readBy = readers(graph);
  const outputs = new Set(graph.outputs);
  const absorbed = new Set<number>();
  // A tensor only `reader` reads, that is not a graph output and not already in a step.
  const onlyFor = (id: number, reader: number) =>
    !outputs.has(id) && !absorbed.has(id) && readBy[id].length === 1 && readBy[id][0] === reader;
  // 1. Epilogues: grow each conv's group along sole readers: batchnorm, then add, then relu (or relu6).
  const groups: ConvGroup[] = [];
  for (const node of graph.nodes) {
    if (node.kind !== 'conv' || absorbed.has(node.id)) continue;
    // Every conv starts a step: the packed GEMM, or the direct kernel when depthwise.
    const g: ConvGroup = { conv: node, args: node.args as ConvArgs, group: [node], relu: false, relu6: false };
    let add: LayerNode | undefined;
    for (;;) {
      const tail = g.group[g.group.length - 1];
      if (outputs.has(tail.id) || readBy[tail.id].length !== 1) break;
      const next = graph.nodes[readBy[tail.id][0]];
      // The add of two conv branches joins the first of them (the other is its residual).
      if (absorbed.has(next.id)) break;
      if (next.kind === 'batchnorm' && !g.bn && !add && !g.relu && next.inputShapes[0].length === 3) g.bn = next;
      else if (next.kind === 'add' && !add && !g.relu && next.inputs.length === 2 && next.inputs[0] !== next.inputs[1]) add = next;
      else if (next.kind === 'relu' && !g.relu) g.relu = true;
      else if (next.kind === 'relu6' && !g.relu) g.relu = g.relu6 = true;
      else break;
      g.group.push(next);
    }
    if (add) g.residual = add.inputs.find((i) => i !== g.group[g.group.indexOf(add) - 1].id)!;
    for (const n of g.group) absorbed.add(n.id);
    groups.push(g);
  }
  // 2. Prologues: a batchnorm (then relu) that only the conv reads and no epilogue took
  //    (DenseNet's pre-activation), applied as B is packed.
  for (const g of groups) {
    if (isDepthwise(g.conv)) continue;
    const input = graph.nodes[g.conv.inputs[0]];
    const bnOf = (n: LayerNode) => n.kind === 'batchnorm' && n.inputShapes[0].length === 3;
    if (input.kind === 'relu' && onlyFor(input.id, g.conv.id)) {
      const bn = graph.nodes[input.inputs[0]];
      if (bnOf(bn) && onlyFor(bn.id, input.id)) g.pre = { bn, relu: input };
    } else if (bnOf(input) && onlyFor(input.id, g.conv.id)) {
      g.pre = { bn: input };
    }
    if (g.pre) for (const n of [g.pre.bn, g.pre.relu]) if (n) absorbed.add(n.id);
  }
  // 3. The steps, each where its last layer was: by then a residual input has been made.
  // Before the weights are packed: V8 optimizes the warmed loops on a background thread, and the
  // packing gives that compile time to finish (warmed last, the first pass still ran them
  // unoptimized: resnet50's global pool 6 ms, then 0.2).
  if (warmUp) {
    warmUpEngine();
    const seen = new Set<string>();
    for (const node of graph.nodes) {
      if (node.id === 0 || absorbed.has(node.id) || node.kind === 'conv' || node.kind === 'maxpool') continue;
      // One node per kind and input rank (different args take different branches, but most loops are shared).
      const key = `${node.kind}:${node.inputShapes.map((sh) => sh.length).join(',')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      warmUpLayer(node, weights.get(node.id) ?? {}, context);
    }
  }
  const steps: PlanStep[] = [];
  let packed = 0;
  const byConv = new Map(groups.map((g) => [g.conv.id, g]));
  for (const node of graph.nodes) {
    const g = byConv.get(node.id);
    if (g) {
      const step = convStep(g, weights, allocate);
      packed += step.packedFloats;
      steps.push(step);
    } else if (node.id !== 0 && !absorbed.has(node.id)) {
      const w = weights.get(node.id) ?? {};
      const lin = node.kind === 'linear' ? linearStep(node, w, allocate) : undefined;
      if (lin) packed += lin.packedFloats;
      steps.push(lin ?? (node.kind === 'maxpool' ? maxPoolStep(node) : undefined) ?? layerStep(node, w));
    }
  }
  steps.sort((x, y) => x.output.id - y.output.id);
  return { steps, freeAfter: freeSchedule(graph, steps), packedFloats: packed };
}

/** maxpool with dilation 1 on a feature map: pool.ts's separable kernel. */
function maxPoolStep(node: LayerNode): PlanStep | undefined {
  const a = node.args as MaxPoolArgs;
  if (a.dilation[0] !== 1 || a.dilation[1] !== 1 || node.inputShapes[0].length !== 3) return undefined;
  const [c, h, w] = node.inputShapes[0] as [number, number, number];
  const [, hout, wout] = node.outputShape as [number, number, number];
  const geometry = convGeometry({ ...a, padding: { top: a.padding[0], left: a.padding[1] } }, h, w, hout, wout);
  let rows = new Float32Array(0);
  return {
    nodes: [node],
    head: node,
    inputs: node.inputs,
    output: node,
    prepare: (ctx) => prepareWindowScratch(ctx, geometry),
    run([x], ctx) {
      const n = x.shape[0];
      const y = uninit(ctx, [n, c, hout, wout]);
      if (rows.length < h * wout) rows = new Float32Array(h * wout);
      maxPool2d(x.data, y.data, n * c, geometry, rows, ctx);
      return y;
    },
  };
}

/** One input channel per group (and more than one group): depthwise.ts's direct kernel. */
function isDepthwise(node: LayerNode): boolean {
  const a = node.args as ConvArgs;
  return a.groups > 1 && node.inputShapes[0][0] === a.groups;
}

/** Floats the plan holds for a node beside its weights: a conv's packed, folded weights and bias. */
export function planFloats(node: LayerNode): number {
  if (node.kind !== 'conv') return 0;
  const a = node.args as ConvArgs;
  const cout = node.outputShape[0];
  if (isDepthwise(node)) return cout * a.kernel[0] * a.kernel[1] + cout;
  if (winogradApplies(a, node.inputShapes[0][0], node.outputShape[1], node.outputShape[2]))
    return winogradFloats(node.inputShapes[0][0], cout) + cout;
  return a.groups * packedFloats(cout / a.groups, (node.inputShapes[0][0] / a.groups) * a.kernel[0] * a.kernel[1]) + cout;
}

function layerStep(node: LayerNode, w: LayerWeights): PlanStep {
  return {
    nodes: [node],
    head: node,
    inputs: node.inputs,
    output: node,
    run: (inputs, ctx) => node.layer.forward(inputs, node.args, w, ctx),
  };
}

interface ConvStep extends PlanStep {
  readonly packedFloats: number;
}

/**
 * A linear layer on features [n, F] as the packed GEMM y^T [out, n] = W [out, F] · x^T, its
 * weights packed once (as a conv's), the bias in the epilogue: the layer's own forward ran the
 * unpacked GEMM, which packed all of W on every pass (4 MB for resnet50's fc, from memory the
 * first pass had not touched: 10 ms, where this takes under 1). Batch 1 needs no transposes.
 */
function linearStep(
  node: LayerNode,
  w: LayerWeights,
  allocate: (n: number) => Float32Array,
): (PlanStep & { packedFloats: number }) | undefined {
  const a = node.args as LinearArgs;
  if (node.inputShapes[0].length !== 1) return undefined;
  const F = node.inputShapes[0][0];
  const out = a.out;
  const A = packWeights(out, F, rowMajor(w['weight'], 0, F), allocate(packedFloats(out, F)), 0);
  const bias = allocate(out);
  if (a.bias) bias.set(w['bias']);
  return {
    nodes: [node],
    head: node,
    inputs: node.inputs,
    output: node,
    packedFloats: A.data.length + out,
    run([x], ctx) {
      const n = x.shape[0];
      const y = uninit(ctx, [n, out]);
      const xt = n === 1 ? x : uninit(ctx, [F, n]);
      if (n > 1) for (let j = 0; j < n; j++) for (let k = 0; k < F; k++) xt.data[k * n + j] = x.data[j * F + k];
      const yt = n === 1 ? y : uninit(ctx, [out, n]);
      ctx.gemmPacked({
        M: out,
        N: n,
        K: F,
        A,
        B: { kind: 'mat', mat: rowMajor(xt.data, 0, n) },
        C: rowMajor(yt.data, 0, n),
        bias,
        biasOffset: 0,
        relu: false,
      });
      if (n > 1) {
        for (let j = 0; j < n; j++) for (let i = 0; i < out; i++) y.data[j * out + i] = yt.data[i * n + j];
        ctx.release?.(xt);
        ctx.release?.(yt);
      }
      return y;
    },
  };
}

function convStep(cg0: ConvGroup, weights: GraphWeights, allocate: (n: number) => Float32Array): ConvStep {
  const { conv: node, args: a, group, bn, residual, relu, relu6, pre } = cg0;
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
  const p = a.padding;
  const geometry: ConvGeometry = convGeometry(a, h, wd, hout, wout);
  const output = group[group.length - 1];
  if (isDepthwise(node)) {
    const folded = allocate(cout * kh * kw);
    for (let o = 0; o < cout; o++) for (let t = 0; t < kh * kw; t++) folded[o * kh * kw + t] = weight[o * kh * kw + t] * scale[o];
    const d: DepthwiseConv = { cin, cout, geometry, weight: folded, bias, relu, relu6 };
    return {
      nodes: group,
      head: node,
      inputs: residual === undefined ? [node.inputs[0]] : [node.inputs[0], residual],
      output,
      packedFloats: folded.length + cout,
      prepare: (ctx) => prepareWindowScratch(ctx, geometry),
      run([x, res], ctx) {
        const y = uninit(ctx, [x.shape[0], cout, hout, wout]);
        depthwiseConv(d, x.shape[0], x.data, y.data, res?.data, ctx);
        // The MACs of the reference (depthwise.ts does the same multiplies).
        ctx.macs += x.shape[0] * cout * hout * wout * K;
        return y;
      },
    };
  }
  // The prologue: scale and shift of the batchnorm before the conv, in float64 as batchnorm.ts.
  let prologue: Prologue | undefined;
  let source = node.inputs[0];
  if (pre) {
    const pa = pre.bn.args as BatchNormArgs;
    const pw = weights.get(pre.bn.id) ?? {};
    const f = allocate(4 * cin);
    const ss = new Float64Array(f.buffer, f.byteOffset, 2 * cin);
    for (let ch = 0; ch < cin; ch++) {
      ss[ch] = (pa.affine ? pw['weight'][ch] : 1) / Math.sqrt(pw['running_var'][ch] + pa.eps);
      ss[cin + ch] = (pa.affine ? pw['bias'][ch] : 0) - pw['running_mean'][ch] * ss[ch];
    }
    prologue = { ss, channels: cin, channel0: 0, relu: pre.relu !== undefined };
    source = pre.bn.inputs[0];
  }
  const nodes = [...(pre ? [pre.bn, ...(pre.relu ? [pre.relu] : [])] : []), ...group];
  if (winogradApplies(a, cin, hout, wout)) {
    // 3x3 stride 1: Winograd F(2x2, 3x3), prologue and epilogue in its transforms (winograd.ts).
    const wc = prepareWinograd(weight, cin, cout, geometry, bn ? scale : undefined, bias, relu, relu6, allocate, prologue);
    return {
      nodes,
      head: node,
      inputs: residual === undefined ? [source] : [source, residual],
      output,
      packedFloats: wc.floats + cout,
      prepare: (ctx) => prepareWinogradScratch(wc, ctx),
      run([x, res], ctx) {
        const y = uninit(ctx, [x.shape[0], cout, hout, wout]);
        runWinograd(wc, ctx, x.shape[0], x.data, y.data, res?.data);
        return y;
      },
    };
  }
  const perGroup = packedFloats(mg, K);
  const store = allocate(perGroup * a.groups);
  const packs: PackedA[] = [];
  for (let g = 0; g < a.groups; g++) {
    packs.push(
      packWeights(mg, K, rowMajor(weight, g * mg * K, K), store, g * perGroup, bn ? scale.subarray(g * mg, (g + 1) * mg) : undefined),
    );
  }
  const direct = isDirectConv(a.kernel, a.stride, p);
  const prologueOf = (g: number): { prologue?: Prologue } => (prologue ? { prologue: { ...prologue, channel0: g * cg } } : {});
  return {
    nodes,
    head: node,
    inputs: residual === undefined ? [source] : [source, residual],
    output,
    packedFloats: perGroup * a.groups + cout,
    run([input, res], ctx) {
      const n = input.shape[0];
      // The graph's input is the caller's, outside the engine memory: a copy in it lets the
      // GEMM pack B in wasm (gemm-kernel.ts's in-place path).
      const copied = ctx.addressOf && ctx.addressOf(input.data) < 0 ? uninit(ctx, input.shape) : undefined;
      copied?.data.set(input.data);
      const x = copied ?? input;
      const y = uninit(ctx, [n, cout, hout, wout]);
      for (let s = 0; s < n; s++) {
        for (let g = 0; g < a.groups; g++) {
          const xOff = (s * cin + g * cg) * h * wd;
          const yOff = (s * cout + g * mg) * P;
          ctx.gemmPacked({
            M: mg,
            N: P,
            K,
            A: packs[g],
            B: direct
              ? { kind: 'mat', mat: rowMajor(x.data, xOff, P), ...prologueOf(g) }
              : { kind: 'im2col', x: x.data, xOff, geometry, ...prologueOf(g) },
            C: rowMajor(y.data, yOff, P),
            bias,
            biasOffset: g * mg,
            relu,
            relu6,
            ...(res ? { residual: rowMajor(res.data, yOff, P) } : {}),
          });
        }
      }
      if (copied) ctx.release?.(copied);
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
