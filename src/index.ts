/**
 * The library API: everything the CLI does is available here. The graph is the one
 * intermediate representation; analyses are pure functions over it; renderers format reports.
 */
import { readFileSync } from 'node:fs';
import { buildGraph, type BuildOptions } from './graph/build.js';
import type { Graph } from './graph/graph.js';
import { findBundled } from './bundled.js';
import type { OnnxBuildOptions } from './onnx/index.js';
import type { Converted as OnnxModelGraph } from './onnx/convert.js';
import type { OnnxWeightsOptions } from './execute/onnx-weights.js';
import type { GraphWeights } from './execute/weights.js';

export { buildGraph, buildModel, MAX_LAYERS, MAX_TENSOR_ELEMENTS, type BuildOptions, type Model } from './graph/build.js';
export { readModelHeader, type ModelHeader } from './graph/header.js';
export { ModelError, formatDiagnostic, type Diagnostic, type SourcePos } from './graph/diagnostics.js';
export { consumers, type Graph, type LayerNode } from './graph/graph.js';
export { layerKinds } from './layers/index.js';
export type { LayerKind, Shape, TensorSpec, OpCount, FieldStep, KindDocs, WeightInit, TensorFill } from './layers/kind.js';
export { analyze, AnalysisError, REPORT_SCHEMA, type Report, type LayerReport, type AnalyzeOptions } from './analysis/report.js';
export { layerParams, type ParamCount } from './analysis/params.js';
export { renderJson } from './report/json.js';
export { renderTable } from './report/table.js';
export { bundledModels, findBundled, unknownModelMessage, ARCHITECTURES_DIR, type BundledModel } from './bundled.js';
// The words several stages share: dtypes, optimizers, the names of totals, the largest batch.
export {
  DTYPES,
  OPTIMIZER_STATES,
  TOTALS,
  COUNT_TOTALS,
  BYTE_TOTALS,
  MAX_BATCH,
  type Dtype,
  type Optimizer,
  type TotalName,
} from './vocabulary.js';

/** Builds a bundled model by name (`resnet50`, `vgg16_bn`, `lecture/bottleneck`). */
export function loadBundled(name: string, options: Omit<BuildOptions, 'file'> = {}): Graph {
  const found = findBundled(name);
  if (!found) throw new Error(`no bundled model '${name}'`);
  const preset = options.preset ?? found.preset;
  return buildGraph(readFileSync(found.path, 'utf8'), { ...options, file: found.path, ...(preset !== undefined ? { preset } : {}) });
}

/**
 * The graph of an ONNX model from its bytes, the notes its report should carry (docs/onnx.md), and
 * where its weights and names are (for onnxModelWeights and the onnxruntime engine).
 * The ONNX front end (and protobufjs) is loaded on the first call, so YAML-only users never load it.
 */
export async function buildOnnx(bytes: Uint8Array, options: OnnxBuildOptions): Promise<OnnxModelGraph> {
  const { buildOnnxGraph } = await import('./onnx/index.js');
  return buildOnnxGraph(bytes, options);
}
export type { OnnxBuildOptions } from './onnx/index.js';
export type { Converted as OnnxModelGraph, WeightSource as OnnxWeightSource } from './onnx/convert.js';

/** The weights of an ONNX model (its initializers, as buildOnnx found them) for execute(); loads the ONNX front end. */
export async function onnxModelWeights(model: OnnxModelGraph, options: OnnxWeightsOptions): Promise<GraphWeights> {
  const { onnxWeights } = await import('./execute/onnx-weights.js');
  return onnxWeights(model.graph, model.weights, options);
}
export type { OnnxWeightsOptions } from './execute/onnx-weights.js';

/** `cnnscope export`: a graph and its weights (initWeights, loadWeights) to an ONNX file's bytes; protobufjs loads on the first call. */
export { exportOnnx, EXPORT_OPSETS, OnnxExportError, type ExportOptions, type ExportWeights } from './onnx/export.js';

