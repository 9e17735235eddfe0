/**
 * The report: everything cnnscope says about a model, computed from the graph once, in the
 * shape the JSON output documents (docs/report.md). Renderers format it and compute nothing.
 */
import type { Graph } from '../graph/graph.js';
import { layerParams, sumParams } from './params.js';

export const REPORT_SCHEMA = 'cnnscope.report/1';

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
}

export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  readonly model: string;
  readonly input: { readonly shape: readonly number[] };
  readonly totals: {
    readonly params: number;
    readonly trainable_params: number;
    readonly buffers: number;
  };
  readonly outputs: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly layers: readonly LayerReport[];
}

export interface AnalyzeOptions {
  /** Samples per batch; shapes in the report include it. */
  readonly batch?: number;
}

export class AnalysisError extends Error {}

export function analyze(graph: Graph, options: AnalyzeOptions = {}): Report {
  const batch = options.batch ?? 1;
  const withBatch = (shape: readonly number[]) => [batch, ...shape];
  const layers: LayerReport[] = [];
  const counts = [];
  for (const node of graph.nodes) {
    if (node.kind === 'input') continue;
    const c = layerParams(node);
    counts.push(c);
    layers.push({
      name: node.name,
      kind: node.kind,
      inputs: node.inputs.map((i) => graph.nodes[i]!.name),
      output_shape: withBatch(node.outputShape),
      params: c.params,
      trainable_params: c.trainable,
      buffers: c.buffers,
    });
  }
  const totals = sumParams(counts);
  const report: Report = {
    schema: REPORT_SCHEMA,
    model: graph.name,
    input: { shape: withBatch(graph.inputShape) },
    totals: { params: totals.params, trainable_params: totals.trainable, buffers: totals.buffers },
    outputs: graph.outputs.map((id) => ({ name: graph.nodes[id]!.name, shape: withBatch(graph.nodes[id]!.outputShape) })),
    layers,
  };
  assertExact(report);
  return report;
}

/** Every count must be an exact integer: refuse rather than print a rounded one. */
function assertExact(report: Report): void {
  const check = (v: number, what: string) => {
    if (!Number.isSafeInteger(v)) throw new AnalysisError(`${what} exceeds 2^53 and cannot be counted exactly; reduce --batch or the input size`);
  };
  for (const [k, v] of Object.entries(report.totals)) check(v, `total ${k}`);
  for (const l of report.layers) for (const d of l.output_shape) check(d, `a dimension of ${l.name}`);
}
