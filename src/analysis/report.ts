/**
 * The report: everything cnnscope says about a model, computed from the graph once, in the
 * shape the JSON output documents (docs/report.md). Renderers format it and compute nothing.
 */
import { grouped } from '../graph/diagnostics.js';
import type { Graph, LayerNode } from '../graph/graph.js';
import { numel } from '../layers/kind.js';
import { layerOps } from './compute.js';
import { AnalysisError, layerError, MAX_EXACT } from './exact.js';
import { foldByDepth } from './hierarchy.js';
import { DTYPES, OPTIMIZER_STATES, type Dtype, type Optimizer } from '../vocabulary.js';
import { liveBytes, outputBytes, peakActivationBytes, tensorBytes, trainingBytes } from './memory.js';
import { layerParams } from './params.js';
import { lastSpatialField, receptiveFields, type Field, type FieldOrGlobal, type FieldWarning } from './receptive-field.js';

export const REPORT_SCHEMA = 'cnnscope.report/1';

export type ReceptiveField = Field | 'global';

export interface LayerReport {
  readonly name: string;
  readonly kind: string;
  /** Names of the layers this one reads (`input` for the model input). */
  readonly inputs: readonly string[];
  /** With the batch: [N, C, H, W] or [N, F]. */
  readonly output_shape: readonly number[];
  readonly params: number;
  readonly trainable_params: number;
  readonly buffers: number;
  readonly macs: number;
  readonly flops: number;
  /** Bytes of this layer's output at the report's dtype and batch. */
  readonly activation_bytes: number;
  readonly receptive_field: ReceptiveField;
  /** Present where it differs from `receptive_field`: the field ignoring gates' broadcast inputs (docs/metrics.md). */
  readonly windowed_receptive_field?: ReceptiveField;
}

/** A row of the table folded with `--depth`: a block's totals, or one layer. */
export interface BlockReport {
  readonly name: string;
  readonly kind: string;
  /** How many layers the row folds (1 for a layer shown as itself). */
  readonly layers: number;
  readonly output_shape: readonly number[];
  readonly params: number;
  readonly macs: number;
  readonly flops: number;
  readonly activation_bytes: number;
  readonly receptive_field: ReceptiveField;
  /** Present where it differs from `receptive_field`. */
  readonly windowed_receptive_field?: ReceptiveField;
}

export interface KindReport {
  readonly kind: string;
  readonly layers: number;
  readonly params: number;
  readonly macs: number;
  readonly flops: number;
}

export interface Totals {
  readonly params: number;
  readonly trainable_params: number;
  readonly buffers: number;
  readonly macs: number;
  readonly flops: number;
  readonly weight_bytes: number;
  readonly activation_bytes: number;
  readonly peak_activation_bytes: number;
  readonly training_bytes: number;
  /** Of the first output. */
  readonly receptive_field: ReceptiveField;
  /** When the first output's field is global: the last spatial field before it. */
  readonly last_spatial_receptive_field?: { readonly layer: string } & Field;
  /** Of the first output, where it differs from `receptive_field` (a gate upstream). */
  readonly windowed_receptive_field?: ReceptiveField;
  /** When the first output's windowed field is global: the last spatial windowed field, where it differs from the strict one. */
  readonly last_windowed_receptive_field?: { readonly layer: string } & Field;
}

export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  readonly model: string;
  readonly input: { readonly shape: readonly number[] };
  readonly options: { readonly batch: number; readonly dtype: Dtype; readonly optimizer: Optimizer };
  readonly totals: Totals;
  readonly memory: {
    /** The layer running when activations peak. */
    readonly peak_at: string;
    readonly training: {
      readonly weights: number;
      readonly gradients: number;
      readonly optimizer_state: number;
      readonly activations: number;
    };
    /** With the `liveBytes` option: the bytes alive at each step of the schedule (step 0 the input, then the layers in order). */
    readonly live_bytes?: readonly number[];
  };
  readonly outputs: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly by_kind: readonly KindReport[];
  readonly layers: readonly LayerReport[];
  /** Present when the report is folded with `depth`. */
  readonly blocks?: readonly BlockReport[];
  readonly warnings: readonly FieldWarning[];
}