// `cnnscope check`: expectations parsed with their positions, models planned, built and checked, results rendered.
export { parseQuantity, type Unit } from './quantity.js';
export {
  parseBudget,
  parseModelExpectations,
  type Budget,
  type BudgetEntry,
  type ExpectGroup,
  type Expectation,
  type ExpectAt,
  type Relation,
} from './graph/expect.js';
export { checkModels, CheckInputError, type CheckIo, type CheckRequest, type CheckOutcome } from './check/plan.js';
export { isPathPattern, namePattern } from './check/patterns.js';
export {
  evaluate,
  expectationProblems,
  summarize,
  checkDocument,
  CHECK_SCHEMA,
  type CheckResult,
  type CheckedModel,
  type CheckRun,
  type CheckSummary,
  type CheckDocument,
} from './check/evaluate.js';
export { renderCheck, CHECK_FORMATS, type CheckFormat } from './report/check.js';

// `cnnscope diff`, the Markdown and CSV reports, and `cnnscope graph` (DOT, Mermaid).
export {
  diffReports,
  parseConditions,
  conditionFails,
  change,
  DiffError,
  DIFF_SCHEMA,
  DIFF_METRICS,
  COMPARED_FIELDS,
  type Diff,
  type DiffOptions,
  type DiffSide,
  type DiffMetric,
  type Change,
  type RowDiff,
  type RowFigures,
  type RowStatus,
  type Condition,
  type ConditionResult,
} from './analysis/diff.js';
export { renderDiffTable, renderDiffMarkdown, renderDiffCsv, DIFF_CSV_COLUMNS, type DiffMarkdownOptions } from './report/diff.js';
export { renderMarkdown, type MarkdownOptions } from './report/markdown.js';
export { renderCsv, CSV_LAYER_COLUMNS, CSV_BLOCK_COLUMNS } from './report/csv.js';
export { graphView, type GraphView, type ViewNode, type ViewCluster, type NodeRole } from './report/graph-view.js';
export { renderDot } from './report/dot.js';
export { renderMermaid } from './report/mermaid.js';
// `cnnscope report --html`: the self-contained page (src/report/html/).
export { htmlReportInput } from './report/html/input.js';
export { renderHtmlReport, type HtmlReportInput, type HtmlLevel } from './report/html/page.js';
export { FIGURES as HTML_FIGURES, type NodeFigure } from './report/html/graph-svg.js';
export { liveBytes } from './analysis/memory.js';

// Execute mode: a real forward pass on the CPU (src/execute/, `cnnscope run`).
export {
  execute,
  staticMacs,
  checkWeights,
  ExecuteError,
  type ExecuteOptions,
  type ExecuteResult,
  type LayerRun,
} from './execute/execute.js';
export { tensor, numel, relativeError, firstNonFinite, type Tensor } from './kernels/tensor.js';
export type { ExecContext } from './kernels/context.js';
export { LocalContext } from './execute/context.js';
export { createContext, type RunContext } from './execute/threads.js';
export { gemm, gemmReference, GemmScratch } from './kernels/gemm.js';
export type { Mat } from './kernels/mat.js';
export { conv2dReference, linearReference } from './execute/reference.js';
export { initWeights, syntheticWeights, loadWeights, weightSlots, WeightsError, type GraphWeights } from './execute/weights.js';
export { SafetensorsFile, SafetensorsError, encodeSafetensors } from './execute/safetensors.js';
export { readNpy, writeNpy, encodeNpy, decodeNpy, NpyError } from './execute/npy.js';
export { estimateMemory, type MemoryEstimate } from './execute/memory.js';
// The second engine: ONNX Runtime (the optional package onnxruntime-node, imported on first use).
export {
  openOnnxRuntime,
  runOnnxRuntime,
  OnnxRuntimeError,
  ONNXRUNTIME_VERSION,
  type OnnxRuntimeSession,
  type OnnxRuntimeOptions,
  type OnnxRuntimeResult,
  type OnnxNames,
  type OrtProfileRow,
} from './execute/onnxruntime.js';
export type { LayerWeights } from './layers/kind.js';