export interface AnalyzeOptions {
  /** Samples per batch; shapes, counts and bytes in the report include it. Default 1. */
  readonly batch?: number;
  /** Element type of weights and activations. Default fp32. */
  readonly dtype?: Dtype;
  /** For the training estimate. Default sgd (no extra state). */
  readonly optimizer?: Optimizer;
  /** Fold layers into blocks this many name levels deep (adds `blocks`). */
  readonly depth?: number;
  /** Add `memory.live_bytes`, the liveness timeline (the bars of `analyze --bars`). */
  readonly liveBytes?: boolean;
}

export { AnalysisError };

export function analyze(graph: Graph, options: AnalyzeOptions = {}): Report {
  const batch = options.batch ?? 1;
  const dtype = options.dtype ?? 'fp32';
  const optimizer = options.optimizer ?? 'sgd';
  const withBatch = (shape: readonly number[]) => {
    const out = new Array<number>(shape.length + 1);
    out[0] = batch;
    for (let i = 0; i < shape.length; i++) out[i + 1] = shape[i];
    return out;
  };
  const { fields, windowed, warnings } = receptiveFields(graph);
  const bytes = outputBytes(graph, batch, dtype);
  const field = (id: number): ReceptiveField => copyField(fields[id]);
  // Only where a gate upstream makes it differ: reports of models without one are unchanged.
  const windowedField = (id: number): { windowed_receptive_field?: ReceptiveField } =>
    sameField(windowed[id], fields[id]) ? {} : { windowed_receptive_field: copyField(windowed[id]) };

  const layers: LayerReport[] = [];
  for (const node of graph.nodes) {
    if (node.id === 0) continue;
    const p = layerParams(node);
    const ops = layerOps(node, batch);
    const layer: Writable<LayerReport> = {
      name: node.name,
      kind: node.kind,
      inputs: node.inputs.map((i) => graph.nodes[i].name),
      output_shape: withBatch(node.outputShape),
      params: p.params,
      trainable_params: p.trainable,
      buffers: p.buffers,
      macs: ops.macs,
      flops: ops.flops,
      activation_bytes: bytes[node.id],
      receptive_field: field(node.id),
    };
    // Set, not spread in: a literal with a spread is built property by property, a hundred thousand times for a large model.
    if (!sameField(windowed[node.id], fields[node.id])) layer.windowed_receptive_field = copyField(windowed[node.id]);
    layers.push(layer);
  }

  const sum = (key: 'params' | 'trainable_params' | 'buffers' | 'macs' | 'flops') => layers.reduce((a, l) => a + l[key], 0);
  const activationBytes = bytes.reduce((a, b) => a + b, 0);
  const peak = peakActivationBytes(graph, bytes);
  const weightAndParamBytes = tensorBytes(graph, dtype);
  const training = trainingBytes(weightAndParamBytes, optimizer, activationBytes);
  const first = graph.outputs[0];
  const lastSpatial = fields[first] === 'global' ? lastSpatialField(graph, fields, first) : undefined;
  const lastWindowedSpatial = windowed[first] === 'global' ? lastSpatialField(graph, windowed, first) : undefined;
  const lastWindowed =
    lastWindowedSpatial &&
    !(lastSpatial && lastSpatial.layer === lastWindowedSpatial.layer && sameField(lastSpatial.field, lastWindowedSpatial.field))
      ? lastWindowedSpatial
      : undefined;

  const report: Report = {
    schema: REPORT_SCHEMA,
    model: graph.name,
    input: { shape: withBatch(graph.inputShape) },
    options: { batch, dtype, optimizer },
    totals: {
      params: sum('params'),
      trainable_params: sum('trainable_params'),
      buffers: sum('buffers'),
      macs: sum('macs'),
      flops: sum('flops'),
      weight_bytes: weightAndParamBytes.weights,
      activation_bytes: activationBytes,
      peak_activation_bytes: peak.peak,
      training_bytes: training.total,
      receptive_field: field(first),
      ...(lastSpatial ? { last_spatial_receptive_field: { layer: lastSpatial.layer, ...(copyField(lastSpatial.field) as Field) } } : {}),
      ...windowedField(first),
      ...(lastWindowed
        ? { last_windowed_receptive_field: { layer: lastWindowed.layer, ...(copyField(lastWindowed.field) as Field) } }
        : {}),
    },
    memory: {
      peak_at: graph.nodes[peak.at].name,
      training: {
        weights: training.weights,
        gradients: training.gradients,
        optimizer_state: training.optimizer,
        activations: training.activations,
      },
      ...(options.liveBytes ? { live_bytes: liveBytes(graph, bytes) } : {}),
    },
    outputs: graph.outputs.map((id) => ({ name: graph.nodes[id].name, shape: withBatch(graph.nodes[id].outputShape) })),
    by_kind: byKind(layers),
    layers,
    ...(options.depth !== undefined ? { blocks: folded(graph, layers, options.depth, withBatch, field, windowedField) } : {}),
    warnings,
  };
  assertExact(graph, report, batch, dtype, optimizer);
  return report;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

function copyField(f: FieldOrGlobal): ReceptiveField {
  return f === 'global'
    ? 'global'
    : { size: [f.size[0], f.size[1]], stride: [f.stride[0], f.stride[1]], padding: [f.padding[0], f.padding[1]] };
}

function sameField(a: FieldOrGlobal, b: FieldOrGlobal): boolean {
  if (a === b) return true;
  if (a === 'global' || b === 'global') return false;
  return (
    a.size[0] === b.size[0] &&
    a.size[1] === b.size[1] &&
    a.stride[0] === b.stride[0] &&
    a.stride[1] === b.stride[1] &&
    a.padding[0] === b.padding[0] &&
    a.padding[1] === b.padding[1]
  );
}

/** Kinds in order of their MACs, then FLOPs, then name: where the compute goes. */
function byKind(layers: readonly LayerReport[]): KindReport[] {
  const map = new Map<string, { kind: string; layers: number; params: number; macs: number; flops: number }>();
  for (const l of layers) {
    const k = map.get(l.kind) ?? { kind: l.kind, layers: 0, params: 0, macs: 0, flops: 0 };
    k.layers++;
    k.params += l.params;
    k.macs += l.macs;
    k.flops += l.flops;
    map.set(l.kind, k);
  }
  return [...map.values()].sort((a, b) => b.macs - a.macs || b.flops - a.flops || (a.kind < b.kind ? -1 : 1));
}

function folded(
  graph: Graph,
  layers: readonly LayerReport[],
  depth: number,
  withBatch: (s: readonly number[]) => number[],
  field: (id: number) => ReceptiveField,
  windowedField: (id: number) => { windowed_receptive_field?: ReceptiveField },
): BlockReport[] {
  // layers[i] is node i + 1 (node 0, the input, is not a layer).
  return foldByDepth(graph, depth).map((fold) => {
    const members = fold.members.map((id) => layers[id - 1]);
    const total = (key: 'params' | 'macs' | 'flops' | 'activation_bytes') => members.reduce((a, l) => a + l[key], 0);
    return {
      name: fold.name,
      kind: fold.kind,
      layers: members.length,
      output_shape: withBatch(graph.nodes[fold.output].outputShape),
      params: total('params'),
      macs: total('macs'),
      flops: total('flops'),
      activation_bytes: total('activation_bytes'),
      receptive_field: field(fold.output),
      ...windowedField(fold.output),
    };
  });
}

/**
 * Every count must be an exact integer: refuse rather than print a rounded one. The figures are
 * checked per sample (exact while they stay below 2^53) in topological order, each layer's own and
 * the running totals, so the error names the first layer where one reaches 2^53, and says which
 * batch would keep every figure exact, or that the input or the layers must shrink.
 */
function assertExact(graph: Graph, report: Report, batch: number, dtype: Dtype, optimizer: Optimizer): void {
  if (!(batch === 1 && withinExact(report))) findInexact(graph, report, batch, dtype, optimizer);
  // A backstop for any figure the walk does not cover.
  const input = graph.nodes[0];
  const check = (v: number, what: string) => {
    if (!Number.isSafeInteger(v)) throw layerError(graph, input, `${what} reaches 2^53 and cannot be counted exactly`);
  };
  for (const [k, v] of Object.entries(report.totals)) if (typeof v === 'number') check(v, `the model's total ${k}`);
  for (const l of report.layers) for (const d of l.output_shape) check(d, `a dimension of layer '${l.name}'`);
}

/**
 * Whether no figure can have reached 2^53 (at batch 1, where the report's totals are the walk's
 * per-sample sums): every figure is a sum of non-negative terms, so each term and each running
 * total of the walk in findInexact is at most the final total, and a float sum that passed 2^53
 * stays past it. A report within bounds needs no walk (a fifth of a large model's analysis).
 */
function withinExact(report: Report): boolean {
  const t = report.totals;
  const m = report.memory.training;
  for (const v of [
    t.params,
    t.buffers,
    t.weight_bytes,
    t.macs,
    t.flops,
    t.activation_bytes,
    m.weights + m.gradients + m.optimizer_state + m.activations,
  ])
    if (!(v <= MAX_EXACT)) return false;
  return true;
}

/** The walk of assertExact: throws at the first layer where a figure or a running total reaches 2^53. */
function findInexact(graph: Graph, report: Report, batch: number, dtype: Dtype, optimizer: Optimizer): void {
  const input = graph.nodes[0];
  const own = (node: LayerNode): Record<Figure, number> => {
    const p = node.id === 0 ? { params: 0, buffers: 0 } : layerParams(node);
    const ops = node.id === 0 ? { macs: 0, flops: 0 } : layerOps(node, 1);
    let weightBytes = 0;
    for (const t of node.tensors) weightBytes += numel(t.shape) * (t.dtype === 'int64' ? 8 : DTYPES[dtype]);
    return {
      params: p.params,
      buffers: p.buffers,
      weight_bytes: weightBytes,
      macs: ops.macs,
      flops: ops.flops,
      activation_bytes: numel(node.outputShape) * DTYPES[dtype],
    };
  };
  const figures = Object.keys(FIGURE) as Figure[];
  // Training keeps weights, gradients and optimizer state once and the activations per sample.
  const fixed = report.memory.training.weights + report.memory.training.gradients * (1 + OPTIMIZER_STATES[optimizer]);
  // What to do about a figure past 2^53; worked out only then, from the whole model's figures.
  const advice = (): string => {
    const sums = Object.fromEntries(figures.map((k) => [k, 0])) as Record<Figure, number>;
    for (const node of graph.nodes) {
      const o = own(node);
      for (const k of figures) sums[k] += o[k];
    }
    const largest = Math.min(
      ...figures.filter((k) => PER_SAMPLE.has(k)).map((k) => largestBatch(sums[k], MAX_EXACT)),
      largestBatch(sums.activation_bytes, MAX_EXACT - fixed),
    );
    return largest >= 1 && batch > 1 ? `use a batch of ${grouped(largest)} or less` : 'use a smaller input shape or smaller layers';
  };
  const when = (times: number, perSample: number) =>
    times === 1 ? '' : perSample <= MAX_EXACT ? ` at batch ${grouped(batch)}` : ' even at batch 1';
  const totals = Object.fromEntries(figures.map((k) => [k, 0])) as Record<Figure, number>;
  for (const node of graph.nodes) {
    const figuresOfNode = own(node);
    for (const key of figures) {
      const times = PER_SAMPLE.has(key) ? batch : 1;
      const value = figuresOfNode[key];
      if (!(value * times <= MAX_EXACT))
        throw layerError(graph, node, `its ${FIGURE[key]} reach 2^53${when(times, value)} and cannot be counted exactly; ${advice()}`);
      totals[key] += value;
      if (!(totals[key] * times <= MAX_EXACT)) {
        throw layerError(
          graph,
          node,
          `the model's total ${FIGURE[key]} reach 2^53 at this layer${when(times, totals[key])} and cannot be counted exactly; ${advice()}`,
        );
      }
    }
  }
  if (!(fixed + totals.activation_bytes * batch <= MAX_EXACT)) {
    throw layerError(
      graph,
      input,
      `the training memory estimate reaches 2^53 bytes and cannot be counted exactly; ${fixed <= MAX_EXACT ? advice() : 'use smaller layers'}`,
    );
  }
}

const FIGURE = {
  params: 'parameters',
  buffers: 'buffers',
  weight_bytes: 'weight bytes',
  macs: 'MACs',
  flops: 'FLOPs',
  activation_bytes: 'activation bytes',
} as const;
type Figure = keyof typeof FIGURE;
/** The figures that grow with the batch. */
const PER_SAMPLE: ReadonlySet<Figure> = new Set(['macs', 'flops', 'activation_bytes']);

/** The largest batch k with k * perSample <= limit (0 when even one sample passes it). */
function largestBatch(perSample: number, limit: number): number {
  if (!(perSample <= limit)) return 0;
  if (perSample === 0) return Number.MAX_SAFE_INTEGER;
  let k = Math.floor(limit / perSample);
  // The quotient is rounded: settle it on the exact products (exact while they stay below 2^53).
  while (k > 0 && k * perSample > limit) k--;
  while ((k + 1) * perSample <= limit) k++;
  return k;
}

export { DTYPES };
